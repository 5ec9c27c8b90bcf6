#!/usr/bin/env python3
"""Generate the synthetic EHR message corpus in tests/testdata/ehr and its manifest.json.

The XML files and manifest.json are committed; this script is how they were made and how
to remake them consistently (for example after changing an identity in make_ids.py).
Hand edits to a generated file are overwritten by the next run: make the change here.
Always run tools/check_manifest.py afterwards; it re-derives everything it can from the
files themselves (xmllint verdicts, ids, check digits, encodings) and must pass.

Everything here is SYNTHETIC: names, addresses, phone numbers, fødselsnumre (month + 80)
and clinical text are invented. Identities come from make_ids.py.

Python 3 standard library only. Usage: tools/gen_corpus.py
"""

from __future__ import annotations

import base64
import json
import os
import pathlib
import re
import sys
import textwrap
import uuid

sys.dont_write_bytecode = True  # keep tools/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_ids  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
IDS = make_ids.identities()
P = IDS["patients"]
ORG = IDS["organisations"]
GP = IDS["practitioners"]["gp"]
BAD_IDS = IDS["invalidPersonIds"]

OID = "2.16.578.1.12.4.1.1."
NS_MSGHEAD = "http://www.kith.no/xmlstds/msghead/2006-05-24"
NS_DIALOG = {"1.0": "http://www.kith.no/xmlstds/dialog/2006-10-11",
             "1.1": "http://www.kith.no/xmlstds/dialog/2013-01-23"}
NS_HENV = {"1.0": "http://www.kith.no/xmlstds/henvisning/2005-07-08",
           "1.1": "http://www.kith.no/xmlstds/henvisning/2012-02-15",
           "2.0": "http://ehelse.no/xmlstds/henvisning/2017-11-30"}
NS_APPREC = {"1.0": "http://www.kith.no/xmlstds/apprec/2004-11-21",
             "1.1": "http://www.kith.no/xmlstds/apprec/2012-02-15"}
NS_FK1 = "http://www.kith.no/xmlstds/felleskomponent1"
NS_B64 = "http://www.kith.no/xmlstds/base64container"
NS_XHTML = "http://www.w3.org/1999/xhtml"

# Inbound MsgIds are UUIDs derived from a fixed namespace and a stable name, so they are
# realistic (GUIDs, as real EPJ systems send) and the same on every run.
UUID_NS = uuid.UUID("6f1c3e2a-5b7d-4e21-9c3a-2026e4e15001")


def mid(name: str) -> str:
    return str(uuid.uuid5(UUID_NS, name))


def ind(text: str, n: int) -> str:
    return textwrap.indent(text, " " * n)


# Our outbound messages, referred to by inbound AppRecs and answers (see README.md).
OUT = {
    "emeistring-out-0001": ("DIALOG_HELSEFAGLIG", "Helsefaglig dialog", "2026-03-03T10:00:00+01:00"),
    "emeistring-out-0002": ("DIALOG_FORESPORSEL", "Forespørsel", "2026-03-04T09:30:00+01:00"),
    "emeistring-out-0003": ("DIALOG_HELSEFAGLIG", "Helsefaglig dialog", "2026-03-06T14:05:00+01:00"),
    "emeistring-out-0004": ("EPIKRISE", "Epikrise", "2026-03-09T15:40:00+01:00"),
    "emeistring-out-0005": ("DIALOG_FORESPORSEL", "Forespørsel", "2026-03-10T08:45:00+01:00"),
    "emeistring-out-0006": ("DIALOG_NOTAT", "Notat", "2026-03-10T11:20:00+01:00"),
    "emeistring-out-0007": ("DIALOG_HELSEFAGLIG", "Helsefaglig dialog", "2026-03-11T13:00:00+01:00"),
    "emeistring-out-0008": ("EPIKRISE", "Epikrise", "2026-03-12T10:10:00+01:00"),
    "emeistring-out-0009": ("DIALOG_HELSEFAGLIG", "Helsefaglig dialog", "2026-03-12T16:30:00+01:00"),
}

ADDRESSES = {
    "kari": ("Oppdiktet vei 12", "9990", "Syntetiskby", "tel:+4700000112"),
    "ola": ("Fantasigata 3 B", "9991", "Syntetiskby", "tel:+4700000113"),
    "nora": ("Studentbyen Syntetisk, hybel 214", "9992", "Syntetiskby", "tel:+4700000114"),
    "jonas": ("Innbilt allé 40", "9993", "Testvik", "tel:+4700000115"),
    "sara": ("Oppspinnet stien 8", "9994", "Testvik", "tel:+4700000116"),
    "eva": ("Tenkt plass 1", "9995", "Testvik", "tel:+4700000117"),
    "marta": ("Konstruert vei 22", "9996", "Syntetiskby", "tel:+4700000118"),
    "per": ("Påfunnet gate 5", "9997", "Syntetiskby", "tel:+4700000119"),
    "liv": ("Fiktive bakke 9", "9998", "Testvik", "tel:+4700000120"),
}

ENTRIES: list[dict] = []


def add(file: str, text: str, *, kind: str, version: str, msg_type: str, msg_id: str | None,
        schema_valid: bool | None, apprec_status: str | None, error_codes: list[str],
        note: str, encoding: str = "UTF-8", quirk: str | None = None,
        patient: str | None = None, ref_parent: str | None = None,
        ref_conv: str | None = None, crlf: bool = False, bom: bool = False,
        well_formed: bool = True, deviations: list[str] = (), **expect_extra) -> None:
    if not text.endswith("\n"):
        text += "\n"
    if crlf:
        text = text.replace("\n", "\r\n")
    data = text.encode("iso-8859-1" if encoding == "ISO-8859-1" else "utf-8")
    if bom:
        data = b"\xef\xbb\xbf" + data
    path = ROOT / file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    expect = {"apprecStatus": apprec_status, "errorCodes": error_codes, "quirk": quirk,
              "deviations": list(deviations), "note": note}
    expect.update(expect_extra)
    ENTRIES.append({"file": file, "kind": kind, "version": version, "msgType": msg_type,
                    "msgId": msg_id, "encoding": encoding, "wellFormed": well_formed,
                    "schemaValid": schema_valid, "expect": expect, "patient": patient, "refToParent": ref_parent,
                    "refToConversation": ref_conv})


def decl(encoding: str = "UTF-8") -> str:
    return f'<?xml version="1.0" encoding="{encoding}"?>\n'


# --- synthetic attachments --------------------------------------------------------------

def make_pdf(lines: list[str]) -> bytes:
    """A minimal, valid one-page PDF (Helvetica, ASCII text only)."""
    text_ops = ["BT", "/F1 14 Tf", "72 770 Td"]
    for i, line in enumerate(lines):
        if i:
            text_ops.append("0 -22 Td")
        safe = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        text_ops.append(f"({safe}) Tj")
    text_ops.append("ET")
    stream = "\n".join(text_ops).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n"
            "%%EOF\n").encode()
    return bytes(out)


def b64_lines(data: bytes) -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return "\n".join(encoded[i:i + 76] for i in range(0, len(encoded), 76))


PDF_PHQ9 = make_pdf(["SYNTETISK TESTVEDLEGG - ikke ekte pasientdata",
                     "PHQ-9 utfylt ved kontroll 2026-03-10", "Sum: 14 (moderat)"])
PDF_SKJEMA = make_pdf(["SYNTETISK TESTVEDLEGG - ikke ekte pasientdata",
                       "PHQ-9: 11   GAD-7: 14", "Utfylt 2026-03-04"])
PDF_EPIKRISE = make_pdf(["SYNTETISK TESTVEDLEGG - ikke ekte pasientdata",
                         "Epikrise (PDF) sendt ved en feil"])
TXT_JOURNAL = ("SYNTETISK TESTVEDLEGG - ikke ekte pasientdata\n"
               "Utskrift av journalnotat 2026-02-20, Legesenteret Syntetisk:\n"
               "Økende unngåelse av sosiale situasjoner. Ønsker henvisning til\n"
               "internettbasert behandling. Ingen rusproblematikk.\n").encode("utf-8")


# --- Henvisning 1.0 / 1.1 (stand-alone root Message) -------------------------------------

HEADINGS = {
    "PROB": "Aktuell problemstilling", "UTRED": "Forventet utredning/behandling",
    "FA": "Familie/sosialt", "HJ": "Funksjonsnivå/hjelpetiltak", "BG": "Begrunnelse",
}
PRIORITY = {"0": "Øyeblikkelig hjelp", "14": "Innen 14 dager", "N": "Elektiv/ordinær"}
SERVTYPE = {"N": "Ny", "M": "Endring", "C": "Kansellering"}


def gp_requester_hv() -> str:
    o = ORG["gpOffice"]
    return f"""<Requester>
  <HCP>
    <Inst>
      <Name>{o['name']}</Name>
      <Id>{o['herId']}</Id>
      <TypeId V="HER" S="{OID}9051" DN="HER-id"/>
      <AdditionalId>
        <Id>{o['orgnr']}</Id>
        <Type V="ENH" S="{OID}9051" DN="Organisasjonsnummeret i Enhetsregisteret"/>
      </AdditionalId>
      <HCPerson>
        <Name>{GP['name']}</Name>
        <Id>{GP['herId']}</Id>
        <TypeId V="HER" S="{OID}8116" DN="HER-id"/>
        <AdditionalId>
          <Id>{GP['hpr']}</Id>
          <Type V="HPR" S="{OID}8116" DN="HPR-nummer"/>
        </AdditionalId>
      </HCPerson>
    </Inst>
    <Address>
      <Type V="RES" S="{OID}3401" DN="Besøksadresse"/>
      <StreetAdr>Fiktivgata 7</StreetAdr>
      <PostalCode>9989</PostalCode>
      <City>Syntetiskby</City>
      <TeleAddress V="tel:+4700000001"/>
    </Address>
  </HCP>
</Requester>"""


def provider_hv(which: str = "clinic") -> str:
    if which == "wrong":
        o = ORG["wrongReceiver"]
        return f"""<ServProvider>
  <HCP>
    <Inst>
      <Name>{o['name']}</Name>
      <Id>{o['herId']}</Id>
      <TypeId V="HER" S="{OID}9051" DN="HER-id"/>
    </Inst>
  </HCP>
</ServProvider>"""
    c, d = ORG["clinic"], ORG["clinicDept"]
    return f"""<ServProvider>
  <HCP>
    <Inst>
      <Name>{c['name']}</Name>
      <Id>{c['herId']}</Id>
      <TypeId V="HER" S="{OID}9051" DN="HER-id"/>
      <Dept>
        <Name>{d['name']}</Name>
        <Id>{d['herId']}</Id>
        <TypeId V="HER" S="{OID}9051" DN="HER-id"/>
      </Dept>
      <AdditionalId>
        <Id>{c['orgnr']}</Id>
        <Type V="ENH" S="{OID}9051" DN="Organisasjonsnummeret i Enhetsregisteret"/>
      </AdditionalId>
    </Inst>
  </HCP>
</ServProvider>"""


def patient_hv(pk: str, *, name: bool = True, offid: str | None = "default",
               medication: tuple[str, str, str, str] | None = None) -> str:
    p = P[pk]
    street, postal, city, tel = ADDRESSES[pk]
    lines = []
    if name:
        lines.append(f"<Name>{p['familyName']}, {p['givenName']}</Name>")
    if offid is not None:
        number = p["id"] if offid == "default" else offid
        dn = {"FNR": "Fødselsnummer", "DNR": "D-nummer"}[p["idType"]]
        lines.append(f"<OffId>{number}</OffId>")
        lines.append(f'<TypeOffId V="{p["idType"]}" S="{OID}8116" DN="{dn}"/>')
    sex_v, sex_dn = ("2", "Kvinne") if p["sex"] == "female" else ("1", "Mann")
    lines.append(f'<Sex V="{sex_v}" S="{OID}3101" DN="{sex_dn}"/>')
    lines.append(f"<DateOfBirth>{p['birthDate']}</DateOfBirth>")
    lines.append(f"""<Address>
  <Type V="HP" S="{OID}3401" DN="Folkeregisteradresse"/>
  <StreetAdr>{street}</StreetAdr>
  <PostalCode>{postal}</PostalCode>
  <City>{city}</City>
  <TeleAddress V="{tel}"/>
</Address>""")
    lines.append(f"""<Consent>
  <ConsentStatus V="1" S="{OID}3109" DN="Ja"/>
  <Merknad>Samtykker til henvisning og til digital kontakt med behandlingsstedet.</Merknad>
</Consent>""")
    if medication:
        atc, drug, dosage, start = medication
        lines.append(f"""<InfItem>
  <Type V="MEDB" S="{OID}8233" DN="Legemiddelopplysning"/>
  <StartDateTime V="{start}"/>
  <Medication>
    <DrugId V="{atc}" S="{OID}7180" DN="{drug}"/>
    <DosageText>{dosage}</DosageText>
  </Medication>
</InfItem>""")
    return "<Patient>\n" + ind("\n".join(lines), 2) + "\n</Patient>"


