// A client that hangs up cancels its request (issue 17, the console's Cancel): SQL running for it
// stops at once instead of at --query-timeout-ms, a write it was running or was queued behind
// another commits nothing, a half-closed client reads 499 CLIENT_CLOSED_REQUEST, and pipelined
// requests (bytes arriving while a request runs) are still all answered, in order.
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/metrics_text.hpp"
#include "support/raw_socket.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

namespace {
using hoody::test::api;
using hoody::test::http_client;
using hoody::test::metric_value;
using hoody::test::raw_socket;
using hoody::test::seconds_since;
using hoody::test::server_process;
using json = nlohmann::json;
using namespace std::chrono_literals;

// Endless without the query timeout (60 s here): only a cancel stops them in time.
const std::string endless_select =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
const std::string endless_insert =
    "INSERT INTO t WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
    "SELECT x FROM c";

const std::string cancelled_series =
    R"(hoody_http_requests_total{method="POST",route="/api/v1/sqlite/db",status="499"})";

json tx(const std::string& kind, const std::string& sql) {
  return {{"transaction", json::array({{{kind, sql}}})}};
}

std::string post_request(const std::string& target, const json& body) {
  const std::string text = body.dump();
  return "POST " + target + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
         "Content-Length: " + std::to_string(text.size()) + "\r\n\r\n" + text;
}

class cancel_e2e : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(c_.post(api + "/db/create?path=c", json::object()).status, 201);
    ASSERT_EQ(c_.post(api + "/db?db=c", tx("statement", "CREATE TABLE t (x INTEGER)")).status, 200);
  }
  std::int64_t rows(const std::string& where = "1") {
    const auto r = c_.post(api + "/db?db=c&history=false",
                           tx("query", "SELECT count(*) AS n FROM t WHERE " + where));
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json()["results"][0]["resultSet"][0]["n"].get<std::int64_t>();
  }
  double metric(const std::string& series) { return metric_value(c_.get("/metrics").body, series); }
  // Waits until no request is in flight but the /metrics request itself.
  bool drained_within(std::chrono::milliseconds limit) {
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < limit) {
      if (metric("hoody_http_requests_in_flight") <= 1) {
        return true;
      }
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  server_process srv_{{"--query-timeout-ms", "60000"}};
  http_client c_{srv_.port()};
};

TEST_F(cancel_e2e, a_running_select_stops_when_its_client_hangs_up) {
  raw_socket s(srv_.port());
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(s.send(post_request(api + "/db?db=c", tx("query", endless_select))));
  std::this_thread::sleep_for(300ms);
  ASSERT_GE(metric("hoody_http_requests_in_flight"), 2) << "the select should still be running";
  const auto hung_up = std::chrono::steady_clock::now();
  s.close();
  EXPECT_TRUE(drained_within(5s)) << "the select kept running after its client hung up";
  EXPECT_LT(seconds_since(hung_up), 5);
  EXPECT_EQ(metric(cancelled_series), 1);
  // The server goes on serving, the same database included.
  EXPECT_EQ(rows(), 0);
}

TEST_F(cancel_e2e, a_running_write_commits_nothing_and_frees_the_writer) {
  raw_socket s(srv_.port());
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(s.send(post_request(api + "/db?db=c", tx("statement", endless_insert))));
  std::this_thread::sleep_for(300ms);
  s.close();
  // The writer is free again at once: this write would otherwise wait for the 60 s timeout.
  const auto start = std::chrono::steady_clock::now();
  const auto w = c_.post(api + "/db?db=c", tx("statement", "INSERT INTO t VALUES (-1)"));
  ASSERT_EQ(w.status, 200) << w.body;
  EXPECT_LT(seconds_since(start), 5);
  EXPECT_EQ(rows(), 1) << "rows of the cancelled insert were committed";
}

TEST_F(cancel_e2e, a_queued_write_whose_client_hangs_up_never_runs) {
  // A long write (bounded: about a second) holds the writer; a second write waits behind it and
  // its client hangs up meanwhile.
  http_client long_client(srv_.port());
  std::thread long_write([&] {
    const auto r =
        long_client.post(api + "/db?db=c",
                         tx("statement",
                            "INSERT INTO t WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 "
                            "FROM c WHERE x < 3000000) SELECT x FROM c"));
    EXPECT_EQ(r.status, 200) << r.body;
  });
  std::this_thread::sleep_for(200ms);
  {
    raw_socket s(srv_.port());
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE(
        s.send(post_request(api + "/db?db=c", tx("statement", "INSERT INTO t VALUES (-2)"))));
    std::this_thread::sleep_for(100ms);
  }  // hung up while queued
  long_write.join();
  EXPECT_TRUE(drained_within(5s));
  EXPECT_EQ(rows("x = -2"), 0) << "the abandoned write ran and committed";
  EXPECT_EQ(rows(), 3000000);
  EXPECT_EQ(metric(cancelled_series), 1);
}

TEST_F(cancel_e2e, a_half_closed_client_reads_client_closed_request) {
  raw_socket s(srv_.port());
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(s.send(post_request(api + "/db?db=c", tx("query", endless_select))));
  std::this_thread::sleep_for(200ms);
  s.shutdown_send();
  std::string got;
  ASSERT_TRUE(s.read_until_count(got, "}", 1, 5000)) << got;
  EXPECT_NE(got.find("HTTP/1.1 499"), std::string::npos) << got;
  EXPECT_NE(got.find("CLIENT_CLOSED_REQUEST"), std::string::npos) << got;
}

TEST_F(cancel_e2e, pipelined_requests_sent_while_one_runs_are_all_answered_in_order) {
  raw_socket s(srv_.port());
  ASSERT_TRUE(s.ok());
  // The first request runs about half a second; the next two arrive while it runs.
  const std::string slow =
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000) "
      "SELECT count(*) AS n FROM c";
  ASSERT_TRUE(s.send(post_request(api + "/db?db=c", tx("query", slow))));
  std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(s.send(post_request(api + "/db?db=c", tx("query", "SELECT 7 AS n")) +
                     post_request(api + "/db?db=c", tx("query", "SELECT 8 AS n"))));
  std::string got;
  ASSERT_TRUE(s.read_until_count(got, "HTTP/1.1 200", 3, 10000)) << got;
  ASSERT_TRUE(s.read_until_count(got, "\"n\":8", 1, 5000)) << got;
  const auto first = got.find("\"n\":2000000");
  const auto second = got.find("\"n\":7");
  const auto third = got.find("\"n\":8");
  ASSERT_NE(first, std::string::npos) << got;
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
  EXPECT_EQ(metric(cancelled_series), 0);
}

}  // namespace
