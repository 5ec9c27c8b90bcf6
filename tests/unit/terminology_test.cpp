// fhir/terminology: the real code lists in mappings/terminology (every file valid, a sample of
// codes and displays per list, every ConceptMap in both directions, the seed Bundle through
// FhirApi), and the load failures built with FromResources and LoadDirectory.

#include "fhir/terminology/terminology.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "fhir/json/parser.h"
#include "fhir/json/writer.h"
#include "fhir/outcome.h"
#include "fhir/validation/validator.h"
#include "gateway/rest/fhir_api.h"
#include "store/sqlite/sqlite_store.h"

namespace fhir::terminology {
namespace {

using json::Value;
namespace fs = std::filesystem;

const std::string kKithDir = std::string(EMG_TESTDATA_DIR) + "/../../mappings/terminology";
constexpr char kUriSystem[] = "urn:ietf:rfc:3986";
constexpr char kGender[] = "http://hl7.org/fhir/administrative-gender";
constexpr char kPriority[] = "http://hl7.org/fhir/request-priority";
constexpr char kMap8116[] = "urn:emeistring:fhir:ConceptMap:kith-8116-to-identifier-system";
constexpr char kMap9051[] = "urn:emeistring:fhir:ConceptMap:kith-9051-to-identifier-system";
constexpr char kMap3101[] = "urn:emeistring:fhir:ConceptMap:kith-3101-to-administrative-gender";
constexpr char kMap8304[] = "urn:emeistring:fhir:ConceptMap:kith-8304-to-request-priority";

std::string Kodeverk(int n) { return "urn:oid:2.16.578.1.12.4.1.1." + std::to_string(n); }

Value Json(const std::string& text) {
  auto v = json::Parse(text);
  EXPECT_TRUE(v.has_value()) << text;
  return v ? *v : Value();
}

std::vector<std::string> JsonFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".json") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Codes(const std::vector<MapTarget>& targets) {
  std::string out;
  for (const MapTarget& t : targets) out += (out.empty() ? "" : ",") + t.code + "/" + t.equivalence;
  return out;
}

// ----- The real mappings/terminology
// ---------------------------------------------------------------

class TerminologyKith : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto loaded = Terminology::LoadDirectory(kKithDir);
    ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
    terminology_ = *loaded;
  }
  static void TearDownTestSuite() { terminology_.reset(); }
  static const Terminology& T() { return *terminology_; }

  static inline std::shared_ptr<const Terminology> terminology_;
};

TEST_F(TerminologyKith, EveryFileIsAValidR4ResourceAndIsLoaded) {
  std::vector<std::string> files = JsonFiles(kKithDir);
  ASSERT_GE(files.size(), 37u);
  size_t code_systems = 0;
  size_t concept_maps = 0;
  size_t own = 0;
  for (const std::string& path : files) {
    SCOPED_TRACE(path);
    auto parsed = json::Parse(ReadText(path));
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
    IssueList issues;
    validation::ValidateResource(*parsed, issues);
    for (const Issue& i : issues) ADD_FAILURE() << i.expression << ": " << i.diagnostics;
    // The gateway's own code systems (emeistring/) follow their own conventions (tested below).
    if (path.find("/emeistring/") != std::string::npos) {
      ++own;
      continue;
    }
    std::string type(parsed->GetString("resourceType"));
    std::string id(parsed->GetString("id"));
    EXPECT_EQ(fs::path(path).filename().string(), id + ".json");
    if (type == "CodeSystem") {
      ++code_systems;
      EXPECT_EQ(fs::path(path).parent_path().filename(), "codesystems");
      ASSERT_TRUE(id.starts_with("kodeverk-"));
      std::string n = id.substr(9);
      std::string url = "urn:oid:2.16.578.1.12.4.1.1." + n;
      EXPECT_EQ(parsed->GetString("url"), url);
      EXPECT_EQ(parsed->GetString("name"), "Kodeverk" + n);
      const Value* identifier = parsed->Find("identifier");
      ASSERT_TRUE(identifier != nullptr && identifier->items().size() == 1);
      EXPECT_EQ(identifier->items()[0].GetString("system"), kUriSystem);
      EXPECT_EQ(identifier->items()[0].GetString("value"), url);
      EXPECT_EQ(parsed->GetString("status"), "active");
      EXPECT_EQ(parsed->GetString("publisher"),
                "Helsedirektoratet (Volven); transcribed for eMeistring");
      const Value* case_sensitive = parsed->Find("caseSensitive");
      EXPECT_TRUE(case_sensitive != nullptr && case_sensitive->is_bool() &&
                  case_sensitive->boolean());
      std::string content(parsed->GetString("content"));
      EXPECT_TRUE(content == "complete" || content == "fragment") << content;
      EXPECT_FALSE(parsed->GetString("version").empty());
      EXPECT_TRUE(T().HasCodeSystem(url));
    } else {
      ++concept_maps;
      EXPECT_EQ(type, "ConceptMap");
      EXPECT_EQ(fs::path(path).parent_path().filename(), "conceptmaps");
      EXPECT_EQ(parsed->GetString("url"), "urn:emeistring:fhir:ConceptMap:" + id);
    }
  }
  EXPECT_EQ(code_systems + concept_maps + own, T().resources().size());
  EXPECT_EQ(concept_maps, 6u);
}

