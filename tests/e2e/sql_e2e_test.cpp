// End-to-end tests of SQL over HTTP against the real binary: POST /db transactions, database
// creation, GET /query (read-only, cacheable), query history, concurrency, bad input.
#include "hoody/ops/base64.hpp"

#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

namespace {

using hoody::test::http_client;
using hoody::test::http_response;
using hoody::test::server_process;
using hoody::test::url_encode;
using nlohmann::json;
using namespace std::chrono_literals;

using hoody::test::api;
const std::string read_only_text =
    "GET /query only accepts read-only SELECT/WITH queries; use POST /db for mutating SQL";

class sql_e2e : public hoody::test::per_test_database {
 protected:
  std::string db_url(const std::string& extra = "") const {
    return api + "/db?db=" + db_ + (extra.empty() ? "" : "&" + extra);
  }
  std::string query_url(const std::string& sql, bool raw = false) const {
    return api + "/query?db=" + db_ +
           "&sql=" + (raw ? url_encode(sql) : hoody::ops::base64_encode(sql, true));
  }
  http_response tx(const json& body) { return c_->post(db_url(), body); }
  json ok(const json& body) {
    const auto r = tx(body);
    EXPECT_EQ(r.status, 200) << body.dump() << " → " << r.body;
    return r.json();
  }
  json exec(const std::string& statement) {
    return ok({{"transaction", {{{"statement", statement}}}}});
  }
  json rows(const std::string& query) {
    return ok({{"transaction", {{{"query", query}}}}})["results"][0]["resultSet"];
  }
  std::int64_t scalar(const std::string& query) {
    return rows(query)[0].begin()->get<std::int64_t>();
  }
  static void expect_error(const http_response& r, int status, std::int64_t req_idx,
                           const std::string& contains = {}) {
    EXPECT_EQ(r.status, status) << r.body;
    const json j = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.body;
    ASSERT_TRUE(j.contains("error") && j["error"].is_string()) << r.body;
    EXPECT_EQ(j.value("reqIdx", std::int64_t{-99}), req_idx) << r.body;
    if (!contains.empty()) {
      EXPECT_NE(j["error"].get<std::string>().find(contains), std::string::npos) << r.body;
    }
  }
  void make_users() {
    exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE)");
  }
};

// --- spec examples ----------------------------------------------------------------------------

TEST_F(sql_e2e, spec_example_post_db) {
  make_users();
  const auto r = c_->request(
      "POST", db_url(),
      R"J({"transaction":[{"statement":"INSERT INTO users (name, email) VALUES (?, ?)","values":["Alice","alice@example.com"]},{"query":"SELECT * FROM users WHERE email = ?","values":["alice@example.com"]}]})J");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type").rfind("application/json", 0), 0U);
  EXPECT_EQ(
      r.body,
      R"J({"results":[{"success":true,"rowsUpdated":1},{"success":true,"resultHeaders":["id","name","email"],"resultSet":[{"id":1,"name":"Alice","email":"alice@example.com"}]}]})J");
}

TEST_F(sql_e2e, result_format_list_and_named_values) {
  make_users();
  auto res = ok(json::parse(R"J({"resultFormat":"list","transaction":[
    {"statement":"INSERT INTO users (name, email) VALUES (:name, @email)","values":{"name":"Bo","@email":"bo@x"}},
    {"sql":"INSERT INTO users (name, email) VALUES ($n, $e)","values":{"$n":"Cy","e":"cy@x"}},
    {"query":"SELECT name, email FROM users ORDER BY id"}]})J"));
  EXPECT_EQ(res["results"][2]["resultHeaders"], json({"name", "email"}));
  EXPECT_EQ(res["results"][2]["resultSetList"], json::parse(R"J([["Bo","bo@x"],["Cy","cy@x"]])J"));
  EXPECT_FALSE(res["results"][2].contains("resultSet"));
}

TEST_F(sql_e2e, select_as_statement_quirk) {
  make_users();
  exec("INSERT INTO users (name) VALUES ('a')");
  auto res = exec("SELECT * FROM users");
  EXPECT_EQ(res["results"][0], json({{"success", true}, {"rowsUpdated", 0}}));
}

