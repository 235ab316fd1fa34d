// Prometheus rendering of the request counters and histograms.
#include "hoody/http/metrics.hpp"

#include <gtest/gtest.h>

namespace {
using namespace hoody::http;

TEST(metrics, counts_by_route_and_status_with_cumulative_buckets) {
  router routes;
  routes.add({verb::get, "/a/{x}", access::none, hoody::http::db_use::none, "a", nullptr});
  routes.add({verb::post, "/b", access::none, hoody::http::db_use::none, "b", nullptr});
  metrics m;
  m.bind(routes);
  const route* a = &routes.routes()[0];
  for (int i = 0; i < 3; ++i) {
    m.request_started();
    m.record(a, 200, 300);  // 0.3 ms
  }
  m.request_started();
  m.record(a, 404, 2'000'000);  // 2 s
  m.request_started();
  m.record(nullptr, 405, 10);
  m.record_ttl_sweep(7);
  const auto text = m.render(nullptr, 1.5);
  EXPECT_NE(
      text.find("hoody_http_requests_total{method=\"GET\",route=\"/a/{x}\",status=\"200\"} 3"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find("hoody_http_requests_total{method=\"GET\",route=\"/a/{x}\",status=\"404\"} 1"),
      std::string::npos);
  EXPECT_NE(text.find("route=\"unmatched\",status=\"405\"} 1"), std::string::npos);
  EXPECT_NE(text.find("hoody_http_request_duration_seconds_bucket{method=\"GET\",route=\"/a/{x}\","
                      "le=\"0.0005\"} 3"),
            std::string::npos);
  EXPECT_NE(text.find("hoody_http_request_duration_seconds_bucket{method=\"GET\",route=\"/a/{x}\","
                      "le=\"2.5\"} 4"),
            std::string::npos);
  EXPECT_NE(
      text.find("hoody_http_request_duration_seconds_count{method=\"GET\",route=\"/a/{x}\"} 4"),
      std::string::npos);
  EXPECT_EQ(text.find("route=\"/b\""), std::string::npos);  // no traffic, no series
  EXPECT_NE(text.find("hoody_ttl_rows_deleted_total 7"), std::string::npos);
  EXPECT_NE(text.find("hoody_http_requests_in_flight 0"), std::string::npos);
  EXPECT_NE(text.find("# TYPE hoody_group_commit_size histogram"), std::string::npos);
}

}  // namespace
