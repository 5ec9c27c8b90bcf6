#include "fuzz/support/harness.h"

#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "common/log.h"
#include "fhir/json/parser.h"
#include "store/sqlite/sqlite_store.h"

namespace emg_fuzz {
namespace {

std::mutex dirs_mu;
std::vector<std::string>* temp_dirs = nullptr;  // leaked on purpose: read by the atexit hook

void RemoveTempDirs() {
  std::lock_guard lock(dirs_mu);
  if (temp_dirs == nullptr) return;
  for (const std::string& d : *temp_dirs) {
    std::error_code ec;
    std::filesystem::remove_all(d, ec);
  }
}

// Synthetic data only (the fødselsnummer is a test number: month + 80, mod-11 valid).
constexpr std::
    string_view
        kSeed
            [] =
                {
                    R"json({"resourceType":"Organization","id":"org1","identifier":[{"system":"urn:oid:2.16.578.1.12.4.1.2","value":"8142519"},{"system":"urn:oid:2.16.578.1.12.4.1.4.101","value":"996543218"}],"name":"eMeistring DPS (syntetisk)","active":true})json",
                    R"json({"resourceType":"Practitioner","id":"prac1","identifier":[{"system":"urn:oid:2.16.578.1.12.4.1.4.4","value":"9144889"}],"name":[{"family":"Lege","given":["Lise"]}]})json",
                    R"json({"resourceType":"Patient","id":"pat1","identifier":[{"system":"urn:oid:2.16.578.1.12.4.1.4.1","value":"12839140000"}],"active":true,"name":[{"family":"Nordmann","given":["Kari","Åse"]}],"telecom":[{"system":"phone","value":"+4712345678"}],"gender":"female","birthDate":"1991-03-12","address":[{"city":"Bergen","postalCode":"5003"}],"generalPractitioner":[{"reference":"Practitioner/prac1"}],"managingOrganization":{"reference":"Organization/org1"}})json",
                    R"json({"resourceType":"Patient","id":"pat2","name":[{"family":"Hansen","given":["Ola"]}],"gender":"male","birthDate":"1980","link":[{"other":{"reference":"Patient/pat1"},"type":"seealso"}]})json",
                    R"json({"resourceType":"Encounter","id":"enc1","status":"in-progress","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"VR"},"subject":{"reference":"Patient/pat1"},"period":{"start":"2024-01-02T10:00:00+01:00"},"participant":[{"individual":{"reference":"Practitioner/prac1"}}]})json",
                    R"json({"resourceType":"Observation","id":"obs1","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"survey"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"44249-1","display":"PHQ-9 quick depression assessment panel"}],"text":"PHQ-9"},"subject":{"reference":"Patient/pat1"},"encounter":{"reference":"Encounter/enc1"},"effectiveDateTime":"2024-01-02T10:15:00Z","valueQuantity":{"value":14,"unit":"score","system":"http://unitsofmeasure.org","code":"{score}"}})json",
                    R"json({"resourceType":"Condition","id":"cond1","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},"code":{"coding":[{"system":"urn:oid:2.16.578.1.12.4.1.1.7170","code":"P76","display":"Depressiv lidelse"}]},"subject":{"reference":"Patient/pat1"},"recordedDate":"2023-12-20"})json",
                    R"json({"resourceType":"ServiceRequest","id":"sr1","status":"active","intent":"order","subject":{"reference":"Patient/pat1"},"requester":{"reference":"Practitioner/prac1"},"reasonReference":[{"reference":"Condition/cond1"}],"authoredOn":"2023-12-21"})json",
                    R"json({"resourceType":"Task","id":"task1","status":"requested","intent":"order","code":{"coding":[{"system":"http://hl7.org/fhir/CodeSystem/task-code","code":"fulfill"}]},"focus":{"reference":"ServiceRequest/sr1"},"for":{"reference":"Patient/pat1"},"identifier":[{"system":"urn:uuid","value":"3f1c1f6e-8c86-4a43-9a43-5a1f2e0f9a10"}]})json",
                    R"json({"resourceType":"Questionnaire","id":"q1","url":"http://example.org/Questionnaire/phq9","version":"1","status":"active","name":"PHQ9","item":[{"linkId":"1","text":"Lite interesse","type":"choice"}]})json",
                    R"json({"resourceType":"QuestionnaireResponse","id":"qr1","questionnaire":"http://example.org/Questionnaire/phq9|1","status":"completed","subject":{"reference":"Patient/pat1"},"authored":"2024-01-03T09:00:00+01:00","item":[{"linkId":"1","answer":[{"valueInteger":2}]}]})json",
                    R"json({"resourceType":"Communication","id":"com1","status":"completed","subject":{"reference":"Patient/pat1"},"sent":"2024-01-04","payload":[{"contentString":"Synthetic note"}]})json",
};

}  // namespace

