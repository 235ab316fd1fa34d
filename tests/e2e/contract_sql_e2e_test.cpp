// End-to-end tests of the published contract for SQL, query history, health, maintenance and
// time-travel details (issue 13): each test provokes one behaviour against the real binary.
#include "hoody/ops/base64.hpp"

#include "fault_support.hpp"
#include "support/e2e_fixture.hpp"
#include "support/metrics_text.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <ctime>
#include <memory>
#include <string>
#include <thread>

namespace {

using hoody::test::api;
using hoody::test::http_client;
using hoody::test::http_response;
using hoody::test::seconds_since;
using hoody::test::server_process;
using hoody::test::sqlite_file;
using hoody::test::temp_dir;
using nlohmann::json;

class contract_sql_e2e : public hoody::test::per_test_database {
 protected:
  std::string q(const std::string& extra = "") const {
    return "?db=" + db_ + (extra.empty() ? "" : "&" + extra);
  }
  http_response tx(const json& items) {
    return c_->post(api + "/db" + q(), {{"transaction", items}});
  }
  json select(const std::string& sql) {
    const auto r = tx({{{"query", sql}}});
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json()["results"][0];
  }
  json get_query(const std::string& sql) {
    const auto r = c_->get(api + "/query" + q("sql=" + hoody::ops::base64_encode(sql, true)));
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  }
  std::filesystem::path file() const { return srv_->data_dir() / (db_ + ".db"); }
};

// --- unsafe items ---------------------------------------------------------------------------

TEST_F(contract_sql_e2e, table_rollback_applies_only_with_the_literal_yes) {
  ASSERT_EQ(c_->put(api + "/kv/k" + q(), "1").status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const std::string t = std::to_string(std::time(nullptr));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  ASSERT_EQ(c_->put(api + "/kv/k" + q(), "2").status, 200);
  for (const std::string confirm : {"confirm=true", "confirm=1", "confirm=YES", "confirm=no",
                                    "confirm=", "confirm=yes%20", "confirm=Yes"}) {
    const auto r =
        c_->post(api + "/kv/rollback" + q("to_timestamp=" + t + "&" + confirm), json::object());
    ASSERT_EQ(r.status, 200) << confirm << ": " << r.body;
    EXPECT_EQ(r.json()["dry_run"], true) << confirm;
    EXPECT_EQ(r.json()["applied"], false) << confirm;
    EXPECT_EQ(c_->get(api + "/kv/k" + q()).body, "2") << confirm << " changed the value";
  }
  const auto r =
      c_->post(api + "/kv/rollback" + q("to_timestamp=" + t + "&confirm=yes"), json::object());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["applied"], true);
  EXPECT_EQ(c_->get(api + "/kv/k" + q()).body, "1");
}

TEST_F(contract_sql_e2e, history_entry_is_deleted_by_its_id) {
  for (const std::string sql : {"SELECT 1", "SELECT 2", "SELECT 3"}) {
    select(sql);
  }
  auto list = c_->get(api + "/history" + q()).json();
  ASSERT_EQ(list["count"], 3) << list.dump();
  const auto newest = list["entries"][0]["id"].get<std::int64_t>();
  const auto middle = list["entries"][1]["id"].get<std::int64_t>();
  EXPECT_EQ(list["entries"][1]["sql"], "SELECT 2");
  EXPECT_GT(newest, middle);
  // By id, not by position: deleting `middle` removes "SELECT 2" whatever its place in the list.
  auto r = c_->del(api + "/history/" + std::to_string(middle) + q());
  ASSERT_EQ(r.status, 200) << r.body;
  list = c_->get(api + "/history" + q()).json();
  ASSERT_EQ(list["count"], 2);
  EXPECT_EQ(list["entries"][0]["sql"], "SELECT 3");
  EXPECT_EQ(list["entries"][1]["sql"], "SELECT 1");
  r = c_->del(api + "/history/" + std::to_string(middle) + q());
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.json()["error"], "History entry not found");
  EXPECT_EQ(c_->del(api + "/history/0" + q()).status, 404);  // never a position
  EXPECT_EQ(c_->del(api + "/history/abc" + q()).status, 400);
  EXPECT_EQ(c_->del(api + "/history/-1" + q()).status, 400);
}

