// The KV read cache against the real binary: repeated GETs are answered from memory, and no
// write — through the KV API, through SQL, or by another process on the file — is ever hidden.
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/metrics_text.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <thread>

namespace {

using hoody::test::api;
using hoody::test::http_client;
using hoody::test::server_process;
using namespace std::chrono_literals;

double metric(http_client& c, const std::string& name) {
  const auto r = c.get("/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(hoody::test::has_metric(r.body, name)) << "no metric " << name;
  return hoody::test::metric_value(r.body, name);
}

class read_cache_e2e : public ::testing::Test {
 protected:
  // The sweeper runs rarely here, so that expiry is the cache's own check.
  server_process srv{{"--ttl-sweep-interval", "3600"}};
  http_client c{srv.port()};
  const std::string db = "cached";

  std::string kv(const std::string& key, const std::string& query = "") const {
    return api + "/kv/" + key + "?db=" + db + (query.empty() ? "" : "&" + query);
  }
  void put(const std::string& key, const std::string& value, const std::string& query = "") {
    const auto r = c.put(
        kv(key, query.empty() ? "create_db_if_missing=true" : "create_db_if_missing=true&" + query),
        value);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  std::string get_body(const std::string& key) {
    const auto r = c.get(kv(key));
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body;
  }
};

TEST_F(read_cache_e2e, repeated_reads_are_hits_and_answer_the_same) {
  put("greeting", R"({"hello":"world"})");
  const auto first = c.get(kv("greeting"));
  ASSERT_EQ(first.status, 200);
  const double hits_before = metric(c, "hoody_read_cache_hits_total");
  for (int i = 0; i < 20; ++i) {
    const auto again = c.get(kv("greeting"));
    ASSERT_EQ(again.status, 200);
    EXPECT_EQ(again.body, first.body);
    EXPECT_EQ(again.header("content-type"), first.header("content-type"));
  }
  EXPECT_GE(metric(c, "hoody_read_cache_hits_total") - hits_before, 19);
  const auto head = c.request("HEAD", kv("greeting"));
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("content-length"), std::to_string(first.body.size()));
  EXPECT_TRUE(head.body.empty());
}

TEST_F(read_cache_e2e, writes_through_the_api_and_sql_are_seen_at_once) {
  put("k", "one");
  EXPECT_EQ(get_body("k"), "one");
  EXPECT_EQ(get_body("k"), "one");
  put("k", "two");
  EXPECT_EQ(get_body("k"), "two");
  ASSERT_EQ(c.post(api + "/kv/n/incr?db=" + db, nlohmann::json::object()).status, 200);
  const auto n1 = get_body("n");
  ASSERT_EQ(c.post(api + "/kv/n/incr?db=" + db, nlohmann::json::object()).status, 200);
  EXPECT_NE(get_body("n"), n1);
  const auto sql = c.post(
      api + "/db?db=" + db,
      {{"transaction", {{{"statement", "UPDATE kv_store SET value = 'three' WHERE key = 'k'"}}}}});
  ASSERT_EQ(sql.status, 200) << sql.body;
  EXPECT_EQ(get_body("k"), "three");
  ASSERT_EQ(c.del(kv("k")).status, 200);
  EXPECT_EQ(c.get(kv("k")).status, 404);
}

TEST_F(read_cache_e2e, a_write_by_another_process_is_seen_at_once) {
  put("ext", "before");
  EXPECT_EQ(get_body("ext"), "before");
  EXPECT_EQ(get_body("ext"), "before");
  sqlite3* other = nullptr;
  const auto file = srv.data_dir() / (db + ".db");
  ASSERT_EQ(sqlite3_open(file.c_str(), &other), SQLITE_OK);
  // The cache's validity signal is the WAL index: another process cannot take the database out
  // of WAL mode while the server has it open (SQLite answers "database is locked").
  sqlite3_busy_timeout(other, 100);
  EXPECT_NE(sqlite3_exec(other, "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_busy_timeout(other, 5000);
  ASSERT_EQ(sqlite3_exec(other, "UPDATE kv_store SET value = 'after' WHERE key = 'ext'", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(other);
  EXPECT_EQ(get_body("ext"), "after");
}

TEST_F(read_cache_e2e, an_expired_entry_is_never_served) {
  put("brief", "soon gone", "ttl=1");
  EXPECT_EQ(get_body("brief"), "soon gone");
  EXPECT_EQ(get_body("brief"), "soon gone");
  std::this_thread::sleep_for(1100ms);
  EXPECT_EQ(c.get(kv("brief")).status, 404);
}

TEST_F(read_cache_e2e, time_travel_and_json_path_reads_bypass_it) {
  put("doc", R"({"a":1})");
  EXPECT_EQ(get_body("doc"), R"({"a":1})");
  const auto at =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::this_thread::sleep_for(20ms);
  put("doc", R"({"a":2})");
  EXPECT_EQ(get_body("doc"), R"({"a":2})");
  EXPECT_EQ(c.get(kv("doc", "path=a")).body, "2");
  const auto old = c.get(kv("doc", "at_timestamp=" + std::to_string(at)));
  EXPECT_EQ(old.status, 200) << old.body;
  EXPECT_NE(old.body.find('1'), std::string::npos) << old.body;
}

TEST(read_cache_off, zero_budget_serves_every_read_from_sqlite) {
  server_process srv{{"--read-cache-kib", "0"}};
  http_client c{srv.port()};
  ASSERT_EQ(c.put(api + "/kv/k?db=off&create_db_if_missing=true", "v").status, 200);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(c.get(api + "/kv/k?db=off").body, "v");
  }
  EXPECT_EQ(metric(c, "hoody_read_cache_hits_total"), 0);
}

}  // namespace
