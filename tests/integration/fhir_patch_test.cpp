// The patch interaction (R4 http.html#patch) with JSON Patch over real sockets against the real
// binary: versioning and If-Match, conditional patch, the result checked as an update, the
// narrative rule, media types and bounds, and PATCH entries in transactions and batches.
// Access control of patches is in access_order_test.cpp. All data is synthetic.

#include <gtest/gtest.h>

#include <string>

#include "common/base64.h"
#include "integration/support/fhir_support.h"

namespace emg::test {
namespace {

using namespace fhirt;

const Headers kPatchJson = {{"Content-Type", "application/json-patch+json"}};

class FhirPatch : public GatewaySuite {
 protected:
  HttpResult Patch(const std::string& target, const std::string& patch, Headers extra = {}) {
    Headers h = kPatchJson;
    for (auto& kv : extra) h.push_back(std::move(kv));
    return c().Request("PATCH", target, h, patch);
  }
  // A Task as the course workflow makes them, with a business identifier `tag`.
  std::string CreateTask(const std::string& tag, const std::string& extra = {}) {
    return c().Create(
        "Task",
        R"({"resourceType":"Task","identifier":[{"system":"urn:emeistring:test","value":")" + tag +
            R"("}],"status":"requested","intent":"order")" + extra + "}");
  }
  std::string Current(const std::string& target, std::string_view path) {
    HttpResult r = c().Get(target);
    EXPECT_EQ(r.status, 200) << r.body;
    return Str(ParseJson(r.body), path);
  }
};

TEST_F(FhirPatch, ChangesTheTaskStatusAsANewVersion) {
  std::string id = CreateTask(Unique("t"));
  HttpResult r = Patch("/Task/" + id, R"([
      {"op":"test","path":"/status","value":"requested"},
      {"op":"replace","path":"/status","value":"in-progress"},
      {"op":"add","path":"/note","value":[{"text":"started week 1"}]}])");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(IsFhirJson(r));
  EXPECT_EQ(r.Header("etag"), "W/\"2\"");
  Json body = ParseJson(r.body);
  EXPECT_EQ(Str(body, "status"), "in-progress");
  EXPECT_EQ(Str(body, "note.0.text"), "started week 1");
  EXPECT_EQ(Str(body, "meta.versionId"), "2");
  EXPECT_EQ(Str(body, "intent"), "order") << "untouched elements stay";
  // The read sees it, and history records the interaction as PATCH.
  EXPECT_EQ(Current("/Task/" + id, "status"), "in-progress");
  Json history = c().GetBundle("/Task/" + id + "/_history");
  EXPECT_EQ(Str(history, "entry.0.request.method"), "PATCH");
  EXPECT_EQ(Str(history, "entry.1.request.method"), "POST");
}

TEST_F(FhirPatch, IfMatchMakesItVersionAware) {
  std::string id = CreateTask(Unique("t"));
  const std::string replace = R"([{"op":"replace","path":"/status","value":"accepted"}])";
  ASSERT_EQ(Patch("/Task/" + id, replace, {{"If-Match", "W/\"1\""}}).status, 200);
  // Version 1 is no longer current: nothing is written.
  HttpResult stale =
      Patch("/Task/" + id, R"([{"op":"replace","path":"/status","value":"cancelled"}])",
            {{"If-Match", "W/\"1\""}});
  EXPECT_TRUE(IsOutcome(stale, 412, "conflict")) << stale.body;
  EXPECT_EQ(Current("/Task/" + id, "status"), "accepted");
  EXPECT_EQ(Current("/Task/" + id, "meta.versionId"), "2");
  EXPECT_TRUE(IsOutcome(Patch("/Task/" + id, replace, {{"If-Match", "version two"}}), 400));
  EXPECT_EQ(Patch("/Task/" + id, R"([{"op":"replace","path":"/status","value":"ready"}])",
                  {{"If-Match", "\"2\""}})
                .status,
            200);
}

