#pragma once
// `emeistring-gateway translate`: what a message would become, without a database of record.
//
//   translate FILE.xml            the FHIR transaction Bundle a KITH message becomes (stdout);
//                                 with --apprec the AppRec it would get follows the Bundle
//   translate --to kith FILE.json the Dialogmelding a Communication becomes (a Communication
//                                 with contained resources, or a Bundle holding it and what it
//                                 references)
//
// Both directions run the server's own code: the inbox against a throw-away store (seeded with
// the code lists only, as a new installation is), and the outbound conversion with its XSD
// check. Uses the ehr.* and terminology.* settings of the configuration.
// Exit codes: 0 accepted / written, 1 config or runtime error, 3 refused (the AppRec would say
// Avvist, or the Communication cannot be sent: the reason on stderr).

#include <cstdio>

#include "gateway/config/cli.h"

namespace gateway::app {

int Translate(const config::CommandLine& command, std::FILE* out, std::FILE* err);

}  // namespace gateway::app
