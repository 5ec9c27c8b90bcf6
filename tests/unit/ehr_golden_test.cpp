// Golden FHIR outputs: every message of the EHR corpus (tests/testdata/ehr) through the real
// inbox, schemas, code lists, FHIR REST layer and SQLite store, and the transaction Bundle it
// commits compared, whole, with tests/testdata/ehr/golden/<same path>.json. A change in any
// mapping shows up here as a reviewable diff of what integration teams will receive.
//
// Each message gets a fresh store holding what it refers to (the referral a change,
// cancellation or dialogue message concerns; for a receipt, our message in the outbox), so
// the golden shows it in its real context.
// What differs between runs is normalised, and only that:
//   - UUIDs the gateway made (absent from the messages) become uuid-1, uuid-2, ... in order of
//     first appearance, so references between entries stay visible;
//   - instants written during the run become "<now>";
//   - base64 data is decoded: our own XML (the AppRec) is shown as normalised text, anything
//     else (the original message, attachments) as its size and SHA-256.
//
// EMG_UPDATE_GOLDEN=1 rewrites the files instead of comparing (then review `git diff`).

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "adapters/api/transaction_recorder.h"
#include "adapters/ehr/bundle_builder.h"
#include "adapters/ehr/fhir_systems.h"
#include "adapters/ehr/inbox.h"
#include "adapters/ehr/to_fhir.h"
#include "common/base64.h"
#include "common/digest.h"
#include "common/time.h"
#include "fhir/json/parser.h"
#include "fhir/json/writer.h"
#include "tests/unit/ehr_test_support.h"