TEST_F(FhirPatch, AFailedTestIs422AndWritesNothing) {
  std::string id = CreateTask(Unique("t"));
  HttpResult r = Patch("/Task/" + id, R"([
      {"op":"replace","path":"/status","value":"cancelled"},
      {"op":"test","path":"/status","value":"requested"}])");
  EXPECT_TRUE(IsOutcome(r, 422, "conflict", "Task.status")) << r.body;
  std::vector<IssueView> issues = Issues(r.body);
  ASSERT_FALSE(issues.empty());
  EXPECT_NE(issues[0].diagnostics.find("patch operation [1] (test)"), std::string::npos)
      << issues[0].diagnostics;
  EXPECT_EQ(Current("/Task/" + id, "status"), "requested");
  EXPECT_EQ(Current("/Task/" + id, "meta.versionId"), "1");
  // A target that does not exist does not apply either.
  EXPECT_TRUE(IsOutcome(Patch("/Task/" + id, R"([{"op":"remove","path":"/note"}])"), 422,
                        "processing", "Task.note"));
}

TEST_F(FhirPatch, TheResultIsCheckedLikeAnUpdate) {
  std::string id = CreateTask(Unique("t"));
  EXPECT_TRUE(IsOutcome(Patch("/Task/" + id, R"([{"op":"replace","path":"/id","value":"other"}])"),
                        422, {}, "Task.id"));
  EXPECT_TRUE(IsOutcome(Patch("/Task/" + id, R"([{"op":"remove","path":"/id"}])"), 422));
  EXPECT_TRUE(IsOutcome(
      Patch("/Task/" + id, R"([{"op":"replace","path":"/resourceType","value":"Patient"}])"), 422,
      {}, "resourceType"));
  // Not a valid Task: a code outside the required value set, a required element removed, an
  // element Task does not have.
  HttpResult bad_code =
      Patch("/Task/" + id, R"([{"op":"replace","path":"/status","value":"half-done"}])");
  EXPECT_TRUE(IsOutcome(bad_code, 422, {}, "Task.status")) << bad_code.body;
  EXPECT_TRUE(IsOutcome(Patch("/Task/" + id, R"([{"op":"remove","path":"/intent"}])"), 422));
  EXPECT_TRUE(
      IsOutcome(Patch("/Task/" + id, R"([{"op":"add","path":"/colour","value":"red"}])"), 422));
  // A reference only a transaction can resolve.
  EXPECT_TRUE(IsOutcome(
      Patch(
          "/Task/" + id,
          R"([{"op":"add","path":"/for","value":{"reference":"urn:uuid:0b1e7a4c-0c6e-4a8e-9d3e-5f1b2c3d4e5f"}}])"),
      422));
  EXPECT_EQ(Current("/Task/" + id, "meta.versionId"), "1") << "nothing was written";
}

TEST_F(FhirPatch, ConditionalPatchNeedsExactlyOneMatch) {
  const std::string tag = Unique("cond");
  std::string id = CreateTask(tag);
  const std::string replace = R"([{"op":"replace","path":"/status","value":"in-progress"}])";
  HttpResult one = Patch("/Task?identifier=urn:emeistring:test|" + tag, replace);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(Str(ParseJson(one.body), "id"), id);
  EXPECT_EQ(Current("/Task/" + id, "status"), "in-progress");
  EXPECT_TRUE(
      IsOutcome(Patch("/Task?identifier=urn:emeistring:test|" + Unique("none"), replace), 404));
  CreateTask(tag);
  EXPECT_TRUE(IsOutcome(Patch("/Task?identifier=urn:emeistring:test|" + tag, replace), 412));
  EXPECT_TRUE(IsOutcome(Patch("/Task", replace), 400)) << "no criteria";
  EXPECT_TRUE(IsOutcome(Patch("/Task?frobnicate=1", replace), 400)) << "unknown criterion";
}