def reason(code: str, body: str) -> str:
    """ReasonAsText; `body` is plain text, or XHTML when it starts with '<'."""
    if body.lstrip().startswith("<"):
        value = "<TextResultValue>\n" + ind(body.strip(), 2) + "\n</TextResultValue>"
    else:
        value = f"<TextResultValue>{body}</TextResultValue>"
    return (f'<ReasonAsText>\n  <Heading V="{code}" S="{OID}8231" DN="{HEADINGS[code]}"/>\n'
            + ind(value, 2) + "\n</ReasonAsText>")


def diagnosis(code: str, system: str, dn: str) -> str:
    oid = {"ICPC-2": OID + "7170", "ICD-10": OID + "7110"}[system]
    return f'<Diagnosis>\n  <Concept V="{code}" S="{oid}" DN="{dn}"/>\n</Diagnosis>'


def refdoc_hv11(att_id: str, issued: str, mime: str, descr: str, data: bytes) -> str:
    return f"""<RefDoc>
  <MsgType V="A" S="{OID}8114" DN="Vedlegg"/>
  <Id>{att_id}</Id>
  <IssueDate V="{issued}"/>
  <MimeType>{mime}</MimeType>
  <Description>{descr}</Description>
  <Content>
    <Base64Container xmlns="{NS_B64}">
{b64_lines(data)}
    </Base64Container>
  </Content>
</RefDoc>"""


def henvisning_1x(version: str, msg_id: str, gen_date: str, issue_date: str, pk: str, *,
                  servtype: str = "N", priority: str = "14", purpose: tuple[str, str] = ("2", "Behandling"),
                  req_comment: str | None = None, serv_comment: str, diagnoses: list[str],
                  reasons: list[str], patient_xml: str | None = None, provider: str = "clinic",
                  refdocs: list[str] = (), namespace: str | None = None,
                  encoding: str = "UTF-8") -> str:
    ns = namespace or NS_HENV[version]
    mig = {"1.0": "v1.0 2005-07-08", "1.1": "v1.1 2012-02-15"}[version]
    if version == "1.0":
        msgdescr = f'<MsgDescr V="H" S="{OID}8263" DN="Henvisning"/>'
    else:
        msgdescr = f'<MsgDescr V="10" S="{OID}8455" DN="Utredning/behandling"/>'
    parts = [
        f'<IssueDate V="{issue_date}"/>',
        msgdescr,
        f'<ServType V="{servtype}" S="{OID}7309" DN="{SERVTYPE[servtype]}"/>',
        f'<Ack V="J" S="{OID}7304" DN="Ja"/>',
        f'<PaymentCat V="1" S="{OID}4101" DN="Ordinær pasient"/>',
    ]
    if req_comment:
        parts.append(f"<ReqComment>{req_comment}</ReqComment>")
    parts.append(f"""<ReqServ>
  <Priority V="{priority}" S="{OID}8304" DN="{PRIORITY[priority]}"/>
  <Purpose V="{purpose[0]}" S="{OID}8248" DN="{purpose[1]}"/>
  <Service>
    <AdmCat V="3" S="{OID}8240" DN="Poliklinisk"/>
  </Service>
  <Comment>{serv_comment}</Comment>
</ReqServ>""")
    parts.append(gp_requester_hv())
    parts.append(provider_hv(provider))
    parts.append(patient_xml if patient_xml is not None else patient_hv(pk))
    parts.extend(diagnoses)
    parts.extend(reasons)
    parts.extend(refdocs)
    body = "\n".join(parts)
    return (decl(encoding) + f'<Message xmlns="{ns}">\n'
            f'  <Type V="HENVISNING" DN="Henvisning"/>\n'
            f"  <MIGversion>{mig}</MIGversion>\n"
            f'  <GenDate V="{gen_date}"/>\n'
            f"  <MsgId>{msg_id}</MsgId>\n"
            "  <ServReq>\n" + ind(body, 4) + "\n  </ServReq>\n</Message>\n")


# --- MsgHead ----------------------------------------------------------------------------

TYPE_DN = {"DIALOG_HELSEFAGLIG": "Helsefaglig dialog", "DIALOG_FORESPORSEL": "Forespørsel",
           "DIALOG_SVAR": "Svar på forespørsel", "DIALOG_NOTAT": "Notat",
           "HENVISNING": "Henvisning", "EPIKRISE": "Epikrise"}


def gp_sender_mh() -> str:
    o = ORG["gpOffice"]
    return f"""<Sender>
  <Organisation>
    <OrganisationName>{o['name']}</OrganisationName>
    <Ident>
      <Id>{o['herId']}</Id>
      <TypeId V="HER" S="{OID}9051" DN="HER-id"/>
    </Ident>
    <Ident>
      <Id>{o['orgnr']}</Id>
      <TypeId V="ENH" S="{OID}9051" DN="Organisasjonsnummeret i Enhetsregisteret"/>
    </Ident>
    <Address>
      <Type V="RES" DN="Besøksadresse"/>
      <StreetAdr>Fiktivgata 7</StreetAdr>
      <PostalCode>9989</PostalCode>
      <City>Syntetiskby</City>
    </Address>
    <TeleCom>
      <TypeTelecom V="WP" DN="Arbeidsplass"/>
      <TeleAddress V="tel:+4700000001"/>
    </TeleCom>
    <HealthcareProfessional>
      <TypeHealthcareProfessional V="LE" DN="Lege"/>
      <RoleToPatient V="6" S="{OID}9034" DN="Fastlege"/>
      <FamilyName>{GP['familyName']}</FamilyName>
      <GivenName>{GP['givenName']}</GivenName>
      <Ident>
        <Id>{GP['hpr']}</Id>
        <TypeId V="HPR" S="{OID}8116" DN="HPR-nummer"/>
      </Ident>
      <Ident>
        <Id>{GP['herId']}</Id>
        <TypeId V="HER" S="{OID}8116" DN="HER-id"/>
      </Ident>
    </HealthcareProfessional>
  </Organisation>
</Sender>"""


def receiver_mh(which: str = "clinic") -> str:
    if which == "wrong":
        o = ORG["wrongReceiver"]
        return f"""<Receiver>
  <Organisation>
    <OrganisationName>{o['name']}</OrganisationName>
    <Ident>
      <Id>{o['herId']}</Id>
      <TypeId V="HER" S="{OID}9051" DN="HER-id"/>
    </Ident>
  </Organisation>
</Receiver>"""
    c, d = ORG["clinic"], ORG["clinicDept"]
    return f"""<Receiver>
  <Organisation>
    <OrganisationName>{c['name']}</OrganisationName>
    <Ident>
      <Id>{c['herId']}</Id>
      <TypeId V="HER" S="{OID}9051" DN="HER-id"/>
    </Ident>
    <Ident>
      <Id>{c['orgnr']}</Id>
      <TypeId V="ENH" S="{OID}9051" DN="Organisasjonsnummeret i Enhetsregisteret"/>
    </Ident>
    <Organisation>
      <OrganisationName>{d['name']}</OrganisationName>
      <Ident>
        <Id>{d['herId']}</Id>
        <TypeId V="HER" S="{OID}9051" DN="HER-id"/>
      </Ident>
    </Organisation>
  </Organisation>
</Receiver>"""


def patient_mh(pk: str, *, family: bool = True, ident: str | None = "default") -> str:
    p = P[pk]
    street, postal, city, _ = ADDRESSES[pk]
    lines = []
    if family:
        lines.append(f"<FamilyName>{p['familyName']}</FamilyName>")
    lines.append(f"<GivenName>{p['givenName']}</GivenName>")
    lines.append(f"<DateOfBirth>{p['birthDate']}</DateOfBirth>")
    sex_v, sex_dn = ("2", "Kvinne") if p["sex"] == "female" else ("1", "Mann")
    lines.append(f'<Sex V="{sex_v}" DN="{sex_dn}"/>')
    if ident is not None:
        number = p["id"] if ident == "default" else ident
        dn = {"FNR": "Fødselsnummer", "DNR": "D-nummer"}[p["idType"]]
        lines.append(f"""<Ident>
  <Id>{number}</Id>
  <TypeId V="{p['idType']}" S="{OID}8116" DN="{dn}"/>
</Ident>""")
    lines.append(f"""<Address>
  <Type V="HP" DN="Folkeregisteradresse"/>
  <StreetAdr>{street}</StreetAdr>
  <PostalCode>{postal}</PostalCode>
  <City>{city}</City>
</Address>""")
    return "<Patient>\n" + ind("\n".join(lines), 2) + "\n</Patient>"


def doc_xml(issued: str, content: str) -> str:
    return f"""<Document>
  <RefDoc>
    <IssueDate V="{issued}"/>
    <MsgType V="XML" DN="XML-instans"/>
    <MimeType>text/xml</MimeType>
    <Content>
{ind(content, 6)}
    </Content>
  </RefDoc>
</Document>"""


def doc_attachment(issued: str, att_id: str, mime: str, descr: str, payload: str,
                   container_open: str | None = None) -> str:
    opener = container_open or f'<Base64Container xmlns="{NS_B64}">'
    return f"""<Document>
  <RefDoc>
    <IssueDate V="{issued}"/>
    <MsgType V="A" DN="Vedlegg"/>
    <Id>{att_id}</Id>
    <MimeType>{mime}</MimeType>
    <Description>{descr}</Description>
    <Content>
      {opener}
{payload}
      </Base64Container>
    </Content>
  </RefDoc>
</Document>"""


def msghead(msg_type: str, msg_id: str, gen_date: str, *, documents: list[str],
            patient: str | None, convref: tuple[str, str] | None = None,
            receiver: str = "clinic", encoding: str = "UTF-8", prolog: str = "",
            sender: str | None = None) -> str:
    info = [f'<Type V="{msg_type}" DN="{TYPE_DN[msg_type]}"/>',
            "<MIGversion>v1.2 2006-05-24</MIGversion>",
            f"<GenDate>{gen_date}</GenDate>",
            f"<MsgId>{msg_id}</MsgId>",
            '<ProcessingStatus V="P" DN="Produksjon"/>',
            '<Ack V="J" DN="Ja"/>']
    if convref:
        info.append("<ConversationRef>\n"
                    f"  <RefToParent>{convref[0]}</RefToParent>\n"
                    f"  <RefToConversation>{convref[1]}</RefToConversation>\n"
                    "</ConversationRef>")
    info.append(sender or gp_sender_mh())
    info.append(receiver_mh(receiver))
    if patient:
        info.append(patient)
    return (decl(encoding) + prolog + f'<MsgHead xmlns="{NS_MSGHEAD}">\n'
            "  <MsgInfo>\n" + ind("\n".join(info), 4) + "\n  </MsgInfo>\n"
            + ind("\n".join(documents), 2) + "\n</MsgHead>\n")


# --- Dialogmelding ----------------------------------------------------------------------

def gp_roller(version: str) -> str:
    return f"""<RollerRelatertNotat>
  <RolleNotat V="1" S="{OID}9057" DN="Forfatter"/>
  <RoleToPatient V="6" S="{OID}9034" DN="Fastlege"/>
  <HealthcareProfessional>
    <TypeHealthcareProfessional V="LE" DN="Lege"/>
    <FamilyName>{GP['familyName']}</FamilyName>
    <GivenName>{GP['givenName']}</GivenName>
    <Ident>
      <fk1:Id>{GP['hpr']}</fk1:Id>
      <fk1:TypeId V="HPR" S="{OID}8116" DN="HPR-nummer"/>
    </Ident>
    <Ident>
      <fk1:Id>{GP['herId']}</fk1:Id>
      <fk1:TypeId V="HER" S="{OID}8116" DN="HER-id"/>
    </Ident>
    <TeleCom>
      <fk1:TypeTelecom V="WP" DN="Arbeidsplass"/>
      <fk1:TeleAddress V="tel:+4700000001"/>
    </TeleCom>
  </HealthcareProfessional>
</RollerRelatertNotat>"""


