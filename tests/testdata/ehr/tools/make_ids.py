#!/usr/bin/env python3
"""Compute and check the synthetic identifiers of the EHR test corpus.

Every person and organisation in tests/testdata/ehr is invented. This script is the
single source of the identity numbers used in the corpus:

  * fødselsnummer (FNR): 11 digits DDMMYYIIIKK. Synthetic numbers (Skatteetaten's test
    population, "Tenor") use the month + 80 (81..92). Check digits (mod 11):
      k1 = 11 - (sum of the first 9 digits * 3,7,6,1,8,9,4,5,2) % 11
      k2 = 11 - (sum of the first 10 digits * 5,4,3,2,7,6,5,4,3,2) % 11
    with 11 -> 0 and 10 -> no valid number (take the next individual number).
    The individual number III is 000..499 for births 1900..1999 and 500..999 for
    2000..2039; its last digit is even for women and odd for men.
  * D-nummer (DNR): the same, with the first digit + 4 (day 41..71).
  * organisasjonsnummer (ENH): 9 digits, check digit = 11 - (sum of the first 8 digits *
    3,2,7,6,5,4,3,2) % 11, with 11 -> 0 and 10 -> invalid.

Usage:
  make_ids.py            print the identity table (what tests/testdata/ehr/README.md lists)
  make_ids.py --json     the same as JSON (used by check_manifest.py)
  make_ids.py --check N [N ...]   classify numbers (FNR/DNR/ORGNR, valid or not, synthetic)

Python 3 standard library only.
"""

from __future__ import annotations

import datetime
import json
import sys

FNR_K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2)
FNR_K2_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
ORGNR_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)


def mod11(digits: str, weights: tuple[int, ...]) -> int | None:
    """11 - weighted sum % 11; 11 -> 0; 10 -> None (no valid check digit)."""
    total = sum(int(d) * w for d, w in zip(digits, weights))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def fnr_check_digits(first_nine: str) -> tuple[int, int] | None:
    if len(first_nine) != 9 or not first_nine.isdigit():
        return None
    k1 = mod11(first_nine, FNR_K1_WEIGHTS)
    if k1 is None:
        return None
    k2 = mod11(first_nine + str(k1), FNR_K2_WEIGHTS)
    if k2 is None:
        return None
    return k1, k2


def classify_person_id(number: str) -> dict:
    """Kind (FNR/DNR/HNR), validity, synthetic flag and birth date of an 11-digit id."""
    result = {"number": number, "valid": False, "kind": None, "synthetic": False,
              "birthDate": None, "reason": None}
    if len(number) != 11 or not number.isdigit():
        result["reason"] = "not 11 digits"
        return result
    checks = fnr_check_digits(number[:9])
    if checks is None or checks != (int(number[9]), int(number[10])):
        result["reason"] = "wrong check digit"
        return result
    day, month, yy = int(number[0:2]), int(number[2:4]), int(number[4:6])
    kind = "FNR"
    if day > 40:
        kind, day = "DNR", day - 40
    if month > 80:
        result["synthetic"], month = True, month - 80
    elif month > 40:
        if kind == "DNR":
            result["reason"] = "both D- and H-number"
            return result
        kind, month = "HNR", month - 40
    individual = int(number[6:9])
    century = 1900 if individual < 500 else 2000  # good enough for this corpus
    try:
        birth = datetime.date(century + yy, month, day)
    except ValueError:
        result["reason"] = "invalid date part"
        return result
    result.update(valid=True, kind=kind, birthDate=birth.isoformat(),
                  sex="female" if int(number[8]) % 2 == 0 else "male")
    return result


def make_person_id(birth: str, female: bool, *, d_number: bool = False,
                   individual_start: int | None = None) -> str:
    """The first synthetic FNR/DNR for `birth` (YYYY-MM-DD) from `individual_start` up."""
    date = datetime.date.fromisoformat(birth)
    lo, hi = (0, 499) if date.year < 2000 else (500, 999)
    start = lo if individual_start is None else individual_start
    day = date.day + (40 if d_number else 0)
    month = date.month + 80  # synthetic (Tenor) numbers
    for individual in range(start, hi + 1):
        if (individual % 2 == 0) != female:
            continue
        first_nine = f"{day:02d}{month:02d}{date.year % 100:02d}{individual:03d}"
        checks = fnr_check_digits(first_nine)
        if checks:
            return f"{first_nine}{checks[0]}{checks[1]}"
    raise ValueError(f"no valid number for {birth}")


def orgnr_check_digit(first_eight: str) -> int | None:
    if len(first_eight) != 8 or not first_eight.isdigit():
        return None
    return mod11(first_eight, ORGNR_WEIGHTS)