TEST_F(FhirPatch, MissingDeletedAndBinaryTargets) {
  const std::string replace = R"([{"op":"replace","path":"/status","value":"in-progress"}])";
  EXPECT_TRUE(IsOutcome(Patch("/Task/no-such-task-4711", replace), 404, "not-found"));
  std::string id = CreateTask(Unique("t"));
  ASSERT_EQ(c().Delete("/Task/" + id).status, 204);
  EXPECT_TRUE(IsOutcome(Patch("/Task/" + id, replace), 410));
  HttpResult binary = Patch("/Binary/x", replace);
  EXPECT_TRUE(IsOutcome(binary, 405));
  EXPECT_EQ(binary.Header("allow").find("PATCH"), std::string::npos) << binary.Header("allow");
}

TEST_F(FhirPatch, OnlyJsonPatchIsAccepted) {
  std::string id = CreateTask(Unique("t"));
  // FHIRPath Patch (a Parameters resource): refused with a message saying what to send.
  HttpResult fhirpath = c().Request(
      "PATCH", "/Task/" + id, {{"Content-Type", "application/fhir+json"}},
      R"({"resourceType":"Parameters","parameter":[{"name":"operation","part":[{"name":"type","valueCode":"replace"},{"name":"path","valueString":"Task.status"},{"name":"value","valueCode":"ready"}]}]})");
  EXPECT_TRUE(IsOutcome(fhirpath, 415, "not-supported")) << fhirpath.body;
  EXPECT_NE(fhirpath.body.find("application/json-patch+json"), std::string::npos);
  EXPECT_TRUE(IsOutcome(c().Request("PATCH", "/Task/" + id, {}, "[]"), 415));
  EXPECT_TRUE(IsOutcome(
      c().Request("PATCH", "/Task/" + id, {{"Content-Type", "application/merge-patch+json"}},
                  R"({"status":"ready"})"),
      415));
  EXPECT_TRUE(IsOutcome(Patch("/Task/" + id, "[{\"op\":"), 400, "invalid"));
  EXPECT_TRUE(IsOutcome(Patch("/Task/" + id, R"({"op":"remove","path":"/note"})"), 400));
  HttpResult unknown = Patch("/Task/" + id, R"([{"op":"delete","path":"/status"}])");
  EXPECT_TRUE(IsOutcome(unknown, 400, "invalid"));
  EXPECT_NE(unknown.body.find("patch operation [0]"), std::string::npos) << unknown.body;
  EXPECT_TRUE(IsOutcome(Patch("/Task/" + id, ""), 400));
  // An empty patch is a patch that changes nothing: the current version comes back.
  HttpResult empty = Patch("/Task/" + id, "[]");
  EXPECT_EQ(empty.status, 200) << empty.body;
  EXPECT_EQ(empty.Header("etag"), "W/\"1\"");
}

TEST_F(FhirPatch, TheWorkOfOnePatchIsBounded) {
  std::string id = CreateTask(Unique("t"));
  std::string many = "[";
  for (int i = 0; i < 1001; ++i) {
    many += std::string(i ? "," : "") + R"({"op":"test","path":"/status","value":"requested"})";
  }
  many += "]";
  HttpResult r = Patch("/Task/" + id, many);
  EXPECT_TRUE(IsOutcome(r, 413, "too-long")) << r.body.substr(0, 300);
  EXPECT_NE(r.body.find("limit is 1000"), std::string::npos);
  std::string big =
      R"([{"op":"add","path":"/description","value":")" + std::string(1024 * 1024, 'x') + R"("}])";
  EXPECT_TRUE(IsOutcome(Patch("/Task/" + id, big), 413));
  // Doubling the document with copies stops at the resource size limit, not at memory.
  std::string doubling =
      R"([{"op":"add","path":"/note","value":[{"text":")" + std::string(64 * 1024, 'n') + R"("}]})";
  for (int i = 0; i < 40; ++i) doubling += R"(,{"op":"copy","from":"/note","path":"/note/-"})";
  doubling += "]";
  HttpResult grown = Patch("/Task/" + id, doubling);
  EXPECT_TRUE(IsOutcome(grown, 413)) << grown.body.substr(0, 300);
  EXPECT_EQ(Current("/Task/" + id, "meta.versionId"), "1");
}