TEST_F(TerminologyKith, ReferralStatusMapsDecideTheStatusMessages) {
  const std::string rs = "https://emeistring.no/fhir/CodeSystem/referral-status";
  auto from_task = T().Translate("urn:emeistring:fhir:ConceptMap:task-status-to-referral-status",
                                 "http://hl7.org/fhir/task-status", "rejected");
  ASSERT_EQ(from_task.size(), 1u);
  EXPECT_EQ(from_task[0].code, "rejected");
  EXPECT_TRUE(T().Translate("urn:emeistring:fhir:ConceptMap:task-status-to-referral-status",
                            "http://hl7.org/fhir/task-status", "in-progress")
                  .empty());
  const std::string map = "urn:emeistring:fhir:ConceptMap:referral-status-to-kith-9148";
  for (const auto& [status, code] : std::vector<std::pair<std::string, std::string>>{
           {"invited", "1"}, {"accepted", "2"}, {"forwarded", "3"}, {"rejected", "4"}}) {
    auto t = T().Translate(map, rs, status);
    ASSERT_EQ(t.size(), 1u) << status;
    EXPECT_EQ(t[0].code, code);
    EXPECT_TRUE(T().Contains(Kodeverk(9148), t[0].code));
  }
  EXPECT_TRUE(T().Translate(map, rs, "received").empty());  // unmatched: no 9148 code
  EXPECT_TRUE(T().Translate(map, rs, "treatment-finished").empty());
  EXPECT_EQ(T().Display(rs, "treatment-finished").value_or(""), "Behandlingen er avsluttet");
}

TEST_F(TerminologyKith, EveryRequiredListIsLoaded) {
  for (int n : {8116, 9051, 8279, 8304, 8248, 8231, 8233, 8258, 8221, 9148, 7322,
                9069, 9034, 9060, 3101, 8455, 8263, 7309, 7304, 8246, 8240, 8114,
                8113, 9057, 9067, 7321, 8117, 8331, 9146, 8254, 3401, 9061, 7426}) {
    EXPECT_TRUE(T().HasCodeSystem(Kodeverk(n))) << n;
  }
  // 7240 is not in Hdir's tables (docs/kith-messaging.md § Code lists).
  EXPECT_FALSE(T().HasCodeSystem(Kodeverk(7240)));
}