def is_valid_orgnr(number: str) -> bool:
    if len(number) != 9 or not number.isdigit():
        return False
    check = orgnr_check_digit(number[:8])
    return check is not None and check == int(number[8])


def make_orgnr(first_eight: str) -> str:
    """`first_eight` + its check digit; if that is 10, count up until one exists."""
    value = int(first_eight)
    while True:
        candidate = f"{value:08d}"
        check = orgnr_check_digit(candidate)
        if check is not None:
            return candidate + str(check)
        value += 1


def wrong_check_digit(number: str) -> str:
    """The same number with the last check digit changed (always invalid)."""
    return number[:-1] + str((int(number[-1]) + 1) % 10)


# --- the fixed identities of the corpus ----------------------------------------------

PATIENTS = [
    # key, given name, family name, sex, birth date, D-nummer?, individual number start
    ("kari", "Kari", "Syntetisk", "female", "1988-04-12", False, 410),
    ("ola", "Ola", "Syntetisk", "male", "1995-09-03", False, 421),
    ("nora", "Nora", "Syntetisk", "female", "2001-01-27", False, 532),
    ("jonas", "Jonas", "Syntetisk", "male", "1979-11-30", False, 443),
    ("sara", "Sara", "Syntetisk", "female", "1984-06-15", False, 454),
    ("eva", "Eva", "Syntetisk", "female", "1991-12-04", False, 466),
    ("marta", "Marta", "Syntetisk", "female", "1990-02-08", True, 478),
    ("per", "Per", "Syntetisk", "male", "1972-07-21", False, 481),
    ("liv", "Liv", "Syntetisk", "female", "1999-05-19", False, 492),
]

ORGANISATIONS = {
    "clinic": {"name": "eMeistring DPS (syntetisk)", "herId": "8142519",
               "orgnr": make_orgnr("99612345")},
    "clinicDept": {"name": "eMeistring internettbehandling", "herId": "8142520"},
    "wrongReceiver": {"name": "Feil mottaker (syntetisk)", "herId": "9999999"},
    "gpOffice": {"name": "Legesenteret Syntetisk", "herId": "1234567",
                 "orgnr": make_orgnr("99654321")},
    "gpOffice2": {"name": "Fjordlegene Syntetisk", "herId": "7654321"},
}

PRACTITIONERS = {
    "gp": {"name": "Lege Syntetisk", "givenName": "Lege", "familyName": "Syntetisk",
           "herId": "1234568", "hpr": "9144900"},
}


def identities() -> dict:
    patients = {}
    for key, given, family, sex, birth, dnr, start in PATIENTS:
        number = make_person_id(birth, sex == "female", d_number=dnr, individual_start=start)
        patients[key] = {"givenName": given, "familyName": family, "sex": sex,
                         "birthDate": birth, "idType": "DNR" if dnr else "FNR", "id": number}
    per = patients["per"]["id"]
    invalid = {
        "wrongCheckDigit": wrong_check_digit(per),
        "tenDigits": per[:10],
    }
    return {"patients": patients, "invalidPersonIds": invalid,
            "organisations": ORGANISATIONS, "practitioners": PRACTITIONERS}


def main(argv: list[str]) -> int:
    if len(argv) > 1 and argv[1] == "--check":
        status = 0
        for number in argv[2:]:
            if len(number) == 9:
                ok = is_valid_orgnr(number)
                print(f"{number}: ORGNR {'valid' if ok else 'INVALID'}")
                status |= 0 if ok else 1
            else:
                info = classify_person_id(number)
                if info["valid"]:
                    print(f"{number}: {info['kind']} valid, synthetic={info['synthetic']}, "
                          f"born {info['birthDate']}, {info['sex']}")
                else:
                    print(f"{number}: INVALID ({info['reason']})")
                    status = 1
        return status
    ids = identities()
    if len(argv) > 1 and argv[1] == "--json":
        print(json.dumps(ids, indent=2, ensure_ascii=False))
        return 0
    print("Patients (synthetic, month + 80):")
    for key, p in ids["patients"].items():
        print(f"  {key:6} {p['givenName']} {p['familyName']:10} {p['sex']:6} "
              f"{p['birthDate']}  {p['idType']} {p['id']}")
    print("Deliberately invalid person ids:")
    for key, value in ids["invalidPersonIds"].items():
        print(f"  {key:16} {value}")
    print("Organisations:")
    for key, o in ids["organisations"].items():
        extra = f" org.nr {o['orgnr']}" if "orgnr" in o else ""
        print(f"  {key:14} HER {o['herId']}  {o['name']}{extra}")
    for key, p in ids["practitioners"].items():
        print(f"Practitioner {key}: {p['name']} HER {p['herId']} HPR {p['hpr']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