def dialog(version: str, body: str) -> str:
    return (f'<Dialogmelding xmlns="{NS_DIALOG[version]}" xmlns:fk1="{NS_FK1}">\n'
            + ind(body, 2) + "\n</Dialogmelding>")


def text_block(tag: str, body: str) -> str:
    if body.lstrip().startswith("<"):
        return f"<{tag}>\n" + ind(body.strip(), 2) + f"\n</{tag}>"
    return f"<{tag}>{body}</{tag}>"


def notat(version: str, tema: tuple[str, str, str], tema_text: str, content: str, dok_id: str,
          date: str, foresporsel: str | None = None) -> str:
    code, codelist, dn = tema
    parts = [f'<TemaKodet V="{code}" S="{OID}{codelist}" DN="{dn}"/>',
             f"<Tema>{tema_text}</Tema>",
             text_block("TekstNotatInnhold", content),
             f"<DokIdNotat>{dok_id}</DokIdNotat>",
             f"<DatoNotat>{date}</DatoNotat>"]
    if foresporsel:
        parts.append(foresporsel)
    parts.append(gp_roller(version))
    return "<Notat>\n" + ind("\n".join(parts), 2) + "\n</Notat>"


def foresporsel(version: str, typ: tuple[str, str, str], question: str, dok_id: str, *,
                subject: str | None = None, roller: bool = True) -> str:
    code, codelist, dn = typ
    parts = [f'<TypeForesp V="{code}" S="{OID}{codelist}" DN="{dn}"/>']
    if subject and version == "1.1":
        parts.append(f"<EmneSporsmal>{subject}</EmneSporsmal>")
    parts.append(text_block("Sporsmal", question))
    parts.append(f"<DokIdForesp>{dok_id}</DokIdForesp>")
    if roller:
        parts.append(gp_roller(version))
    return "<Foresporsel>\n" + ind("\n".join(parts), 2) + "\n</Foresporsel>"


# =========================================================================================
# The corpus
# =========================================================================================

HV11_KARI = mid("henvisning-1.1/valid-depression-p76")
HV11_OLA = mid("henvisning-1.1/valid-social-anxiety-f40-1")
HV11_NORA = mid("henvisning-1.1/valid-attachment-pdf")
HV11_MARTA = mid("henvisning-1.1/valid-dnummer-patient")
HV10_PER = mid("henvisning-1.0/valid-depression-p76")
HV10_LIV = mid("henvisning-1.0/valid-social-anxiety-f40-1")

KARI_PROB = ("Kvinne 37 år med økende nedstemthet, tiltaksløshet, søvnvansker og "
             "konsentrasjonsvansker siden høsten 2025. PHQ-9 = 16 (moderat). Ingen "
             "suicidalplaner; passive dødsønsker i perioder, ingen tidligere forsøk. "
             "Sertralin 50 mg fra november 2025 med noe effekt. Sykmeldt 50 % fra januar 2026.")
KARI_UTRED = ("Ønsker vurdering og behandling med internettbasert kognitiv atferdsterapi "
              "(eMeistring). Pasienten er motivert, har PC og BankID og foretrekker "
              "behandling hjemmefra.")
KARI_FA = "Samboer, to barn (4 og 7 år). Arbeider som regnskapsfører. God støtte fra familie."


def kari_referral(msg_id: str, gen: str, *, servtype: str = "N", req_comment: str | None = None,
                  prob: str = KARI_PROB, provider: str = "clinic", patient_xml: str | None = None,
                  namespace: str | None = None) -> str:
    return henvisning_1x(
        "1.1", msg_id, gen, "2026-03-02T09:14:00+01:00", "kari", servtype=servtype,
        priority="14", req_comment=req_comment, provider=provider, namespace=namespace,
        serv_comment="Ønsker internettbasert kognitiv atferdsterapi (eMeistring).",
        diagnoses=[diagnosis("P76", "ICPC-2", "Depressiv lidelse")],
        reasons=[reason("PROB", prob), reason("UTRED", KARI_UTRED), reason("FA", KARI_FA)],
        patient_xml=patient_xml if patient_xml is not None else patient_hv(
            "kari", medication=("N06AB06", "Sertralin", "50 mg x 1 om morgenen", "2025-11-20")))


OLA_REASONS = [
    reason("PROB", f"""<div xmlns="{NS_XHTML}">
  <p>Mann 30 år med uttalt angst i sosiale situasjoner siden ungdomsskolen. Forverret etter
  overgang til ny stilling med mange møter.</p>
  <ul>
    <li>Unngår kantina, sosiale arrangementer og å ta ordet i møter</li>
    <li>Hjertebank, rødming og skjelving når han blir observert</li>
    <li>Sterk forventningsangst i dagene før presentasjoner</li>
  </ul>
  <p>SPIN = 41. Ingen depresjon (PHQ-9 = 6). Ingen rusproblematikk.</p>
</div>"""),
    reason("UTRED", "Vurdering og behandling for sosial angstlidelse, gjerne internettbasert "
                    "KAT med eksponeringsoppgaver."),
    reason("FA", f"""<div xmlns="{NS_XHTML}">
  <p>Bor alene i leilighet. Har to nære venner. Foreldrene bor i nabokommunen.</p>
</div>"""),
    reason("HJ", "I full jobb som ingeniør, men har takket nei til prosjektlederrolle. "
                 "Ingen kommunale tjenester. Fungerer godt i hjemmet."),
    reason("BG", f"""<div xmlns="{NS_XHTML}">
  <p>Har prøvd selvhjelpsbok i 3 måneder <b>uten tilstrekkelig effekt</b>.<br/>
  Ønsker ikke medikamentell behandling.</p>
</div>"""),
]

LIV_REASONS = [
    reason("PROB", "Kvinne 26 år med sosial angst siden videregående. Unngår forelesninger og "
                   "gruppearbeid, har strøket i to emner på grunn av fravær. SPIN = 38."),
    reason("UTRED", "Ønsker vurdering og behandling, gjerne internettbasert KAT."),
    reason("FA", "Bor i kollektiv med to venninner. God kontakt med mor."),
    reason("HJ", "Student på deltid, jobber 20 % i butikk. Ingen hjelpetiltak i kommunen."),
    reason("BG", "Har fått samtaler hos helsesykepleier for studenter uten bedring. Pasienten "
                 "ønsker selv henvisning."),
]