TEST_F(sql_e2e, create_flags_and_missing_database) {
  const std::string fresh = db_ + "_fresh";
  const json body = {{"transaction", {{{"query", "SELECT 1 AS one"}}}}};
  expect_error(c_->post(api + "/db?db=" + fresh, body), 404, -1);  // request-level: reqIdx -1
  auto r = c_->post(api + "/db?db=" + fresh + "&create_db_if_missing=true&auto_create=false", body);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["error"],
            "conflicting flags: create_db_if_missing and auto_create must match");
  r = c_->post(api + "/db?db=" + fresh + "&create_db_if_missing=true", body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["results"][0]["resultSet"][0]["one"], 1);
  r = c_->post(api + "/db?db=" + fresh + "_2&auto_create=true",
               {{"transaction", {{{"statement", "CREATE TABLE t (x)"}}}}});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(std::filesystem::exists(srv_->data_dir() / (fresh + "_2.db")));
}

TEST_F(sql_e2e, db_create) {
  const std::string name = db_ + "_kv";
  auto r =
      c_->post(api + "/db/create?path=" + name + "&init_kv=true&kv_table=settings", json::object());
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json(),
            json({{"success", true}, {"path", name}, {"created", true}, {"kv_table", "settings"}}));
  EXPECT_EQ(r.body.find(srv_->data_dir().string()), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(srv_->data_dir() / (name + ".db")));
  r = c_->post(api + "/db/create?path=" + name, json::object());
  EXPECT_EQ(r.status, 409) << r.body;
  r = c_->post(
      api + "/db?db=" + name,
      {{"transaction", {{{"query", "SELECT name FROM sqlite_schema WHERE name = 'settings'"}}}}});
  EXPECT_EQ(r.json()["results"][0]["resultSet"].size(), 1U) << r.body;
  EXPECT_EQ(c_->put(api + "/kv/k?db=" + name + "&table=settings", "1").status, 200);
  r = c_->post(api + "/db/create?path=" + name + "_bad&init_kv=true&kv_table=bad-name",
               json::object());
  EXPECT_EQ(r.status, 400) << r.body;
  r = c_->post(api + "/db/create?path=" + name + "_plain", json::object());
  EXPECT_EQ(r.json()["kv_table"], nullptr);
}