namespace adapters::ehr {
namespace {

using fhir::json::Value;

const std::string kGolden = kCorpus + "/golden";

std::string Str(const rapidjson::Value& v, const char* key) {
  auto it = v.FindMember(key);
  return it == v.MemberEnd() || !it->value.IsString() ? std::string() : it->value.GetString();
}

struct CorpusFile {
  std::string file;
  std::vector<std::string> context;  // received first, in this order
  std::string answers;               // a receipt: the MsgId of our message it answers
};

// The corpus files with the referral each one refers to (by MsgId) received before it, and
// for a receipt the outbox entry of the message it answers.
std::vector<CorpusFile> CorpusFiles() {
  rapidjson::Document manifest;
  manifest.Parse(ReadFile(kCorpus + "/manifest.json").c_str());
  if (manifest.HasParseError() || !manifest.HasMember("files")) return {};
  std::map<std::string, std::string> referral_by_msg_id;
  for (const auto& f : manifest["files"].GetArray()) {
    if (Str(f, "kind") == "henvisning" && Str(f, "file").rfind("henvisning-", 0) == 0 &&
        !f["expect"].HasMember("matchesOriginal")) {
      referral_by_msg_id.emplace(Str(f, "msgId"), Str(f, "file"));  // the first file with it
    }
  }
  std::vector<CorpusFile> out;
  for (const auto& f : manifest["files"].GetArray()) {
    CorpusFile c{Str(f, "file"), {}, {}};
    if (f["expect"].HasMember("receivedApprec"))
      c.answers = Str(f["expect"]["receivedApprec"], "originalMsgId");
    std::string refers_to = f["expect"].HasMember("matchesOriginal")
                                ? Str(f["expect"], "matchesOriginal")
                                : Str(f, "refToConversation");
    if (auto it = referral_by_msg_id.find(refers_to);
        it != referral_by_msg_id.end() && it->second != c.file) {
      c.context.push_back(it->second);
    }
    out.push_back(std::move(c));
  }
  return out;
}

const std::regex& UuidPattern() {
  static const std::regex re("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  return re;
}
const std::regex& InstantPattern() {
  static const std::regex re(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)");
  return re;
}

class Normaliser {
 public:
  // `input`: the messages received (their UUIDs are kept); [from, to]: the run's instants.
  Normaliser(const std::string& input, std::string from, std::string to)
      : from_(std::move(from)), to_(std::move(to)) {
    for (std::sregex_iterator it(input.begin(), input.end(), UuidPattern()), end; it != end; ++it) {
      kept_.insert(it->str());
    }
  }

  std::string Text(const std::string& s) {
    std::string out = Replace(s, UuidPattern(), [this](const std::string& u) {
      if (kept_.contains(u)) return u;
      auto [it, added] = labels_.emplace(u, "uuid-" + std::to_string(labels_.size() + 1));
      return it->second;
    });
    return Replace(out, InstantPattern(), [this](const std::string& t) {
      // Fixed-width UTC instants of the same precision compare as text; widen to seconds.
      std::string seconds = t.substr(0, 19);
      return seconds >= from_.substr(0, 19) && seconds <= to_.substr(0, 19) ? std::string("<now>")
                                                                            : t;
    });
  }

  void Tree(Value& v) {
    if (v.is_string()) {
      v.text() = Text(v.text());
    } else if (v.is_array()) {
      for (Value& item : v.items()) Tree(item);
    } else if (v.is_object()) {
      for (auto& [key, value] : v.members()) {
        if (key == "data" && value.is_string()) {
          value.text() = Data(value.text());
        } else {
          Tree(value);
        }
      }
    }
  }

 private:
  template <typename F>
  static std::string Replace(const std::string& s, const std::regex& re, F f) {
    std::string out;
    size_t last = 0;
    for (std::sregex_iterator it(s.begin(), s.end(), re), end; it != end; ++it) {
      out.append(s, last, static_cast<size_t>(it->position()) - last);
      out += f(it->str());
      last = static_cast<size_t>(it->position() + it->length());
    }
    out.append(s, last, std::string::npos);
    return out;
  }

  std::string Data(const std::string& base64) {
    auto bytes = common::Base64Decode(base64);
    if (!bytes) return "<not base64>";
    if (bytes->find("<AppRec") != std::string::npos) return "base64 of: " + Text(*bytes);
    return "base64 of " + std::to_string(bytes->size()) + " bytes, SHA-256 " +
           common::HexEncode(common::Sha256(*bytes));
  }

  std::string from_, to_;
  std::set<std::string> kept_;
  std::map<std::string, std::string> labels_;
};

// Where two texts first differ, with a little of each.
std::string FirstDifference(const std::string& want, const std::string& got) {
  std::istringstream a(want), b(got);
  std::string la, lb;
  for (int line = 1;; ++line) {
    bool ha = static_cast<bool>(std::getline(a, la));
    bool hb = static_cast<bool>(std::getline(b, lb));
    if (!ha && !hb) return "no difference";
    if (!ha || !hb || la != lb) {
      return "line " + std::to_string(line) + ":\n  golden: " + (ha ? la : "<end>") +
             "\n  now:    " + (hb ? lb : "<end>");
    }
  }
}

class EhrGolden : public EhrSuite<::testing::TestWithParam<CorpusFile>> {
 protected:
};

TEST_P(EhrGolden, TheTransactionIsTheGoldenOne) {
  const CorpusFile& c = GetParam();
  auto fhir = std::make_unique<TestFhirStore>(
      TestFhirStore::Options{"golden", RequiredUniqueIdentifiers(), {}}, *terms_);
  ASSERT_TRUE(fhir->ok());
  TransactionRecorder capture(fhir->port());
  Inbox inbox(ClinicSettings(), *schemas_, terms_, capture);

  if (!c.answers.empty()) {
    // Our message the receipt answers, waiting in the outbox for it.
    Value t =
        *fhir::json::Parse(R"({"resourceType":"Task","status":"in-progress","intent":"order"})");
    t.Set("identifier", Value::Array()).Append(Identifier(sys::kOutboundMsgId, c.answers));
    t.Set("code", CodeableConcept(sys::kTaskCode, "deliver-message", "Lever melding"));
    ASSERT_EQ(capture.Call("POST", "Task", fhir::json::Write(t), {}).status, 201);
  }
  std::string inputs;  // every message received: their UUIDs are data, not ours
  for (const std::string& before : c.context) {
    inputs += ReadFile(kCorpus + "/" + before);
    InboundResult r = inbox.Receive(ReadFile(kCorpus + "/" + before));
    ASSERT_EQ(r.apprec_status, "1") << before << ": " << r.body;
  }
  size_t earlier = capture.transactions().size();
  const std::string bytes = ReadFile(kCorpus + "/" + c.file);
  ASSERT_FALSE(bytes.empty()) << c.file;
  const std::string from = common::FormatInstant(common::SystemNow());
  InboundResult r = inbox.Receive(bytes);
  const std::string to = common::FormatInstant(common::SystemNow());
  ASSERT_EQ(r.http_status, 200) << r.body;
  auto transactions = capture.transactions();
  fhir.reset();

  // Every message is recorded, so it commits exactly one transaction (a received AppRec
  // settles the outbox in one as well).
  ASSERT_EQ(transactions.size(), earlier + 1) << c.file;
  auto bundle = fhir::json::Parse(transactions.back());
  ASSERT_TRUE(bundle.has_value());
  Normaliser normalise(inputs + bytes, from, to);
  normalise.Tree(*bundle);
  const std::string got = fhir::json::WritePretty(*bundle) + "\n";

  const std::filesystem::path golden =
      std::filesystem::path(kGolden) / (c.file.substr(0, c.file.size() - 4) + ".json");
  if (const char* update = std::getenv("EMG_UPDATE_GOLDEN");
      update != nullptr && std::string(update) == "1") {
    std::filesystem::create_directories(golden.parent_path());
    std::ofstream(golden, std::ios::binary) << got;
    GTEST_SKIP() << "rewrote " << golden;
  }
  ASSERT_TRUE(std::filesystem::exists(golden))
      << golden
      << " is missing: run the unit tests with EMG_UPDATE_GOLDEN=1 and review the new file";
  const std::string want = ReadFile(golden.string());
  EXPECT_TRUE(want == got)
      << c.file << " no longer maps to its golden output; first difference at "
      << FirstDifference(want, got)
      << "\nIf the change is intended, rerun with EMG_UPDATE_GOLDEN=1 and review git diff.";
}

std::string TestName(const ::testing::TestParamInfo<CorpusFile>& info) {
  std::string name;
  for (char ch : info.param.file.substr(0, info.param.file.size() - 4)) {
    name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Corpus, EhrGolden, ::testing::ValuesIn(CorpusFiles()), TestName);

TEST(EhrGoldenFiles, EveryGoldenBelongsToACorpusMessage) {
  std::set<std::string> expected;
  for (const CorpusFile& c : CorpusFiles())
    expected.insert(c.file.substr(0, c.file.size() - 4) + ".json");
  ASSERT_GE(expected.size(), 50u);
  size_t found = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(kGolden)) {
    if (!entry.is_regular_file()) continue;
    std::string rel = std::filesystem::relative(entry.path(), kGolden).string();
    EXPECT_TRUE(expected.contains(rel)) << "stale golden file without a corpus message: " << rel;
    ++found;
  }
  EXPECT_EQ(found, expected.size());
}

TEST(EhrGoldenNormaliser, KeepsTheMessagesOwnIdsAndLabelsOursInOrder) {
  Normaliser n("<MsgId>630b687c-b6d8-52b1-b965-521051053457</MsgId>", "2026-12-05T10:00:00.000Z",
               "2026-12-05T10:00:02.000Z");
  EXPECT_EQ(n.Text("630b687c-b6d8-52b1-b965-521051053457"), "630b687c-b6d8-52b1-b965-521051053457");
  EXPECT_EQ(n.Text("urn:uuid:0192f0aa-0000-7000-8000-000000000001"), "urn:uuid:uuid-1");
  EXPECT_EQ(n.Text("x 0192f0aa-0000-7000-8000-000000000002 0192f0aa-0000-7000-8000-000000000001"),
            "x uuid-2 uuid-1");
  EXPECT_EQ(n.Text("2026-12-05T10:00:01.123Z"), "<now>");
  EXPECT_EQ(n.Text("2026-12-05T10:00:02.999Z"), "<now>");
  EXPECT_EQ(n.Text("2026-12-05T10:00:03.000Z"), "2026-12-05T10:00:03.000Z");
  EXPECT_EQ(n.Text("2026-03-02T09:15:00+01:00"), "2026-03-02T09:15:00+01:00");
}

}  // namespace
}  // namespace adapters::ehr
