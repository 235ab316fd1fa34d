// GET /metrics: Prometheus text at the site root whose counters move with traffic.
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/metrics_text.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace {

using hoody::test::http_client;
using hoody::test::server_process;
using nlohmann::json;

using hoody::test::api;

const auto& value_of = hoody::test::metric_value;

TEST(ops_metrics_e2e, counters_move_with_traffic) {
  server_process srv({"--ttl-sweep-interval", "1"});
  http_client c(srv.port());
  const auto before = c.get("/metrics");
  ASSERT_EQ(before.status, 200);
  EXPECT_EQ(before.header("content-type").rfind("text/plain; version=0.0.4", 0), 0U);
  EXPECT_NE(before.body.find("# TYPE hoody_http_requests_total counter"), std::string::npos);

  const std::string db_ok =
      R"(hoody_http_requests_total{method="POST",route="/api/v1/sqlite/db",status="200"})";
  const std::string kv_404 =
      R"(hoody_http_requests_total{method="GET",route="/api/v1/sqlite/kv/{key}",status="404"})";
  const std::string db_count =
      R"(hoody_http_request_duration_seconds_count{method="POST",route="/api/v1/sqlite/db"})";
  ASSERT_EQ(c.post(api + "/db/create?path=m", json::object()).status, 201);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(c.post(api + "/db?db=m", {{"transaction", {{{"query", "SELECT 1"}}}}}).status, 200);
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(c.get(api + "/kv/none?db=m").status, 404);
  }
  ASSERT_EQ(c.put(api + "/kv/short?db=m&ttl=1", "x").status, 200);

  // The TTL sweep deletes the expired key within a few seconds.
  std::string after;
  for (int i = 0; i < 50; ++i) {
    after = c.get("/metrics").body;
    if (value_of(after, "hoody_ttl_rows_deleted_total") >= 1) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(value_of(after, db_ok) - value_of(before.body, db_ok), 5) << after;
  EXPECT_EQ(value_of(after, kv_404) - value_of(before.body, kv_404), 3);
  EXPECT_EQ(value_of(after, db_count), 5);
  EXPECT_EQ(value_of(after, "hoody_open_databases"), 1);
  EXPECT_GE(value_of(after, "hoody_db_cache_misses_total"), 1);
  EXPECT_GE(value_of(after, "hoody_db_cache_hits_total"), 8);
  EXPECT_GE(value_of(after, "hoody_group_commit_size_count"), 2);  // create + PUT at least
  EXPECT_GE(value_of(after, R"(hoody_group_commit_size_bucket{le="+Inf"})"),
            value_of(after, "hoody_group_commit_size_count"));
  EXPECT_GE(value_of(after, "hoody_ttl_sweeps_total"), 1);
  EXPECT_GE(value_of(after, "hoody_ttl_rows_deleted_total"), 1);
  EXPECT_NE(after.find("hoody_writer_queue_depth "), std::string::npos);
  // WAL sizes (their values: ops_checkpoint_e2e_test's wal_metrics).
  EXPECT_TRUE(hoody::test::has_metric(after, "hoody_wal_bytes_max")) << after;
  EXPECT_GE(value_of(after, "hoody_wal_bytes_sum"), value_of(after, "hoody_wal_bytes_max"));
  EXPECT_NE(after.find("# TYPE hoody_wal_checkpoints_total counter"), std::string::npos);
  // The scrape itself is counted under its route.
  EXPECT_GE(
      value_of(after, R"(hoody_http_requests_total{method="GET",route="/metrics",status="200"})"),
      1);
}

// Requests refused by the HTTP session before any route ran (body too large, malformed, over
// --max-connections) are counted too, as unmatched.
std::string unmatched(int status) {
  return R"(hoody_http_requests_total{method="",route="unmatched",status=")" +
         std::to_string(status) + R"("})";
}

// /metrics from a fresh connection, retried while the server still counts closing connections.
std::string scrape_when(std::uint16_t port, const std::string& series) {
  std::string text;
  for (int i = 0; i < 100; ++i) {
    http_client c(port);
    const auto r = c.get("/metrics");
    if (r.status == 200) {
      text = r.body;
      if (value_of(text, series) >= 1) {
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return text;
}

TEST(ops_metrics_e2e, session_refusals_are_counted) {
  {
    server_process srv({"--max-body-bytes", "16"});
    {
      http_client big(srv.port());
      EXPECT_EQ(big.request("POST", api + "/db?db=x", std::string(64, 'a')).status, 413);
    }
    {
      http_client bad(srv.port());
      EXPECT_EQ(bad.raw("NOT HTTP AT ALL\r\n\r\n").status, 400);
    }
    const auto text = scrape_when(srv.port(), unmatched(400));
    EXPECT_EQ(value_of(text, unmatched(413)), 1) << text;
    EXPECT_EQ(value_of(text, unmatched(400)), 1) << text;
  }
  server_process srv({"--max-connections", "1"});
  {
    http_client first(srv.port());
    ASSERT_EQ(first.get(api + "/health").status, 200);  // holds the only slot (keep-alive)
    http_client second(srv.port());
    EXPECT_EQ(second.get(api + "/health").status, 503);
  }
  const auto text = scrape_when(srv.port(), unmatched(503));
  EXPECT_GE(value_of(text, unmatched(503)), 1) << text;
}

}  // namespace