TEST_F(sql_e2e, get_query_shape_encodings_and_etag) {
  make_users();
  exec("INSERT INTO users (name, email) VALUES ('Alice', 'a@x'), ('Bob', NULL)");
  const std::string sql = "SELECT id, name, email FROM users ORDER BY id";
  const json expected = json::parse(
      R"J({"success":true,"columns":["id","name","email"],"resultSet":[{"id":1,"name":"Alice","email":"a@x"},{"id":2,"name":"Bob","email":null}],"rowCount":2,"truncated":false})J");
  auto r = c_->get(query_url(sql));  // URL-safe, unpadded
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json(), expected);
  EXPECT_EQ(c_->get(api + "/query?db=" + db_ + "&sql=" + url_encode(hoody::ops::base64_encode(sql)))
                .json(),
            expected);                                        // standard, padded
  EXPECT_EQ(c_->get(query_url(sql, true)).json(), expected);  // raw SQL
  // Spaces as '+' in the query string.
  EXPECT_EQ(c_->get(api + "/query?db=" + db_ + "&sql=SELECT+count(*)+AS+n+FROM+users")
                .json()["resultSet"][0]["n"],
            2);
  const std::string etag = r.header("etag");
  EXPECT_FALSE(etag.empty());
  EXPECT_EQ(r.header("cache-control"), "no-cache");
  auto again = c_->request("GET", query_url(sql), {}, {{"If-None-Match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(again.header("etag"), etag);
  exec("UPDATE users SET name = 'Alicia' WHERE id = 1");
  again = c_->request("GET", query_url(sql), {}, {{"If-None-Match", etag}});
  EXPECT_EQ(again.status, 200);
  EXPECT_NE(again.header("etag"), etag);
  // Truncation.
  r =
      c_->get(query_url("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE "
                        "x<10005) SELECT x FROM c"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["rowCount"], 10000);
  EXPECT_EQ(r.json()["truncated"], true);
  // Missing sql, missing database.
  EXPECT_EQ(c_->get(api + "/query?db=" + db_).status, 400);
  EXPECT_EQ(c_->get(api + "/query?db=nope_" + db_ + "&sql=" + url_encode("SELECT 1")).status, 404);
}

// --- Done when 2: six-item mixed transaction ------------------------------------------------

TEST_F(sql_e2e, mixed_transaction_no_fail_and_rollback) {
  make_users();
  const json mixed = json::parse(R"J({"transaction":[
    {"statement":"INSERT INTO users (name, email) VALUES (?, ?)","values":["A","a@x"]},
    {"statement":"INSERT INTO users (name, email) VALUES (?, ?)","valuesBatch":[["B","b@x"],["C","c@x"]]},
    {"query":"SELECT count(*) AS n FROM users"},
    {"statement":"INSERT INTO users (name, email) VALUES ('dup', 'a@x')","noFail":true},
    {"statement":"UPDATE users SET name = lower(name)"},
    {"query":"SELECT name FROM users ORDER BY id"}]})J");
  auto res = ok(mixed);
  const auto& r = res["results"];
  ASSERT_EQ(r.size(), 6U) << res.dump();
  EXPECT_EQ(r[0], json({{"success", true}, {"rowsUpdated", 1}}));
  EXPECT_EQ(r[1], json({{"success", true}, {"rowsUpdatedBatch", {1, 1}}}));
  EXPECT_EQ(r[2]["resultSet"], json::parse(R"J([{"n":3}])J"));
  EXPECT_EQ(r[3]["success"], false);
  EXPECT_TRUE(r[3]["error"].is_string());
  EXPECT_EQ(r[3]["code"], "CONFLICT");
  EXPECT_EQ(r[3].size(), 3U);
  EXPECT_EQ(r[4], json({{"success", true}, {"rowsUpdated", 3}}));
  EXPECT_EQ(r[5]["resultSet"], json::parse(R"J([{"name":"a"},{"name":"b"},{"name":"c"}])J"));
  EXPECT_EQ(scalar("SELECT count(*) FROM users"), 3);

  // The same transaction with the failing item not marked noFail: nothing changes.
  json failing = mixed;
  failing["transaction"][0]["values"] = json::parse(R"J(["D", "d@x"])J");
  failing["transaction"][1]["valuesBatch"] = json::parse(R"J([["E", "e@x"], ["F", "f@x"]])J");
  failing["transaction"][3].erase("noFail");
  const auto before = rows("SELECT * FROM users ORDER BY id");
  auto e = tx(failing);
  expect_error(e, 200, 3, "UNIQUE");  // a failed statement is data: 200, rolled back
  EXPECT_EQ(rows("SELECT * FROM users ORDER BY id"), before);
}

// --- Done when 3: int64 extremes and types ---------------------------------------------------

TEST_F(sql_e2e, int64_extremes_and_types_round_trip) {
  exec("CREATE TABLE v (i INTEGER, r REAL, t TEXT, b BLOB, n)");
  const std::string body =
      R"J({"transaction":[{"statement":"INSERT INTO v VALUES (?, ?, ?, ?, ?)","valuesBatch":[[9223372036854775807, 0.5, "héllo 🌍 \u0000x", {"base64":"AP8="}, null],[-9223372036854775808, -1e300, "", {"base64":""}, true]]},{"query":"SELECT i, r, t, b, n, typeof(b) AS tb FROM v ORDER BY rowid"},{"query":"SELECT ? AS a, ? AS b, ? + 0 AS c","values":[9223372036854775807,-9223372036854775808,-9223372036854775807]}]})J";
  const auto r = c_->request("POST", db_url(), body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"J("i":9223372036854775807,)J"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"J("i":-9223372036854775808,)J"), std::string::npos) << r.body;
  EXPECT_NE(
      r.body.find(R"J("a":9223372036854775807,"b":-9223372036854775808,"c":-9223372036854775807)J"),
      std::string::npos)
      << r.body;
  const json j = r.json();
  const auto& set = j["results"][1]["resultSet"];
  EXPECT_EQ(set[0]["i"].get<std::int64_t>(), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(set[1]["i"].get<std::int64_t>(), std::numeric_limits<std::int64_t>::min());
  EXPECT_TRUE(set[0]["r"].is_number_float());
  EXPECT_EQ(set[0]["t"], std::string("héllo 🌍 \0x", 14));
  EXPECT_EQ(set[0]["b"], json({{"base64", "AP8="}}));
  EXPECT_EQ(set[1]["b"], json({{"base64", ""}}));
  EXPECT_EQ(set[1]["tb"], "blob");
  EXPECT_TRUE(set[0]["n"].is_null());
  EXPECT_EQ(set[1]["n"], 1);
  EXPECT_EQ(set[1]["t"], "");
  // Same via GET /query.
  auto q = c_->get(query_url("SELECT i FROM v ORDER BY i"));
  EXPECT_EQ(q.body.find("[{\"i\":-9223372036854775808},{\"i\":9223372036854775807}]") !=
                std::string::npos,
            true)
      << q.body;
  // Beyond int64 is refused, not rounded.
  expect_error(
      c_->request("POST", db_url(),
                  R"J({"transaction":[{"query":"SELECT ?","values":[9223372036854775808]}]})J"),
      400, -1, "int64");
}

// --- Done when 4: GET /query refuses writes ----------------------------------------------------

TEST_F(sql_e2e, get_query_refuses_write_forms) {
  make_users();
  exec("INSERT INTO users (name, email) VALUES ('a', 'a@x'), ('b', 'b@x')");
  exec("PRAGMA user_version = 7");
  const auto snapshot = [&] {
    return rows(
        "SELECT (SELECT group_concat(id || name || ifnull(email, ''), ',') FROM users) "
        "AS u, (SELECT group_concat(name, ',') FROM sqlite_schema) AS s, "
        "(SELECT user_version FROM pragma_user_version) AS v");
  };
  const json before = snapshot();
  const std::vector<std::string> forms = {
      "INSERT INTO users (name) VALUES ('x')",
      "UPDATE users SET name = 'x'",
      "DELETE FROM users",
      "REPLACE INTO users (id, name) VALUES (1, 'x')",
      "INSERT INTO users (name) VALUES ('x') RETURNING id",
      "UPDATE users SET name = 'x' RETURNING *",
      "WITH n AS (SELECT 'x' AS v) INSERT INTO users (name) SELECT v FROM n",
      "WITH n AS (SELECT 1) DELETE FROM users",
      "CREATE TABLE evil (x)",
      "CREATE TEMP TABLE evil (x)",
      "CREATE INDEX evil_i ON users (name)",
      "DROP TABLE users",
      "ALTER TABLE users RENAME TO evil",
      "PRAGMA user_version = 1",
      "PRAGMA user_version(1)",
      "PRAGMA journal_mode = DELETE",
      "PRAGMA query_only = 0",
      "PRAGMA wal_checkpoint(TRUNCATE)",
      "VACUUM",
      "VACUUM INTO 'copy.db'",
      "REINDEX",
      "ANALYZE",
      "ATTACH DATABASE 'other.db' AS o",
      "DETACH DATABASE main",
      "BEGIN IMMEDIATE",
      "COMMIT",
      "SAVEPOINT s",
      "SELECT load_extension('evil')",
      "SELECT 1; DELETE FROM users",
      "SELECT 1; SELECT 2",
      "EXPLAIN DELETE FROM users",
      "-- comment\n/* c */ delete from users",
  };
  for (const auto& sql : forms) {
    for (const bool raw : {false, true}) {
      const auto r = c_->get(query_url(sql, raw));
      EXPECT_EQ(r.status, 400) << sql << " → " << r.body;
      const json j = json::parse(r.body, nullptr, false);
      EXPECT_EQ(j.value("error", ""), read_only_text) << sql << " → " << r.body;
      EXPECT_EQ(j.value("code", ""), "READ_ONLY_QUERY") << sql;
    }
  }
  EXPECT_EQ(snapshot(), before);
  EXPECT_FALSE(std::filesystem::exists(srv_->data_dir() / "copy.db"));
  EXPECT_FALSE(std::filesystem::exists(srv_->data_dir() / "other.db"));
  // Reads still work, including reading pragmas and EXPLAIN of a SELECT.
  EXPECT_EQ(c_->get(query_url("PRAGMA user_version")).json()["resultSet"][0]["user_version"], 7);
  EXPECT_EQ(c_->get(query_url("PRAGMA table_info(users)")).json()["rowCount"], 3);
  EXPECT_EQ(c_->get(query_url("EXPLAIN QUERY PLAN SELECT * FROM users")).status, 200);
  EXPECT_EQ(c_->get(query_url("VALUES (1)")).status, 200);
  // A syntax error is an SQL error, not a refusal.
  const auto bad = c_->get(query_url("SELECT * FROM nope"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.json()["code"], "SQL_ERROR");
}

// --- bad input ---------------------------------------------------------------------------------

TEST_F(sql_e2e, bad_input_catalogue) {
  make_users();
  exec("INSERT INTO users (name, email) VALUES ('a', 'a@x')");
  const auto before = rows("SELECT * FROM users");
  const auto raw = [&](const std::string& body) { return c_->request("POST", db_url(), body); };
  expect_error(raw(""), 400, -1, "Invalid JSON body");
  expect_error(raw("{not json"), 400, -1, "Invalid JSON body");
  expect_error(raw("[]"), 400, -1);
  expect_error(raw("{}"), 400, -1, "transaction");
  expect_error(raw(R"J({"transaction":"SELECT 1"})J"), 400, -1, "transaction");
  expect_error(raw(R"J({"transaction":[]})J"), 400, -1, "empty");
  expect_error(raw(R"J({"resultFormat":"xml","transaction":[{"query":"SELECT 1"}]})J"), 400, -1);
  const auto item = [&](const std::string& second) {
    return raw(R"J({"transaction":[{"statement":"INSERT INTO users (name) VALUES ('z')"},)J" +
               second + "]}");
  };
  expect_error(item(R"J({"query":"SELECT 1","statement":"SELECT 1"})J"), 400, -1, "exactly one");
  expect_error(item(R"J({"values":[1]})J"), 400, -1, "exactly one");
  expect_error(item(R"J({"statement":"SELECT ?","values":[1],"valuesBatch":[[1]]})J"), 400, -1,
               "valuesBatch");
  expect_error(item(R"J({"query":"SELECT ?","valuesBatch":[[1]]})J"), 400, -1, "valuesBatch");
  expect_error(item(R"J({"statement":"SELECT ?","values":[[1]]})J"), 400, -1, "unsupported");
  expect_error(item(R"J({"statement":"SELECT ?","values":[{"a":1}]})J"), 400, -1, "unsupported");
  expect_error(item(R"J({"statement":"SELECT ?","values":"x"})J"), 400, -1);
  expect_error(item(R"J({"statement":"SELECT ?","noFail":"yes"})J"), 400, -1);
  expect_error(item(R"J({"statement":"SELECT ?, ?","values":[1]})J"), 200, 1, "expects 2");
  expect_error(item(R"J({"statement":"SELECT ?","values":[1, 2]})J"), 200, 1, "expects 1");
  expect_error(item(R"J({"statement":"SELECT ?"})J"), 200, 1, "no values");
  expect_error(item(R"J({"statement":"SELECT :a","values":{"b":1}})J"), 200, 1, ":a");
  expect_error(item(R"J({"statement":"SELEKT 1"})J"), 200, 1, "syntax error");
  expect_error(item(R"J({"query":"SELECT * FROM nope"})J"), 200, 1, "no such table");
  expect_error(item(R"J({"statement":"INSERT INTO users (name, email) VALUES ('q', 'a@x')"})J"),
               200, 1, "UNIQUE");
  expect_error(item(R"J({"statement":"INSERT INTO users (name) VALUES (NULL)"})J"), 200, 1,
               "NOT NULL");
  expect_error(item(R"J({"statement":"DELETE FROM users; DROP TABLE users"})J"), 200, 1,
               "one SQL statement");
  for (const char* control : {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT a", "RELEASE a"}) {
    expect_error(item(json({{"statement", control}}).dump()), 200, 1,
                 "transaction control statements are not allowed");
  }
  expect_error(item(R"J({"statement":"ATTACH 'x.db' AS x"})J"), 200, 1, "ATTACH");
  expect_error(item(R"J({"statement":"PRAGMA query_only = 1"})J"), 200, 1, "query_only");
  // Oversize: too many items, too many batch rows.
  json items = json::array();
  for (int i = 0; i < 10001; ++i) {
    items.push_back({{"query", "SELECT 1"}});
  }
  expect_error(tx({{"transaction", items}}), 413, -1, "too many items");
  json batch = json::array();
  for (int i = 0; i < 100001; ++i) {
    batch.push_back({1});
  }
  expect_error(tx({{"transaction", {{{"statement", "SELECT ?"}, {"valuesBatch", batch}}}}}), 413,
               -1, "valuesBatch");
  EXPECT_EQ(rows("SELECT * FROM users"), before);
  // The writer connection is still writable (a statement item forces the writer).
  EXPECT_EQ(c_->post(db_url(), json::parse(R"J({"transaction":[{"statement":"SELECT 1"},
                                               {"query":"PRAGMA query_only"}]})J"))
                .json()["results"][1]["resultSet"][0]["query_only"],
            0);
}

// --- Done when 5: concurrency ----------------------------------------------------------------

TEST_F(sql_e2e, concurrent_write_transactions_all_succeed) {
  exec("CREATE TABLE w (thread INTEGER, i INTEGER)");
  constexpr int threads = 64;
  std::atomic<int> succeeded{0};
  std::vector<std::thread> pool;
  std::vector<std::string> failures(threads);
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      http_client c(srv_->port());
      json batch = json::array();
      for (int i = 0; i < 10; ++i) {
        batch.push_back({t, i});
      }
      const auto r = c.post(
          db_url(),
          {{"transaction",
            {{{"statement", "INSERT INTO w VALUES (?, ?)"}, {"valuesBatch", batch}},
             {{"statement", "UPDATE w SET i = i + 100 WHERE thread = ?"}, {"values", {t}}},
             {{"query", "SELECT count(*) AS n FROM w WHERE thread = ?"}, {"values", {t}}}}}});
      if (r.status == 200 && r.json()["results"][2]["resultSet"][0]["n"] == 10) {
        ++succeeded;
      } else {
        failures[static_cast<std::size_t>(t)] = std::to_string(r.status) + " " + r.body;
      }
    });
  }
  for (auto& th : pool) {
    th.join();
  }
  for (const auto& f : failures) {
    EXPECT_TRUE(f.empty()) << f;
  }
  EXPECT_EQ(succeeded.load(), threads);
  EXPECT_EQ(scalar("SELECT count(*) FROM w"), threads * 10);
  EXPECT_EQ(scalar("SELECT min(i) FROM w"), 100);
}