TEST_F(TerminologyKith, SampleOfCodesAndDisplaysPerList) {
  const std::vector<std::tuple<int, std::string, std::string>> samples = {
      {3101, "0", "Ikke kjent"},
      {3101, "1", "Mann"},
      {3101, "2", "Kvinne"},
      {3101, "9", "Ikke spesifisert"},
      {3401, "H", "Bostedsadresse"},
      {3401, "HP", "Folkeregisteradresse"},
      {7304, "F", "Kun ved feil"},
      {7304, "J", "Ja"},
      {7309, "C", "Kansellering"},
      {7309, "N", "Ny"},
      {7321, "4", "Supplerende opplysninger"},
      {7322, "8", "Forespørsel om helseopplysninger"},
      {7426, "4", "Barne- og ungdomspsykiatri"},
      {7426, "40", "Psykiatri"},
      {8113, "P", "Produksjon"},
      {8114, "A", "Vedlegg"},
      {8114, "XML", "XML-instans"},
      {8116, "FNR", "Fødselsnummer"},
      {8116, "DNR", "D-nummer"},
      {8116, "HPR", "HPR-nummer"},
      {8116, "SEF", "Svensk 'personnummer'"},
      {8117, "1", "Feil adressat"},
      {8221, "E21", "Mottaker finnes ikke"},
      {8221, "T01", "Ikke XML / ikke 'well formed' / uleselig"},
      {8221, "X99", "Annen feil"},
      {8231, "PROB", "Aktuell problemstilling"},
      {8231, "BUP-HG", "Henvisningsgrunn barnet"},
      {8233, "H", "Hoveddiagnose"},
      {8233, "CAVE", "Cave-opplysninger"},
      {8240, "3", "Poliklinisk omsorg"},
      {8246, "1", "Folketrygdmedlem"},
      {8248, "4", "Second opinion"},
      {8254, "FLE", "Fastlege"},
      {8258, "1", "OK"},
      {8258, "2", "Avvist"},
      {8258, "3", "OK, feil i delmelding"},
      {8263, "H_REHAB", "Henvisning til rehabiliteringsinstitusjon"},
      {8279, "HENVISNING", "Henvisning"},
      {8279, "DIALOG_HELSEFAGLIG", "Helsefaglig dialog"},
      {8279, "APPREC", "Applikasjonskvittering"},
      {8279, "EbrevForesporsel", "Forespørsel om elektronisk brev"},
      {8304, "0", "Øyeblikkelig hjelp"},
      {8304, "1H", "Innen en time"},
      {8304, "N", "Elektiv/Ordinær (elektiv)"},
      {8331, "5", "Fritekst"},
      {8455, "10", "Utredning/behandling"},
      {9034, "6", "Fastlege"},
      {9034, "20", "Kontaktpsykolog"},
      {9051, "ENH", "Organisasjonsnummeret i Enhetsregister"},
      {9051, "RSH", "Nasjonalt register over enheter i spesialisthelsetjenesten (RESH-ID)"},
      {9057, "1", "Forfatter"},
      {9060, "LE", "Lege"},
      {9060, "PS", "Psykolog"},
      {9060, "PM", "Paramedisiner"},
      {9061, "MC", "Mobiltelefon"},
      {9067, "3", "Innen 24 timer"},
      {9069, "5", "Svar på forespørsel"},
      {9146, "1", "Henvisning til utredning/behandling"},
      {9148, "4", "Henvisningen er avvist"},
  };
  for (const auto& [list, code, display] : samples) {
    EXPECT_TRUE(T().Contains(Kodeverk(list), code)) << list << " " << code;
    EXPECT_EQ(T().Display(Kodeverk(list), code).value_or("<none>"), display) << list << " " << code;
  }
  // Codes are case-sensitive; unknown systems and codes have no display.
  EXPECT_FALSE(T().Contains(Kodeverk(8116), "fnr"));
  EXPECT_FALSE(T().Contains(Kodeverk(8116), "NOPE"));
  EXPECT_FALSE(T().Contains("urn:oid:1.2.3", "FNR"));
  EXPECT_FALSE(T().Display(Kodeverk(8116), "NOPE").has_value());
  EXPECT_FALSE(T().Display("urn:oid:1.2.3", "FNR").has_value());
}

TEST_F(TerminologyKith, ListSizesMatchTheSources) {
  // Counts of the transcribed lists (mappings/terminology/README.md); a changed count means a
  // changed list.
  const std::vector<std::pair<int, size_t>> sizes = {
      {8116, 14}, {9051, 11}, {8279, 233}, {8304, 17}, {8221, 21}, {8231, 18},
      {8233, 20}, {9034, 22}, {9060, 36},  {7426, 74}, {3101, 4},  {8258, 3},
  };
  for (const auto& [list, size] : sizes) {
    size_t found = 0;
    for (const Value& r : T().resources()) {
      if (r.GetString("url") != Kodeverk(list)) continue;
      const Value* concepts = r.Find("concept");
      found = concepts != nullptr ? concepts->items().size() : 0;
    }
    EXPECT_EQ(found, size) << list;
  }
}