void Violated(const char* condition, std::string_view what, const char* file, int line) {
  std::fprintf(stderr, "\nFUZZ PROPERTY VIOLATED at %s:%d: %s\n  %.*s\n", file, line, condition,
               static_cast<int>(what.size()), what.data());
  std::abort();
}

bool Verbose() {
  static const bool verbose = [] {
    const char* v = std::getenv("EMG_FUZZ_VERBOSE");
    return v != nullptr && *v != '\0' && *v != '0';
  }();
  return verbose;
}

void Note(std::string_view what) {
  if (Verbose()) std::fprintf(stderr, "  %.*s\n", static_cast<int>(what.size()), what.data());
}

void QuietLogs() { common::log::SetMinLevel(common::log::Level::kError); }

std::string SourceDir() { return EMG_SOURCE_DIR; }

std::string MakeTempDir(std::string_view name) {
  std::string pattern =
      (std::filesystem::temp_directory_path() / ("emg-fuzz-" + std::string(name) + "-XXXXXX"))
          .string();
  if (::mkdtemp(pattern.data()) == nullptr) return {};
  std::lock_guard lock(dirs_mu);
  if (temp_dirs == nullptr) {
    temp_dirs = new std::vector<std::string>();
    std::atexit(RemoveTempDirs);
  }
  temp_dirs->push_back(pattern);
  return pattern;
}

std::unique_ptr<fhir::store::Store> OpenTempStore(
    std::string_view name, std::vector<fhir::store::UniqueIdentifier> unique_identifiers) {
  std::string dir = MakeTempDir(name);
  if (dir.empty()) {
    std::fprintf(stderr, "fuzz: cannot create a temporary directory\n");
    return nullptr;
  }
  store::sqlite::SqliteStoreOptions o;
  o.path = dir + "/fuzz.db";
  o.durable = false;
  o.read_connections = 2;
  o.unique_identifiers = std::move(unique_identifiers);
  auto opened = store::sqlite::OpenSqliteStore(o);
  if (!opened.has_value()) {
    std::fprintf(stderr, "fuzz: cannot open the store: %s\n", opened.error().message().c_str());
    return nullptr;
  }
  return std::move(*opened);
}

common::Status SeedResources(fhir::store::Store& store) {
  return store.Commit([](fhir::store::WriteContext& ctx) -> common::Status {
    for (std::string_view text : kSeed) {
      auto resource = fhir::json::Parse(text);
      if (!resource.has_value()) return resource.error();
      std::string type(resource->GetString("resourceType"));
      std::string id(resource->GetString("id"));
      auto put = ctx.Put(type, id, *resource, "PUT");
      if (!put.has_value()) return put.error();
    }
    return common::Status::Ok();
  });
}

common::Status RollbackStore::Commit(fhir::store::UnitOfWork work) {
  bool ran = false;
  common::Status result;
  common::Status committed = inner_.Commit([&](fhir::store::WriteContext& ctx) {
    result = work(ctx);
    ran = true;
    // Any error makes the store roll the unit back; this one is never shown.
    return common::Status(common::Code::kInternal, "fuzz: rolled back");
  });
  return ran ? result : committed;
}

std::vector<std::string_view> SplitParts(std::string_view data, std::string_view separator,
                                         size_t max_parts) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max_parts) {
    size_t at = data.find(separator);
    if (at == std::string_view::npos) break;
    parts.push_back(data.substr(0, at));
    data.remove_prefix(at + separator.size());
  }
  parts.push_back(data);
  return parts;
}

}  // namespace emg_fuzz
