#!/usr/bin/env python3
"""Check tests/testdata/ehr/manifest.json against the files it describes.

What is checked (exit status 1 on any failure):
  * every *.xml under tests/testdata/ehr is listed exactly once, and every listed file exists;
  * wellFormed and schemaValid agree with xmllint (always run with --nonet, never --noent):
      xmllint --noout --nonet FILE                               -> wellFormed
      xmllint --noout --nonet --schema .../kith-all.xsd FILE     -> schemaValid
    (schemaValid null = no schema exists: Henvisning 1.0/1.1; xmllint must then report that
    there is no global declaration for the root);
  * the declared encoding matches the manifest; ISO-8859-1 files really contain Latin-1
    bytes (and are not UTF-8), UTF-8 files decode as UTF-8;
  * kind, version, msgType, msgId, patient, refToParent and refToConversation agree with the
    file content (parsed with ElementTree only when xmllint found it well-formed and it has
    no DOCTYPE; otherwise by regular expression on the text);
  * person ids: valid synthetic FNR/DNR (month + 80) unless an E31 rejection expects an
    invalid one; every org.nr (ENH) in the files has a valid mod-11 check digit;
  * AppRec files agree with expect.receivedApprec; expect fields are consistent (codes from
    kodeverk 8221, status 1 without errors, quirk set exactly for quirks/);
  * msgIds are unique, and references (refToParent, refToConversation, matchesOriginal)
    point at a MsgId in the corpus or at one of our outbound ids (emeistring-out-NNNN);
  * Henvisning changes/cancellations (ServType M/C) match their original on patient,
    requester HER-id, ServProvider HER-id and IssueDate;
  * each schema-invalid quirk (and the partial/T02 cases listed in REPAIRS) becomes
    schema-valid once its one deliberate deviation is repaired, i.e. the file is otherwise
    fully valid;
  * README.md lists every identity number from make_ids.py.

Python 3 standard library + xmllint (libxml2-utils). Usage: tools/check_manifest.py
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True  # keep tools/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_ids  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE.parent
REPO = CORPUS.parents[2]
SCHEMA = REPO / "adapters/ehr/schemas/kith/kith-all.xsd"

NS_MSGHEAD = "http://www.kith.no/xmlstds/msghead/2006-05-24"
ROOTS = {
    ("http://www.kith.no/xmlstds/henvisning/2005-07-08", "Message"): ("henvisning", "1.0"),
    ("http://www.kith.no/xmlstds/henvisning/2012-02-15", "Message"): ("henvisning", "1.1"),
    ("http://www.kith.no/xmlstds/apprec/2004-11-21", "AppRec"): ("apprec", "1.0"),
    ("http://www.kith.no/xmlstds/apprec/2012-02-15", "AppRec"): ("apprec", "1.1"),
}
CONTENT = {
    ("http://www.kith.no/xmlstds/dialog/2006-10-11", "Dialogmelding"): ("dialogmelding", "1.0"),
    ("http://www.kith.no/xmlstds/dialog/2013-01-23", "Dialogmelding"): ("dialogmelding", "1.1"),
    ("http://ehelse.no/xmlstds/henvisning/2017-11-30", "Henvisning"): ("henvisning", "2.0"),
    ("http://www.kith.no/xmlstds/henvisning/2014-04-30", "Henvisning"): ("henvisning", "2.0"),
}
# The deviation kinds the inbox records (the CodeSystem it takes them from).
DEVIATIONS = REPO / "mappings/terminology/emeistring/kith-deviation.json"
SUPPORTED_MSGHEAD_TYPES = {"DIALOG_HELSEFAGLIG", "DIALOG_FORESPORSEL", "DIALOG_SVAR",
                           "DIALOG_NOTAT", "HENVISNING"}
ERROR_CODES_8221 = {"E10", "E20", "E21", "E30", "E31", "E32", "E33", "E34", "E35", "E36",
                    "E53", "E54", "S01", "S02", "S03", "S99", "T01", "T02", "T10", "T99",
                    "X99"}
OUTBOUND = re.compile(r"^emeistring-out-\d{4}$")

# One deliberate deviation per file; the repair must make the file schema-valid.
REPAIRS = {
    "quirks/convref-order-swapped.xml": [
        (r"(<RefToConversation>[^<]*</RefToConversation>)(\s*)(<RefToParent>[^<]*</RefToParent>)",
         r"\3\2\1")],
    "quirks/typetelecom-without-teleaddress.xml": [
        (r"\s*<TeleCom>\s*<TypeTelecom [^>]*/>\s*</TeleCom>", "")],
    "quirks/date-without-zero-padding.xml": [
        (r"<DateOfBirth>(\d{4})-(\d{2})-(\d)</DateOfBirth>", r"<DateOfBirth>\1-\2-0\3</DateOfBirth>")],
    "quirks/base64-misspelled-xsi-namespace.xml": [
        (r'\s+xmlns:xsi="http://www\.w3\.org/2001/XMLSchemainstance"', ""),
        (r'\s+xsi:schemaLocation="[^"]*"', "")],
    "reject/partial-invalid-base64-attachment.xml": [
        (r"(<Base64Container[^>]*>)[^<]*(</Base64Container>)", r"\1U1lOVEVUSVNL\2")],
    "reject/t02-unknown-element.xml": [(r"\s*<Prioritet>[^<]*</Prioritet>", "")],
    "quirks/msginfo-ack-after-conversationref.xml": [
        (r"(<ConversationRef>[\s\S]*?</ConversationRef>)(\s*)(<Ack [^>]*/>)", r"\3\2\1")],
    "quirks/foreign-document-eresept-m1.xml": [(r"\s*<Resept xmlns=[\s\S]*?</Resept>", "")],
    "quirks/datetime-in-date-field.xml": [
        (r"<DateOfBirth>(\d{4}-\d\d-\d\d)T00:00:00</DateOfBirth>", r"<DateOfBirth>\1</DateOfBirth>")],
    "quirks/blank-code-system.xml": [(r' S=""', "")],
    "reject/t02-strict-partner-element-order.xml": [
        (r"(<ConversationRef>[\s\S]*?</ConversationRef>)(\s*)(<Ack [^>]*/>)", r"\3\2\1")],
}

failures: list[str] = []


def fail(file: str, message: str) -> None:
    failures.append(f"{file}: {message}")


def xmllint(path: pathlib.Path, schema: bool) -> tuple[int, str]:
    args = ["xmllint", "--noout", "--nonet"]
    if schema:
        args += ["--schema", str(SCHEMA)]
    try:
        proc = subprocess.run(args + [str(path)], capture_output=True, timeout=60,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return -1, "timeout"
    return proc.returncode, proc.stderr.decode("utf-8", "replace")


def declared_encoding(data: bytes) -> str | None:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    m = re.match(rb'<\?xml[^>]*encoding="([^"]+)"', data)
    return m.group(1).decode("ascii").upper() if m else None


def local(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, name = tag[1:].split("}", 1)
        return ns, name
    return "", tag


def child(el, name):
    for c in el:
        if local(c.tag)[1] == name:
            return c
    return None


def children(el, name):
    return [c for c in el if local(c.tag)[1] == name]


def text_of(el) -> str | None:
    return el.text.strip() if el is not None and el.text else None


def code_of(el) -> str | None:
    """A KITH code's V as the schema reads it (xs:token: white space collapsed)."""
    v = el.get("V") if el is not None else None
    return " ".join(v.split()) if v is not None else None


