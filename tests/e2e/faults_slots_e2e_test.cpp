// Issue 14, item 4: more busy databases than --max-open-dbs. A request for a database that is
// not open, while every open one is in use, waits for a slot (bounded queue, bounded time)
// instead of being refused; only after --db-slot-wait-ms does it get 503 with Retry-After.
#include "fault_support.hpp"
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {
using hoody::test::http_client;
using hoody::test::server_process;
using hoody::test::sqlite_file;
using json = nlohmann::json;
using steady = std::chrono::steady_clock;

using hoody::test::api;
using hoody::test::seconds_since;
using hoody::test::text_plain;

TEST(db_slots, eight_clients_on_24_databases_with_4_slots_are_never_refused) {
  server_process srv({"--access-log", "false", "--max-open-dbs", "4"});
  constexpr int databases = 24;
  constexpr int clients = 8;
  constexpr int requests_per_client = 150;
  {
    http_client c(srv.port());
    for (int d = 0; d < databases; ++d) {
      ASSERT_EQ(c.post(api + "/db/create?path=s" + std::to_string(d), json::object()).status, 201);
    }
  }
  std::atomic<int> refused{0};
  std::atomic<int> ok{0};
  std::vector<std::vector<std::pair<int, std::string>>> acked(clients);
  std::vector<std::string> failures(clients);
  std::vector<std::thread> threads;
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      http_client c(srv.port());
      std::mt19937 rng(static_cast<unsigned>(t) * 7919U + 1U);
      std::uniform_int_distribution<int> pick(0, databases - 1);
      for (int i = 0; i < requests_per_client; ++i) {
        const int d = pick(rng);
        const std::string db = "s" + std::to_string(d);
        const std::string key = "c" + std::to_string(t) + "-" + std::to_string(i);
        const auto r = (i % 3 == 2) ? c.get(api + "/kv?db=" + db + "&limit=5")
                                    : c.put(api + "/kv/" + key + "?db=" + db, "v", text_plain);
        if (r.status == 200) {
          ++ok;
          if (i % 3 != 2) {
            acked[t].emplace_back(d, key);
          }
        } else {
          ++refused;
          failures[t] = std::to_string(r.status) + " " + r.body;
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(refused.load(), 0) << "e.g. " << failures[0] << failures[1] << failures[2];
  EXPECT_EQ(ok.load(), clients * requests_per_client);
  std::cout << "slots: " << ok.load() << " requests over " << databases
            << " databases with --max-open-dbs 4, " << refused.load() << " refused\n";
  EXPECT_EQ(srv.stop(), 0);
  for (int d = 0; d < databases; ++d) {
    sqlite_file check(srv.data_dir() / ("s" + std::to_string(d) + ".db"));
    EXPECT_EQ(check.integrity(), "ok");
  }
  for (int t = 0; t < clients; ++t) {
    for (const auto& [d, key] : acked[t]) {
      sqlite_file check(srv.data_dir() / ("s" + std::to_string(d) + ".db"), SQLITE_OPEN_READONLY);
      EXPECT_TRUE(check.kv(key).has_value()) << "acknowledged write lost: " << key;
    }
  }
}

TEST(db_slots, a_slot_held_too_long_answers_503_with_retry_after_then_serves) {
  server_process srv({"--access-log", "false", "--max-open-dbs", "1", "--db-slot-wait-ms", "300",
                      "--query-timeout-ms", "2000"});
  {
    http_client c(srv.port());
    ASSERT_EQ(c.post(api + "/db/create?path=hog", json::object()).status, 201);
    ASSERT_EQ(c.post(api + "/db/create?path=other", json::object()).status, 201);
  }
  // A slow query keeps the only slot in use for two seconds.
  std::thread slow([port = srv.port()] {
    http_client c(port);
    (void)c.get(api + "/query?db=hog&sql=" +
                hoody::test::url_encode("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
                                        "FROM c) SELECT count(*) FROM c"));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  http_client c(srv.port());
  const auto started = steady::now();
  const auto r = c.put(api + "/kv/k?db=other", "v", text_plain);
  const double waited = seconds_since(started);
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.json()["code"], "UNAVAILABLE") << r.body;
  EXPECT_EQ(r.header("retry-after"), "1");
  EXPECT_GE(waited, 0.25) << "refused without waiting for a slot";
  EXPECT_LT(waited, 1.5);
  slow.join();
  const auto after = c.put(api + "/kv/k?db=other", "v", text_plain);
  EXPECT_EQ(after.status, 200) << after.body;
  EXPECT_EQ(srv.stop(), 0);
}

}  // namespace
