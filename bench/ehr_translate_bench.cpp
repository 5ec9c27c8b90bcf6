// EHR translation throughput: KITH messages translated per second against libxml2 parsing the
// same bytes (and nothing else), measured in the same run, round by round, so the ratio holds
// whatever else the machine is doing. Not a test: nothing here asserts a timing.
//
//   ehr_translate_bench SOURCE_DIR [--seconds S] [--rounds N] [--profile K]
//
// --profile K translates only message K (0-3), N (--rounds) times, for a profiler; with
// --store, into the store (each with a fresh MsgId).
//
// Messages: a realistic referral (Henvisning 1.1 with diagnoses, reasons as text and a
// medication list), the same referral in MsgHead (Henvisning 2.0), a Dialogmelding 1.1 with a
// small PDF attachment (the corpus file) and the same Dialogmelding with a 256 KiB attachment
// (what a scanned report weighs).
//
// Per message and round, one after the other for the same time each:
//   parse-only   xmlReadMemory of the bytes + xmlFreeDoc (the flags our parser uses)
//   translate    Inbox::Receive, the gateway's own code path: safe parse, envelope, quirk
//                repair, XSD validation, reading, mapping to the FHIR transaction Bundle,
//                the record of the original (base64, SHA-1, SHA-256), the AppRec and its
//                outbox entry, the Bundle serialised to JSON; against a FHIR port that finds
//                nothing and accepts every transaction, so no store time is counted
//   + store      the same against the real FHIR REST layer and SQLite store (not durable: no
//                fsync), each message with a fresh MsgId so none is a duplicate
// Printed: the median over rounds of messages per second, and translate / parse-only.

#include <libxml/parser.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/ehr/fhir_systems.h"
#include "adapters/ehr/inbox.h"
#include "common/base64.h"
#include "common/file.h"
#include "common/log.h"
#include "common/uuid.h"
#include "fhir/json/writer.h"
#include "fhir/terminology/terminology.h"
#include "gateway/app/in_process_fhir_port.h"
#include "gateway/rest/fhir_api.h"
#include "store/sqlite/sqlite_store.h"