def derive(root) -> dict:
    """kind, version, msgType, msgId, patient, refs and extras from a parsed document."""
    ns, name = local(root.tag)
    out = {"kind": "unknown", "version": "", "msgType": None, "msgId": None, "patient": None,
           "refToParent": None, "refToConversation": None}
    if (ns, name) in ROOTS:
        out["kind"], out["version"] = ROOTS[(ns, name)]
    if name == "AppRec":
        out["msgType"] = "APPREC"
        out["msgId"] = text_of(child(root, "Id"))
        status = child(root, "Status")
        out["apprec"] = {
            "status": status.get("V") if status is not None else None,
            "errorCodes": [e.get("V") for e in children(root, "Error")],
            "originalMsgId": text_of(child(child(root, "OriginalMsgId"), "Id")),
            "originalMsgType": child(child(root, "OriginalMsgId"), "MsgType").get("V"),
            "senderHerId": text_of(child(child(child(child(root, "Sender"), "HCP"), "Inst"), "Id")),
        }
    elif name == "Message":
        out["msgType"] = code_of(child(root, "Type"))
        out["msgId"] = text_of(child(root, "MsgId"))
        req = child(root, "ServReq")
        if req is not None:
            patient = child(req, "Patient")
            if patient is not None:
                out["patient"] = text_of(child(patient, "OffId"))
                out["hasName"] = child(patient, "Name") is not None
            out["servType"] = child(req, "ServType").get("V")
            out["issueDate"] = child(req, "IssueDate").get("V")
            out["requesterHer"] = text_of(child(child(child(child(req, "Requester"), "HCP"), "Inst"), "Id"))
            out["providerHer"] = text_of(child(child(child(child(req, "ServProvider"), "HCP"), "Inst"), "Id"))
    elif (ns, name) == (NS_MSGHEAD, "MsgHead"):
        info = child(root, "MsgInfo")
        out["msgType"] = child(info, "Type").get("V")
        out["msgId"] = text_of(child(info, "MsgId"))
        conv = child(info, "ConversationRef")
        if conv is not None:
            out["refToParent"] = text_of(child(conv, "RefToParent"))
            out["refToConversation"] = text_of(child(conv, "RefToConversation"))
        patient = child(info, "Patient")
        if patient is not None:
            for ident in children(patient, "Ident"):
                if child(ident, "TypeId").get("V") in ("FNR", "DNR"):
                    out["patient"] = text_of(child(ident, "Id"))
                    break
        docs = children(root, "Document")
        content = child(child(docs[0], "RefDoc"), "Content") if docs else None
        inner = list(content) if content is not None else []
        if inner and local(inner[0].tag) == (NS_MSGHEAD, "MsgHead"):
            # A MsgHead nested in the first Document (quirk nested-msghead): its first Document
            # holds the business document.
            docs = children(inner[0], "Document")
            content = child(child(docs[0], "RefDoc"), "Content") if docs else None
            inner = list(content) if content is not None else []
        if inner and local(inner[0].tag) in CONTENT and out["msgType"] in SUPPORTED_MSGHEAD_TYPES:
            out["kind"], out["version"] = CONTENT[local(inner[0].tag)]
    return out