TEST_F(TerminologyKith, PersonIdTypesToIdentifierSystemsAndBack) {
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"FNR", "urn:oid:2.16.578.1.12.4.1.4.1"}, {"DNR", "urn:oid:2.16.578.1.12.4.1.4.2"},
      {"FHN", "urn:oid:2.16.578.1.12.4.1.4.3"}, {"HPR", "urn:oid:2.16.578.1.12.4.1.4.4"},
      {"DUF", "urn:oid:2.16.578.1.12.4.1.4.5"}, {"HER", "urn:oid:2.16.578.1.12.4.1.2"},
  };
  for (const auto& [type, system] : expected) {
    std::vector<MapTarget> t = T().Translate(kMap8116, Kodeverk(8116), type);
    ASSERT_EQ(t.size(), 1u) << type;
    EXPECT_EQ(t[0].system, kUriSystem);
    EXPECT_EQ(t[0].code, system);
    EXPECT_EQ(t[0].equivalence, "equivalent");
    std::vector<MapTarget> back = T().TranslateReverse(kMap8116, kUriSystem, system);
    ASSERT_EQ(back.size(), 1u) << system;
    EXPECT_EQ(back[0].system, Kodeverk(8116));
    EXPECT_EQ(back[0].code, type);
    EXPECT_EQ(back[0].display, T().Display(Kodeverk(8116), type).value_or(""));
  }
  // No agreed identifier system: deliberately unmapped.
  for (const char* type : {"HNR", "PNR", "UID", "XXX"}) {
    EXPECT_TRUE(T().Translate(kMap8116, Kodeverk(8116), type).empty()) << type;
  }
  EXPECT_TRUE(T().Translate(kMap8116, Kodeverk(9051), "HER").empty());  // wrong source system
  EXPECT_TRUE(
      T().TranslateReverse(kMap8116, kUriSystem, "urn:oid:2.16.578.1.12.4.1.4.101").empty());
}

TEST_F(TerminologyKith, OrganisationIdTypesToIdentifierSystemsAndBack) {
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"HER", "urn:oid:2.16.578.1.12.4.1.2"},
      {"ENH", "urn:oid:2.16.578.1.12.4.1.4.101"},
      {"RSH", "urn:oid:2.16.578.1.12.4.1.4.102"},
  };
  for (const auto& [type, system] : expected) {
    std::vector<MapTarget> t = T().Translate(kMap9051, Kodeverk(9051), type);
    ASSERT_EQ(t.size(), 1u) << type;
    EXPECT_EQ(t[0].code, system);
    EXPECT_EQ(t[0].equivalence, "equivalent");
    std::vector<MapTarget> back = T().TranslateReverse(kMap9051, kUriSystem, system);
    ASSERT_EQ(back.size(), 1u);
    EXPECT_EQ(back[0].code, type);
    EXPECT_EQ(back[0].system, Kodeverk(9051));
  }
  EXPECT_TRUE(T().Translate(kMap9051, Kodeverk(9051), "LOK").empty());
}

TEST_F(TerminologyKith, SexToAdministrativeGenderAndBack) {
  auto one = [&](const std::string& code) {
    std::vector<MapTarget> t = T().Translate(kMap3101, Kodeverk(3101), code);
    EXPECT_EQ(t.size(), 1u) << code;
    return t.empty() ? MapTarget{} : t[0];
  };
  EXPECT_EQ(one("1").code, "male");
  EXPECT_EQ(one("1").display, "Male");
  EXPECT_EQ(one("1").system, kGender);
  EXPECT_EQ(one("2").code, "female");
  EXPECT_EQ(one("0").code, "unknown");
  EXPECT_EQ(one("0").equivalence, "equivalent");
  EXPECT_EQ(one("9").code, "unknown");
  EXPECT_EQ(one("9").equivalence, "wider");
  EXPECT_EQ(Codes(T().TranslateReverse(kMap3101, kGender, "male")), "1/equivalent");
  EXPECT_EQ(Codes(T().TranslateReverse(kMap3101, kGender, "female")), "2/equivalent");
  EXPECT_EQ(Codes(T().TranslateReverse(kMap3101, kGender, "unknown")), "0/equivalent,9/wider");
  EXPECT_EQ(T().TranslateReverse(kMap3101, kGender, "male")[0].display, "Mann");
  EXPECT_TRUE(T().TranslateReverse(kMap3101, kGender, "other").empty());
  // Every target is a valid Patient.gender (a required binding).
  for (const char* code : {"0", "1", "2", "9"}) {
    IssueList issues;
    validation::ValidateResource(
        Json(R"({"resourceType":"Patient","gender":")" + one(code).code + R"("})"), issues);
    EXPECT_FALSE(HasErrors(issues)) << code;
  }
}

