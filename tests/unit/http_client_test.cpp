// The outbound HTTP client's URL parsing and the push backoff schedule (the exchange itself is
// tested against a real server in tests/integration/ehr_push_test.cpp).

#include "gateway/http/http_client.h"

#include <gtest/gtest.h>

#include "gateway/ehr/ehr_pusher.h"

namespace gateway::http {
namespace {

TEST(HttpUrl, ParsesWhatAPushUrlMayBe) {
  auto u = common::ParseHttpUrl("http://127.0.0.1:8080/meldinger?kanal=ehr");
  ASSERT_TRUE(u.has_value());
  EXPECT_FALSE(u->tls);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->target, "/meldinger?kanal=ehr");
  u = common::ParseHttpUrl("https://meldingstjener.sykehus.example");
  ASSERT_TRUE(u.has_value());
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->target, "/");
  u = common::ParseHttpUrl("http://[::1]:9000/x");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 9000);
  u = common::ParseHttpUrl("http://host?q=1");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->target, "/?q=1");
}

TEST(HttpUrl, RefusesEverythingElse) {
  for (const char* bad : {"", "ftp://h/x", "http://", "http:///x", "http://user:pw@h/x",
                          "http://h:0/", "http://h:65536/", "http://h:8o/", "http://h/x#frag",
                          "http://[::1/x", "http://h h/", "https://h:/", "http://::1/"}) {
    EXPECT_FALSE(common::ParseHttpUrl(bad).has_value()) << bad;
  }
}

TEST(PushBackoff, DoublesFromTheInitialDelayUpToTheCap) {
  ehr::PushOptions o;
  o.initial_backoff = std::chrono::milliseconds(100);
  o.max_backoff = std::chrono::milliseconds(1000);
  EXPECT_EQ(ehr::PushBackoff(o, 1).count(), 100);
  EXPECT_EQ(ehr::PushBackoff(o, 2).count(), 200);
  EXPECT_EQ(ehr::PushBackoff(o, 4).count(), 800);
  EXPECT_EQ(ehr::PushBackoff(o, 5).count(), 1000);
  EXPECT_EQ(ehr::PushBackoff(o, 500).count(), 1000);  // no overflow however many failures
}

TEST(HttpClientCreate, ACaFileThatIsNotPemIsAnError) {
  auto c = HttpClient::Create(std::chrono::seconds(1), "/nonexistent/ca.pem");
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().message().find("/nonexistent/ca.pem"), std::string::npos);
  EXPECT_TRUE(HttpClient::Create(std::chrono::seconds(1), "").has_value());
}

}  // namespace
}  // namespace gateway::http
