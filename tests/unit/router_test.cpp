// The composition root's routing table (gateway/app/router.h).

#include "gateway/app/router.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gateway::app {
namespace {

HttpRequest Get(std::string path) {
  HttpRequest r;
  r.method = "GET";
  r.target = path;
  r.path = std::move(path);
  return r;
}

HttpResponse Answer(std::string who) {
  HttpResponse r;
  r.status = 200;
  r.body = std::move(who);
  return r;
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest()
      : router_([this](const HttpRequest&) {
          seen_.push_back("fallback");
          return Answer("fhir");
        }) {}

  Router router_;
  std::vector<std::string> seen_;
};

TEST_F(RouterTest, PrefixesInOrderThenTheFallback) {
  router_.Add("/auth/", "login", [this](const HttpRequest&) -> std::optional<HttpResponse> {
    seen_.push_back("login");
    return Answer("login");
  });
  router_.Add("/ehr/", "ehr", [this](const HttpRequest&) -> std::optional<HttpResponse> {
    seen_.push_back("ehr");
    return Answer("ehr");
  });
  EXPECT_EQ(router_.Handle(Get("/auth/login")).body, "login");
  EXPECT_EQ(router_.Handle(Get("/ehr/messages")).body, "ehr");
  EXPECT_EQ(router_.Handle(Get("/Patient/1")).body, "fhir");
  // A prefix is not a substring match, and "/ehr" alone is not "/ehr/".
  EXPECT_EQ(router_.Handle(Get("/x/ehr/messages")).body, "fhir");
  EXPECT_EQ(router_.Handle(Get("/ehr")).body, "fhir");
  EXPECT_EQ(seen_, (std::vector<std::string>{"login", "ehr", "fallback", "fallback", "fallback"}));
  ASSERT_EQ(router_.routes().size(), 2u);
  EXPECT_EQ(router_.routes()[0].name, "login");
  EXPECT_EQ(router_.routes()[1].name, "ehr");
}

TEST_F(RouterTest, ARouteMayDeclineAndTheNextAnswers) {
  router_.Add("/a/", "declines", [this](const HttpRequest&) -> std::optional<HttpResponse> {
    seen_.push_back("declines");
    return std::nullopt;
  });
  router_.Add("/a/b", "answers", [this](const HttpRequest&) -> std::optional<HttpResponse> {
    seen_.push_back("answers");
    return Answer("b");
  });
  EXPECT_EQ(router_.Handle(Get("/a/b/c")).body, "b");
  EXPECT_EQ(router_.Handle(Get("/a/x")).body, "fhir");
  EXPECT_EQ(seen_, (std::vector<std::string>{"declines", "answers", "declines", "fallback"}));
}

TEST_F(RouterTest, TheFirstMatchingRouteWins) {
  router_.Add("/p/", "first",
              [](const HttpRequest&) -> std::optional<HttpResponse> { return Answer("first"); });
  router_.Add("/p/", "second",
              [](const HttpRequest&) -> std::optional<HttpResponse> { return Answer("second"); });
  EXPECT_EQ(router_.Handle(Get("/p/q")).body, "first");
}

}  // namespace
}  // namespace gateway::app