def build_henvisning() -> None:
    # ---- 1.1 -------------------------------------------------------------------------
    add("henvisning-1.1/valid-depression-p76.xml",
        kari_referral(HV11_KARI, "2026-03-02T09:15:00+01:00"),
        kind="henvisning", version="1.1", msg_type="HENVISNING", msg_id=HV11_KARI,
        schema_valid=None, apprec_status="1", error_codes=[], patient=P["kari"]["id"],
        note="New GP referral (ServType N), moderate depression ICPC-2 P76, priority 14 days. "
             "The original referral of the M/C chain and of the Dialogmelding threads for Kari.")

    add("henvisning-1.1/valid-social-anxiety-f40-1.xml",
        henvisning_1x(
            "1.1", HV11_OLA, "2026-03-03T11:02:00+01:00", "2026-03-03T11:00:00+01:00", "ola",
            priority="N", serv_comment="Internettbasert KAT for sosial angst ønskes.",
            diagnoses=[diagnosis("F40.1", "ICD-10", "Sosial fobi")], reasons=OLA_REASONS),
        kind="henvisning", version="1.1", msg_type="HENVISNING", msg_id=HV11_OLA,
        schema_valid=None, apprec_status="1", error_codes=[], patient=P["ola"]["id"],
        note="Social anxiety ICD-10 F40.1, priority N; five ReasonAsText sections (PROB, UTRED, "
             "FA, HJ, BG), three of them XHTML (xhtml:div/p/ul/li/b/br) and two plain text.")

    add("henvisning-1.1/valid-attachment-pdf.xml",
        henvisning_1x(
            "1.1", HV11_NORA, "2026-03-04T14:31:00+01:00", "2026-03-04T14:25:00+01:00", "nora",
            priority="14", serv_comment="Ønsker internettbasert behandling for angst.",
            diagnoses=[diagnosis("P74", "ICPC-2", "Angstlidelse")],
            reasons=[reason("PROB", "Kvinne 25 år, student, med generalisert bekymring, uro og "
                                    "muskelspenninger i over ett år. GAD-7 = 14, PHQ-9 = 11. "
                                    "Utfylte skjemaer vedlagt."),
                     reason("UTRED", "Vurdering og behandling, internettbasert KAT.")],
            refdocs=[refdoc_hv11(mid("att/henvisning-1.1/valid-attachment-pdf"),
                                 "2026-03-04T14:20:00+01:00", "application/pdf",
                                 "Utfylte skjemaer PHQ-9 og GAD-7 (syntetisk)", PDF_SKJEMA)]),
        kind="henvisning", version="1.1", msg_type="HENVISNING", msg_id=HV11_NORA,
        schema_valid=None, apprec_status="1", error_codes=[], patient=P["nora"]["id"],
        note="Referral with one attachment in ServReq/RefDoc (MsgType A, application/pdf, "
             "Base64Container): a small valid synthetic PDF. Expect a DocumentReference/Binary.")

    add("henvisning-1.1/valid-dnummer-patient.xml",
        henvisning_1x(
            "1.1", HV11_MARTA, "2026-03-05T08:47:00+01:00", "2026-03-05T08:45:00+01:00", "marta",
            priority="14", serv_comment="Ønsker internettbasert KAT.",
            req_comment="Pasienten har D-nummer. Snakker og leser godt norsk, ikke behov for tolk.",
            diagnoses=[diagnosis("P76", "ICPC-2", "Depressiv lidelse")],
            reasons=[reason("PROB", "Kvinne 36 år, flyttet til Norge i 2024. Nedstemthet, "
                                    "søvnvansker og grubling siste 4 måneder. PHQ-9 = 15."),
                     reason("UTRED", "Vurdering og behandling.")]),
        kind="henvisning", version="1.1", msg_type="HENVISNING", msg_id=HV11_MARTA,
        schema_valid=None, apprec_status="1", error_codes=[], patient=P["marta"]["id"],
        note="Patient identified by a synthetic D-nummer (TypeOffId DNR); expect identifier "
             "system urn:oid:2.16.578.1.12.4.1.4.2.")

    m_id = mid("henvisning-1.1/valid-change-servtype-m")
    add("henvisning-1.1/valid-change-servtype-m.xml",
        kari_referral(m_id, "2026-03-09T10:05:00+01:00", servtype="M",
                      req_comment="Endring av henvisning: oppdaterte opplysninger om forløp og "
                                  "medisinering.",
                      prob=KARI_PROB + " Oppdatert 9. mars: sertralin økt til 100 mg, PHQ-9 = 18.",
                      patient_xml=patient_hv("kari", medication=(
                          "N06AB06", "Sertralin", "100 mg x 1 om morgenen", "2026-03-06"))),
        kind="henvisning", version="1.1", msg_type="HENVISNING", msg_id=m_id,
        schema_valid=None, apprec_status="1", error_codes=[], patient=P["kari"]["id"],
        matchesOriginal=HV11_KARI,
        note="Change (ServType M) of henvisning-1.1/valid-depression-p76.xml: new MsgId and "
             "GenDate, same IssueDate, patient, requester and receiver. Henvisning 1.x has no "
             "reference field: match on (patient OffId, requester Inst HER-id, ServProvider "
             "HER-id, ServReq/IssueDate). Update the existing ServiceRequest, do not create one.")

    c_id = mid("henvisning-1.1/valid-cancel-servtype-c")
    add("henvisning-1.1/valid-cancel-servtype-c.xml",
        kari_referral(c_id, "2026-03-16T13:40:00+01:00", servtype="C",
                      req_comment="Henvisningen trekkes tilbake: pasienten har fått tilbud om "
                                  "behandling i kommunal psykisk helsetjeneste."),
        kind="henvisning", version="1.1", msg_type="HENVISNING", msg_id=c_id,
        schema_valid=None, apprec_status="1", error_codes=[], patient=P["kari"]["id"],
        matchesOriginal=HV11_KARI,
        note="Cancellation (ServType C) of henvisning-1.1/valid-depression-p76.xml, matched as "
             "for the change; the ServiceRequest becomes status=revoked. A C (or M) that matches "
             "no known referral is still acknowledged OK and queued for manual handling.")

    p0_id = mid("henvisning-1.1/valid-priority-0")
    add("henvisning-1.1/valid-priority-0.xml",
        henvisning_1x(
            "1.1", p0_id, "2026-03-06T15:12:00+01:00", "2026-03-06T15:10:00+01:00", "jonas",
            priority="0", purpose=("1", "Utredning"),
            serv_comment="Ber om rask vurdering.",
            diagnoses=[diagnosis("P76", "ICPC-2", "Depressiv lidelse")],
            reasons=[reason("PROB", "Mann 46 år med markert forverring av depresjon siste uke. "
                                    "Klarer ikke å gå på jobb. Ingen suicidalplaner ved "
                                    "konsultasjon i dag, men betydelig håpløshet."),
                     reason("UTRED", "Rask vurdering ønskes; pasienten er informert om "
                                     "legevakt ved forverring.")]),
        kind="henvisning", version="1.1", msg_type="HENVISNING", msg_id=p0_id,
        schema_valid=None, apprec_status="1", error_codes=[], patient=P["jonas"]["id"],
        note="Priority 8304 V=0 (Øyeblikkelig hjelp). Accepted (OK) but must be flagged for "
             "immediate manual triage: eMeistring offers no emergency care. Priority stat.")

    # ---- 1.0 -------------------------------------------------------------------------
    add("henvisning-1.0/valid-depression-p76.xml",
        henvisning_1x(
            "1.0", HV10_PER, "2026-03-02T12:31:00+01:00", "2026-03-02T12:30:00+01:00", "per",
            priority="14", encoding="ISO-8859-1",
            serv_comment="Ønsker vurdering for internettbasert kognitiv terapi.",
            diagnoses=[diagnosis("P76", "ICPC-2", "Depressiv lidelse")],
            reasons=[reason("PROB", "Mann 53 år med tilbakevendende depressive episoder. Aktuell "
                                    "episode siden desember 2025 med nedstemthet, tretthet og "
                                    "redusert arbeidsevne. PHQ-9 = 15. Økt escitalopram til "
                                    "15 mg for tre uker siden."),
                     reason("UTRED", "Behandling; pasienten ønsker å prøve internettbasert "
                                     "terapi før eventuell samtalebehandling."),
                     reason("FA", "Gift, voksne barn. Arbeider som lærer, sykmeldt 40 %.")],
            patient_xml=patient_hv("per", medication=(
                "N06AB10", "Escitalopram", "15 mg x 1", "2025-12-15"))),
        kind="henvisning", version="1.0", msg_type="HENVISNING", msg_id=HV10_PER,
        schema_valid=None, apprec_status="1", error_codes=[], encoding="ISO-8859-1",
        patient=P["per"]["id"],
        note="Henvisning 1.0 (namespace 2005-07-08, MsgDescr 8263 H), ISO-8859-1 encoded with "
             "Latin-1 bytes for æøå. Depression P76, priority 14 days.")

    add("henvisning-1.0/valid-social-anxiety-f40-1.xml",
        henvisning_1x(
            "1.0", HV10_LIV, "2026-03-03T08:20:00+01:00", "2026-03-03T08:18:00+01:00", "liv",
            priority="N", serv_comment="Internettbasert KAT for sosial angst.",
            diagnoses=[diagnosis("F40.1", "ICD-10", "Sosial fobi")], reasons=LIV_REASONS),
        kind="henvisning", version="1.0", msg_type="HENVISNING", msg_id=HV10_LIV,
        schema_valid=None, apprec_status="1", error_codes=[], patient=P["liv"]["id"],
        note="Henvisning 1.0, social anxiety ICD-10 F40.1, priority N, five plain-text "
             "ReasonAsText sections (PROB, UTRED, FA, HJ, BG). UTF-8.")

    # ---- 2.0 (inside MsgHead) ---------------------------------------------------------
    hv20 = mid("henvisning-2.0/valid-depression-p76")
    content = f"""<Henvisning xmlns="{NS_HENV['2.0']}">
  <TypeInnholdIMelding>
    <TypeInnhold V="1" S="{OID}9146" DN="Henvisning til utredning/behandling"/>
  </TypeInnholdIMelding>
  <IssueDate>2026-03-09T13:20:00+01:00</IssueDate>
  <PaymentCat V="1" S="{OID}4101" DN="Ordinær pasient"/>
  <ReqServ>
    <Purpose V="2" S="{OID}8248" DN="Behandling"/>
    <Service>
      <AdmCat V="3" S="{OID}8240" DN="Poliklinisk"/>
    </Service>
    <Comment>Ønsker vurdering for internettbasert kognitiv atferdsterapi (eMeistring).</Comment>
  </ReqServ>
  <Diagnosis>
    <Concept V="P76" S="{OID}7170" DN="Depressiv lidelse"/>
  </Diagnosis>
  <ReasonAsText>
    <Heading V="PROB" S="{OID}8231" DN="Aktuell problemstilling"/>
    <TextResultValue>Kvinne 41 år med moderat depressiv episode siden januar 2026. PHQ-9 = 14. Ingen suicidalitet. Ikke medikamentell behandling.</TextResultValue>
  </ReasonAsText>
  <ReasonAsText>
    <Heading V="UTRED" S="{OID}8231" DN="Forventet utredning/behandling"/>
    <TextResultValue>Internettbasert KAT. Pasienten ønsker ikke legemidler.</TextResultValue>
  </ReasonAsText>
  <Consent>
    <ConsentStatus V="1" S="{OID}3109" DN="Ja"/>
  </Consent>
</Henvisning>"""
    add("henvisning-2.0/valid-depression-p76.xml",
        msghead("HENVISNING", hv20, "2026-03-09T13:22:00+01:00", patient=patient_mh("sara"),
                documents=[doc_xml("2026-03-09T13:20:00+01:00", content)]),
        kind="henvisning", version="2.0", msg_type="HENVISNING", msg_id=hv20,
        schema_valid=True, apprec_status="1", error_codes=[], patient=P["sara"]["id"],
        note="Henvisning 2.0 in MsgHead/Document/RefDoc/Content (namespace 2017-11-30), "
             "TypeInnholdIMelding/TypeInnhold 9146 = 1. Patient, sender and receiver come from "
             "MsgHead. Schema-valid only against the lax stub; the structure is checked in code.")


# --- Dialogmelding ----------------------------------------------------------------------

def kari_notat_11(msg_id: str, gen: str, *, encoding: str = "UTF-8", convref=None,
                  patient: str | None = None, receiver: str = "clinic",
                  extra_docs: list[str] = (), content: str | None = None,
                  notat_xml: str | None = None, sender: str | None = None,
                  pk: str = "kari") -> str:
    dok = mid("dok/" + msg_id)
    body = notat_xml or notat(
        "1.1", ("6", "7322", "Henvendelse om pasient"), "Tilleggsopplysninger til henvisning",
        content or ("Tilleggsopplysninger til henvisning sendt 2. mars 2026: sertralin er økt til "
                    "100 mg. PHQ-9 ved kontroll i dag er 14. Pasienten ønsker fortsatt "
                    "internettbasert behandling og kan starte på kort varsel."),
        dok, gen[:10])
    return msghead("DIALOG_HELSEFAGLIG", msg_id, gen, encoding=encoding,
                   patient=patient if patient is not None else patient_mh(pk),
                   convref=convref if convref is not None else (HV11_KARI, HV11_KARI),
                   receiver=receiver, sender=sender,
                   documents=[doc_xml(gen, dialog("1.1", body))] + list(extra_docs))