TEST_F(contract_sql_e2e, every_read_describes_the_rows_it_returns_after_a_schema_change) {
  ASSERT_EQ(tx({{{"statement", "CREATE TABLE t (a INTEGER)"}},
                {{"statement", "INSERT INTO t VALUES (1)"}}})
                .status,
            200);
  // Warm every reader's statement reuse with the old shape.
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(select("SELECT * FROM t")["resultHeaders"], json::array({"a"}));
    EXPECT_EQ(get_query("SELECT * FROM t")["columns"], json::array({"a"}));
  }
  // DDL by this server ...
  ASSERT_EQ(tx({{{"statement", "ALTER TABLE t ADD COLUMN b TEXT DEFAULT 'x'"}}}).status, 200);
  auto r = select("SELECT * FROM t");
  EXPECT_EQ(r["resultHeaders"], json::array({"a", "b"})) << r.dump();
  EXPECT_EQ(r["resultSet"][0], json({{"a", 1}, {"b", "x"}}));
  auto g = get_query("SELECT * FROM t");
  EXPECT_EQ(g["columns"], json::array({"a", "b"})) << g.dump();
  EXPECT_EQ(g["resultSet"][0], json({{"a", 1}, {"b", "x"}}));
  for (int i = 0; i < 12; ++i) {
    select("SELECT * FROM t");
    get_query("SELECT * FROM t");
  }
  // ... and by another connection (another process would do the same): drop and re-create.
  {
    sqlite_file other(file());
    other.exec(
        "DROP TABLE t; CREATE TABLE t (z TEXT, y INTEGER, x REAL); "
        "INSERT INTO t VALUES ('new', 7, 1.5)");
  }
  for (int i = 0; i < 12; ++i) {  // every reader, not only the first one asked
    r = select("SELECT * FROM t");
    ASSERT_EQ(r["resultHeaders"], json::array({"z", "y", "x"})) << "read " << i << ": " << r.dump();
    ASSERT_EQ(r["resultSet"][0], json({{"z", "new"}, {"y", 7}, {"x", 1.5}}));
    g = get_query("SELECT * FROM t");
    ASSERT_EQ(g["columns"], json::array({"z", "y", "x"})) << "read " << i << ": " << g.dump();
    ASSERT_EQ(g["rowCount"], 1);
  }
  // Column lists of empty results follow too.
  {
    sqlite_file other(file());
    other.exec("DELETE FROM t; ALTER TABLE t ADD COLUMN w BLOB");
  }
  EXPECT_EQ(select("SELECT * FROM t")["resultHeaders"], json::array({"z", "y", "x", "w"}));
  EXPECT_EQ(get_query("SELECT * FROM t")["columns"], json::array({"z", "y", "x", "w"}));
}

// --- POST /db errors ------------------------------------------------------------------------

