// Limits of the real binary: query time limit, maximum connections, slowloris clients cut off by
// the read timeout, and 1,000 idle connections that do not keep new requests from being served.
// (Header size → 431, body size → 413 and malformed requests are in catalogue_e2e_test.cpp;
// result rows and items per batch in sql_e2e_test.cpp and kv_e2e_test.cpp.)
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/raw_socket.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace {
using hoody::test::http_client;
using hoody::test::raw_socket;
using hoody::test::server_process;
using hoody::test::url_encode;
using json = nlohmann::json;
using clock_type = std::chrono::steady_clock;

using hoody::test::api;
const std::string endless_cte =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";

void raise_fd_limit(rlim_t wanted) {
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_cur < wanted) {
    limit.rlim_cur = std::min(wanted, limit.rlim_max);
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &limit), 0);
  }
  if (limit.rlim_cur < wanted) {
    GTEST_SKIP() << "RLIMIT_NOFILE hard limit " << limit.rlim_max << " is below " << wanted;
  }
}

TEST(limits, slow_query_is_stopped_by_the_query_timeout_and_the_server_keeps_serving) {
  server_process srv({"--query-timeout-ms", "300"});
  http_client c(srv.port());
  ASSERT_EQ(c.request("POST", api + "/db/create?path=t").status, 201);

  const auto start = clock_type::now();
  auto res = c.post(api + "/db?db=t", json{{"transaction", {{{"query", endless_cte}}}}});
  const auto took = clock_type::now() - start;
  EXPECT_EQ(res.status, 503) << res.body;
  EXPECT_EQ(res.json()["code"], "QUERY_TIMEOUT") << res.body;
  EXPECT_NE(res.json()["error"].get<std::string>().find("time"), std::string::npos) << res.body;
  EXPECT_LT(took, std::chrono::seconds(5));

  // The shareable GET /query is limited too.
  res = c.get(api + "/query?db=t&sql=" + url_encode(endless_cte));
  EXPECT_EQ(res.status, 503) << res.body;
  EXPECT_EQ(res.json()["code"], "QUERY_TIMEOUT") << res.body;

  // The same connection, and the database, still work.
  EXPECT_EQ(c.get(api + "/health").status, 200);
  res = c.post(api + "/db?db=t", json{{"transaction",
                                       {{{"statement", "CREATE TABLE x(a)"}},
                                        {{"statement", "INSERT INTO x VALUES (1)"}},
                                        {{"query", "SELECT a FROM x"}}}}});
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.json()["results"][2]["resultSet"][0]["a"], 1);
}

TEST(limits, connections_beyond_max_connections_get_503_json_and_later_ones_are_served) {
  server_process srv({"--max-connections", "4"});
  std::vector<std::unique_ptr<http_client>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<http_client>(srv.port()));
    ASSERT_EQ(held.back()->get(api + "/health").status, 200);  // connected and kept alive
  }
  {
    http_client extra(srv.port());
    const auto res = extra.get(api + "/health");
    EXPECT_EQ(res.status, 503) << res.body;
    EXPECT_FALSE(res.json()["error"].get<std::string>().empty());
    EXPECT_EQ(res.header("retry-after"), "1");
  }
  held.pop_back();  // one slot frees up once the server sees the close
  bool served = false;
  for (int attempt = 0; attempt < 50 && !served; ++attempt) {
    http_client next(srv.port());
    served = next.get(api + "/health").status == 200;
    if (!served) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  EXPECT_TRUE(served);
  for (auto& c : held) {
    EXPECT_EQ(c->get(api + "/health").status, 200);
  }
}

TEST(limits, slowloris_client_is_cut_off_by_the_read_timeout_while_others_are_served) {
  server_process srv({"--read-timeout", "2", "--idle-timeout", "60"});
  raw_socket slow(srv.port());
  ASSERT_TRUE(slow.ok());

  std::atomic<bool> cut{false};
  clock_type::duration cut_after{};
  std::thread trickle([&] {
    const std::string request = "GET " + api +
                                "/health HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(100, 'a') +
                                "\r\n\r\n";
    const auto start = clock_type::now();
    for (const char ch : request) {
      if (!slow.send(std::string_view(&ch, 1)) || slow.closed_within(1000)) {
        cut_after = clock_type::now() - start;
        cut = true;
        return;
      }
    }
  });

  // Meanwhile other clients are answered promptly.
  http_client other(srv.port());
  for (int i = 0; i < 10; ++i) {
    const auto start = clock_type::now();
    EXPECT_EQ(other.get(api + "/health").status, 200);
    EXPECT_LT(clock_type::now() - start, std::chrono::seconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  trickle.join();
  ASSERT_TRUE(cut) << "the slow client was never disconnected";
  EXPECT_GE(cut_after, std::chrono::milliseconds(1500));
  EXPECT_LT(cut_after, std::chrono::seconds(5));
}

TEST(limits, idle_connections_are_closed_by_the_idle_timeout) {
  server_process srv({"--idle-timeout", "1"});
  raw_socket idle(srv.port());
  ASSERT_TRUE(idle.ok());
  EXPECT_TRUE(idle.closed_within(4000));
}

TEST(limits, a_thousand_idle_connections_do_not_stop_new_requests) {
  raise_fd_limit(1200);
  if (testing::Test::IsSkipped()) {
    return;
  }
  server_process srv;
  std::vector<raw_socket> idle;
  idle.reserve(1000);
  for (int i = 0; i < 1000; ++i) {
    idle.emplace_back(srv.port());
    ASSERT_TRUE(idle.back().ok()) << "connection " << i;
  }
  // Half of them even started a request and stalled.
  for (std::size_t i = 0; i < idle.size(); i += 2) {
    idle[i].send("GET /api/v1/sqlite/hea");
  }
  http_client c(srv.port());
  const auto start = clock_type::now();
  for (int i = 0; i < 20; ++i) {
    http_client fresh(srv.port());
    EXPECT_EQ(fresh.get(api + "/health").status, 200);
  }
  EXPECT_LT(clock_type::now() - start, std::chrono::seconds(5));
  ASSERT_EQ(c.request("POST", api + "/db/create?path=busy").status, 201);
  EXPECT_EQ(c.put(api + "/kv/k?db=busy", "1").status, 200);
}

}  // namespace