TEST_F(FhirPatch, TheNarrativeIsNeverLeftDescribingOldData) {
  const std::string generated =
      R"(,"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Oppgave: requested</div>"})";
  std::string id = CreateTask(Unique("t"), generated);
  const std::string replace = R"([{"op":"replace","path":"/status","value":"in-progress"}])";
  HttpResult r = Patch("/Task/" + id, replace);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(At(ParseJson(r.body), "text"), nullptr) << "a generated narrative is dropped";

  const std::string written =
      R"(,"text":{"status":"additional","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Avtalt med pasienten</div>"})";
  std::string id2 = CreateTask(Unique("t"), written);
  EXPECT_TRUE(IsOutcome(Patch("/Task/" + id2, replace), 422, {}, "Task.text"));
  // A patch that sees to the narrative itself is the client's call.
  HttpResult both = Patch("/Task/" + id2,
                          R"([{"op":"replace","path":"/status","value":"in-progress"},
          {"op":"replace","path":"/text/div","value":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Startet</div>"}])");
  ASSERT_EQ(both.status, 200) << both.body;
  EXPECT_EQ(Str(ParseJson(both.body), "text.status"), "additional");
  // Changing only meta (a tag) leaves any narrative alone.
  HttpResult tag = Patch(
      "/Task/" + id2,
      R"([{"op":"add","path":"/meta/tag","value":[{"system":"urn:emeistring:test","code":"x"}]}])");
  ASSERT_EQ(tag.status, 200) << tag.body;
  EXPECT_NE(At(ParseJson(tag.body), "text"), nullptr);
}

TEST_F(FhirPatch, PreferReturnMinimal) {
  std::string id = CreateTask(Unique("t"));
  HttpResult r = Patch("/Task/" + id, R"([{"op":"replace","path":"/status","value":"ready"}])",
                       {{"Prefer", "return=minimal"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.empty()) << r.body;
  EXPECT_EQ(r.Header("etag"), "W/\"2\"");
}

// ---- in batches and transactions

std::string PatchEntry(const std::string& url, const std::string& patch,
                       const std::string& extra_request = {}) {
  return R"({"resource":{"resourceType":"Binary","contentType":"application/json-patch+json","data":")" +
         common::Base64Encode(patch) + R"("},"request":{"method":"PATCH","url":")" + url + "\"" +
         extra_request + "}}";
}

TEST_F(FhirPatch, InATransactionWithTheOtherEntries) {
  const std::string tag = Unique("tx");
  std::string id = CreateTask(tag);
  const std::string tx =
      R"({"resourceType":"Bundle","type":"transaction","entry":[)" +
      PatchEntry("Task/" + id,
                 R"([{"op":"replace","path":"/status","value":"in-progress"},
                     {"op":"add","path":"/focus","value":{"reference":"urn:uuid:4f7d6a0e-6b7a-4c1f-9a43-2d8e1f0b5c11"}}])",
                 R"(,"ifMatch":"W/\"1\"")") +
      R"(,{"fullUrl":"urn:uuid:4f7d6a0e-6b7a-4c1f-9a43-2d8e1f0b5c11","resource":{"resourceType":"Questionnaire","status":"draft"},"request":{"method":"POST","url":"Questionnaire"}}]})";
  HttpResult r = c().Post("/", tx);
  ASSERT_EQ(r.status, 200) << r.body;
  Json out = ParseJson(r.body);
  EXPECT_EQ(Str(out, "entry.0.response.status"), "200 OK");
  EXPECT_EQ(Str(out, "entry.0.response.location"), "Task/" + id + "/_history/2");
  EXPECT_EQ(Str(out, "entry.1.response.status"), "201 Created");
  // The urn:uuid the patch added points at the Questionnaire created in the same transaction.
  Json task = ParseJson(c().Get("/Task/" + id).body);
  EXPECT_EQ(Str(task, "status"), "in-progress");
  EXPECT_EQ(Str(task, "focus.reference"), "Questionnaire/" + Str(out, "entry.1.resource.id"));

  // A conditional patch with a stale ifMatch fails the whole transaction: nothing is written.
  const int64_t before = Total(c().GetBundle("/Questionnaire?_summary=count"));
  const std::string stale =
      R"({"resourceType":"Bundle","type":"transaction","entry":[)" +
      PatchEntry("Task?identifier=urn:emeistring:test|" + tag,
                 R"([{"op":"replace","path":"/status","value":"cancelled"}])",
                 R"(,"ifMatch":"W/\"1\"")") +
      R"(,{"resource":{"resourceType":"Questionnaire","status":"draft"},"request":{"method":"POST","url":"Questionnaire"}}]})";
  EXPECT_TRUE(IsOutcome(c().Post("/", stale), 412));
  EXPECT_EQ(Total(c().GetBundle("/Questionnaire?_summary=count")), before);
  EXPECT_EQ(Current("/Task/" + id, "status"), "in-progress");
}