TEST_F(contract_sql_e2e, statement_errors_are_http_200_and_roll_back) {
  ASSERT_EQ(
      tx({{{"statement", "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)"}}}).status,
      200);
  const auto expect_statement_error = [&](const json& items, std::int64_t idx, const char* code) {
    const auto r = tx(items);
    EXPECT_EQ(r.status, 200) << r.body;
    const json j = r.json();
    EXPECT_EQ(j["reqIdx"], idx) << r.body;
    EXPECT_TRUE(j["error"].is_string() && !j["error"].get<std::string>().empty()) << r.body;
    EXPECT_EQ(j["code"], code) << r.body;
    EXPECT_FALSE(j.contains("results")) << r.body;
  };
  const json insert = {{"statement", "INSERT INTO t (id, v) VALUES (1, 'a')"}};
  expect_statement_error({insert, {{"statement", "INSERT INTO nope VALUES (1)"}}}, 1, "SQL_ERROR");
  expect_statement_error({insert, {{"statement", "INSERT INTO t (id, v) VALUES (2, NULL)"}}}, 1,
                         "CONFLICT");
  expect_statement_error({insert, {{"query", "SELEC 1"}}}, 1, "SQL_ERROR");
  expect_statement_error({insert, {{"statement", "INSERT INTO t VALUES (?, ?)"}, {"values", {1}}}},
                         1, "BAD_REQUEST");
  expect_statement_error({{{"query", "SELECT 1"}}, {{"query", "SELECT * FROM missing"}}}, 1,
                         "SQL_ERROR");  // read-only request: also 200
  // Everything rolled back each time.
  EXPECT_EQ(select("SELECT count(*) AS n FROM t")["resultSet"][0]["n"], 0);
  // A noFail item reports in place, with its code.
  auto r = tx({insert, {{"statement", "INSERT INTO nope VALUES (1)"}, {"noFail", true}}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["results"][1]["success"], false);
  EXPECT_EQ(r.json()["results"][1]["code"], "SQL_ERROR");
  EXPECT_EQ(select("SELECT count(*) AS n FROM t")["resultSet"][0]["n"], 1);
  // Request-level errors stay 4xx with reqIdx -1.
  r = c_->request("POST", api + "/db" + q(), "{not json");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["reqIdx"], -1);
  r = tx({{{"query", "SELECT 1"}, {"statement", "SELECT 2"}}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json()["reqIdx"], -1);
  EXPECT_NE(r.json()["error"].get<std::string>().find("transaction[0]"), std::string::npos);
  r = c_->post(api + "/db?db=missing_db_x", {{"transaction", {{{"query", "SELECT 1"}}}}});
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.json()["reqIdx"], -1);
}

TEST_F(contract_sql_e2e, integers_beyond_int64_are_refused_never_rounded) {
  ASSERT_EQ(tx({{{"statement", "CREATE TABLE n (v)"}}}).status, 200);
  for (const std::string literal :
       {"18446744073709551616", "9223372036854775808", "-9223372036854775809",
        "123456789012345678901234567890", "1e400", "-1e400"}) {
    for (const std::string body :
         {R"J({"transaction":[{"statement":"INSERT INTO n VALUES (?)","values":[)J" + literal +
              "]}]}",
          R"J({"transaction":[{"statement":"INSERT INTO n VALUES (?)","valuesBatch":[[1],[)J" +
              literal + "]]}]}",
          R"J({"transaction":[{"statement":"INSERT INTO n VALUES (:v)","values":{"v":)J" + literal +
              "}}]}"}) {
      const auto r = c_->request("POST", api + "/db" + q(), body);
      EXPECT_EQ(r.status, 400) << body << " → " << r.body;
      EXPECT_EQ(r.json()["reqIdx"], -1) << r.body;
    }
  }
  EXPECT_EQ(select("SELECT count(*) AS c FROM n")["resultSet"][0]["c"], 0);
  const auto r = c_->request(
      "POST", api + "/db" + q(),
      R"J({"transaction":[{"statement":"INSERT INTO n VALUES (?), (?)","values":[9223372036854775807,-9223372036854775808]},{"query":"SELECT v, typeof(v) AS t FROM n"}]})J");
  ASSERT_EQ(r.status, 200) << r.body;
  const json rows = r.json()["results"][1]["resultSet"];
  EXPECT_EQ(rows[0]["v"].dump(), "9223372036854775807");
  EXPECT_EQ(rows[1]["v"].dump(), "-9223372036854775808");
  EXPECT_EQ(rows[0]["t"], "integer");
}

// --- query history in the database ------------------------------------------------------

