#pragma once
// Dialogmelding 1.0 and 1.1 (inside MsgHead): notes (Notat) and questions (Foresporsel)
// between health personnel, threaded by MsgHead ConversationRef.

#include <string>
#include <vector>

#include "adapters/ehr/envelope.h"
#include "adapters/ehr/henvisning.h"
#include "adapters/ehr/parties.h"

namespace adapters::ehr {

struct DialogPart {
  bool question = false;              // Foresporsel (true) or Notat (false)
  KithCode topic;                     // TemaKodet of a Notat / TypeForesp of a Foresporsel
  std::string subject;                // Tema / EmneSporsmal
  std::string text;                   // TekstNotatInnhold / Sporsmal, markup removed
  std::string xhtml;                  // the markup, when the text is XHTML
  std::string doc_id;                 // DokIdNotat / DokIdForesp
  std::string date;                   // DatoNotat
  KithCode urgency;                   // Foresporsel Hastegrad (9067)
  std::vector<Professional> authors;  // RollerRelatertNotat/HealthcareProfessional
  // For a Notat that answers a question: the question it quotes (Notat/Foresporsel).
  std::string answered_question;
};

struct Dialog {
  std::string version;  // "1.0", "1.1"
  MsgHeadInfo head;
  std::vector<DialogPart> parts;
  std::vector<MessageAttachment> attachments;
};

Dialog ReadDialog(const Envelope& e);

}  // namespace adapters::ehr
