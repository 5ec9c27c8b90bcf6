// Fuzz target: a KITH message as the message service posts it (POST /ehr/messages), through
// the whole inbox (adapters/ehr/inbox.h): the safe XML parse, the envelope (MsgHead), the
// quirk repairs, the XSDs and the Henvisning structure, idempotency, the receiver and patient
// checks, the mapping to FHIR and the one transaction through the in-process FhirPort and the
// REST layer, on a real SQLite store seeded with the code lists, whose writes are rolled back
// (a throw-away store that every input meets in the same state).
// Properties: a problem with a message is never answered 5xx (the message service would retry
// it forever); a business message gets an AppRec with a known status, which is itself valid
// against the AppRec schema and stored with the message.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "adapters/ehr/inbox.h"
#include "adapters/ehr/xml/document.h"
#include "adapters/ehr/xml/schema_set.h"
#include "fhir/json/writer.h"
#include "fhir/terminology/terminology.h"
#include "fuzz/support/harness.h"
#include "gateway/app/in_process_fhir_port.h"
#include "gateway/rest/fhir_api.h"

namespace {

constexpr size_t kMaxMessageBytes = 1 << 20;

struct World {
  std::unique_ptr<adapters::ehr::xml::SchemaSet> schemas;
  std::unique_ptr<fhir::store::Store> store;
  std::unique_ptr<emg_fuzz::RollbackStore> rollback;
  std::unique_ptr<gateway::FhirApi> api;
  std::unique_ptr<gateway::app::InProcessFhirPort> port;
  std::unique_ptr<adapters::ehr::Inbox> inbox;
};
World* world = nullptr;

// The synthetic clinic of the test corpus (tests/testdata/ehr/README.md).
adapters::ehr::EhrSettings Settings() {
  adapters::ehr::EhrSettings s;
  s.self = {"eMeistring DPS (syntetisk)", "8142519", "eMeistring internettbehandling", "8142520"};
  s.accepted_her_ids = {"8142519", "8142520"};
  s.apprec_version_by_partner = {{"7654321", "1.0"}};
  s.max_message_bytes = kMaxMessageBytes;
  return s;
}

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "fuzz: %s\n", what.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  emg_fuzz::QuietLogs();
  adapters::ehr::xml::Initialize();
  world = new World();
  const std::string root = emg_fuzz::SourceDir();
  auto schemas =
      adapters::ehr::xml::SchemaSet::Load(root + "/adapters/ehr/schemas/kith", "kith-all.xsd");
  if (!schemas.has_value()) Fail("schemas: " + schemas.error().message());
  world->schemas = std::move(*schemas);
  auto terms = fhir::terminology::Terminology::LoadDirectory(root + "/mappings/terminology");
  if (!terms.has_value()) Fail("terminology: " + terms.error().message());

  world->store = emg_fuzz::OpenTempStore("ehr", adapters::ehr::RequiredUniqueIdentifiers());
  if (!world->store) std::abort();
  gateway::FhirApiOptions options;
  options.base_url = "http://fhir.fuzz.example";
  options.max_body_bytes = 64 << 20;
  options.max_bundle_entries = 10000;
  {
    gateway::FhirApi seeder(*world->store, options);  // the seed is committed for real
    common::Status seeded = seeder.SeedFromBundle(fhir::json::Write((*terms)->SeedBundle()));
    if (!seeded.ok()) Fail("seed: " + seeded.message());
  }
  world->rollback = std::make_unique<emg_fuzz::RollbackStore>(*world->store);
  options.max_body_bytes = kMaxMessageBytes * 2 + (1 << 20);  // as the gateway sizes it
  world->api = std::make_unique<gateway::FhirApi>(*world->rollback, options);
  world->port = std::make_unique<gateway::app::InProcessFhirPort>(*world->api, "system:ehr-fuzz");
  world->inbox =
      std::make_unique<adapters::ehr::Inbox>(Settings(), *world->schemas, *terms, *world->port);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view data(reinterpret_cast<const char*>(bytes), size);
  adapters::ehr::InboundResult r = world->inbox->Receive(data);
  emg_fuzz::Note("HTTP " + std::to_string(r.http_status) + ", AppRec status '" + r.apprec_status +
                 "', record " + r.record + (r.duplicate ? " (duplicate)" : ""));

  EMG_FUZZ_CHECK(r.http_status < 500, "a message answered " + std::to_string(r.http_status) + ": " +
                                          r.body.substr(0, 300));
  const std::string& status = r.apprec_status;
  EMG_FUZZ_CHECK(status.empty() || status == "1" || status == "2" || status == "3",
                 "an AppRec status outside kodeverk 8258: " + status);
  if (status.empty()) return 0;  // an AppRec received, or refused before any receipt
  if (emg_fuzz::Verbose()) emg_fuzz::Note("AppRec:\n" + r.body);

  EMG_FUZZ_CHECK(r.content_type.find("xml") != std::string::npos, "an AppRec that is not XML");
  EMG_FUZZ_CHECK(!r.record.empty(), "a receipted message that was not stored");
  adapters::ehr::xml::ParseError error;
  auto apprec = adapters::ehr::xml::Document::Parse(r.body, kMaxMessageBytes, &error);
  EMG_FUZZ_CHECK(apprec.has_value(), "our AppRec is not well-formed: " + error.message);
  auto violations = world->schemas->Validate(*apprec);
  EMG_FUZZ_CHECK(
      violations.empty(),
      "our AppRec is not schema-valid: " +
          (violations.empty() ? std::string() : violations[0].path + " " + violations[0].message));
  return 0;
}