TEST(contract_history_e2e, kept_in_the_database_across_restarts_and_processes) {
  temp_dir dir;
  const auto file = dir.path() / "h.db";
  {
    server_process srv({"--query-history-limit", "5"}, dir.path());
    http_client c(srv.port());
    ASSERT_EQ(c.post(api + "/db/create?path=h", json::object()).status, 201);
    for (int i = 0; i < 3; ++i) {
      const auto r =
          c.post(api + "/db?db=h", {{"transaction", {{{"query", "SELECT " + std::to_string(i)}}}}});
      ASSERT_EQ(r.status, 200);
    }
    const auto bad = c.post(api + "/db?db=h", {{"transaction", {{{"query", "SELEC"}}}}});
    ASSERT_EQ(bad.status, 200);
    // Listed at once (the history routes run after the deferred appends).
    auto list = c.get(api + "/history?db=h").json();
    ASSERT_EQ(list["count"], 4) << list.dump();
    EXPECT_EQ(list["entries"][0]["success"], false);
    EXPECT_FALSE(list["entries"][0]["error"].is_null());
    EXPECT_EQ(list["entries"][3]["sql"], "SELECT 0");
    ASSERT_EQ(srv.stop(), 0);
  }
  // The table is in the file, readable by anyone...
  {
    sqlite_file other(file);
    EXPECT_EQ(other.integer("SELECT count(*) FROM _query_history"), 4);
    EXPECT_EQ(other.integer("SELECT count(*) FROM _query_history WHERE success = 0"), 1);
    // ... and shared: another process's entry shows in the list.
    other.exec(
        "INSERT INTO _query_history (sql, source, timestamp_ms, duration_ms, success, "
        "error, rows, statements) VALUES ('SELECT 42', 'db', 1, 0.5, 1, NULL, 1, 1)");
  }
  server_process srv({"--query-history-limit", "5"}, dir.path());
  http_client c(srv.port());
  auto list = c.get(api + "/history?db=h").json();
  ASSERT_EQ(list["count"], 5) << list.dump();
  EXPECT_EQ(list["entries"][0]["sql"], "SELECT 42");
  // The cap: the newest 5 ids are kept.
  for (int i = 0; i < 10; ++i) {
    c.get(api +
          "/query?db=h&sql=" + hoody::ops::base64_encode("SELECT " + std::to_string(100 + i)));
  }
  list = c.get(api + "/history?db=h&limit=100").json();
  EXPECT_EQ(list["total"], 5);
  EXPECT_EQ(list["entries"][0]["sql"], "SELECT 109");
  EXPECT_EQ(list["entries"][0]["source"], "query");
  const auto stats = c.get(api + "/history/stats?db=h").json();
  EXPECT_EQ(stats["count"], 5);
  EXPECT_EQ(stats["by_source"]["query"]["count"], 5);
  EXPECT_EQ(c.del(api + "/history?db=h").json()["cleared"], 5);
  EXPECT_EQ(c.get(api + "/history?db=h").json()["total"], 0);
}

TEST(contract_history_e2e, sql_reads_do_not_commit_once_each) {
  temp_dir dir;
  server_process srv({}, dir.path());
  http_client c(srv.port());
  ASSERT_EQ(c.post(api + "/db/create?path=r", json::object()).status, 201);
  const auto commits = [&] {
    return hoody::test::metric_value(c.get("/metrics").body, "hoody_group_commit_size_count");
  };
  const double before = commits();
  const auto start = std::chrono::steady_clock::now();
  constexpr int reads = 300;
  for (int i = 0; i < reads; ++i) {
    ASSERT_EQ(c.get(api + "/query?db=r&sql=" + hoody::ops::base64_encode("SELECT 1")).status, 200);
  }
  const double seconds = seconds_since(start);
  // One TTL sweep and at most one history flush per second (plus one of each at the edges).
  EXPECT_LE(commits() - before, 2 * seconds + 4) << reads << " reads in " << seconds << " s";
  EXPECT_EQ(c.get(api + "/history?db=r&limit=1000").json()["total"], reads);
}

