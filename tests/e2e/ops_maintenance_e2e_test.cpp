// POST /maintenance against the real binary: quick_check, checkpoint, vacuum_into producing a
// database that opens and matches, and the refusals (existing dest, self, bad path, bad op).
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace {

using hoody::test::http_client;
using hoody::test::server_process;
using nlohmann::json;

using hoody::test::api;

json rows(http_client& c, const std::string& db, const std::string& sql) {
  const auto r = c.post(api + "/db?db=" + db, {{"transaction", {{{"query", sql}}}}});
  EXPECT_EQ(r.status, 200) << r.body;
  return r.json()["results"][0]["resultSet"];
}

class ops_maintenance_e2e : public ::testing::Test {
 protected:
  server_process srv;
  http_client c{srv.port()};

  void SetUp() override {
    ASSERT_EQ(c.post(api + "/db/create?path=src&init_kv=true", json::object()).status, 201);
    const auto r =
        c.post(api + "/db?db=src",
               {{"transaction",
                 {{{"statement", "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, n REAL)"}},
                  {{"statement", "INSERT INTO items (name, n) VALUES (?, ?)"},
                   {"valuesBatch", json::array({json::array({"a", 1.5}), json::array({"b", 2.5}),
                                                json::array({"c", nullptr})})}}}}});
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_EQ(c.put(api + "/kv/greeting?db=src", "hello", {{"Content-Type", "text/plain"}}).status,
              200);
  }
  hoody::test::http_response maintenance(const json& body, const std::string& query = "") {
    return c.post(api + "/maintenance?db=src" + query, body);
  }
};

TEST_F(ops_maintenance_e2e, quick_check_answers_ok) {
  const auto r = maintenance({{"op", "quick_check"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["success"], true);
  EXPECT_EQ(r.json()["op"], "quick_check");
  EXPECT_EQ(r.json()["ok"], true);
  EXPECT_EQ(r.json()["result"], "ok");
}

TEST_F(ops_maintenance_e2e, checkpoint_truncate_runs_outside_the_group_commit) {
  const auto r = maintenance({{"op", "wal_checkpoint_truncate"}}, "&timeout=5");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["busy"], 0) << r.body;
  EXPECT_EQ(r.json()["complete"], true);
  EXPECT_EQ(r.json()["timeout"], 5);
  EXPECT_EQ(std::filesystem::file_size(srv.data_dir() / "src.db-wal"), 0U);
  // Writes keep working afterwards (the writer is not left inside a transaction).
  EXPECT_EQ(c.put(api + "/kv/after?db=src", "1").status, 200);
}

TEST_F(ops_maintenance_e2e, timeout_is_clamped) {
  EXPECT_EQ(maintenance({{"op", "quick_check"}}, "&timeout=0").json()["timeout"], 1);
  EXPECT_EQ(maintenance({{"op", "quick_check"}}, "&timeout=100000").json()["timeout"], 300);
  EXPECT_EQ(maintenance({{"op", "quick_check"}}, "&timeout=abc").status, 400);
}

TEST_F(ops_maintenance_e2e, vacuum_into_produces_a_matching_database) {
  const auto r = maintenance({{"op", "vacuum_into"}, {"dest_path", "backup"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["dest_path"], "backup");
  EXPECT_GT(r.json()["size_bytes"].get<std::int64_t>(), 0);
  EXPECT_TRUE(std::filesystem::exists(srv.data_dir() / "backup.db"));
  const std::string q = "SELECT id, name, n FROM items ORDER BY id";
  EXPECT_EQ(rows(c, "backup", q), rows(c, "src", q));
  EXPECT_EQ(rows(c, "backup", "SELECT count(*) AS n FROM kv_store__history"),
            rows(c, "src", "SELECT count(*) AS n FROM kv_store__history"));
  const auto kv = c.get(api + "/kv/greeting?db=backup");
  EXPECT_EQ(kv.status, 200);
  EXPECT_EQ(kv.body, "hello");
  // The copy is independent: writing to it leaves the source alone.
  EXPECT_EQ(c.put(api + "/kv/greeting?db=backup", "changed").status, 200);
  EXPECT_EQ(c.get(api + "/kv/greeting?db=src").body, "hello");
}

TEST_F(ops_maintenance_e2e, vacuum_into_refusals) {
  ASSERT_EQ(maintenance({{"op", "vacuum_into"}, {"dest_path", "b1"}}).status, 200);
  auto r = maintenance({{"op", "vacuum_into"}, {"dest_path", "b1"}});
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.json()["code"], "CONFLICT");
  EXPECT_EQ(maintenance({{"op", "vacuum_into"}, {"dest_path", "src"}}).status, 400);
  EXPECT_EQ(maintenance({{"op", "vacuum_into"}, {"dest_path", "./src.db"}}).status, 400);
  r = maintenance({{"op", "vacuum_into"}, {"dest_path", "../escape"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["code"], "INVALID_DB_PATH");
  r = maintenance({{"op", "vacuum_into"}, {"dest_path", "/tmp/abs.db"}});
  EXPECT_EQ(r.json()["code"], "INVALID_DB_PATH");
  EXPECT_EQ(maintenance({{"op", "vacuum_into"}, {"dest_path", ":memory:"}}).status, 400);
  EXPECT_EQ(maintenance({{"op", "vacuum_into"}}).status, 400);
  EXPECT_EQ(maintenance({{"op", "defrag"}}).status, 400);
  EXPECT_EQ(maintenance(json::array()).status, 400);
  EXPECT_EQ(c.post(api + "/maintenance?db=missing", {{"op", "quick_check"}}).status, 404);
}

TEST_F(ops_maintenance_e2e, maintenance_keeps_order_with_concurrent_writes) {
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([this, t] {
      http_client w(srv.port());
      for (int i = 0; i < 25; ++i) {
        const auto r = w.post(api + "/kv/k" + std::to_string(t) + "/incr?db=src", json::object());
        EXPECT_EQ(r.status, 200) << r.body;
      }
    });
  }
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(maintenance({{"op", "wal_checkpoint_truncate"}}).status, 200);
  }
  for (auto& w : writers) {
    w.join();
  }
  ASSERT_EQ(maintenance({{"op", "vacuum_into"}, {"dest_path", "after"}}).status, 200);
  for (int t = 0; t < 4; ++t) {
    EXPECT_EQ(c.get(api + "/kv/k" + std::to_string(t) + "?db=after").body, "25");
  }
}

}  // namespace