def build_dialog() -> None:
    # ---- 1.1 -------------------------------------------------------------------------
    n_id = mid("dialogmelding-1.1/valid-helsefaglig-notat-7322-6")
    add("dialogmelding-1.1/valid-helsefaglig-notat-7322-6.xml",
        kari_notat_11(n_id, "2026-03-06T09:41:00+01:00"),
        kind="dialogmelding", version="1.1", msg_type="DIALOG_HELSEFAGLIG", msg_id=n_id,
        schema_valid=True, apprec_status="1", error_codes=[], patient=P["kari"]["id"],
        ref_parent=HV11_KARI, ref_conv=HV11_KARI,
        note="GP sends extra information about a referral (Notat, TemaKodet 7322 V=6). "
             "RefToParent = RefToConversation = MsgId of henvisning-1.1/valid-depression-p76.xml; "
             "expect a Communication linked to that ServiceRequest.")

    f_id = mid("dialogmelding-1.1/valid-helsefaglig-foresporsel")
    body = foresporsel("1.1", ("6", "7322", "Henvendelse om pasient"),
                       f"""<div xmlns="{NS_XHTML}">
  <p>Henvisning sendt 4. mars 2026.</p>
  <p>Pasienten lurer på når hun kan forvente svar. <b>Er henvisningen mottatt og vurdert?</b></p>
</div>""",
                       mid("dok/" + f_id), subject="Status på henvisning")
    add("dialogmelding-1.1/valid-helsefaglig-foresporsel.xml",
        msghead("DIALOG_HELSEFAGLIG", f_id, "2026-03-13T10:02:00+01:00",
                patient=patient_mh("nora"), convref=(HV11_NORA, HV11_NORA),
                documents=[doc_xml("2026-03-13T10:02:00+01:00", dialog("1.1", body))]),
        kind="dialogmelding", version="1.1", msg_type="DIALOG_HELSEFAGLIG", msg_id=f_id,
        schema_valid=True, apprec_status="1", error_codes=[], patient=P["nora"]["id"],
        ref_parent=HV11_NORA, ref_conv=HV11_NORA,
        note="GP asks for the status of a referral (Foresporsel, TypeForesp 7322 V=6, "
             "EmneSporsmal, XHTML in Sporsmal, which is anyType in 1.1). Expect a CommunicationRequest (or Communication with category) "
             "for clinical follow-up.")

    s_id = mid("dialogmelding-1.1/valid-helsefaglig-svar-9069")
    question = foresporsel("1.1", ("8", "7322", "Forespørsel om helseopplysninger"),
                           "Vi ber om opplysninger om tidligere psykisk helsehjelp og aktuelle "
                           "legemidler før vurdering av henvisningen.",
                           "emeistring-dok-0003", roller=False)
    body = notat("1.1", ("1", "9069", "De etterspurte opplysningene er inkludert"),
                 "Svar på forespørsel om helseopplysninger",
                 "Tidligere behandling: samtaler hos psykolog i hjemlandet i 2019, ingen "
                 "innleggelser. Aktuelle legemidler: ingen faste. Ingen kjente allergier.",
                 mid("dok/" + s_id), "2026-03-09", foresporsel=question)
    add("dialogmelding-1.1/valid-helsefaglig-svar-9069.xml",
        msghead("DIALOG_HELSEFAGLIG", s_id, "2026-03-09T16:10:00+01:00",
                patient=patient_mh("marta"), convref=("emeistring-out-0003", HV11_MARTA),
                documents=[doc_xml("2026-03-09T16:10:00+01:00", dialog("1.1", body))]),
        kind="dialogmelding", version="1.1", msg_type="DIALOG_HELSEFAGLIG", msg_id=s_id,
        schema_valid=True, apprec_status="1", error_codes=[], patient=P["marta"]["id"],
        ref_parent="emeistring-out-0003", ref_conv=HV11_MARTA,
        note="GP answers our question emeistring-out-0003 (Notat, TemaKodet 9069 V=1, with the "
             "answered Foresporsel copied in). RefToParent is our MsgId; RefToConversation is "
             "the D-nummer referral. Communication.inResponseTo -> our Communication.")

    v_id = mid("dialogmelding-1.1/valid-helsefaglig-vedlegg-pdf")
    att = doc_attachment("2026-03-10T15:00:00+01:00", mid("att/" + v_id), "application/pdf",
                         "PHQ-9 fra kontroll 2026-03-10 (syntetisk)", b64_lines(PDF_PHQ9))
    add("dialogmelding-1.1/valid-helsefaglig-vedlegg-pdf.xml",
        kari_notat_11(v_id, "2026-03-10T15:04:00+01:00", extra_docs=[att],
                      content="Vedlagt utfylt PHQ-9 fra kontroll i dag (sum 14)."),
        kind="dialogmelding", version="1.1", msg_type="DIALOG_HELSEFAGLIG", msg_id=v_id,
        schema_valid=True, apprec_status="1", error_codes=[], patient=P["kari"]["id"],
        ref_parent=HV11_KARI, ref_conv=HV11_KARI,
        note="Notat with a PDF attachment in a second Document (RefDoc/MsgType V=A, "
             "Base64Container). Expect Communication.payload.contentAttachment (+ Binary).")

    # ---- 1.0 (ISO-8859-1) -----------------------------------------------------------
    q_id = mid("dialogmelding-1.0/valid-foresporsel-status")
    body = foresporsel("1.0", ("1", "8331", "Generell forespørsel"),
                       "Forespørsel om status på henvisning sendt 3. mars 2026. Pasienten er "
                       "særlig opptatt av om han står på venteliste, og når behandlingen kan "
                       "starte. Kan dere bekrefte at henvisningen er mottatt?",
                       mid("dok/" + q_id))
    add("dialogmelding-1.0/valid-foresporsel-status.xml",
        msghead("DIALOG_FORESPORSEL", q_id, "2026-03-12T08:55:00+01:00", encoding="ISO-8859-1",
                patient=patient_mh("ola"), convref=(HV11_OLA, HV11_OLA),
                documents=[doc_xml("2026-03-12T08:55:00+01:00", dialog("1.0", body))]),
        kind="dialogmelding", version="1.0", msg_type="DIALOG_FORESPORSEL", msg_id=q_id,
        schema_valid=True, apprec_status="1", error_codes=[], encoding="ISO-8859-1",
        patient=P["ola"]["id"], ref_parent=HV11_OLA, ref_conv=HV11_OLA,
        note="Dialogmelding 1.0 DIALOG_FORESPORSEL (TypeForesp 8331 V=1), ISO-8859-1 with "
             "Latin-1 bytes for æøå, about the Henvisning 1.1 for Ola.")

    a_id = mid("dialogmelding-1.0/valid-svar-9069")
    question = foresporsel("1.0", ("1", "8331", "Generell forespørsel"),
                           "Vi ber om opplysninger om tidligere behandling for depresjon og om "
                           "pasienten har vært til vurdering i spesialisthelsetjenesten.",
                           "emeistring-dok-0002", roller=False)
    body = notat("1.0", ("1", "9069", "De etterspurte opplysningene er inkludert"),
                 "Svar på forespørsel",
                 "Pasienten har ikke vært i spesialisthelsetjenesten tidligere. Han har fått økt "
                 "dose escitalopram og ønsker å prøve internettbehandling. Ærlig og motivert.",
                 mid("dok/" + a_id), "2026-03-05", foresporsel=question)
    add("dialogmelding-1.0/valid-svar-9069.xml",
        msghead("DIALOG_SVAR", a_id, "2026-03-05T11:30:00+01:00", encoding="ISO-8859-1",
                patient=patient_mh("per"), convref=("emeistring-out-0002", HV10_PER),
                documents=[doc_xml("2026-03-05T11:30:00+01:00", dialog("1.0", body))]),
        kind="dialogmelding", version="1.0", msg_type="DIALOG_SVAR", msg_id=a_id,
        schema_valid=True, apprec_status="1", error_codes=[], encoding="ISO-8859-1",
        patient=P["per"]["id"], ref_parent="emeistring-out-0002", ref_conv=HV10_PER,
        note="DIALOG_SVAR answering our DIALOG_FORESPORSEL emeistring-out-0002 (Notat TemaKodet "
             "9069 V=1 with the question copied in), ISO-8859-1. Conversation = Henvisning 1.0 "
             "for Per.")

    t_id = mid("dialogmelding-1.0/valid-notat-vedlegg-txt")
    body = notat("1.0", ("4", "7321", "Supplerende opplysninger"), "Supplerende opplysninger",
                 "Supplerende opplysninger til henvisningen: se vedlagt utskrift av tidligere "
                 "journalnotat. Pasienten ønsker å få brev på e-post før første time.",
                 mid("dok/" + t_id), "2026-03-04")
    att = doc_attachment("2026-03-04T09:00:00+01:00", mid("att/" + t_id), "text/plain",
                         "Journalnotat 2026-02-20 (syntetisk, UTF-8)", b64_lines(TXT_JOURNAL))
    add("dialogmelding-1.0/valid-notat-vedlegg-txt.xml",
        msghead("DIALOG_NOTAT", t_id, "2026-03-04T09:05:00+01:00", encoding="ISO-8859-1",
                patient=patient_mh("liv"), convref=(HV10_LIV, HV10_LIV),
                documents=[doc_xml("2026-03-04T09:05:00+01:00", dialog("1.0", body)), att]),
        kind="dialogmelding", version="1.0", msg_type="DIALOG_NOTAT", msg_id=t_id,
        schema_valid=True, apprec_status="1", error_codes=[], encoding="ISO-8859-1",
        patient=P["liv"]["id"], ref_parent=HV10_LIV, ref_conv=HV10_LIV,
        note="DIALOG_NOTAT (TemaKodet 7321 V=4) with a text/plain attachment (UTF-8 bytes in "
             "base64) in a second Document; the message itself is ISO-8859-1.")


# --- AppRec (inbound, for messages we sent) ----------------------------------------------

STATUS_DN = {"1": "OK", "2": "Avvist", "3": "OK, feil i delmelding"}


def apprec(version: str, apprec_id: str, gen: str, status: str, original: str,
           errors: list[tuple[str, str, str]] = (), sender: str = "gpOffice") -> str:
    mig = {"1.0": "1.0 2004-11-21", "1.1": "v1.1 2012-02-15"}[version]
    o = ORG[sender]
    person = ""
    if sender == "gpOffice":
        person = f"""
        <HCPerson>
          <Name>{GP['name']}</Name>
          <Id>{GP['herId']}</Id>
          <TypeId V="HER" DN="HER-id"/>
          <AdditionalId>
            <Id>{GP['hpr']}</Id>
            <Type V="HPR" DN="HPR-nummer"/>
          </AdditionalId>
        </HCPerson>"""
    c, d = ORG["clinic"], ORG["clinicDept"]
    otype, odn, odate = OUT[original]
    err = "".join(f'\n  <Error V="{v}" S="{OID}8221" DN="{dn}" OT="{ot}"/>' for v, dn, ot in errors)
    return decl() + f"""<AppRec xmlns="{NS_APPREC[version]}">
  <MsgType V="APPREC" DN="Applikasjonskvittering"/>
  <MIGversion>{mig}</MIGversion>
  <SoftwareName>SyntEPJ (syntetisk)</SoftwareName>
  <SoftwareVersion>4.2.1</SoftwareVersion>
  <GenDate>{gen}</GenDate>
  <Id>{apprec_id}</Id>
  <Sender>
    <HCP>
      <Inst>
        <Name>{o['name']}</Name>
        <Id>{o['herId']}</Id>
        <TypeId V="HER" DN="HER-id"/>{person}
      </Inst>
    </HCP>
  </Sender>
  <Receiver>
    <HCP>
      <Inst>
        <Name>{c['name']}</Name>
        <Id>{c['herId']}</Id>
        <TypeId V="HER" DN="HER-id"/>
        <Dept>
          <Name>{d['name']}</Name>
          <Id>{d['herId']}</Id>
          <TypeId V="HER" DN="HER-id"/>
        </Dept>
      </Inst>
    </HCP>
  </Receiver>
  <Status V="{status}" DN="{STATUS_DN[status]}"/>{err}
  <OriginalMsgId>
    <MsgType V="{otype}" DN="{odn}"/>
    <IssueDate>{odate}</IssueDate>
    <Id>{original}</Id>
  </OriginalMsgId>
</AppRec>
"""


def build_apprec() -> None:
    cases = {
        "1.0": [
            ("ok", "1", "emeistring-out-0002", [], "gpOffice", "2026-03-04T09:31:05+01:00"),
            ("avvist-e21", "2", "emeistring-out-0004",
             [("E21", "Mottaker finnes ikke", "Mottaker-HER-id er ikke registrert i mottakersystemet")],
             "gpOffice2", "2026-03-09T15:41:10+01:00"),
            ("avvist-t02", "2", "emeistring-out-0005",
             [("T02", "XML validerer ikke", "Element 'Tema': This element is not expected.")],
             "gpOffice", "2026-03-10T08:45:40+01:00"),
            ("ok-feil-i-delmelding", "3", "emeistring-out-0006",
             [("T99", "Annen feil på format", "Vedlegg 1 (application/pdf) kunne ikke leses")],
             "gpOffice", "2026-03-10T11:21:02+01:00"),
        ],
        "1.1": [
            ("ok", "1", "emeistring-out-0001", [], "gpOffice", "2026-03-03T10:00:31+01:00"),
            ("avvist-e21", "2", "emeistring-out-0007",
             [("E21", "Mottaker finnes ikke", "Tjenesten er ikke registrert hos mottaker")],
             "gpOffice2", "2026-03-11T13:00:44+01:00"),
            ("avvist-t02", "2", "emeistring-out-0008",
             [("T02", "XML validerer ikke", "Element 'ServType': Missing child element(s).")],
             "gpOffice", "2026-03-12T10:11:12+01:00"),
            ("ok-feil-i-delmelding", "3", "emeistring-out-0009",
             [("X99", "Annen feil", "Vedlegg 2 av 2 (image/tiff) støttes ikke og er ikke lagret")],
             "gpOffice", "2026-03-12T16:31:20+01:00"),
        ],
    }
    for version, rows in cases.items():
        for name, status, original, errors, sender, gen in rows:
            file = f"apprec-{version}/{name}.xml"
            apprec_id = mid(file)
            add(file, apprec(version, apprec_id, gen, status, original, errors, sender),
                kind="apprec", version=version, msg_type="APPREC", msg_id=apprec_id,
                schema_valid=True, apprec_status=None, error_codes=[],
                receivedApprec={"status": status, "errorCodes": [e[0] for e in errors],
                                "originalMsgId": original, "originalMsgType": OUT[original][0],
                                "senderHerId": ORG[sender]["herId"]},
                note=f"Inbound AppRec {version} from {ORG[sender]['name']} for our {original} "
                     f"({OUT[original][0]}): status {status} {STATUS_DN[status]}"
                     + (f", errors {', '.join(e[0] for e in errors)}" if errors else "")
                     + ". Update the outbound message's delivery status; never answer an "
                       "AppRec with an AppRec.")


# --- quirks the importer must tolerate ---------------------------------------------------