// --- health, maintenance, GET /query, time-travel fields ---------------------------------

TEST_F(contract_sql_e2e, health_reports_identity_process_cache_and_counters) {
  const auto r = c_->get(api + "/health");
  ASSERT_EQ(r.status, 200);
  const json h = r.json();
  EXPECT_EQ(h["status"], "ok");
  EXPECT_EQ(h["service"], "hoody-sqlite");
  EXPECT_TRUE(h["built"].is_string() && !h["built"].get<std::string>().empty());
  EXPECT_TRUE(h["started"].is_string());
  EXPECT_EQ(h["started"].get<std::string>().size(), 20U) << h["started"];  // ISO 8601 UTC
  EXPECT_EQ(h["pid"], srv_->pid());
  EXPECT_GT(h["memory"]["rss_bytes"].get<std::int64_t>(), 1'000'000);
  EXPECT_GE(h["memory"]["peak_rss_bytes"].get<std::int64_t>(),
            h["memory"]["rss_bytes"].get<std::int64_t>());
  EXPECT_GT(h["fds"]["open"].get<std::int64_t>(), 2);
  EXPECT_GT(h["fds"]["limit"].get<std::int64_t>(), h["fds"]["open"].get<std::int64_t>());
  const json cache = c_->get(api + "/health/cache").json();
  for (const auto& [field, value] : cache.items()) {
    EXPECT_TRUE(h["cache"].contains(field)) << field;  // the same object as /health/cache
  }
  EXPECT_TRUE(h["cache"]["open_databases"].is_number());
  EXPECT_GE(h["counters"]["requests"].get<std::int64_t>(), 1);
  EXPECT_GE(h["counters"]["writes"].get<std::int64_t>(), 1);  // the db/create of SetUp
  EXPECT_TRUE(h["counters"]["errors"].is_number());
  const auto before = h["counters"]["client_errors"].get<std::int64_t>();
  c_->get(api + "/no-such-route");
  EXPECT_EQ(c_->get(api + "/health").json()["counters"]["client_errors"], before + 1);
}

TEST_F(contract_sql_e2e, quick_check_query_success_snapshot_limit_and_history_gaps) {
  auto r = c_->post(api + "/maintenance" + q(), {{"op", "quick_check"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["result"], "ok");
  EXPECT_EQ(get_query("SELECT 1 AS one")["success"], true);
  // Table snapshot: 100 items by default.
  json items = json::array();
  for (int i = 0; i < 100; ++i) {
    items.push_back({{"key", "k" + std::to_string(1000 + i)}, {"value", "1"}});
  }
  ASSERT_EQ(c_->post(api + "/kv/batch/set" + q(), {{"items", items}}).status, 200);
  for (auto& item : items) {
    item["key"] = "m" + item["key"].get<std::string>();
  }
  ASSERT_EQ(c_->post(api + "/kv/batch/set" + q(), {{"items", items}}).status, 200);
  const std::string now = std::to_string(std::time(nullptr) + 1);
  r = c_->get(api + "/kv/snapshot" + q("timestamp=" + now));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["items"].size(), 100U);
  EXPECT_EQ(
      c_->get(api + "/kv/snapshot" + q("timestamp=" + now + "&limit=150")).json()["items"].size(),
      150U);
  // Per-key history carries has_gaps / gap_keys at the top.
  ASSERT_EQ(c_->put(api + "/kv/g" + q(), "1").status, 200);
  auto h = c_->get(api + "/kv/g/history" + q()).json();
  EXPECT_EQ(h["has_gaps"], false);
  EXPECT_EQ(h["gap_keys"], json::array());
  ASSERT_EQ(c_->put(api + "/kv/g" + q("history=false"), "2").status, 200);
  h = c_->get(api + "/kv/g/history" + q()).json();
  EXPECT_EQ(h["has_gaps"], true) << h.dump();
  EXPECT_EQ(h["gap_keys"], json::array({"g"}));
}

}  // namespace