TEST_F(sql_e2e, reads_run_while_a_long_write_is_open) {
  exec("CREATE TABLE big (x INTEGER)");
  exec("CREATE TABLE small (x INTEGER)");
  exec("INSERT INTO small VALUES (1), (2), (3)");
  std::atomic<bool> write_done{false};
  http_response write_result;
  std::thread writer([&] {
    http_client c(srv_->port(), 120s);
    write_result =
        c.post(db_url(), {{"transaction",
                           {{{"statement",
                              "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c "
                              "WHERE x<3000000) INSERT INTO big SELECT x FROM c"}},
                            {{"statement",
                              "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c "
                              "WHERE x<3000000) INSERT INTO big SELECT x FROM c"}}}}});
    write_done = true;
  });
  std::this_thread::sleep_for(150ms);  // let the write start on the writer
  ASSERT_FALSE(write_done.load()) << "the write finished too quickly to test overlap";
  constexpr int readers = 64;
  std::atomic<int> ok_reads{0};
  std::atomic<int> reads_after_write{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < readers; ++t) {
    pool.emplace_back([&, t] {
      http_client c(srv_->port());
      http_response r;
      std::int64_t n = -1;
      if (t % 2 == 0) {
        r = c.get(query_url("SELECT count(*) AS n FROM small"));
        if (r.status == 200) {
          n = r.json()["resultSet"][0]["n"].get<std::int64_t>();
        }
      } else {
        r = c.post(db_url(), {{"transaction", {{{"query", "SELECT count(*) AS n FROM big"}}}}});
        if (r.status == 200) {
          n = r.json()["results"][0]["resultSet"][0]["n"].get<std::int64_t>() == 0 ? 3 : -2;
        }
      }
      if (write_done.load()) {
        ++reads_after_write;
      }
      if (n == 3) {  // the uncommitted rows of `big` are invisible
        ++ok_reads;
      }
    });
  }
  for (auto& th : pool) {
    th.join();
  }
  const bool overlapped = !write_done.load();
  writer.join();
  EXPECT_EQ(ok_reads.load(), readers);
  EXPECT_EQ(reads_after_write.load(), 0);
  EXPECT_TRUE(overlapped);
  ASSERT_EQ(write_result.status, 200) << write_result.body;
  EXPECT_EQ(scalar("SELECT count(*) FROM big"), 6000000);
}