def regex_derive(text: str) -> dict:
    out = {}
    m = re.search(r"<MsgId>([^<]+)</MsgId>", text)
    out["msgId"] = m.group(1) if m else None
    m = re.search(r"<Ident>\s*<Id>(\d+)</Id>\s*<TypeId V=\"(?:FNR|DNR)\"", text)
    out["patient"] = m.group(1) if m else None
    m = re.search(r"<RefToParent>([^<]+)</RefToParent>", text)
    out["refToParent"] = m.group(1) if m else None
    m = re.search(r"<RefToConversation>([^<]+)</RefToConversation>", text)
    out["refToConversation"] = m.group(1) if m else None
    m = re.search(r'<MsgInfo>\s*<Type V="([^"]+)"', text)
    out["msgType"] = m.group(1) if m else None
    return out


def main() -> int:
    manifest = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
    entries = manifest["files"]
    listed = [e["file"] for e in entries]
    on_disk = sorted(str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*.xml")
                     if "tools" not in p.relative_to(CORPUS).parts)
    for dup in {f for f in listed if listed.count(f) > 1}:
        fail(dup, "listed more than once")
    for missing in sorted(set(on_disk) - set(listed)):
        fail(missing, "file not listed in manifest.json")
    for gone in sorted(set(listed) - set(on_disk)):
        fail(gone, "listed in manifest.json but missing")
    if not SCHEMA.exists():
        fail(str(SCHEMA), "schema missing")
        return report(entries)

    kinds = {c["code"] for c in json.loads(DEVIATIONS.read_text(encoding="utf-8"))["concept"]}
    ids_by_msgid = {}
    derived_by_file = {}
    counts = {"schemaValid": 0, "schemaInvalid": 0, "noSchema": 0}
    for e in entries:
        f = e["file"]
        path = CORPUS / f
        if not path.exists():
            continue
        data = path.read_bytes()

        # --- xmllint verdicts
        rc_wf, _ = xmllint(path, schema=False)
        if rc_wf == -1:
            fail(f, "xmllint timed out")
        well_formed = rc_wf == 0
        if well_formed != e.get("wellFormed"):
            fail(f, f"wellFormed is {e.get('wellFormed')}, xmllint says {well_formed}")
        rc_s, err = xmllint(path, schema=True)
        valid = rc_s == 0
        if e["schemaValid"] is None:
            counts["noSchema"] += 1
            if valid or "No matching global declaration available for the validation root" not in err:
                fail(f, "schemaValid is null but the schema set declares its root")
            if not (e["kind"] == "henvisning" and e["version"] in ("1.0", "1.1")):
                fail(f, "schemaValid null is reserved for Henvisning 1.0/1.1")
        else:
            counts["schemaValid" if valid else "schemaInvalid"] += 1
            if valid != e["schemaValid"]:
                fail(f, f"schemaValid is {e['schemaValid']}, xmllint says {valid}: "
                        f"{err.strip().splitlines()[0] if err.strip() else ''}")

        # --- encoding
        enc = declared_encoding(data)
        if enc != e["encoding"]:
            fail(f, f"encoding {e['encoding']} in manifest, declaration says {enc}")
        body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
        if e["encoding"] == "ISO-8859-1":
            if not any(b >= 0x80 for b in body):
                fail(f, "ISO-8859-1 file without any Latin-1 (non-ASCII) byte")
            try:
                body.decode("utf-8")
                fail(f, "ISO-8859-1 file is also valid UTF-8 (expected real Latin-1 bytes)")
            except UnicodeDecodeError:
                pass
            text = body.decode("iso-8859-1")
        else:
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                fail(f, "UTF-8 file does not decode as UTF-8")
                text = body.decode("utf-8", "replace")
        if e["expect"].get("quirk") == "crlf-line-endings":
            if b"\n" in data.replace(b"\r\n", b""):
                fail(f, "CRLF quirk file has bare LF line endings")
        elif b"\r" in data:
            fail(f, "unexpected CR in file")
        if (e["expect"].get("quirk") == "utf8-bom") != data.startswith(b"\xef\xbb\xbf"):
            fail(f, "BOM present/absent contrary to the quirk field")

        # --- content
        has_doctype = "<!DOCTYPE" in text
        if well_formed and not has_doctype:
            root = ET.fromstring(data)
            d = derive(root)
        else:
            d = regex_derive(text)
            d.setdefault("kind", e["kind"])
            d.setdefault("version", e["version"])
        derived_by_file[f] = d
        for key in ("kind", "version", "msgType", "msgId", "patient", "refToParent",
                    "refToConversation"):
            if key in d and d[key] != e[key]:
                fail(f, f"{key} is {e[key]!r} in manifest, file says {d[key]!r}")
        if e["msgId"]:
            if e["msgId"] in ids_by_msgid:
                fail(f, f"msgId also used by {ids_by_msgid[e['msgId']]}")
            ids_by_msgid[e["msgId"]] = f

        # --- expectations
        x = e["expect"]
        codes = x["errorCodes"]
        if not set(codes) <= ERROR_CODES_8221:
            fail(f, f"unknown error codes {set(codes) - ERROR_CODES_8221}")
        if e["kind"] == "apprec":
            if x["apprecStatus"] is not None:
                fail(f, "an inbound AppRec must not get an AppRec (apprecStatus must be null)")
            if d.get("apprec") != x.get("receivedApprec"):
                fail(f, f"receivedApprec {x.get('receivedApprec')} != file {d.get('apprec')}")
        else:
            if x["apprecStatus"] not in ("1", "2", "3"):
                fail(f, "apprecStatus must be 1, 2 or 3")
            if (x["apprecStatus"] == "1") != (not codes):
                fail(f, "status 1 exactly when there are no error codes")
        if ("T01" in codes) and well_formed and not has_doctype and not x.get("limit"):
            fail(f, "T01 expected but the file is well-formed, has no DOCTYPE and names no limit")
        if has_doctype and codes != ["T01"]:
            fail(f, "a file with a DOCTYPE must be refused with T01 only")
        if ("T02" in codes) and e["schemaValid"] is not False and not x.get("ambiguous"):
            fail(f, "T02 expected but the file is neither schema-invalid nor ambiguous")
        if not isinstance(x.get("deviations"), list) or not set(x["deviations"]) <= kinds:
            fail(f, f"expect.deviations must list kinds of {DEVIATIONS.name}")
        if f.startswith("quirks/") and e["schemaValid"] is False and not x.get("deviations"):
            fail(f, "a schema-invalid quirk must name the deviation recorded for it")
        if (x["quirk"] is not None) != f.startswith("quirks/"):
            fail(f, "quirk must be set exactly for files under quirks/")
        if f.startswith("quirks/") and x["apprecStatus"] != "1":
            fail(f, "quirks must be tolerated (apprecStatus 1)")

        # --- person ids
        pid = e["patient"]
        if pid is not None:
            info = make_ids.classify_person_id(pid)
            if "E31" in codes:
                if info["valid"]:
                    fail(f, f"E31 expected but {pid} is a valid id")
            elif not info["valid"]:
                fail(f, f"patient id {pid} invalid: {info['reason']}")
            elif not info["synthetic"]:
                fail(f, f"patient id {pid} is not synthetic (month + 80)")
        elif "E30" not in codes and e["kind"] in ("henvisning", "dialogmelding"):
            fail(f, "no patient id but no E30 expected")
        for orgnr in re.findall(r"<Id>(\d{9})</Id>\s*<(?:TypeId|Type) V=\"ENH\"", text):
            if not make_ids.is_valid_orgnr(orgnr):
                fail(f, f"org.nr {orgnr} has a wrong check digit")
        for family in re.findall(r"<FamilyName>([^<]*)</FamilyName>", text):
            if "Syntetisk" not in family:
                fail(f, f"non-synthetic family name {family!r}")

        # --- repairs prove "otherwise valid"
        if f in REPAIRS:
            fixed = data
            for pattern, repl in REPAIRS[f]:
                fixed, n = re.subn(pattern.encode(), repl.encode(), fixed)
                if n == 0:
                    fail(f, f"repair pattern {pattern!r} did not match")
            with tempfile.NamedTemporaryFile(suffix=".xml", delete=False) as tmp:
                tmp.write(fixed)
            rc_fixed, err_fixed = xmllint(pathlib.Path(tmp.name), schema=True)
            os.unlink(tmp.name)
            if rc_fixed != 0:
                fail(f, "still schema-invalid after repairing its one deviation: "
                        + err_fixed.strip().splitlines()[0])
        elif e["schemaValid"] is False and f.startswith("quirks/"):
            fail(f, "schema-invalid quirk without a REPAIRS entry")

    # --- cross references
    for e in entries:
        f, x = e["file"], e["expect"]
        for key, value in (("refToParent", e["refToParent"]),
                           ("refToConversation", e["refToConversation"]),
                           ("matchesOriginal", x.get("matchesOriginal"))):
            if value and value not in ids_by_msgid and not OUTBOUND.match(value):
                fail(f, f"{key} {value} is neither a corpus MsgId nor emeistring-out-NNNN")
        if x.get("receivedApprec") and not OUTBOUND.match(x["receivedApprec"]["originalMsgId"]):
            fail(f, "an inbound AppRec must refer to one of our outbound MsgIds")
        d = derived_by_file.get(f, {})
        if d.get("servType") in ("M", "C"):
            orig = x.get("matchesOriginal")
            o = derived_by_file.get(ids_by_msgid.get(orig, ""), {})
            if not o:
                fail(f, "ServType M/C without a matchesOriginal in the corpus")
            else:
                for key in ("patient", "requesterHer", "providerHer", "issueDate"):
                    if o.get(key) != d.get(key):
                        fail(f, f"{key} differs from the original referral")
                if o.get("servType") != "N":
                    fail(f, "matchesOriginal is not a new (N) referral")
        elif x.get("matchesOriginal"):
            fail(f, "matchesOriginal set on a file that is not ServType M/C")

    # --- README lists the identities
    readme = (CORPUS / "README.md").read_text(encoding="utf-8") if (CORPUS / "README.md").exists() else ""
    ids = make_ids.identities()
    wanted = [p["id"] for p in ids["patients"].values()] + list(ids["invalidPersonIds"].values())
    wanted += [o[k] for o in ids["organisations"].values() for k in ("herId", "orgnr") if k in o]
    wanted += [ids["practitioners"]["gp"]["herId"], ids["practitioners"]["gp"]["hpr"]]
    for value in wanted:
        if value not in readme:
            fail("README.md", f"identity {value} not listed")

    return report(entries, counts)


def report(entries, counts=None) -> int:
    if counts:
        print(f"checked {len(entries)} files: {counts['schemaValid']} schema-valid, "
              f"{counts['schemaInvalid']} schema-invalid, {counts['noSchema']} without schema "
              f"(Henvisning 1.x); {len(REPAIRS)} repairs verified")
    if failures:
        for line in failures:
            print("FAIL", line)
        print(f"{len(failures)} failure(s)")
        return 1
    print("OK: manifest.json is consistent with the corpus")
    return 0


if __name__ == "__main__":
    sys.exit(main())
