#pragma once
// MsgHead 1.2 (Hodemelding): the envelope of Dialogmelding and Henvisning 2.0.

#include <libxml/tree.h>

#include <optional>
#include <string>
#include <vector>

#include "adapters/ehr/parties.h"

namespace adapters::ehr {

// One Document of a MsgHead: the business document (RefDoc/MsgType "XML") or an attachment
// ("A", a Base64Container) or a reference ("REF").
struct MsgHeadDocument {
  KithCode msg_type;  // kodeverk 8114
  std::string id;
  std::string issue_date;
  std::string mime_type;
  std::string description;
  KithCode compression;
  const xmlNode* content = nullptr;  // the first element inside RefDoc/Content, if any
  std::string file_reference;
  const xmlNode* node = nullptr;  // the Document element
};

struct MsgHeadInfo {
  KithCode type;  // MsgInfo/Type, kodeverk 8279
  std::string mig_version;
  std::string gen_date;
  std::string msg_id;
  KithCode processing_status;  // 8113
  KithCode ack;                // J/N
  std::string ref_to_parent;
  std::string ref_to_conversation;
  Organisation sender;
  Organisation receiver;
  std::optional<Person> patient;
  std::vector<MsgHeadDocument> documents;
};

// Reads a MsgHead root element (namespace ns::kMsgHead; the caller checked it).
MsgHeadInfo ReadMsgHead(const xmlNode* root);

// Readers of the shared MsgHead types, also used for the same shapes in Dialogmelding's
// felleskomponent1 (`ns` names the namespace they are in).
KithCode ReadCode(const xmlNode* n);
Person ReadPerson(const xmlNode* n, std::string_view ns);
Professional ReadHealthcareProfessional(const xmlNode* n, std::string_view ns);
Organisation ReadOrganisation(const xmlNode* n, std::string_view ns);

}  // namespace adapters::ehr