// --- Done when 6: query history ---------------------------------------------------------------

TEST_F(sql_e2e, query_history_across_endpoints) {
  const std::string h = api + "/history?db=" + db_;
  auto r = c_->del(h);  // the create request is not SQL; start clean anyway
  ASSERT_EQ(r.status, 200) << r.body;
  make_users();                                                                      // db, ok
  exec("INSERT INTO users (name) VALUES ('a')");                                     // db, ok
  expect_error(tx({{"transaction", {{{"query", "SELECT * FROM nope"}}}}}), 200, 0);  // db, error
  ASSERT_EQ(c_->get(query_url("SELECT name FROM users")).status, 200);               // query, ok
  ASSERT_EQ(c_->get(query_url("DELETE FROM users")).status, 400);                    // query, error
  ok({{"transaction", {{{"query", "SELECT 1"}}, {{"query", "SELECT 2"}}}}});  // db on a reader

  r = c_->get(h);
  ASSERT_EQ(r.status, 200) << r.body;
  json list = r.json();
  EXPECT_EQ(list["total"], 6);
  EXPECT_EQ(list["count"], 6);
  const auto& e = list["entries"];
  ASSERT_EQ(e.size(), 6U);
  EXPECT_EQ(e[0]["sql"], "SELECT 1;\nSELECT 2");
  EXPECT_EQ(e[0]["statements"], 2);
  EXPECT_EQ(e[0]["source"], "db");
  EXPECT_EQ(e[0]["success"], true);
  EXPECT_EQ(e[1]["sql"], "DELETE FROM users");
  EXPECT_EQ(e[1]["source"], "query");
  EXPECT_EQ(e[1]["success"], false);
  EXPECT_EQ(e[1]["error"], read_only_text);
  EXPECT_EQ(e[2]["sql"], "SELECT name FROM users");
  EXPECT_EQ(e[2]["rows"], 1);
  EXPECT_EQ(e[3]["success"], false);
  EXPECT_NE(e[3]["error"].get<std::string>().find("no such table"), std::string::npos);
  EXPECT_EQ(e[4]["rows"], 1);  // one row inserted
  for (const auto& entry : e) {
    EXPECT_TRUE(entry["timestamp"].is_number_integer());
    EXPECT_GT(entry["timestamp"].get<std::int64_t>(), 1'600'000'000'000);
    EXPECT_TRUE(entry["duration_ms"].is_number());
    EXPECT_TRUE(entry.contains("id"));
  }
  EXPECT_EQ(c_->get(h + "&limit=2").json()["count"], 2);
  EXPECT_EQ(c_->get(h + "&limit=2").json()["total"], 6);

  r = c_->get(api + "/history/stats?db=" + db_);
  ASSERT_EQ(r.status, 200) << r.body;
  json st = r.json();
  EXPECT_EQ(st["count"], 6);
  EXPECT_EQ(st["error_count"], 2);
  EXPECT_EQ(st["success_count"], 4);
  EXPECT_EQ(st["by_source"]["db"]["count"], 4);
  EXPECT_EQ(st["by_source"]["db"]["errors"], 1);
  EXPECT_EQ(st["by_source"]["query"]["count"], 2);
  EXPECT_EQ(st["by_source"]["query"]["errors"], 1);
  for (const char* k :
       {"avg_duration_ms", "max_duration_ms", "p50_duration_ms", "p95_duration_ms"}) {
    EXPECT_TRUE(st[k].is_number()) << k;
  }
  EXPECT_GE(st["max_duration_ms"].get<double>(), st["p50_duration_ms"].get<double>());

  // Delete one by its id (the refused DELETE), then an unknown id, then clear.
  const auto refused = e[1]["id"].get<std::int64_t>();
  r = c_->del(api + "/history/" + std::to_string(refused) + "?db=" + db_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json(), json({{"success", true}, {"deleted", true}, {"id", refused}}));
  list = c_->get(h).json();
  EXPECT_EQ(list["total"], 5);
  EXPECT_EQ(list["entries"][1]["sql"], "SELECT name FROM users");
  EXPECT_EQ(c_->del(api + "/history/" + std::to_string(refused) + "?db=" + db_).status, 404);
  EXPECT_EQ(c_->del(api + "/history/x?db=" + db_).status, 400);
  EXPECT_EQ(c_->get(api + "/history/stats?db=" + db_).json()["error_count"], 1);
  r = c_->del(h);
  EXPECT_EQ(r.json(), json({{"success", true}, {"cleared", 5}}));
  EXPECT_EQ(c_->get(h).json()["total"], 0);
  EXPECT_EQ(c_->get(api + "/history/stats?db=" + db_).json()["count"], 0);
  // The db parameter is validated like everywhere else.
  EXPECT_EQ(c_->get(api + "/history?db=nope_" + db_).status, 404);
  EXPECT_EQ(c_->get(api + "/history?db=../x").status, 400);
}