TEST_F(FhirPatch, ARejectedPatchFailsTheTransactionNamingTheEntry) {
  std::string id = CreateTask(Unique("tx"));
  const std::string tx =
      R"({"resourceType":"Bundle","type":"transaction","entry":[)" +
      PatchEntry("Task/" + id, R"([{"op":"test","path":"/status","value":"completed"}])") + "]}";
  HttpResult r = c().Post("/", tx);
  EXPECT_TRUE(IsOutcome(r, 422, "conflict")) << r.body;
  EXPECT_NE(r.body.find("Bundle.entry[0]"), std::string::npos) << r.body;
  // FHIRPath Patch and undecodable data are refused as wrong entries (400).
  const std::string parameters =
      R"({"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Parameters","parameter":[{"name":"operation","part":[{"name":"type","valueCode":"delete"},{"name":"path","valueString":"Task.note"}]}]},"request":{"method":"PATCH","url":"Task/)" +
      id + R"("}}]})";
  HttpResult fp = c().Post("/", parameters);
  EXPECT_TRUE(IsOutcome(fp, 400)) << fp.body;
  EXPECT_NE(fp.body.find("FHIRPath Patch"), std::string::npos) << fp.body;
  const std::string not_base64 =
      R"({"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Binary","contentType":"application/json-patch+json","data":"bm90 IGE=?"},"request":{"method":"PATCH","url":"Task/)" +
      id + R"("}}]})";
  EXPECT_TRUE(IsOutcome(c().Post("/", not_base64), 400));
  EXPECT_EQ(Current("/Task/" + id, "meta.versionId"), "1");
}

TEST_F(FhirPatch, InABatchEachEntryStandsAlone) {
  std::string id = CreateTask(Unique("b"));
  const std::string batch =
      R"({"resourceType":"Bundle","type":"batch","entry":[)" +
      PatchEntry("Task/" + id, R"([{"op":"replace","path":"/status","value":"ready"}])") + "," +
      PatchEntry("Task/" + id, R"([{"op":"test","path":"/status","value":"cancelled"}])") +
      R"(,{"resource":{"resourceType":"Binary","contentType":"text/plain","data":"aGVp"},"request":{"method":"PATCH","url":"Task/)" +
      id + R"("}}]})";
  HttpResult r = c().Post("/", batch);
  ASSERT_EQ(r.status, 200) << r.body;
  Json out = ParseJson(r.body);
  EXPECT_EQ(Str(out, "entry.0.response.status"), "200 OK");
  EXPECT_EQ(Str(out, "entry.0.response.etag"), "W/\"2\"");
  EXPECT_EQ(Str(out, "entry.1.response.status"), "422 Unprocessable Entity");
  EXPECT_EQ(Str(out, "entry.2.response.status"), "415 Unsupported Media Type");
  EXPECT_EQ(Current("/Task/" + id, "status"), "ready");
}

}  // namespace
}  // namespace emg::test
