#include <gtest/gtest.h>

#include <string>

#include "gateway/http/edge_routes.h"

namespace gateway::http {
namespace {

HttpRequest Get(std::string path, std::string method = "GET") {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.target = r.path;
  return r;
}

TEST(EdgeRoutes, Healthz) {
  Metrics m;
  auto r = ServeEdgeRoute(Get("/healthz"), false, true, m);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);  // the process runs, whatever the store says
  EXPECT_EQ(r->route, "/healthz");
}

TEST(EdgeRoutes, ReadyzFollowsStoreAndDraining) {
  Metrics m;
  EXPECT_EQ(ServeEdgeRoute(Get("/readyz"), true, false, m)->status, 200);
  EXPECT_EQ(ServeEdgeRoute(Get("/readyz"), false, false, m)->status, 503);
  EXPECT_EQ(ServeEdgeRoute(Get("/readyz"), true, true, m)->status, 503);
}

TEST(EdgeRoutes, MetricsInPrometheusTextFormat) {
  Metrics m;
  auto r = ServeEdgeRoute(Get("/metrics"), true, false, m);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r->body.find("emg_process_uptime_seconds"), std::string::npos);
}

TEST(EdgeRoutes, OtherMethodsGet405AndOtherPathsAreNotEdgeRoutes) {
  Metrics m;
  auto r = ServeEdgeRoute(Get("/healthz", "POST"), true, false, m);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->Header("Allow"), "GET, HEAD");
  EXPECT_EQ(ServeEdgeRoute(Get("/metrics", "HEAD"), true, false, m)->status, 200);
  EXPECT_FALSE(ServeEdgeRoute(Get("/Patient"), true, false, m).has_value());
  EXPECT_FALSE(ServeEdgeRoute(Get("/healthz/x"), true, false, m).has_value());
}

TEST(EdgeRoutes, OutcomeResponseIsAnOperationOutcome) {
  HttpResponse r =
      OutcomeResponse(413, "too-long", "the request body exceeds 10 bytes", "too_large");
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.route, "too_large");
  EXPECT_EQ(r.Header("Content-Type"), "application/fhir+json; charset=utf-8");
  EXPECT_NE(r.body.find(R"("resourceType":"OperationOutcome")"), std::string::npos);
  EXPECT_NE(r.body.find(R"("code":"too-long")"), std::string::npos);
  EXPECT_NE(r.body.find(R"("severity":"error")"), std::string::npos);
}

}  // namespace
}  // namespace gateway::http