// `history=false` (POST /db, GET /query): the request runs and leaves no history entry; without
// it the same request is recorded (the console's own browse queries send it, docs/api.md).
TEST_F(sql_e2e, query_history_opt_out) {
  const std::string h = api + "/history?db=" + db_;
  make_users();
  ASSERT_EQ(c_->del(h).status, 200);
  const json read = {{"transaction", {{{"query", "SELECT count(*) AS n FROM users"}}}}};
  const json write = {{"transaction", {{{"statement", "INSERT INTO users (name) VALUES ('b')"}}}}};
  const json failing = {{"transaction", {{{"query", "SELECT * FROM nope"}}}}};

  // Not recorded: a read (reader), a write (handed to the writer), a failing statement, GET /query.
  auto r = c_->post(db_url("history=false"), read);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["results"][0]["resultSet"][0]["n"], 0);
  r = c_->post(db_url("history=false"), write);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["results"][0]["rowsUpdated"], 1);
  expect_error(c_->post(db_url("history=0"), failing), 200, 0, "no such table");
  ASSERT_EQ(c_->get(query_url("SELECT name FROM users") + "&history=false").status, 200);
  r = c_->get(h);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["total"], 0) << r.body;
  EXPECT_EQ(c_->get(api + "/history/stats?db=" + db_).json()["count"], 0);

  // A value that is not a boolean is refused before anything runs (and not recorded).
  expect_error(c_->post(db_url("history=maybe"), write), 400, -1, "history must be true or false");
  EXPECT_EQ(c_->get(query_url("SELECT 1") + "&history=maybe").status, 400);
  EXPECT_EQ(scalar("SELECT count(*) FROM users"), 1);  // recorded: this one is plain

  // Without the option (or with history=true) the same requests are recorded.
  ASSERT_EQ(c_->post(db_url("history=true"), read).status, 200);
  ASSERT_EQ(c_->get(query_url("SELECT name FROM users")).status, 200);
  r = c_->get(h);
  ASSERT_EQ(r.status, 200) << r.body;
  const json list = r.json();
  ASSERT_EQ(list["total"], 3) << r.body;
  EXPECT_EQ(list["entries"][0]["sql"], "SELECT name FROM users");
  EXPECT_EQ(list["entries"][0]["source"], "query");
  EXPECT_EQ(list["entries"][1]["sql"], "SELECT count(*) AS n FROM users");
  EXPECT_EQ(list["entries"][2]["sql"], "SELECT count(*) FROM users");
}

}  // namespace