def build_quirks() -> None:
    def q(name: str, quirk: str, text: str, valid: bool, note: str, *, encoding="UTF-8",
          pk="kari", parent=HV11_KARI, conv=HV11_KARI, **kw):
        file = f"quirks/{name}.xml"
        add(file, text, kind="dialogmelding", version="1.1", msg_type="DIALOG_HELSEFAGLIG",
            msg_id=mid(file), schema_valid=valid, apprec_status="1", error_codes=[],
            quirk=quirk, note=note, encoding=encoding, patient=P[pk]["id"],
            ref_parent=parent, ref_conv=conv, **kw)

    def base(name: str, **kw) -> str:
        return kari_notat_11(mid(f"quirks/{name}.xml"), "2026-03-11T09:20:00+01:00", **kw)

    her = f'<TypeId V="HER" S="{OID}9051" DN="HER-id"/>'
    t = base("her-id-typed-8116")
    sender_start = t.index("<Sender>")
    t = (t[:sender_start]
         + t[sender_start:].replace(her, f'<TypeId V="HER" S="{OID}8116" DN="HER-id"/>', 1))
    q("her-id-typed-8116", "her-id-typed-8116", t, True,
      "Sender organisation HER-id typed with 8116 (person id types) instead of 9051. Accept: "
      "V=HER identifies a HER-id whatever the code system.")

    t = base("typeid-without-s")
    sender_start = t.index("<Sender>")
    t = t[:sender_start] + t[sender_start:].replace(her, '<TypeId V="HER" DN="HER-id"/>', 1)
    t = t.replace(f'<TypeId V="FNR" S="{OID}8116" DN="Fødselsnummer"/>',
                  '<TypeId V="FNR" DN="Fødselsnummer"/>')
    q("typeid-without-s", "typeid-without-s", t, True,
      "TypeId without S on the sender HER-id and on the patient FNR. Accept by V alone.")

    t = base("invented-oid").replace(f'<TypeId V="FNR" S="{OID}8116" DN="Fødselsnummer"/>',
                                     '<TypeId V="FNR" S="2.16.578.1.12.4.1.1.99999" '
                                     'DN="Fødselsnummer"/>')
    q("invented-oid", "invented-oid", t, True,
      "Patient FNR TypeId with an invented OID (2.16.578.1.12.4.1.1.99999, as NAV test data "
      "does). Accept by V=FNR, log a warning about the unknown code system; still check the "
      "number's check digits.")

    t = base("convref-order-swapped").replace(
        f"  <RefToParent>{HV11_KARI}</RefToParent>\n      <RefToConversation>{HV11_KARI}</RefToConversation>",
        f"  <RefToConversation>{HV11_KARI}</RefToConversation>\n      <RefToParent>{HV11_KARI}</RefToParent>")
    assert "<RefToConversation>" in t.split("<RefToParent>")[0]
    q("convref-order-swapped", "convref-order-swapped", t, False,
      "ConversationRef with RefToConversation before RefToParent (schema order violated). "
      "Accept: read both by name, not by position.", deviations=["conversation-ref-order"])

    t = base("typetelecom-without-teleaddress").replace(
        '<TypeTelecom V="WP" DN="Arbeidsplass"/>\n          <TeleAddress V="tel:+4700000001"/>',
        '<TypeTelecom V="WP" DN="Arbeidsplass"/>', 1)
    q("typetelecom-without-teleaddress", "typetelecom-without-teleaddress", t, False,
      "Sender TeleCom with TypeTelecom but no (required) TeleAddress. Accept; ignore the "
      "empty TeleCom (no ContactPoint).", deviations=["telecom-without-address"])

    eva_patient = patient_mh("eva").replace("<DateOfBirth>1991-12-04</DateOfBirth>",
                                            "<DateOfBirth>1991-12-4</DateOfBirth>")
    t = base("date-without-zero-padding", patient=eva_patient, convref=False,
             content="Pasienten ønsker vurdering for internettbasert behandling av "
                     "søvnvansker og bekymring. Henvisning kommer.")
    q("date-without-zero-padding", "date-without-zero-padding", t, False,
      "Patient DateOfBirth '1991-12-4' (day not zero-padded; not an xs:date). Accept by "
      "parsing Y-M-D leniently to 1991-12-04 (agrees with the FNR). First message of a new "
      "conversation: no ConversationRef.", pk="eva", parent=None, conv=None,
      deviations=["date-not-zero-padded"])

    misspelled = (f'<Base64Container xmlns="{NS_B64}" '
                  'xmlns:xsi="http://www.w3.org/2001/XMLSchemainstance" '
                  f'xsi:schemaLocation="{NS_B64} kith-base64.xsd">')
    att = doc_attachment("2026-03-11T09:15:00+01:00", mid("att/quirks/base64-misspelled-xsi"),
                         "application/pdf", "PHQ-9 (syntetisk)", b64_lines(PDF_PHQ9),
                         container_open=misspelled)
    t = base("base64-misspelled-xsi-namespace", extra_docs=[att],
             content="Vedlagt PHQ-9 (sum 14).")
    q("base64-misspelled-xsi-namespace", "base64-misspelled-xsi-namespace", t, False,
      "Attachment Base64Container carrying xsi:schemaLocation in the misspelled namespace "
      "http://www.w3.org/2001/XMLSchemainstance (as in Hdir's own example), which the schema "
      "rejects as an unknown attribute. Accept: ignore attributes in that namespace; the "
      "attachment is stored normally.", deviations=["misspelled-xsi-namespace"])

    t = base("dialogmelding-1.1-iso-8859-1", encoding="ISO-8859-1",
             content="Tilleggsopplysninger: pasienten får økt dose sertralin, og ønsker å "
                     "starte behandling snarest. Særlig plaget av søvnvansker.")
    q("dialogmelding-1.1-iso-8859-1", "dialogmelding-1.1-iso-8859-1", t, True,
      "Dialogmelding 1.1 (which is UTF-8 by specification) sent as ISO-8859-1, declared in "
      "the XML declaration, with Latin-1 bytes for æøå. Accept; decode per declaration.",
      encoding="ISO-8859-1")

    t = base("crlf-line-endings")
    q("crlf-line-endings", "crlf-line-endings", t, True,
      "Every line ends in CR LF. Accept; text values must not keep a stray CR.", crlf=True)

    t = base("utf8-bom")
    q("utf8-bom", "utf8-bom", t, True,
      "File starts with a UTF-8 byte-order mark (EF BB BF) before the XML declaration. "
      "Accept.", bom=True)


# --- rejections -----------------------------------------------------------------------

def build_rejections() -> None:
    def r(name: str, text: str, *, kind: str, version: str, msg_type: str, valid, status: str,
          codes: list[str], note: str, msg_id: str | None = "default", patient=None,
          parent=None, conv=None, **kw):
        file = f"reject/{name}.xml"
        add(file, text, kind=kind, version=version, msg_type=msg_type,
            msg_id=mid(file) if msg_id == "default" else msg_id, schema_valid=valid,
            apprec_status=status, error_codes=codes, note=note, patient=patient,
            ref_parent=parent, ref_conv=conv, **kw)

    kari = P["kari"]["id"]
    gen = "2026-03-13T12:00:00+01:00"

    # T01: not well-formed (mismatched end tag) and truncated
    t = kari_notat_11(mid("reject/t01-not-well-formed.xml"), gen)
    t = t.replace("</Tema>", "</Temaa>", 1)
    r("t01-not-well-formed", t, kind="dialogmelding", version="1.1",
      msg_type="DIALOG_HELSEFAGLIG", valid=False, well_formed=False, status="2", codes=["T01"], patient=kari,
      parent=HV11_KARI, conv=HV11_KARI,
      note="Mismatched end tag </Temaa>: not well-formed. Avvist T01. The AppRec's "
           "OriginalMsgId must then come from the transport envelope (ebXML MessageId / "
           "AMQP properties), since the XML cannot be read.")
    t = kari_notat_11(mid("reject/t01-truncated.xml"), gen)
    t = t[: t.index("<TekstNotatInnhold>") + len("<TekstNotatInnhold>Tilleggsopplysninger til")]
    r("t01-truncated", t, kind="dialogmelding", version="1.1", msg_type="DIALOG_HELSEFAGLIG",
      valid=False, well_formed=False, status="2", codes=["T01"], patient=kari,
      parent=HV11_KARI, conv=HV11_KARI,
      note="File cut off in the middle of TekstNotatInnhold (premature end of data). "
           "Avvist T01.")

    # T02: schema-invalid
    t = re.sub(r"\n( *)<Tema>Tilleggsopplysninger til henvisning</Tema>",
               lambda m: m.group(0) + "\n" + m.group(1) + "<Prioritet>Haster</Prioritet>",
               kari_notat_11(mid("reject/t02-unknown-element.xml"), gen), count=1)
    r("t02-unknown-element", t, kind="dialogmelding", version="1.1",
      msg_type="DIALOG_HELSEFAGLIG", valid=False, status="2", codes=["T02"], patient=kari,
      parent=HV11_KARI, conv=HV11_KARI,
      note="Unknown element dia:Prioritet inside Notat (not in Dialogmelding 1.1). Avvist T02; "
           "OT carries the validator's message.")
    t = kari_notat_11(mid("reject/t02-missing-required-element.xml"), gen)
    t = re.sub(r"\n *<TemaKodet [^\n]*/>", "", t, count=1)
    r("t02-missing-required-element", t, kind="dialogmelding", version="1.1",
      msg_type="DIALOG_HELSEFAGLIG", valid=False, status="2", codes=["T02"], patient=kari,
      parent=HV11_KARI, conv=HV11_KARI,
      note="Notat without its required TemaKodet. Avvist T02.")
    t = kari_notat_11(mid("reject/t02-msghead-missing-receiver.xml"), gen)
    start, end = t.index("    <Receiver>"), t.index("    </Receiver>\n") + len("    </Receiver>\n")
    t = t[:start] + t[end:]
    r("t02-msghead-missing-receiver", t, kind="dialogmelding", version="1.1",
      msg_type="DIALOG_HELSEFAGLIG", valid=False, status="2", codes=["T02"], patient=kari,
      parent=HV11_KARI, conv=HV11_KARI,
      note="MsgHead/MsgInfo without the required Receiver. Avvist T02 (not E21: there is no "
           "receiver to compare).")

    # T10: unsupported type / namespace
    ep = mid("reject/t10-unsupported-msgtype-epikrise.xml")
    att = doc_attachment("2026-03-13T11:55:00+01:00", mid("att/" + ep), "application/pdf",
                         "Epikrise (syntetisk)", b64_lines(PDF_EPIKRISE))
    r("t10-unsupported-msgtype-epikrise",
      msghead("EPIKRISE", ep, gen, patient=patient_mh("kari"), documents=[att]),
      kind="unknown", version="", msg_type="EPIKRISE", valid=True, status="2", codes=["T10"],
      patient=kari, msg_id=ep,
      note="Schema-valid MsgHead whose MsgInfo/Type is EPIKRISE (a PDF in a single Document). "
           "We do not import epikriser: Avvist T10.")
    unk = mid("reject/t10-unknown-root-namespace.xml")
    r("t10-unknown-root-namespace",
      kari_referral(unk, gen, namespace="http://www.kith.no/xmlstds/henvisning/2099-01-01"),
      kind="unknown", version="", msg_type="HENVISNING", valid=False, status="2",
      codes=["T10"], patient=kari, msg_id=unk,
      note="A Henvisning-looking root Message in the unknown namespace "
           "http://www.kith.no/xmlstds/henvisning/2099-01-01. Dispatch is by namespace URI, "
           "never by local name: Avvist T10.")

    # E21: receiver not us
    e21 = mid("reject/e21-wrong-receiver-msghead.xml")
    r("e21-wrong-receiver-msghead", kari_notat_11(e21, gen, receiver="wrong"),
      kind="dialogmelding", version="1.1", msg_type="DIALOG_HELSEFAGLIG", valid=True,
      status="2", codes=["E21"], patient=kari, parent=HV11_KARI, conv=HV11_KARI, msg_id=e21,
      note="MsgHead Receiver is HER-id 9999999, not 8142519/8142520. Avvist E21.")
    e21h = mid("reject/e21-wrong-receiver-henvisning-1.1.xml")
    r("e21-wrong-receiver-henvisning-1.1", kari_referral(e21h, gen, provider="wrong"),
      kind="henvisning", version="1.1", msg_type="HENVISNING", valid=None, status="2",
      codes=["E21"], patient=kari, msg_id=e21h,
      note="Henvisning 1.1 whose ServProvider is HER-id 9999999 (no Dept). Avvist E21.")

    # E30 / E31 / E32 / E33
    e30 = mid("reject/e30-missing-fnr.xml")
    r("e30-missing-fnr",
      henvisning_1x("1.1", e30, gen, "2026-03-13T11:58:00+01:00", "jonas", priority="14",
                    serv_comment="Internettbasert KAT ønskes.",
                    diagnoses=[diagnosis("P76", "ICPC-2", "Depressiv lidelse")],
                    reasons=[reason("PROB", "Mann 46 år med moderat depresjon.")],
                    patient_xml=patient_hv("jonas", offid=None)),
      kind="henvisning", version="1.1", msg_type="HENVISNING", valid=None, status="2",
      codes=["E30"], patient=None, msg_id=e30,
      note="Patient without OffId/TypeOffId (name, sex and date of birth only). Avvist E30.")
    e31 = mid("reject/e31-invalid-fnr-check-digit.xml")
    r("e31-invalid-fnr-check-digit",
      henvisning_1x("1.1", e31, gen, "2026-03-13T11:58:00+01:00", "per", priority="14",
                    serv_comment="Internettbasert KAT ønskes.",
                    diagnoses=[diagnosis("P76", "ICPC-2", "Depressiv lidelse")],
                    reasons=[reason("PROB", "Mann 53 år med depresjon.")],
                    patient_xml=patient_hv("per", offid=BAD_IDS["wrongCheckDigit"])),
      kind="henvisning", version="1.1", msg_type="HENVISNING", valid=None, status="2",
      codes=["E31"], patient=BAD_IDS["wrongCheckDigit"], msg_id=e31,
      note="OffId 21877248192: Per's synthetic FNR with the last check digit wrong. "
           "Avvist E31.")
    e31b = mid("reject/e31-invalid-fnr-10-digits.xml")
    r("e31-invalid-fnr-10-digits",
      kari_notat_11(e31b, gen, pk="per", patient=patient_mh("per", ident=BAD_IDS["tenDigits"]),
                    convref=(HV10_PER, HV10_PER)),
      kind="dialogmelding", version="1.1", msg_type="DIALOG_HELSEFAGLIG", valid=True,
      status="2", codes=["E31"], patient=BAD_IDS["tenDigits"], parent=HV10_PER, conv=HV10_PER,
      msg_id=e31b,
      note="MsgHead Patient Ident FNR with only 10 digits (2187724819). Schema-valid (Id is a "
           "string). Avvist E31.")
    e32 = mid("reject/e32-missing-patient-name.xml")
    r("e32-missing-patient-name",
      henvisning_1x("1.1", e32, gen, "2026-03-13T11:58:00+01:00", "jonas", priority="14",
                    serv_comment="Internettbasert KAT ønskes.",
                    diagnoses=[diagnosis("P76", "ICPC-2", "Depressiv lidelse")],
                    reasons=[reason("PROB", "Mann 46 år med moderat depresjon.")],
                    patient_xml=patient_hv("jonas", name=False)),
      kind="henvisning", version="1.1", msg_type="HENVISNING", valid=None, status="2",
      codes=["E32"], patient=P["jonas"]["id"], msg_id=e32,
      note="Henvisning 1.1 Patient without Name (valid FNR). Avvist E32 Pasientens navn "
           "mangler.")
    e33 = mid("reject/e33-missing-family-name.xml")
    r("e33-missing-family-name",
      kari_notat_11(e33, gen, pk="ola", patient=patient_mh("ola", family=False),
                    convref=(HV11_OLA, HV11_OLA)),
      kind="dialogmelding", version="1.1", msg_type="DIALOG_HELSEFAGLIG", valid=True,
      status="2", codes=["E33"], patient=P["ola"]["id"], parent=HV11_OLA, conv=HV11_OLA,
      msg_id=e33,
      note="MsgHead Patient with GivenName but no FamilyName (valid FNR). Avvist E33 "
           "Pasientens etternavn mangler.")

    # bad attachment -> OK, feil i delmelding
    pb = mid("reject/partial-invalid-base64-attachment.xml")
    bad_att_id = mid("att/" + pb)
    att = doc_attachment("2026-03-13T11:50:00+01:00", bad_att_id, "application/pdf",
                         "PHQ-9 (syntetisk, ødelagt vedlegg)",
                         "JVBERi0xLjQKJ@@@ dette er ikke base64 !!!\n%%%ZZZ")
    r("partial-invalid-base64-attachment",
      kari_notat_11(pb, gen, pk="nora", patient=patient_mh("nora"), extra_docs=[att],
                    convref=(HV11_NORA, HV11_NORA),
                    content="Vedlagt PHQ-9 fra kontroll i dag."),
      kind="dialogmelding", version="1.1", msg_type="DIALOG_HELSEFAGLIG", valid=False,
      status="3", codes=["T02"], patient=P["nora"]["id"], parent=HV11_NORA, conv=HV11_NORA,
      msg_id=pb, failingPart=bad_att_id,
      note="Valid Notat plus an attachment Document (MsgType A) whose Base64Container is not "
           "base64 (schema-invalid only there). Decision: import the Notat, drop the "
           "attachment, answer status 3 'OK, feil i delmelding' with Error T02 whose OT names "
           "the attachment (RefDoc/Id). Any other schema error stays Avvist T02.")


