#pragma once
// Henvisning (referral) 1.0 and 1.1 (stand-alone KITH Message/ServReq) and 2.0 (inside
// MsgHead), read into one shape. No Henvisning XSD exists, so the structure is checked here
// against docs/kith-messaging.md § Henvisning structure (the corpus README records the details
// we had to choose): elements are read by name, dates from @V or text, and the required parts
// are checked.

#include <libxml/tree.h>

#include <string>
#include <vector>

#include "adapters/ehr/envelope.h"
#include "adapters/ehr/parties.h"

namespace adapters::ehr {

struct ReasonSection {
  KithCode heading;   // kodeverk 8231
  std::string text;   // plain text (markup removed)
  std::string xhtml;  // the original markup when the section is XHTML, else empty
};

// A diagnosis given as InfItem (8233 H main, B secondary) with Observation/CodedDescr: how
// some EPJ systems send Henvisning 1.1 diagnoses instead of Diagnosis.
struct InfItemDiagnosis {
  KithCode type;      // 8233: H or B
  KithCode code;      // CodedDescr (or its Concept): V, S (ICPC-2 / ICD-10), DN
  std::string text;   // Observation/Description, when there is no code (or as well)
  std::string start;  // InfItem/StartDateTime
};

struct MessageAttachment {
  std::string id;
  std::string mime_type;
  std::string description;
  std::string issue_date;
  std::string base64;  // as in the Base64Container (may be invalid: checked by the importer)
  std::string path;    // where in the message (for an AppRec error's OT)
  // A part kept whole instead of decoded (a foreign-document, quirks.h): its bytes, when
  // `decoded` is set (then `base64` is empty).
  std::string data;
  bool decoded = false;
};

struct Referral {
  std::string version;  // "1.0", "1.1", "2.0"
  KithCode msg_type;    // Message/Type or MsgInfo/Type (kodeverk 8279)
  std::string msg_id;
  std::string gen_date;
  std::string issue_date;
  KithCode msg_descr;     // 8455 (1.1) / 8263 (1.0)
  KithCode content_type;  // 2.0: TypeInnholdIMelding/TypeInnhold (9146)
  KithCode serv_type;     // 7309: N, M, C, A, H (2.0 has none: "N")
  KithCode ack;
  KithCode priority;  // 8304
  KithCode purpose;   // 8248
  KithCode adm_cat;   // 8240
  std::string req_comment;
  std::string reqserv_comment;
  Organisation requester;         // the referring institution (its professional inside)
  Organisation service_provider;  // the receiver
  Person patient;
  bool has_patient = false;
  std::vector<KithCode> diagnoses;
  std::vector<InfItemDiagnosis> infitem_diagnoses;  // InfItem H (main) first, then B
  std::vector<ReasonSection> reasons;
  std::vector<MessageAttachment> attachments;
  // Structural problems (T02), each naming the element path; empty when the structure holds.
  std::vector<std::string> problems;
};

// An attachment Document of a MsgHead (RefDoc/MsgType A) as a MessageAttachment.
MessageAttachment AttachmentOf(const MsgHeadDocument& d);

// Takes the Documents `e.foreign` names (a namespace without a schema here, quirks.h
// foreign-document) out of the tree: each XML element in their RefDoc/Content becomes an
// attachment of its own, kept whole as a stand-alone XML document, and the Document is
// removed, so that validation and reading are about what the gateway reads. One
// foreign-document Deviation per Document. `e` must be re-detected afterwards (its pointers to
// those Documents are gone).
std::vector<MessageAttachment> TakeForeignDocuments(const Envelope& e,
                                                    std::vector<Deviation>* deviations);

// Reads a Henvisning of any version from `e` (kind kHenvisning).
Referral ReadReferral(const Envelope& e);

// "Family, Given" (Henvisning 1.x Patient/Name) into family and given; a name without a comma
// stays whole in `full_name` only.
void SplitKithName(const std::string& name, Person& person);

}  // namespace adapters::ehr
