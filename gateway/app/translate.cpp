#include "gateway/app/translate.h"

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "adapters/api/transaction_recorder.h"
#include "adapters/ehr/inbox.h"
#include "adapters/ehr/to_kith.h"
#include "adapters/ehr/xml/schema_set.h"
#include "common/file.h"
#include "common/log.h"
#include "fhir/json/parser.h"
#include "fhir/json/writer.h"
#include "fhir/terminology/terminology.h"
#include "gateway/app/composition.h"
#include "gateway/app/in_process_fhir_port.h"
#include "gateway/config/config.h"
#include "gateway/rest/fhir_api.h"
#include "store/sqlite/sqlite_store.h"

namespace gateway::app {
namespace {

namespace cfg = config;
using fhir::json::Value;

// A directory removed with everything in it when this goes out of scope.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "emg-translate-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

int Fail(std::FILE* err, const std::string& message) {
  std::fprintf(err, "translate: %s\n", message.c_str());
  return cfg::kExitFailure;
}

int ToFhir(const cfg::Config& config, const std::string& bytes, bool with_apprec,
           const adapters::ehr::xml::SchemaSet& schemas,
           const std::shared_ptr<const fhir::terminology::Terminology>& terminology, std::FILE* out,
           std::FILE* err) {
  TempDir dir;
  if (dir.path().empty()) return Fail(err, "cannot create a temporary directory");
  store::sqlite::SqliteStoreOptions store_options;
  store_options.path = dir.path() + "/translate.db";
  store_options.durable = false;
  store_options.read_connections = 1;
  store_options.unique_identifiers = UniqueIdentifierRules(config);
  auto opened = store::sqlite::OpenSqliteStore(store_options);
  if (!opened.has_value())
    return Fail(err, "cannot open a temporary store: " + opened.error().message());
  std::unique_ptr<fhir::store::Store> store = std::move(*opened);
  if (common::Status s = SeedTerminology(*store, config, *terminology); !s.ok()) {
    store->Close();
    return Fail(err, "cannot seed the code lists: " + s.message());
  }
  // The message's own transaction: room for the original bytes (base64) and their content, as
  // in serve (ToEhrFhirOptions), and for this file when it is larger than the message limit
  // (so that its refusal is shown whole); the inbox knows the same allowance.
  FhirApiOptions api_options = ToEhrFhirOptions(config);
  api_options.max_body_bytes =
      std::max(api_options.max_body_bytes, adapters::ehr::TransactionAllowance(bytes.size()));
  FhirApi api(*store, api_options);
  InProcessFhirPort port(api, "system:ehr-translate");
  adapters::TransactionRecorder recorder(port);
  adapters::ehr::EhrSettings settings = ToEhrSettings(config.ehr);
  settings.max_transaction_bytes = api_options.max_body_bytes;
  adapters::ehr::Inbox inbox(settings, schemas, terminology, recorder);
  adapters::ehr::InboundResult result = inbox.Receive(bytes);
  store->Close();

  std::vector<std::string> transactions = recorder.transactions();
  std::string transaction = transactions.empty() ? std::string() : transactions.back();
  if (!transaction.empty()) {
    auto bundle = fhir::json::Parse(transaction);
    std::fputs(bundle ? fhir::json::WritePretty(*bundle).c_str() : transaction.c_str(), out);
    std::fputc('\n', out);
  }
  if (with_apprec && result.content_type.find("xml") != std::string::npos) {
    if (!transaction.empty()) std::fputc('\n', out);
    std::fputs(result.body.c_str(), out);
    if (!result.body.ends_with('\n')) std::fputc('\n', out);
  }
  if (result.apprec_status == "2") {
    std::fprintf(err, "translate: refused: the AppRec says Avvist (status 2)%s\n",
                 with_apprec ? "" : "; --apprec shows it");
    return cfg::kExitRejected;
  }
  if (result.apprec_status == "3") {
    std::fprintf(err, "translate: accepted with errors in a part (AppRec status 3)%s\n",
                 with_apprec ? "" : "; --apprec shows them");
    return cfg::kExitOk;
  }
  if (result.apprec_status.empty() && result.http_status != 200) {
    std::fprintf(err, "translate: not processed (HTTP %d): %s\n", result.http_status,
                 result.body.c_str());
    return result.http_status >= 500 ? cfg::kExitFailure : cfg::kExitRejected;
  }
  if (transaction.empty()) std::fputs("translate: the message writes nothing to FHIR\n", err);
  return cfg::kExitOk;
}

int ToKith(const cfg::Config& config, const std::string& bytes,
           const adapters::ehr::xml::SchemaSet& schemas,
           const fhir::terminology::Terminology& terminology, std::FILE* out, std::FILE* err) {
  auto parsed = fhir::json::Parse(bytes);
  if (!parsed || !parsed->is_object()) {
    std::fputs("translate: refused: the file is not a JSON resource\n", err);
    return cfg::kExitRejected;
  }
  const Value* communication =
      parsed->GetString("resourceType") == "Communication" ? &*parsed : nullptr;
  const Value* bundle = nullptr;
  if (parsed->GetString("resourceType") == "Bundle") {
    bundle = &*parsed;
    if (const Value* entries = parsed->Find("entry")) {
      for (const Value& e : entries->items()) {
        const Value* r = e.Find("resource");
        if (r != nullptr && r->GetString("resourceType") == "Communication") {
          communication = r;
          break;
        }
      }
    }
  }
  if (communication == nullptr) {
    std::fputs(
        "translate: refused: no Communication (the file must be one, or a Bundle holding one)\n",
        err);
    return cfg::kExitRejected;
  }
  auto message = adapters::ehr::CommunicationToKith(
      *communication, adapters::ehr::LocalResolver(*communication, bundle), terminology,
      ToEhrSettings(config.ehr), schemas);
  if (!message) {
    std::fprintf(err, "translate: refused: %s\n", message.error().message().c_str());
    return message.error().code() == common::Code::kInvalidArgument ? cfg::kExitRejected
                                                                    : cfg::kExitFailure;
  }
  std::fputs(message->xml.c_str(), out);
  if (!message->xml.ends_with('\n')) std::fputc('\n', out);
  return cfg::kExitOk;
}

}  // namespace

int Translate(const cfg::CommandLine& command, std::FILE* out, std::FILE* err) {
  // Only problems reach stderr: the output is for reading.
  common::log::SetMinLevel(common::log::Level::kWarn);
  auto loaded = cfg::Load(command.overrides, [](const char* name) { return std::getenv(name); });
  if (!loaded.has_value()) return Fail(err, "config error: " + loaded.error().message());
  const cfg::Config& config = *loaded;
  if (!config.ehr.enabled()) {
    return Fail(err,
                "EHR messaging is not configured (ehr.her_id is empty); pass a --config "
                "with the ehr section, e.g. config/demo.json");
  }
  common::StatusOr<std::string> read = common::ReadFile(command.input);
  if (!read) return Fail(err, "cannot read " + command.input);
  const std::string& bytes = *read;
  auto terminology = fhir::terminology::Terminology::LoadDirectory(config.terminology.dir);
  if (!terminology.has_value()) return Fail(err, "terminology: " + terminology.error().message());
  adapters::ehr::xml::Initialize();
  auto schemas = adapters::ehr::xml::SchemaSet::Load(config.ehr.schema_dir, "kith-all.xsd");
  if (!schemas.has_value()) return Fail(err, "schemas: " + schemas.error().message());
  std::shared_ptr<const fhir::terminology::Terminology> terms = std::move(*terminology);
  if (command.to_kith) return ToKith(config, bytes, **schemas, *terms, out, err);
  return ToFhir(config, bytes, command.with_apprec, **schemas, terms, out, err);
}

}  // namespace gateway::app
