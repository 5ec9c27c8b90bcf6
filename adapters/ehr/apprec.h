#pragma once
// AppRec (applikasjonskvittering) 1.0 and 1.1: the receipt owed for every inbound business
// message, and the receipts that partners send for ours. HIS 80415; status kodeverk 8258,
// errors kodeverk 8221.

#include <string>
#include <vector>

#include "adapters/ehr/xml/document.h"
#include "common/status.h"

namespace adapters::ehr {

// An institution and (optionally) its department, as AppRec's Sender/Receiver HCP/Inst.
struct AppRecParty {
  std::string name;
  std::string her_id;
  std::string dept_name;
  std::string dept_her_id;
};

struct AppRecError {
  std::string code;     // kodeverk 8221, e.g. "T02"
  std::string display;  // its text
  std::string detail;   // OT: what failed and where (never the failing data)
};

struct AppRec {
  std::string version = "1.1";  // "1.0" or "1.1"
  std::string id;               // this receipt's own id
  std::string gen_date;         // xs:dateTime
  AppRecParty sender;           // who sends the receipt
  AppRecParty receiver;         // the sender of the original message
  std::string status;           // kodeverk 8258: "1" OK, "2" Avvist, "3" OK, feil i delmelding
  std::string status_display;
  std::vector<AppRecError> errors;
  std::string original_type;  // kodeverk 8279 code of the original (e.g. "HENVISNING")
  std::string original_type_display;
  std::string original_issue_date;  // the original's GenDate
  std::string original_id;          // the original's MsgId
};

// The receipt as XML (UTF-8), in the namespace and MIGversion of `apprec.version`.
std::string WriteAppRec(const AppRec& apprec);

// Reads a received AppRec (either version; the caller validated it against the schema).
common::StatusOr<AppRec> ReadAppRec(const xml::Document& doc);

}  // namespace adapters::ehr