TEST_F(TerminologyKith, ReferralPriorityToRequestPriorityAndBack) {
  const std::vector<std::tuple<std::string, std::string, std::string>> expected = {
      {"0", "stat", "equivalent"},    {"1H", "asap", "wider"},       {"2H", "asap", "wider"},
      {"4H", "asap", "wider"},        {"8H", "asap", "wider"},       {"1", "urgent", "wider"},
      {"2", "urgent", "wider"},       {"3", "urgent", "equivalent"}, {"PK", "urgent", "inexact"},
      {"N", "routine", "equivalent"}, {"7", "routine", "wider"},     {"14", "routine", "wider"},
      {"21", "routine", "wider"},     {"30", "routine", "wider"},    {"90", "routine", "wider"},
      {"180", "routine", "wider"},    {"360", "routine", "wider"},
  };
  std::set<std::string> mapped;
  for (const auto& [code, priority, equivalence] : expected) {
    std::vector<MapTarget> t = T().Translate(kMap8304, Kodeverk(8304), code);
    ASSERT_EQ(t.size(), 1u) << code;
    EXPECT_EQ(t[0].system, kPriority);
    EXPECT_EQ(t[0].code, priority) << code;
    EXPECT_EQ(t[0].equivalence, equivalence) << code;
    mapped.insert(code);
    IssueList issues;
    validation::ValidateResource(
        Json(R"({"resourceType":"ServiceRequest","status":"active","intent":"order",)"
             R"("subject":{"reference":"Patient/p1"},"priority":")" +
             t[0].code + R"("})"),
        issues);
    EXPECT_FALSE(HasErrors(issues)) << code;
  }
  // Every 8304 code has a priority.
  for (const Value& r : T().resources()) {
    if (r.GetString("url") != Kodeverk(8304)) continue;
    for (const Value& c : r.Find("concept")->items()) {
      EXPECT_TRUE(mapped.contains(std::string(c.GetString("code")))) << c.GetString("code");
    }
  }
  EXPECT_EQ(Codes(T().TranslateReverse(kMap8304, kPriority, "stat")), "0/equivalent");
  std::vector<MapTarget> urgent = T().TranslateReverse(kMap8304, kPriority, "urgent");
  ASSERT_FALSE(urgent.empty());
  EXPECT_EQ(urgent[0].system, Kodeverk(8304));
  EXPECT_EQ(Codes(urgent), "3/equivalent,1/wider,2/wider,PK/inexact");
  std::vector<MapTarget> routine = T().TranslateReverse(kMap8304, kPriority, "routine");
  ASSERT_EQ(routine.size(), 8u);
  EXPECT_EQ(routine[0].code, "N");
  EXPECT_EQ(routine[0].display, "Elektiv/Ordinær (elektiv)");
  EXPECT_EQ(T().TranslateReverse(kMap8304, kPriority, "asap")[0].code, "1H");
}

TEST_F(TerminologyKith, UnknownMapsAndCodesTranslateToNothing) {
  EXPECT_TRUE(T().Translate("urn:nope", Kodeverk(8116), "FNR").empty());
  EXPECT_TRUE(
      T().TranslateReverse("urn:nope", kUriSystem, "urn:oid:2.16.578.1.12.4.1.4.1").empty());
  EXPECT_TRUE(T().Translate(kMap8304, Kodeverk(8304), "NOPE").empty());
  // A map url is not a code system and a code system url is not a map.
  EXPECT_FALSE(T().HasCodeSystem(kMap8304));
  EXPECT_TRUE(T().Translate(Kodeverk(8116), Kodeverk(8116), "FNR").empty());
}