# --- attacks ------------------------------------------------------------------------------

def build_attacks() -> None:
    gen = "2026-03-14T03:00:00+01:00"
    kari = P["kari"]["id"]

    def a(name: str, prolog: str, content: str, note: str, valid: bool,
          well_formed: bool = True) -> None:
        file = f"attacks/{name}.xml"
        msg_id = mid(file)
        text = kari_notat_11(msg_id, gen, content="PLACEHOLDER")
        text = text.replace("<TekstNotatInnhold>PLACEHOLDER</TekstNotatInnhold>",
                            f"<TekstNotatInnhold>{content}</TekstNotatInnhold>")
        text = text.replace('?>\n<MsgHead', "?>\n" + prolog + "<MsgHead", 1) if prolog else text
        add(file, text, kind="dialogmelding", version="1.1", msg_type="DIALOG_HELSEFAGLIG",
            msg_id=msg_id, schema_valid=valid, apprec_status="2", error_codes=["T01"],
            note=note, patient=kari, ref_parent=HV11_KARI, ref_conv=HV11_KARI,
            well_formed=well_formed)

    a("xxe-file-etc-passwd",
      '<!DOCTYPE MsgHead [\n  <!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n', "&xxe;",
      "External entity to file:///etc/passwd referenced in TekstNotatInnhold. The parser must "
      "refuse any DOCTYPE (no DTD loading, no entity substitution): Avvist T01, nothing read "
      "from disk, no content echoed in the AppRec.", False)
    a("xxe-http-localhost",
      '<!DOCTYPE MsgHead [\n  <!ENTITY xxe SYSTEM "http://127.0.0.1:9/x">\n]>\n', "&xxe;",
      "External entity to http://127.0.0.1:9/x (SSRF probe). Refuse the DOCTYPE: Avvist T01 "
      "with no network access (a test can listen on the port and assert no connection).", False)
    lol = ['  <!ENTITY lol "lol">']
    lol.append('  <!ENTITY lol1 "' + "&lol;" * 10 + '">')
    for i in range(2, 10):
        lol.append(f'  <!ENTITY lol{i} "' + f"&lol{i - 1};" * 10 + '">')
    a("billion-laughs", "<!DOCTYPE MsgHead [\n" + "\n".join(lol) + "\n]>\n", "&lol9;",
      "Billion laughs: nine levels of ten-fold internal entity expansion (10^9 'lol'). "
      "Refuse the DOCTYPE before any expansion: Avvist T01 quickly and in bounded memory. "
      "Well-formed per XML 1.0, but libxml2 (and so xmllint) refuses it as an entity "
      "amplification.", False, well_formed=False)
    a("parameter-entity-dtd",
      "<!DOCTYPE MsgHead [\n"
      '  <!ENTITY % ekstern SYSTEM "http://127.0.0.1:9/evil.dtd">\n'
      "  <!ENTITY % intern \"<!ENTITY pe 'utvidet via parameterentitet'>\">\n"
      "  %intern;\n  %ekstern;\n]>\n", "&pe;",
      "Parameter entities in the internal subset: one internal (declares the general entity "
      "pe used in TekstNotatInnhold), one external to http://127.0.0.1:9/evil.dtd (the "
      "out-of-band XXE pattern). Avvist T01, no network access.", False)
    depth = 10000
    nested = ('<div xmlns="http://www.w3.org/1999/xhtml">' + "<div>" * (depth - 1)
              + "dypt" + "</div>" * depth)
    a("deep-nesting-10000", "", nested,
      "10,000 nested xhtml:div elements inside TekstNotatInnhold (anyType). The parser's depth "
      "limit (libxml2: 256 without XML_PARSE_HUGE) must stop it: Avvist T01, no stack "
      "exhaustion. Well-formed per XML 1.0; refused by libxml2's depth limit.", False,
      well_formed=False)


# --- deviations tolerated under the tolerant validation policy (ADR 0010) ----------------
# One file per kind (docs/kith-quirks.md), each a copy of a valid message with exactly that
# deviation, written here from scratch in the shape the public descriptions give (no real
# message is copied). The tolerant policy reads each one and records the deviation; the
# rejections below show where tolerance ends.

NS_HENV_2014 = "http://www.kith.no/xmlstds/henvisning/2014-04-30"
# The e-resept M1 namespace, as used by prescription documents; the content below is ours.
NS_ERESEPT_M1 = "http://www.kith.no/xmlstds/eresept/m1/2013-10-08"


def fjordlegene_sender_mh() -> str:
    """The second GP practice (7654321) as MsgHead sender, without a personal HER-id."""
    o = ORG["gpOffice2"]
    return f"""<Sender>
  <Organisation>
    <OrganisationName>{o['name']}</OrganisationName>
    <Ident>
      <Id>{o['herId']}</Id>
      <TypeId V="HER" S="{OID}9051" DN="HER-id"/>
    </Ident>
    <HealthcareProfessional>
      <TypeHealthcareProfessional V="LE" DN="Lege"/>
      <FamilyName>{GP['familyName']}</FamilyName>
      <GivenName>{GP['givenName']}</GivenName>
      <Ident>
        <Id>{GP['hpr']}</Id>
        <TypeId V="HPR" S="{OID}8116" DN="HPR-nummer"/>
      </Ident>
    </HealthcareProfessional>
  </Organisation>
</Sender>"""


def ack_after_convref(text: str) -> str:
    """MsgInfo with Ack moved after ConversationRef (the XSD has Ack first)."""
    out, n = re.subn(r'(<Ack V="J" DN="Ja"/>)(\s*)(<ConversationRef>[\s\S]*?</ConversationRef>)',
                     r"\3\2\1", text, count=1)
    assert n == 1
    return out


def without_declaration(text: str) -> str:
    return text[text.index("<MsgHead"):].rstrip("\n")


def nested(outer_id: str, gen: str, inner: str, *, patient: str) -> str:
    """A MsgHead whose XML Document holds a whole MsgHead (the EPJ error): the outer one
    repeats the header, the inner one carries the Dialogmelding."""
    return msghead("DIALOG_HELSEFAGLIG", outer_id, gen, patient=patient,
                   convref=(HV11_KARI, HV11_KARI),
                   documents=[doc_xml(gen, without_declaration(inner))])


