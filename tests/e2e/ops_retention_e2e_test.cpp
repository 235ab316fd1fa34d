// Time-travel retention wired into the periodic sweep (--history-max-ops-per-key).
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace {

using hoody::test::http_client;
using hoody::test::server_process;
using nlohmann::json;
using namespace std::chrono_literals;

using hoody::test::api;

TEST(ops_retention_e2e, old_history_disappears_and_reads_before_the_horizon_say_so) {
  server_process srv({"--history-max-ops-per-key", "2", "--history-prune-interval", "1",
                      "--ttl-sweep-interval", "1"});
  http_client c(srv.port());
  ASSERT_EQ(c.post(api + "/db/create?path=r&init_kv=true", json::object()).status, 201);
  ASSERT_EQ(c.put(api + "/kv/k?db=r", "v1").status, 200);
  const auto first = c.get(api + "/kv/k/history?db=r").json()["operations"][0];
  const double t1 = first["timestamp"].get<double>();
  std::this_thread::sleep_for(1100ms);  // later ops land in a later second
  for (int i = 2; i <= 5; ++i) {
    ASSERT_EQ(c.put(api + "/kv/k?db=r", "v" + std::to_string(i)).status, 200);
  }
  // Before the sweep prunes, the read at t1 is exact.
  json ops;
  for (int i = 0; i < 60; ++i) {
    ops = c.get(api + "/kv/k/history?db=r").json()["operations"];
    if (ops.size() <= 2) {
      break;
    }
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(ops.size(), 2U) << ops.dump();
  EXPECT_EQ(ops[0]["op_number"], 5);
  EXPECT_EQ(ops[1]["op_number"], 4);
  const auto at =
      c.get(api + "/kv/k?db=r&at_timestamp=" + std::to_string(static_cast<long long>(t1)));
  EXPECT_EQ(at.status, 409) << at.body;
  EXPECT_EQ(at.json()["code"], "HISTORY_GAP");
  EXPECT_EQ(at.json()["reason"], "retention") << at.body;
  EXPECT_EQ(c.get(api + "/kv/k?db=r").body, "v5");  // the live value is untouched
  const auto metrics = c.get("/metrics").body;
  EXPECT_NE(metrics.find("hoody_history_ops_pruned_total 3"), std::string::npos);
}

}  // namespace