TEST_F(TerminologyKith, ResourcesAreInUrlOrderAndTheSeedBundleIsAValidTransaction) {
  const std::vector<Value>& resources = T().resources();
  for (size_t i = 1; i < resources.size(); ++i) {
    EXPECT_LT(resources[i - 1].GetString("url"), resources[i].GetString("url"));
  }
  Value bundle = T().SeedBundle();
  EXPECT_EQ(bundle.GetString("resourceType"), "Bundle");
  EXPECT_EQ(bundle.GetString("type"), "transaction");
  const Value* entries = bundle.Find("entry");
  ASSERT_NE(entries, nullptr);
  ASSERT_EQ(entries->items().size(), resources.size());
  bool saw_8116 = false;
  bool saw_map = false;
  for (const Value& e : entries->items()) {
    const Value* request = e.Find("request");
    ASSERT_NE(request, nullptr);
    EXPECT_EQ(request->GetString("method"), "PUT");
    std::string url(request->GetString("url"));
    if (url == "CodeSystem?url=urn%3Aoid%3A2.16.578.1.12.4.1.1.8116") saw_8116 = true;
    if (url ==
        "ConceptMap?url=urn%3Aemeistring%3Afhir%3AConceptMap%3Akith-8304-to-request-priority") {
      saw_map = true;
    }
    EXPECT_EQ(url.find_first_of(" /#&"), std::string::npos) << url;
  }
  EXPECT_TRUE(saw_8116);
  EXPECT_TRUE(saw_map);
  IssueList issues;
  validation::ValidateResource(bundle, issues);
  EXPECT_FALSE(HasErrors(issues));
}

TEST_F(TerminologyKith, SeedingTwiceThroughTheFhirApiLeavesOneResourcePerUrl) {
  fs::path dir = fs::temp_directory_path() / ("emg-terminology-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    ::store::sqlite::SqliteStoreOptions o;
    o.path = (dir / "t.db").string();
    o.durable = false;
    auto opened = ::store::sqlite::OpenSqliteStore(o);
    ASSERT_TRUE(opened.has_value()) << opened.error().message();
    std::unique_ptr<fhir::store::Store> store = std::move(*opened);
    gateway::FhirApiOptions opts;
    opts.base_url = "http://fhir.test";
    gateway::FhirApi api(*store, opts);
    std::string seed = json::Write(T().SeedBundle());
    ASSERT_TRUE(api.SeedFromBundle(seed).ok());
    common::Status again = api.SeedFromBundle(seed);
    ASSERT_TRUE(again.ok()) << again.message();
    for (const auto& [path, query] : std::vector<std::pair<std::string, std::string>>{
             {"/CodeSystem", Kodeverk(8116)}, {"/ConceptMap", kMap8304}}) {
      gateway::HttpRequest req;
      req.method = "GET";
      req.path = path;
      req.target = path + "?url=" + query;
      req.query.emplace_back("url", query);
      req.context.request_id = "test";
      gateway::HttpResponse resp = api.Handle(req);
      ASSERT_EQ(resp.status, 200) << resp.body;
      Value result = Json(resp.body);
      const Value* entry = result.Find("entry");
      ASSERT_NE(entry, nullptr) << resp.body;
      ASSERT_EQ(entry->items().size(), 1u) << path;
      EXPECT_EQ(entry->items()[0].Find("resource")->GetString("url"), query);
    }
    store->Close();
  }
  fs::remove_all(dir);
}

// ----- Load failures ------------------------------------------------------------------------

constexpr char kCodeSystem[] =
    R"({"resourceType":"CodeSystem","url":"urn:oid:1.2.3","status":"active",
  "content":"complete","concept":[{"code":"A","display":"Alfa"},{"code":"B","display":"Beta",
  "concept":[{"code":"B1","display":"Beta en"}]}]})";

std::string MapTo(const std::string& source_code, const std::string& target_code,
                  const std::string& target_system = "urn:oid:1.2.3") {
  return R"({"resourceType":"ConceptMap","url":"urn:test:map","status":"active","group":[{
    "source":"urn:oid:1.2.3","target":")" +
         target_system + R"(","element":[{"code":")" + source_code + R"(","target":[{"code":")" +
         target_code + R"(","equivalence":"equivalent"}]}]}]})";
}

common::StatusOr<std::shared_ptr<const Terminology>> From(
    const std::vector<std::pair<std::string, std::string>>& files) {
  std::vector<Value> resources;
  std::vector<std::string> origins;
  for (const auto& [origin, text] : files) {
    resources.push_back(Json(text));
    origins.push_back(origin);
  }
  return Terminology::FromResources(std::move(resources), std::move(origins));
}

std::string ErrorOf(const common::StatusOr<std::shared_ptr<const Terminology>>& r) {
  return r.has_value() ? "<loaded>" : r.error().message();
}