def build_tolerance() -> None:
    gen = "2026-03-16T10:05:00+01:00"
    kari = P["kari"]["id"]

    def q(name: str, kind_: str, text: str, valid: bool, note: str, *, deviations: list[str],
          kind: str = "dialogmelding", version: str = "1.1", msg_type="DIALOG_HELSEFAGLIG",
          pk="kari", parent=HV11_KARI, conv=HV11_KARI, **kw):
        file = f"quirks/{name}.xml"
        add(file, text, kind=kind, version=version, msg_type=msg_type, msg_id=mid(file),
            schema_valid=valid, apprec_status="1", error_codes=[], quirk=kind_, note=note,
            patient=P[pk]["id"], ref_parent=parent, ref_conv=conv, deviations=deviations, **kw)

    def base(name: str, **kw) -> str:
        return kari_notat_11(mid(f"quirks/{name}.xml"), gen, **kw)

    q("msginfo-ack-after-conversationref", "element-order",
      ack_after_convref(base("msginfo-ack-after-conversationref")), False,
      "MsgInfo children out of the XSD's order: Ack after ConversationRef, as some GP systems "
      "send Dialogmelding 1.0/1.1. Tolerant: put in schema order (each child is read by name), "
      "record element-order at /MsgHead/MsgInfo; AppRec OK.", deviations=["element-order"])

    t = base("typetelecom-dn-without-v")
    sender_start = t.index("<Sender>")
    t = (t[:sender_start] + t[sender_start:].replace(
        '<TypeTelecom V="WP" DN="Arbeidsplass"/>', '<TypeTelecom DN="Arbeidsplass"/>', 1))
    q("typetelecom-dn-without-v", "code-without-value", t, True,
      "Sender TeleCom/TypeTelecom with DN but no V (a CS without its code). Schema-valid (V is "
      "optional in the XSD) but not what the standard means by a code: record "
      "code-without-value; the TeleCom's address is read as usual. AppRec OK.",
      deviations=["code-without-value"])

    name = "nested-msghead"
    inner = kari_notat_11(mid(f"quirks/{name}.xml"), gen)
    q(name, "nested-msghead", nested(mid(f"quirks/{name}.xml"), gen, inner,
                                     patient=patient_mh("kari")), True,
      "A whole MsgHead inside Document/RefDoc/Content (a known EPJ error): the Dialogmelding "
      "is the inner MsgHead's business document. The inner MsgHead agrees with the outer one "
      "(type, sender, receiver, patient), so the message is unambiguous: read the inner "
      "document, record nested-msghead. Schema-valid (MsgHead is a global element). Strict: "
      "T10, as before policies existed.", deviations=["nested-msghead"])

    m1 = f"""<Document>
  <RefDoc>
    <IssueDate V="{gen}"/>
    <MsgType V="XML" DN="XML-instans"/>
    <MimeType>text/xml</MimeType>
    <Description>Resept (M1), syntetisk</Description>
    <Content>
      <Resept xmlns="{NS_ERESEPT_M1}">
        <Forskrivningsdato>2026-03-16</Forskrivningsdato>
        <Legemiddel>
          <Navn>Sertralin tablett 100 mg (syntetisk)</Navn>
          <Dosering>1 tablett om morgenen</Dosering>
        </Legemiddel>
      </Resept>
    </Content>
  </RefDoc>
</Document>"""
    q("foreign-document-eresept-m1", "foreign-document",
      base("foreign-document-eresept-m1", extra_docs=[m1],
           content="Sertralin er fornyet og økt til 100 mg; resepten følger vedlagt."), False,
      "A second XML Document holding an e-resept M1 prescription (namespace "
      f"{NS_ERESEPT_M1}), which the gateway carries no schema for: the strict RefDoc/Content "
      "wildcard refuses it (T02 under the strict policy). Tolerant: keep it untouched as an "
      "attachment (Binary + DocumentReference, application/xml), read the Dialogmelding, "
      "record foreign-document; AppRec OK.", deviations=["foreign-document"])

    q("datetime-in-date-field", "datetime-in-date-field",
      base("datetime-in-date-field").replace(
          f"<DateOfBirth>{P['kari']['birthDate']}</DateOfBirth>",
          f"<DateOfBirth>{P['kari']['birthDate']}T00:00:00</DateOfBirth>", 1), False,
      "Patient DateOfBirth written as a midnight date-time (xs:date expected), as XML "
      "libraries do when a date is held as a date-time. Tolerant: read its date; any other "
      "time of day stays T02 (the date could depend on the zone). AppRec OK.",
      deviations=["datetime-in-date-field"])

    t = base("blank-code-system")
    sender_start = t.index("<Sender>")
    t = (t[:sender_start] + t[sender_start:].replace(
        f'<TypeId V="HER" S="{OID}9051" DN="HER-id"/>', '<TypeId V="HER" S="" DN="HER-id"/>', 1))
    q("blank-code-system", "blank-code-system", t, False,
      "Sender HER-id TypeId with an empty code system (S=\"\"), which is not an OID (T02 under "
      "the strict policy). Tolerant: drop the empty S (the type is read by V, as always); "
      "AppRec OK.", deviations=["blank-code-system"])

    att = doc_attachment("2026-03-16T10:00:00+01:00", mid("att/quirks/attachment-without-mimetype"),
                         "application/pdf", "PHQ-9 (syntetisk)", b64_lines(PDF_PHQ9))
    att = att.replace("    <MimeType>application/pdf</MimeType>\n", "", 1)
    q("attachment-without-mimetype", "attachment-mime-type",
      base("attachment-without-mimetype", extra_docs=[att], content="Vedlagt PHQ-9 (sum 14)."),
      True,
      "Attachment Document without RefDoc/MimeType (optional in the XSD). Stored as what its "
      "bytes are (a PDF), record attachment-mime-type; AppRec OK.",
      deviations=["attachment-mime-type"])

    hv = mid("quirks/henvisning-2.0-2014-namespace.xml")
    content = f"""<Henvisning xmlns="{NS_HENV_2014}">
  <TypeInnholdIMelding>
    <TypeInnhold V="1" S="{OID}9146" DN="Henvisning til utredning/behandling"/>
  </TypeInnholdIMelding>
  <IssueDate>2026-03-16T09:50:00+01:00</IssueDate>
  <ReqServ>
    <Purpose V="2" S="{OID}8248" DN="Behandling"/>
    <Comment>Ønsker vurdering for internettbasert behandling.</Comment>
  </ReqServ>
  <Diagnosis>
    <Concept V="P74" S="{OID}7170" DN="Angstlidelse"/>
  </Diagnosis>
  <ReasonAsText>
    <Heading V="PROB" S="{OID}8231" DN="Aktuell problemstilling"/>
    <TextResultValue>Kvinne 35 år med generalisert angst. GAD-7 = 13.</TextResultValue>
  </ReasonAsText>
</Henvisning>"""
    add("quirks/henvisning-2.0-2014-namespace.xml",
        msghead("HENVISNING", hv, "2026-03-16T09:52:00+01:00", patient=patient_mh("sara"),
                documents=[doc_xml("2026-03-16T09:50:00+01:00", content)]),
        kind="henvisning", version="2.0", msg_type="HENVISNING", msg_id=hv, schema_valid=True,
        apprec_status="1", error_codes=[], quirk="henvisning-2014-namespace",
        patient=P["sara"]["id"], deviations=["henvisning-2014-namespace"],
        note=f"Henvisning 2.0 in the namespace it had before HIS 80517:2017 ({NS_HENV_2014}). "
             "No official XSD exists for either namespace; the structure is checked in code for "
             "both, so the tolerant policy reads it as 2.0 (record henvisning-2014-namespace). "
             "Strict: T10 with a text naming the namespace to use.")

    # ---- Henvisning 1.1 with its diagnoses as InfItem (not a deviation) ------------------
    hv11 = mid("henvisning-1.1/valid-infitem-diagnoses")
    infitems = f"""  <InfItem>
    <Type V="H" S="{OID}8233" DN="Hoveddiagnose"/>
    <StartDateTime V="2025-11-01"/>
    <Observation>
      <Description>Moderat depressiv episode</Description>
      <CodedDescr>
        <Concept V="F32.1" S="{OID}7110" DN="Moderat depressiv episode"/>
      </CodedDescr>
    </Observation>
  </InfItem>
  <InfItem>
    <Type V="B" S="{OID}8233" DN="Bidiagnose"/>
    <Observation>
      <CodedDescr>
        <Concept V="P06" S="{OID}7170" DN="Søvnforstyrrelse"/>
      </CodedDescr>
    </Observation>
  </InfItem>
</Patient>"""
    patient = patient_hv("jonas").replace("</Patient>", infitems, 1)
    add("henvisning-1.1/valid-infitem-diagnoses.xml",
        henvisning_1x("1.1", hv11, "2026-03-16T11:02:00+01:00", "2026-03-16T11:00:00+01:00",
                      "jonas", priority="14", serv_comment="Ønsker internettbasert KAT.",
                      diagnoses=[], patient_xml=patient,
                      reasons=[reason("PROB", "Mann 46 år med nedstemthet og søvnvansker siden "
                                              "høsten 2025. PHQ-9 = 15.")]),
        kind="henvisning", version="1.1", msg_type="HENVISNING", msg_id=hv11, schema_valid=None,
        apprec_status="1", error_codes=[], patient=P["jonas"]["id"],
        note="Henvisning 1.1 whose diagnoses come only as Patient/InfItem: 8233 H (main, ICD-10 "
             "F32.1, with StartDateTime) and B (secondary, ICPC-2 P06), each with "
             "Observation/CodedDescr/Concept. Both become Conditions (main first, the 8233 type "
             "as a second category) referenced from the ServiceRequest.")

    # ---- a code with white space around it (XSD token: the same code) ---------------------
    hv_space = mid("henvisning-1.1/valid-type-with-trailing-space")
    t = kari_referral(hv_space, "2026-03-16T11:30:00+01:00").replace(
        '<Type V="HENVISNING" DN="Henvisning"/>', '<Type V="HENVISNING " DN="Henvisning"/>', 1)
    add("henvisning-1.1/valid-type-with-trailing-space.xml", t, kind="henvisning",
        version="1.1", msg_type="HENVISNING", msg_id=hv_space, schema_valid=None,
        apprec_status="1", error_codes=[], patient=kari,
        note="Message/Type V=\"HENVISNING \" with a trailing space. KITH codes are xs:token: "
             "white space at the ends is not part of the code. Read as HENVISNING (before, the "
             "space reached FHIR as an invalid code and the message was answered 500).")

    # ---- where tolerance ends ------------------------------------------------------------
    def r(name: str, text: str, *, codes: list[str], valid, note: str, patient=kari,
          deviations: list[str] = (), **kw):
        file = f"reject/{name}.xml"
        add(file, text, kind="dialogmelding", version="1.1", msg_type="DIALOG_HELSEFAGLIG",
            msg_id=mid(file), schema_valid=valid, apprec_status="2", error_codes=codes,
            note=note, patient=patient, ref_parent=HV11_KARI, ref_conv=HV11_KARI,
            deviations=deviations, **kw)

    name = "reject/t02-nested-msghead-other-patient.xml"
    inner = kari_notat_11(mid(name), gen, patient=patient_mh("ola"))
    r("t02-nested-msghead-other-patient", nested(mid(name), gen, inner, patient=patient_mh("kari")),
      codes=["T02"], valid=True, ambiguous=True, deviations=["nested-msghead"],
      note="A nested MsgHead (as quirks/nested-msghead.xml) whose inner Patient is another "
           "person than the outer one: which patient the note is about is ambiguous. Avvist "
           "T02 naming both places, even under the tolerant policy.")

    t = kari_notat_11(mid("reject/t02-strict-partner-element-order.xml"), gen,
                      sender=fjordlegene_sender_mh())
    r("t02-strict-partner-element-order", ack_after_convref(t), codes=["T02"], valid=False,
      strictPartner="7654321",
      note="The element-order deviation of quirks/msginfo-ack-after-conversationref.xml, sent "
           "by Fjordlegene (7654321), whose validation policy is strict in the tests' settings "
           "(ehr.partner_validation_policies): Avvist T02 as before policies existed.")

    t = kari_notat_11(mid("reject/x99-sender-without-her-id.xml"), gen)
    sender_start = t.index("<Sender>")
    t = (t[:sender_start] + t[sender_start:].replace(
        f"<Id>{ORG['gpOffice']['herId']}</Id>", "<Id></Id>", 1))
    r("x99-sender-without-her-id", t, codes=["X99"], valid=True,
      note="The sender organisation's HER-id Ident has an empty Id (schema-valid: Id is a "
           "string). The receipt cannot be addressed and the sender not told apart from others "
           "(an empty identifier would match every organisation): Avvist X99 naming the sender "
           "element, never an OK receipt to an unknown HER-id.")

    # ---- parse cost ----------------------------------------------------------------------
    file = "attacks/many-attributes.xml"
    attrs = " ".join(f'a{i}="x"' for i in range(1000))
    text = kari_notat_11(mid(file), gen, content="PLACEHOLDER").replace(
        "<TekstNotatInnhold>PLACEHOLDER</TekstNotatInnhold>",
        f'<TekstNotatInnhold><p xmlns="{NS_XHTML}" {attrs}>tekst</p></TekstNotatInnhold>')
    add(file, text, kind="dialogmelding", version="1.1", msg_type="DIALOG_HELSEFAGLIG",
        msg_id=mid(file), schema_valid=True, apprec_status="2", error_codes=["T01"],
        patient=kari, ref_parent=HV11_KARI, ref_conv=HV11_KARI, limit="attributes-per-element",
        note="1,000 attributes on one element (well-formed XML). libxml2 compares the "
             "attributes of a start tag pairwise, so 100,000 of them cost seconds: the gateway "
             "counts them in a linear pre-scan and refuses more than 256 per element before "
             "parsing. Avvist T01 naming the line and the element.")


def main() -> int:
    build_henvisning()
    build_dialog()
    build_apprec()
    build_quirks()
    build_rejections()
    build_attacks()
    build_tolerance()
    manifest = {
        "description": "Synthetic KITH/Hdir EHR message corpus for the eMeistring gateway. "
                       "See README.md. Generated by tools/gen_corpus.py, checked by "
                       "tools/check_manifest.py.",
        "schema": "adapters/ehr/schemas/kith/kith-all.xsd",
        "files": sorted(ENTRIES, key=lambda e: e["file"]),
    }
    (ROOT / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                        encoding="utf-8")
    print(f"wrote {len(ENTRIES)} files and manifest.json under {ROOT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