namespace {

using Clock = std::chrono::steady_clock;

std::string ReadFile(const std::string& path) { return common::ReadFile(path).value_or(""); }

// Finds nothing and accepts every transaction: the inbox's translation without a store.
class NoStorePort final : public adapters::FhirPort {
 public:
  adapters::FhirResponse Call(std::string_view method, std::string_view path_and_query,
                              std::string_view,
                              const std::vector<std::pair<std::string, std::string>>&) override {
    adapters::FhirResponse r;
    r.status = 200;
    if (method == "GET") {
      r.body = R"({"resourceType":"Bundle","type":"searchset","entry":[]})";
    } else if (method == "POST" && path_and_query.empty()) {
      r.body = R"({"resourceType":"Bundle","type":"transaction-response"})";
    }
    return r;
  }
};

adapters::ehr::EhrSettings Settings() {
  adapters::ehr::EhrSettings s;
  s.self = {"eMeistring DPS (syntetisk)", "8142519", "eMeistring internettbehandling", "8142520"};
  s.accepted_her_ids = {"8142519", "8142520"};
  return s;
}

// The Dialogmelding with its attachment replaced by `size` pseudo-random bytes (schema-valid:
// Base64Container holds any base64Binary).
std::string WithLargeAttachment(const std::string& message, size_t size) {
  const std::string open = "Base64Container";
  size_t tag = message.find(open);
  if (tag == std::string::npos) return {};
  size_t start = message.find('>', tag) + 1;
  size_t end = message.find('<', start);
  std::mt19937 rng(42);
  std::string payload(size, '\0');
  for (char& c : payload) c = static_cast<char>(rng() & 0xff);
  std::string encoded = common::Base64Encode(payload);
  std::string out = message.substr(0, start) + encoded + message.substr(end);
  return out;
}

// Replaces every occurrence of `current` (the message's MsgId) with a fresh UUID of the same
// length, in place; `current` becomes the new one.
void FreshMsgId(std::string& bytes, std::string& current) {
  std::string fresh = common::NewUuid();
  for (size_t at = bytes.find(current); at != std::string::npos;
       at = bytes.find(current, at + fresh.size())) {
    bytes.replace(at, current.size(), fresh);
  }
  current = std::move(fresh);
}

// Runs `op` repeatedly for `seconds`; returns operations per second.
double Rate(double seconds, const std::function<bool()>& op) {
  auto start = Clock::now();
  auto end = start + std::chrono::duration<double>(seconds);
  long n = 0;
  for (;;) {
    if (!op()) {
      std::fprintf(stderr, "an operation failed\n");
      std::exit(1);
    }
    ++n;
    if ((n & 7) == 0 && Clock::now() >= end) break;
  }
  return static_cast<double>(n) / std::chrono::duration<double>(Clock::now() - start).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t m = v.size() / 2;
  return v.size() % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
}

struct Message {
  std::string name;
  std::string bytes;
  std::string msg_id;  // replaced per message in the store row
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s SOURCE_DIR [--seconds S] [--rounds N]\n", argv[0]);
    return 2;
  }
  const std::string root = argv[1];
  double seconds = 1.0;
  int rounds = 5;
  int profile = -1;
  bool profile_store = false;
  for (int i = 2; i < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--store") {
      profile_store = true;
      --i;
      continue;
    }
    if (i + 1 >= argc) break;
    if (flag == "--seconds") seconds = std::stod(argv[i + 1]);
    if (flag == "--rounds") rounds = std::stoi(argv[i + 1]);
    if (flag == "--profile") profile = std::stoi(argv[i + 1]);
  }
  common::log::SetMinLevel(common::log::Level::kError);
  adapters::ehr::xml::Initialize();
  auto schemas =
      adapters::ehr::xml::SchemaSet::Load(root + "/adapters/ehr/schemas/kith", "kith-all.xsd");
  auto terms = fhir::terminology::Terminology::LoadDirectory(root + "/mappings/terminology");
  if (!schemas || !terms) {
    std::fprintf(stderr, "cannot load the schemas or the code lists under %s\n", root.c_str());
    return 1;
  }
  const std::shared_ptr<const fhir::terminology::Terminology>& terminology = *terms;

  const std::string corpus = root + "/tests/testdata/ehr";
  std::string dialog = ReadFile(corpus + "/dialogmelding-1.1/valid-helsefaglig-vedlegg-pdf.xml");
  std::vector<Message> messages = {
      {"referral (Henvisning 1.1)", ReadFile(corpus + "/henvisning-1.1/valid-depression-p76.xml"),
       "630b687c-b6d8-52b1-b965-521051053457"},
      {"referral (Henvisning 2.0)", ReadFile(corpus + "/henvisning-2.0/valid-depression-p76.xml"),
       "23f9400d-c946-55ca-9c60-7ae445d19495"},
      {"Dialogmelding 1.1 + small PDF", dialog, "3416e2c4-1562-5c00-87ea-5c2a90f8c73a"},
      {"Dialogmelding 1.1 + 256 KiB", WithLargeAttachment(dialog, 256 * 1024),
       "3416e2c4-1562-5c00-87ea-5c2a90f8c73a"},
  };

  NoStorePort no_store;
  adapters::ehr::Inbox translator(Settings(), **schemas, terminology, no_store);

  // The real store, not durable, in a temporary directory.
  auto dir =
      std::filesystem::temp_directory_path() / ("emg-ehr-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  struct RemoveOnExit {  // every return below leaves no directory behind
    std::filesystem::path path;
    ~RemoveOnExit() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  } remove_on_exit{dir};
  store::sqlite::SqliteStoreOptions so;
  so.path = (dir / "bench.db").string();
  so.durable = false;
  so.unique_identifiers = adapters::ehr::RequiredUniqueIdentifiers();
  so.unique_identifiers.push_back({"Patient", "urn:oid:2.16.578.1.12.4.1.4.1"});
  auto opened = store::sqlite::OpenSqliteStore(so);
  if (!opened) {
    std::fprintf(stderr, "store: %s\n", opened.error().message().c_str());
    return 1;
  }
  std::unique_ptr<fhir::store::Store> store = std::move(*opened);
  gateway::FhirApiOptions ao;
  ao.max_body_bytes = 64 << 20;
  ao.max_bundle_entries = 10000;
  gateway::FhirApi api(*store, ao);
  if (!api.SeedFromBundle(fhir::json::Write(terminology->SeedBundle())).ok()) return 1;
  gateway::app::InProcessFhirPort port(api, "system:ehr-bench");
  adapters::ehr::Inbox inbox(Settings(), **schemas, terminology, port);

  if (profile >= 0 && profile < static_cast<int>(messages.size())) {
    const Message& m = messages[static_cast<size_t>(profile)];
    std::string bytes = m.bytes;
    std::string current = m.msg_id;
    for (int i = 0; i < rounds; ++i) {
      if (profile_store) FreshMsgId(bytes, current);
      if ((profile_store ? inbox : translator).Receive(bytes).apprec_status != "1") return 1;
    }
    std::printf("%s: translated %d times\n", m.name.c_str(), rounds);
    return 0;
  }

  // Every message must translate (status 1) before it is timed.
  for (const Message& m : messages) {
    auto r = translator.Receive(m.bytes);
    if (r.apprec_status != "1") {
      std::fprintf(stderr, "%s does not translate: AppRec status '%s'\n", m.name.c_str(),
                   r.apprec_status.c_str());
      return 1;
    }
  }

  std::printf("%-30s %9s %12s %12s %7s %12s %7s\n", "message", "bytes", "parse_only/s",
              "translate/s", "ratio", "+store/s", "ratio");
  for (Message& m : messages) {
    std::vector<double> parse, translate, stored;
    for (int round = 0; round < rounds; ++round) {
      parse.push_back(Rate(seconds, [&] {
        xmlDocPtr doc = xmlReadMemory(
            m.bytes.data(), static_cast<int>(m.bytes.size()), nullptr, nullptr,
            XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOWARNING | XML_PARSE_NOERROR);
        bool ok = doc != nullptr;
        xmlFreeDoc(doc);
        return ok;
      }));
      translate.push_back(
          Rate(seconds, [&] { return translator.Receive(m.bytes).apprec_status == "1"; }));
      if (!m.msg_id.empty()) {
        // Each message gets a fresh MsgId so the store imports it (not a duplicate).
        std::string bytes = m.bytes;
        std::string current = m.msg_id;
        stored.push_back(Rate(seconds, [&] {
          FreshMsgId(bytes, current);
          return inbox.Receive(bytes).apprec_status == "1";
        }));
      }
    }
    double p = Median(parse), t = Median(translate);
    std::printf("%-30s %9zu %12.0f %12.0f %7.2f", m.name.c_str(), m.bytes.size(), p, t, t / p);
    if (!stored.empty()) {
      double s = Median(stored);
      std::printf(" %12.0f %7.2f\n", s, s / p);
    } else {
      std::printf(" %12s %7s\n", "-", "-");
    }
    std::fflush(stdout);
  }
  std::printf(
      "median of %d rounds of %.1f s per column; ratio = translate / parse-only of the same "
      "bytes\n",
      rounds, seconds);
  return 0;
}