TEST(TerminologyLoad, ValidSmallSetWithNestedConceptsAndAMapWithinOneSystem) {
  auto t = From({{"cs.json", kCodeSystem}, {"map.json", MapTo("B1", "A")}});
  ASSERT_TRUE(t.has_value()) << t.error().message();
  EXPECT_TRUE((*t)->Contains("urn:oid:1.2.3", "B1"));
  EXPECT_EQ((*t)->Display("urn:oid:1.2.3", "B1").value_or(""), "Beta en");
  std::vector<MapTarget> forward = (*t)->Translate("urn:test:map", "urn:oid:1.2.3", "B1");
  ASSERT_EQ(forward.size(), 1u);
  EXPECT_EQ(forward[0].code, "A");
  EXPECT_EQ(forward[0].display, "Alfa");  // from the target CodeSystem
  std::vector<MapTarget> back = (*t)->TranslateReverse("urn:test:map", "urn:oid:1.2.3", "A");
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].code, "B1");
  EXPECT_EQ(back[0].display, "Beta en");
  EXPECT_EQ((*t)->resources().size(), 2u);
  EXPECT_EQ((*t)->resources()[0].GetString("url"), "urn:oid:1.2.3");  // url order
}

TEST(TerminologyLoad, InvalidResourceNamesTheFileAndTheElement) {
  std::string error = ErrorOf(From({{"codesystems/bad.json",
                                     R"({"resourceType":"CodeSystem","url":"urn:oid:1.2.3",
                                         "status":"bogus","content":"complete"})"}}));
  EXPECT_EQ(error.rfind("codesystems/bad.json: invalid CodeSystem: CodeSystem.status", 0), 0u)
      << error;
  error = ErrorOf(From({{"unknown.json", R"({"resourceType":"CodeSystem","url":"urn:oid:1.2.3",
                                             "status":"active","content":"complete","colour":1})"}}));
  EXPECT_NE(error.find("unknown.json: invalid CodeSystem: CodeSystem.colour"), std::string::npos)
      << error;
  error = ErrorOf(From({{"map.json", R"({"resourceType":"ConceptMap","url":"urn:test:map",
      "status":"active","group":[{"source":"urn:oid:1.2.3","target":"urn:oid:1.2.3",
      "element":[{"code":"A","target":[{"code":"B"}]}]}]})"}}));
  // R4 ConceptMap.group.element.target.equivalence is required.
  EXPECT_NE(error.find("map.json: invalid ConceptMap: "
                       "ConceptMap.group[0].element[0].target[0].equivalence"),
            std::string::npos)
      << error;
}

TEST(TerminologyLoad, DuplicateUrlNamesBothFiles) {
  std::string error = ErrorOf(From({{"a.json", kCodeSystem}, {"b.json", kCodeSystem}}));
  EXPECT_EQ(error, "b.json: CodeSystem.url: 'urn:oid:1.2.3' is already the url of a.json");
  // A ConceptMap may not reuse a CodeSystem's url either.
  std::string map = MapTo("A", "B");
  size_t at = map.find("urn:test:map");
  map.replace(at, 12, "urn:oid:1.2.3");
  error = ErrorOf(From({{"a.json", kCodeSystem}, {"m.json", map}}));
  EXPECT_EQ(error, "m.json: ConceptMap.url: 'urn:oid:1.2.3' is already the url of a.json");
}

TEST(TerminologyLoad, DuplicateCodeIsRejected) {
  std::string error = ErrorOf(From({{"dup.json", R"({"resourceType":"CodeSystem",
      "url":"urn:oid:1.2.3","status":"active","content":"complete",
      "concept":[{"code":"A"},{"code":"B","concept":[{"code":"A"}]}]})"}}));
  // The validator's csd-1 reports it first.
  EXPECT_EQ(error.rfind("dup.json: invalid CodeSystem: CodeSystem: csd-1", 0), 0u) << error;
}

TEST(TerminologyLoad, MapSourceCodeMissingFromItsCodeSystem) {
  std::string error = ErrorOf(From({{"cs.json", kCodeSystem}, {"map.json", MapTo("Z", "A")}}));
  EXPECT_EQ(error,
            "map.json: ConceptMap.group[0].element[0].code: 'Z' is not a concept of "
            "urn:oid:1.2.3 (cs.json)");
}

TEST(TerminologyLoad, MapTargetCodeMissingFromItsCodeSystem) {
  std::string error = ErrorOf(From({{"cs.json", kCodeSystem}, {"map.json", MapTo("A", "Z")}}));
  EXPECT_EQ(error,
            "map.json: ConceptMap.group[0].element[0].target[0].code: 'Z' is not a concept "
            "of urn:oid:1.2.3 (cs.json)");
  // Target systems that are not loaded (FHIR's own, URIs) are not checked.
  auto t = From({{"cs.json", kCodeSystem}, {"map.json", MapTo("A", "male", kGender)}});
  ASSERT_TRUE(t.has_value()) << t.error().message();
  EXPECT_EQ(Codes((*t)->Translate("urn:test:map", "urn:oid:1.2.3", "A")), "male/equivalent");
}

TEST(TerminologyLoad, OnlyCodeSystemsAndConceptMaps) {
  std::string error =
      ErrorOf(From({{"patient.json", R"({"resourceType":"Patient","gender":"female"})"}}));
  EXPECT_EQ(error,
            "patient.json: resourceType 'Patient': only CodeSystem and ConceptMap "
            "resources belong in a terminology directory");
  error = ErrorOf(From({{"array.json", "[]"}}));
  EXPECT_EQ(error, "array.json: not a JSON object (a FHIR resource)");
}

TEST(TerminologyLoad, UrlsAreRequiredAndOriginsMustMatch) {
  std::string error = ErrorOf(From({{"nourl.json", R"({"resourceType":"CodeSystem",
      "status":"active","content":"complete"})"}}));
  EXPECT_EQ(error, "nourl.json: CodeSystem.url: required (the canonical url)");
  auto r = Terminology::FromResources({Json(kCodeSystem)}, {});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("every resource needs an origin"), std::string::npos);
  auto empty = Terminology::FromResources({}, {});
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ((*empty)->SeedBundle().Find("entry"), nullptr);
}

class TerminologyDirectory : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("emg-terminology-dir-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "nested");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  fs::path dir_;
};

TEST_F(TerminologyDirectory, LoadsJsonFilesRecursivelyAndIgnoresOthers) {
  Write("nested/cs.json", kCodeSystem);
  Write("map.json", MapTo("A", "B"));
  Write("README.md", "not json");
  auto t = Terminology::LoadDirectory(dir_.string());
  ASSERT_TRUE(t.has_value()) << t.error().message();
  EXPECT_EQ((*t)->resources().size(), 2u);
  EXPECT_EQ(Codes((*t)->Translate("urn:test:map", "urn:oid:1.2.3", "A")), "B/equivalent");
}

TEST_F(TerminologyDirectory, BrokenFileStopsTheLoadNamingTheFile) {
  Write("nested/cs.json", kCodeSystem);
  Write("nested/broken.json", R"({"resourceType":"CodeSystem",)");
  auto t = Terminology::LoadDirectory(dir_.string());
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error().message().rfind((dir_ / "nested/broken.json").string() + ": invalid JSON", 0),
            0u)
      << t.error().message();
}

TEST_F(TerminologyDirectory, MissingOrEmptyDirectoryIsAnError) {
  auto t = Terminology::LoadDirectory((dir_ / "missing").string());
  ASSERT_FALSE(t.has_value());
  EXPECT_NE(t.error().message().find("missing: cannot read the terminology directory"),
            std::string::npos)
      << t.error().message();
  t = Terminology::LoadDirectory(dir_.string());
  ASSERT_FALSE(t.has_value());
  EXPECT_NE(t.error().message().find("no *.json CodeSystem or ConceptMap files found"),
            std::string::npos);
  Write("file.json", kCodeSystem);
  t = Terminology::LoadDirectory((dir_ / "file.json").string());
  ASSERT_FALSE(t.has_value());
  EXPECT_NE(t.error().message().find("is not a directory"), std::string::npos);
}

TEST_F(TerminologyKith, TheGatewaysOwnTaskCodesAreLoaded) {
  // Every Task.code and Task.input/output type the EHR adapter writes.
  const std::string system = "https://emeistring.no/fhir/CodeSystem/task-code";
  ASSERT_TRUE(T().HasCodeSystem(system));
  for (const char* code : {"assess-referral", "review-referral-change", "referral-cancelled",
                           "manual-referral-handling", "manual-import", "deliver-message",
                           "follow-up-rejected-message", "unmatched-receipt", "message",
                           "destination", "message-type", "message-id", "receipt"}) {
    EXPECT_TRUE(T().Contains(system, code)) << code;
    EXPECT_TRUE(T().Display(system, code).has_value()) << code;
  }
}

}  // namespace

}  // namespace fhir::terminology
