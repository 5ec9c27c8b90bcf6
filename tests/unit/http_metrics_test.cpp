#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "gateway/http/metrics.h"

namespace gateway::http {
namespace {

bool Contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

TEST(Metrics, RequestCounterByMethodRouteStatus) {
  Metrics m;
  m.ObserveRequest("GET", "/{type}/{id}", 200, 0.002);
  m.ObserveRequest("GET", "/{type}/{id}", 200, 0.004);
  m.ObserveRequest("POST", "/{type}", 201, 0.02);
  m.ObserveRequest("BREW", "/{type}", 405, 0.0001);
  EXPECT_EQ(m.RequestCount("GET", "/{type}/{id}", 200), 2u);
  EXPECT_EQ(m.RequestCount("OTHER", "/{type}", 405), 1u);
  std::string text = m.Render();
  EXPECT_TRUE(Contains(text, "# TYPE emg_http_requests_total counter\n"));
  EXPECT_TRUE(Contains(text,
                       "emg_http_requests_total{method=\"GET\",route=\"/{type}/{id}\","
                       "status=\"200\"} 2\n"));
  EXPECT_TRUE(Contains(text,
                       "emg_http_requests_total{method=\"POST\",route=\"/{type}\","
                       "status=\"201\"} 1\n"));
  EXPECT_TRUE(Contains(text, "method=\"OTHER\""));
  EXPECT_FALSE(Contains(text, "BREW"));
}

TEST(Metrics, DurationHistogramIsCumulativeByRouteAndStatusClass) {
  Metrics m;
  m.ObserveRequest("GET", "/metadata", 200, 0.00006103515625);  // below the first bucket
  m.ObserveRequest("GET", "/metadata", 204, 0.00390625);
  m.ObserveRequest("GET", "/metadata", 200, 20.0);  // above the last bucket
  std::string text = m.Render();
  const std::string series =
      "emg_http_request_duration_seconds_bucket{route=\"/metadata\","
      "status_class=\"2xx\",";
  EXPECT_TRUE(Contains(text, "# TYPE emg_http_request_duration_seconds histogram\n"));
  EXPECT_TRUE(Contains(text, series + "le=\"0.0001\"} 1\n"));
  EXPECT_TRUE(Contains(text, series + "le=\"0.0025\"} 1\n"));
  EXPECT_TRUE(Contains(text, series + "le=\"0.005\"} 2\n"));
  EXPECT_TRUE(Contains(text, series + "le=\"10\"} 2\n"));
  EXPECT_TRUE(Contains(text, series + "le=\"+Inf\"} 3\n"));
  EXPECT_TRUE(Contains(text,
                       "emg_http_request_duration_seconds_count{route=\"/metadata\","
                       "status_class=\"2xx\"} 3\n"));
  EXPECT_TRUE(Contains(text,
                       "emg_http_request_duration_seconds_sum{route=\"/metadata\","
                       "status_class=\"2xx\"} 20.00396728515625\n"));
}

TEST(Metrics, LatencyBucketsSpanATenthOfAMillisecondToTenSeconds) {
  auto b = LatencyBuckets();
  ASSERT_FALSE(b.empty());
  EXPECT_DOUBLE_EQ(b.front(), 0.0001);
  EXPECT_DOUBLE_EQ(b.back(), 10.0);
  for (size_t i = 1; i < b.size(); ++i) EXPECT_LT(b[i - 1], b[i]);
}

TEST(Metrics, GaugesCountersAndStoreHistograms) {
  Metrics m;
  m.RequestStarted();
  m.RequestStarted();
  m.RequestFinished();
  m.ConnectionOpened();
  m.HandlerException();
  m.ObserveCommit(0.004, 3);
  m.ObserveCommit(0.002, 1);
  std::string text = m.Render();
  EXPECT_TRUE(
      Contains(text, "# TYPE emg_http_requests_in_flight gauge\nemg_http_requests_in_flight 1\n"));
  EXPECT_TRUE(Contains(text, "emg_http_connections_active 1\n"));
  EXPECT_TRUE(Contains(text, "emg_http_connections_accepted_total 1\n"));
  EXPECT_TRUE(Contains(text, "emg_http_handler_exceptions_total 1\n"));
  EXPECT_TRUE(Contains(text, "# TYPE emg_store_commit_duration_seconds histogram\n"));
  EXPECT_TRUE(Contains(text, "emg_store_commit_duration_seconds_count 2\n"));
  EXPECT_TRUE(Contains(text, "emg_store_commit_batch_units_bucket{le=\"1\"} 1\n"));
  EXPECT_TRUE(Contains(text, "emg_store_commit_batch_units_bucket{le=\"4\"} 2\n"));
  EXPECT_TRUE(Contains(text, "emg_store_commit_batch_units_sum 4\n"));
  EXPECT_TRUE(Contains(text, "# TYPE emg_process_uptime_seconds gauge\n"));
  EXPECT_TRUE(Contains(text, "emg_build_info{version=\"" EMG_VERSION "\"} 1\n"));
}

TEST(Metrics, InboundEhrMessagesAndDeviationsByKind) {
  Metrics m;
  m.CountEhrInbound("1");
  m.CountEhrInbound("1");
  m.CountEhrInbound("2");
  m.CountEhrInbound("none");
  m.CountEhrInbound("9");  // not a status: ignored
  m.CountEhrDeviation("element-order");
  m.CountEhrDeviation("element-order");
  m.CountEhrDeviation("foreign-document");
  EXPECT_EQ(m.EhrDeviationCount("element-order"), 2u);
  EXPECT_EQ(m.EhrDeviationCount("nested-msghead"), 0u);
  std::string text = m.Render();
  EXPECT_TRUE(Contains(text, "# TYPE emg_ehr_inbound_messages_total counter\n"));
  EXPECT_TRUE(Contains(text, "emg_ehr_inbound_messages_total{apprec_status=\"1\"} 2\n"));
  EXPECT_TRUE(Contains(text, "emg_ehr_inbound_messages_total{apprec_status=\"2\"} 1\n"));
  EXPECT_TRUE(Contains(text, "emg_ehr_inbound_messages_total{apprec_status=\"3\"} 0\n"));
  EXPECT_TRUE(Contains(text, "emg_ehr_inbound_messages_total{apprec_status=\"none\"} 1\n"));
  EXPECT_TRUE(Contains(text, "# TYPE emg_ehr_inbound_deviations_total counter\n"));
  EXPECT_TRUE(Contains(text, "emg_ehr_inbound_deviations_total{kind=\"element-order\"} 2\n"));
  EXPECT_TRUE(Contains(text, "emg_ehr_inbound_deviations_total{kind=\"foreign-document\"} 1\n"));
  // The label set is bounded whatever the caller passes.
  for (size_t i = 0; i < Metrics::kMaxEhrDeviationKinds + 10; ++i) {
    m.CountEhrDeviation("kind-" + std::to_string(i));
  }
  EXPECT_EQ(m.EhrDeviationCount("other"), 12u);  // 64 labels: 2 + 62 new, the other 12 here
}

TEST(Metrics, EveryLineIsACommentOrASample) {
  Metrics m;
  m.ObserveRequest("GET", "/x", 200, 0.1);
  std::string text = m.Render();
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    std::string line = text.substr(start, end - start);
    start = end + 1;
    ASSERT_FALSE(line.empty());
    if (line[0] == '#') {
      EXPECT_TRUE(line.starts_with("# HELP emg_") || line.starts_with("# TYPE emg_")) << line;
    } else {
      EXPECT_TRUE(line.starts_with("emg_")) << line;
      EXPECT_NE(line.rfind(' '), std::string::npos) << line;
    }
  }
}

TEST(Metrics, LabelValuesAreEscaped) {
  std::string out;
  AppendLabelValue(out, "a\"b\\c\nd");
  EXPECT_EQ(out, "a\\\"b\\\\c\\nd");
  out.clear();
  AppendNumber(out, 0.25);
  out += ' ';
  AppendNumber(out, 1e300 * 1e300);
  EXPECT_EQ(out, "0.25 +Inf");
}

TEST(Metrics, ConcurrentObservationsAreAllCounted) {
  Metrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&m, t] {
      for (int i = 0; i < 1000; ++i) {
        m.ObserveRequest("GET", "/r" + std::to_string(i % 3), 200 + t, 0.001);
      }
    });
  }
  for (auto& t : threads) t.join();
  uint64_t total = 0;
  for (int t = 0; t < 4; ++t) {
    for (int r = 0; r < 3; ++r) total += m.RequestCount("GET", "/r" + std::to_string(r), 200 + t);
  }
  EXPECT_EQ(total, 4000u);
}

}  // namespace
}  // namespace gateway::http
