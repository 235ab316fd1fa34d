// Unit tests for hoody/ops/sql.hpp, in three sections: POST /db execution (parse_sql_request,
// execute_sql_request: binding, results, errors, readers); GET /query validation
// (run_read_only_query, decode_query_sql); reused prepared statements for user SQL
// (connection::take/give_back_user_statement): the same text run again must bind fresh values,
// stay refused when it was refused, and never carry state (bindings, an open read) from the
// previous run.
#include "hoody/ops/sql.hpp"

#include "hoody/core/error.hpp"
#include "hoody/db/connection.hpp"
#include "hoody/db/executors.hpp"
#include "hoody/handlers/sql_render.hpp"
#include "hoody/ops/base64.hpp"

#include "support/temp_db.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <limits>
#include <memory>
#include <random>

namespace hoody::test {

/// A temp database with a writer (inside BEGIN IMMEDIATE, as the dispatcher runs handlers) and a
/// read-only reader connection, shared by the sections below.
class sql_fixture : public ::testing::Test {
 protected:
  db::connection& reader() { return db_.reader(); }

  /// Runs a POST /db body on the writer inside BEGIN IMMEDIATE; commits on success, rolls back
  /// on error (like the dispatcher) and rethrows.
  nlohmann::json run(const nlohmann::json& body) {
    return db_.in_write_transaction([&](db::connection& conn) { return execute(conn, body); });
  }

  /// Same on the reader inside a read transaction.
  nlohmann::json run_reader(const nlohmann::json& body) {
    return db_.in_read_transaction([&](db::connection& conn) { return execute(conn, body); });
  }

  static nlohmann::json execute(db::connection& conn, const nlohmann::json& body) {
    return nlohmann::json::parse(
        handlers::render_sql_outcome(ops::execute_sql_request(conn, ops::parse_sql_request(body))));
  }

  /// The api_error a body produces (fails the test if none).
  api_error error_of(const nlohmann::json& body) {
    try {
      run(body);
    } catch (const api_error& e) {
      return e;
    }
    ADD_FAILURE() << "no error for " << body.dump();
    return api_error(errc::internal, "none");
  }

  std::int64_t scalar(const std::string& sql) { return db_.scalar(sql); }

  temp_db db_{"sql"};
  db::connection* writer_ = &db_.writer();
};

}  // namespace hoody::test

// === POST /db execution: binding, results, errors, readers ==================================

namespace {

using namespace hoody;
using nlohmann::json;
using sql_exec = hoody::test::sql_fixture;

json users_schema() {
  return {{"transaction",
           {{{"statement",
              "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
              "email TEXT UNIQUE)"}}}}};
}

TEST_F(sql_exec, spec_example_exact_shape) {
  run(users_schema());
  const json body = json::parse(
      R"J({"transaction":[{"statement":"INSERT INTO users (name, email) VALUES (?, ?)","values":["Alice","alice@example.com"]},{"query":"SELECT * FROM users WHERE email = ?","values":["alice@example.com"]}]})J");
  const auto req = ops::parse_sql_request(body);
  writer_->mark_schema_known("kv:kv_store");
  writer_->exec("BEGIN IMMEDIATE");
  auto result = ops::execute_sql_request(*writer_, req);
  writer_->exec("COMMIT");
  EXPECT_EQ(result.rows, 2);
  EXPECT_EQ(
      handlers::render_sql_outcome(std::move(result)),
      R"J({"results":[{"success":true,"rowsUpdated":1},{"success":true,"resultHeaders":["id","name","email"],"resultSet":[{"id":1,"name":"Alice","email":"alice@example.com"}]}]})J");
  EXPECT_FALSE(writer_->schema_known("kv:kv_store"));  // user SQL on the writer: facts forgotten
}

TEST_F(sql_exec, type_fidelity_round_trip) {
  run({{"transaction", {{{"statement", "CREATE TABLE v (a, b, c, d, e, f, g)"}}}}});
  const json values = json::parse(
      R"J([9223372036854775807, -9223372036854775808, 1.5, null, "héllo 🌍", {"base64":"AAEC/w=="}, true])J");
  auto res = run({{"transaction",
                   {{{"statement", "INSERT INTO v VALUES (?,?,?,?,?,?,?)"}, {"values", values}},
                    {{"query",
                      "SELECT a, b, c, d, e, f, g, typeof(a) AS ta, typeof(c) AS tc, "
                      "typeof(f) AS tf FROM v"}}}}});
  const auto& row = res["results"][1]["resultSet"][0];
  EXPECT_EQ(row["a"].get<std::int64_t>(), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(row["b"].get<std::int64_t>(), std::numeric_limits<std::int64_t>::min());
  EXPECT_TRUE(row["c"].is_number_float());
  EXPECT_DOUBLE_EQ(row["c"].get<double>(), 1.5);
  EXPECT_TRUE(row["d"].is_null());
  EXPECT_EQ(row["e"], "héllo 🌍");
  EXPECT_EQ(row["f"], json({{"base64", "AAEC/w=="}}));
  EXPECT_EQ(row["g"], 1);
  EXPECT_EQ(row["ta"], "integer");
  EXPECT_EQ(row["tc"], "real");
  EXPECT_EQ(row["tf"], "blob");
  // Text form keeps the exact integers.
  const auto req = ops::parse_sql_request({{"transaction", {{{"query", "SELECT a, b FROM v"}}}}});
  writer_->exec("BEGIN");
  const std::string result = handlers::render_sql_outcome(ops::execute_sql_request(*writer_, req));
  writer_->exec("COMMIT");
  EXPECT_NE(result.find("9223372036854775807"), std::string::npos);
  EXPECT_NE(result.find("-9223372036854775808"), std::string::npos);
  // REAL stays REAL even when integral.
  auto r2 = run({{"transaction", {{{"query", "SELECT 2.0 AS x"}}}}});
  EXPECT_TRUE(r2["results"][0]["resultSet"][0]["x"].is_number_float());
}

TEST_F(sql_exec, list_format_and_column_order) {
  auto res = run({{"resultFormat", "list"},
                  {"transaction", {{{"query", "SELECT 1 AS z, 'b' AS a, NULL AS m"}}}}});
  EXPECT_EQ(res["results"][0]["resultHeaders"], json({"z", "a", "m"}));
  EXPECT_EQ(res["results"][0]["resultSetList"], json::parse(R"J([[1,"b",null]])J"));
  EXPECT_FALSE(res["results"][0].contains("resultSet"));
  const auto req =
      ops::parse_sql_request({{"transaction", {{{"query", "SELECT 1 AS z, 2 AS a, 3 AS m"}}}}});
  writer_->exec("BEGIN");
  const std::string result = handlers::render_sql_outcome(ops::execute_sql_request(*writer_, req));
  writer_->exec("COMMIT");
  EXPECT_NE(result.find(R"J({"z":1,"a":2,"m":3})J"), std::string::npos) << result;
}

TEST_F(sql_exec, duplicate_column_names_get_unique_keys) {
  auto res = run({{"transaction", {{{"query", "SELECT 1 AS a, 2 AS a"}}}}});
  EXPECT_EQ(res["results"][0]["resultHeaders"], json({"a", "a"}));
  EXPECT_EQ(res["results"][0]["resultSet"][0], json({{"a", 1}, {"a_2", 2}}));
}

TEST_F(sql_exec, named_parameters_with_and_without_prefix) {
  run({{"transaction", {{{"statement", "CREATE TABLE n (a, b, c)"}}}}});
  auto res = run({{"transaction",
                   {{{"statement", "INSERT INTO n VALUES (:a, @b, $c)"},
                     {"values", {{":a", 1}, {"b", 2}, {"$c", 3}}}},
                    {{"query", "SELECT * FROM n WHERE a = :a"}, {"values", {{"a", 1}}}}}}});
  EXPECT_EQ(res["results"][1]["resultSet"][0], json({{"a", 1}, {"b", 2}, {"c", 3}}));
  // Missing and unknown names.
  auto e = error_of(
      {{"transaction",
        {{{"statement", "INSERT INTO n VALUES (:a, :b, :c)"}, {"values", {{"a", 1}, {"b", 2}}}}}}});
  EXPECT_EQ(e.code(), errc::bad_request);
  EXPECT_NE(std::string(e.what()).find(":c"), std::string::npos);
  EXPECT_EQ(e.details()["reqIdx"], 0);
  e = error_of({{"transaction",
                 {{{"statement", "INSERT INTO n VALUES (:a, :b, :c)"},
                   {"values", {{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}}}}}}});
  EXPECT_NE(std::string(e.what()).find("'d'"), std::string::npos);
  // Object for positional parameters.
  e = error_of({{"transaction",
                 {{{"statement", "INSERT INTO n VALUES (?, ?, ?)"}, {"values", {{"a", 1}}}}}}});
  EXPECT_EQ(e.code(), errc::bad_request);
  // ?NNN numbered parameters bind from the array.
  res = run({{"transaction", {{{"query", "SELECT ?2 AS x, ?1 AS y"}, {"values", {10, 20}}}}}});
  EXPECT_EQ(res["results"][0]["resultSet"][0], json({{"x", 20}, {"y", 10}}));
}

TEST_F(sql_exec, parameter_count_mismatch) {
  auto e = error_of({{"transaction", {{{"query", "SELECT ?, ?"}, {"values", {1}}}}}});
  EXPECT_EQ(e.code(), errc::bad_request);
  EXPECT_NE(std::string(e.what()).find("expects 2 parameters"), std::string::npos) << e.what();
  e = error_of({{"transaction", {{{"query", "SELECT ?"}, {"values", {1, 2}}}}}});
  EXPECT_EQ(e.code(), errc::bad_request);
  e = error_of(json::parse(R"J({"transaction":[{"query":"SELECT 1"},{"query":"SELECT ?"}]})J"));
  EXPECT_EQ(e.details()["reqIdx"], 1);
}

TEST_F(sql_exec, mixed_transaction_with_failing_no_fail_item_commits) {
  run(users_schema());
  auto res = run(json::parse(R"J({"transaction":[
    {"statement":"INSERT INTO users (name, email) VALUES (?, ?)","values":["A","a@x"]},
    {"statement":"INSERT INTO users (name, email) VALUES (?, ?)","valuesBatch":[["B","b@x"],["C","c@x"]]},
    {"query":"SELECT count(*) AS n FROM users"},
    {"statement":"INSERT INTO users (name, email) VALUES ('dup', 'a@x')","noFail":true},
    {"sql":"UPDATE users SET name = upper(name)"},
    {"query":"SELECT name FROM users ORDER BY id"}]})J"));
  const auto& r = res["results"];
  ASSERT_EQ(r.size(), 6U);
  EXPECT_EQ(r[0], json({{"success", true}, {"rowsUpdated", 1}}));
  EXPECT_EQ(r[1], json({{"success", true}, {"rowsUpdatedBatch", {1, 1}}}));
  EXPECT_EQ(r[2]["resultSet"][0]["n"], 3);
  EXPECT_EQ(r[3]["success"], false);
  EXPECT_NE(r[3]["error"].get<std::string>().find("UNIQUE"), std::string::npos);
  EXPECT_EQ(r[4], json({{"success", true}, {"rowsUpdated", 3}}));
  EXPECT_EQ(r[5]["resultSet"], json::parse(R"J([{"name":"A"},{"name":"B"},{"name":"C"}])J"));
  EXPECT_EQ(scalar("SELECT count(*) FROM users"), 3);
}

TEST_F(sql_exec, failing_item_without_no_fail_rolls_back_everything) {
  run(users_schema());
  auto e = error_of(json::parse(R"J({"transaction":[
    {"statement":"INSERT INTO users (name, email) VALUES ('A','a@x')"},
    {"statement":"INSERT INTO users (name, email) VALUES ('B','b@x')"},
    {"statement":"INSERT INTO users (name, email) VALUES ('dup','a@x')"}]})J"));
  EXPECT_EQ(e.code(), errc::conflict);
  EXPECT_EQ(e.details()["reqIdx"], 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM users"), 0);
  // A failing batch row names the item and the row.
  e = error_of(json::parse(R"J({"transaction":[
    {"statement":"INSERT INTO users (name, email) VALUES (?, ?)","valuesBatch":[["A","a@x"],["B",null],["C","a@x"]]}]})J"));
  EXPECT_EQ(e.code(), errc::conflict);
  EXPECT_EQ(e.details()["reqIdx"], 0);
  EXPECT_EQ(e.details()["rowIdx"], 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM users"), 0);
}

TEST_F(sql_exec, no_fail_batch_reports_row_errors) {
  run(users_schema());
  auto res = run(json::parse(R"J({"transaction":[
    {"statement":"INSERT INTO users (name, email) VALUES (?, ?)","noFail":true,
     "valuesBatch":[["A","a@x"],[null,"n@x"],["B","b@x"],["C","a@x"]]}]})J"));
  const auto& r = res["results"][0];
  EXPECT_EQ(r["success"], true);
  EXPECT_EQ(r["rowsUpdatedBatch"], json({1, 0, 1, 0}));
  ASSERT_EQ(r["rowErrors"].size(), 2U);
  EXPECT_EQ(r["rowErrors"][0]["index"], 1);
  EXPECT_EQ(r["rowErrors"][1]["index"], 3);
  EXPECT_EQ(scalar("SELECT count(*) FROM users"), 2);
}

TEST_F(sql_exec, select_as_statement_reports_zero_rows_updated) {
  run(users_schema());
  auto res = run(json::parse(R"J({"transaction":[
    {"statement":"INSERT INTO users (name) VALUES ('a'), ('b')"},
    {"statement":"SELECT * FROM users"},
    {"statement":"CREATE TABLE other (x)"}]})J"));
  EXPECT_EQ(res["results"][0]["rowsUpdated"], 2);
  EXPECT_EQ(res["results"][1], json({{"success", true}, {"rowsUpdated", 0}}));
  EXPECT_EQ(res["results"][2]["rowsUpdated"], 0);
}

TEST_F(sql_exec, one_statement_per_item) {
  auto e =
      error_of({{"transaction",
                 {{{"query", "SELECT 1"}}, {{"statement", "CREATE TABLE a(x); DROP TABLE a"}}}}});
  EXPECT_EQ(e.code(), errc::bad_request);
  EXPECT_EQ(e.details()["reqIdx"], 1);
  EXPECT_NE(std::string(e.what()).find("transaction item 1: only one SQL statement per item"),
            std::string::npos)
      << e.what();
  EXPECT_FALSE(writer_->table_exists("a"));
  auto res = run({{"transaction", {{{"query", "SELECT 1 AS one ;  -- trailing\n /* c */ ;"}}}}});
  EXPECT_EQ(res["results"][0]["resultSet"][0]["one"], 1);
  e = error_of({{"transaction", {{{"query", "  -- nothing\n"}}}}});
  EXPECT_EQ(e.code(), errc::bad_request);
}

TEST_F(sql_exec, transaction_control_and_attach_refused) {
  for (const char* sql : {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT x", "RELEASE x", "END"}) {
    auto e = error_of({{"transaction", {{{"statement", sql}}}}});
    EXPECT_EQ(e.code(), errc::bad_request) << sql;
    EXPECT_NE(std::string(e.what()).find("transaction control statements are not allowed"),
              std::string::npos)
        << sql << ": " << e.what();
    EXPECT_EQ(e.details()["reqIdx"], 0);
  }
  auto e = error_of({{"transaction", {{{"statement", "ATTACH '/tmp/x.db' AS x"}}}}});
  EXPECT_NE(std::string(e.what()).find("ATTACH"), std::string::npos);
  e = error_of({{"transaction", {{{"query", "SELECT load_extension('x')"}}}}});
  EXPECT_EQ(e.code(), errc::bad_request);
  EXPECT_TRUE(writer_->in_transaction() == false);
}

TEST_F(sql_exec, pragmas_on_the_writer) {
  auto res =
      run({{"transaction",
            {{{"statement", "PRAGMA user_version = 5"}}, {{"query", "PRAGMA user_version"}}}}});
  EXPECT_EQ(res["results"][1]["resultSet"][0]["user_version"], 5);
  for (const char* sql : {"PRAGMA query_only = 1", "PRAGMA journal_mode=DELETE",
                          "PRAGMA main.locking_mode = EXCLUSIVE", "PRAGMA synchronous(OFF)"}) {
    auto e = error_of({{"transaction", {{{"statement", sql}}}}});
    EXPECT_EQ(e.code(), errc::bad_request) << sql;
  }
  res = run({{"transaction", {{{"query", "PRAGMA query_only"}}}}});
  EXPECT_EQ(res["results"][0]["resultSet"][0]["query_only"], 0);
}

TEST_F(sql_exec, result_rows_capped_with_truncated) {
  auto res = run({{"resultFormat", "list"},
                  {"transaction",
                   {{{"query",
                      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE "
                      "x<10001) SELECT x FROM c"}},
                    {{"query",
                      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE "
                      "x<10000) SELECT x FROM c"}}}}});
  EXPECT_EQ(res["results"][0]["resultSetList"].size(), 10000U);
  EXPECT_EQ(res["results"][0]["truncated"], true);
  EXPECT_EQ(res["results"][1]["resultSetList"].size(), 10000U);
  EXPECT_FALSE(res["results"][1].contains("truncated"));
}

TEST_F(sql_exec, reader_runs_queries_and_defers_writes) {
  run(users_schema());
  run({{"transaction", {{{"statement", "INSERT INTO users (name) VALUES ('a')"}}}}});
  auto res = run_reader({{"transaction", {{{"query", "SELECT name FROM users"}}}}});
  EXPECT_EQ(res["results"][0]["resultSet"][0]["name"], "a");
  EXPECT_THROW(run_reader({{"transaction", {{{"statement", "SELECT 1"}}}}}), db::requires_writer);
  EXPECT_THROW(run_reader({{"transaction",
                            {{{"query", "SELECT 1"}},
                             {{"query", "INSERT INTO users (name) VALUES ('b') RETURNING id"}}}}}),
               db::requires_writer);
  EXPECT_THROW(run_reader({{"transaction", {{{"query", "PRAGMA user_version = 3"}}}}}),
               db::requires_writer);
  // On the writer the same RETURNING query works.
  res = run(
      {{"transaction", {{{"query", "INSERT INTO users (name) VALUES ('b') RETURNING id, name"}}}}});
  EXPECT_EQ(res["results"][0]["resultSet"][0], json({{"id", 2}, {"name", "b"}}));
  // A reader-side error is reported with its index, noFail in place.
  res = run_reader({{"transaction",
                     {{{"query", "SELECT * FROM nope"}, {"noFail", true}},
                      {{"query", "SELECT count(*) AS n FROM users"}}}}});
  EXPECT_EQ(res["results"][0]["success"], false);
  EXPECT_EQ(res["results"][1]["resultSet"][0]["n"], 2);
  try {
    run_reader({{"transaction", {{{"query", "SELECT 1"}}, {{"query", "SELECT * FROM nope"}}}}});
    ADD_FAILURE();
  } catch (const api_error& e) {
    EXPECT_EQ(e.code(), errc::sql_error);
    EXPECT_EQ(e.details()["reqIdx"], 1);
  }
}

TEST_F(sql_exec, sql_errors_carry_the_item_index) {
  auto e = error_of({{"transaction", {{{"query", "SELECT 1"}}, {{"query", "SELEC 1"}}}}});
  EXPECT_EQ(e.code(), errc::sql_error);
  EXPECT_EQ(e.details()["reqIdx"], 1);
  e = error_of({{"transaction", {{{"statement", "INSERT INTO missing VALUES (1)"}}}}});
  EXPECT_EQ(e.code(), errc::sql_error);
  EXPECT_NE(std::string(e.what()).find("no such table"), std::string::npos);
}

// --- request parsing ---------------------------------------------------------------------

std::pair<errc, std::int64_t> parse_error(const json& body) {
  try {
    (void)ops::parse_sql_request(body);
  } catch (const api_error& e) {
    return {e.code(), e.details().value("reqIdx", std::int64_t{-99})};
  }
  return {errc::internal, -100};
}

TEST(sql_parse, bad_input_catalogue) {
  using P = std::pair<errc, std::int64_t>;
  const P body_err{errc::bad_request, -1};
  EXPECT_EQ(parse_error(json::array()), body_err);
  EXPECT_EQ(parse_error(json::object()), body_err);
  EXPECT_EQ(parse_error({{"transaction", nullptr}}), body_err);
  EXPECT_EQ(parse_error({{"transaction", "SELECT 1"}}), body_err);
  EXPECT_EQ(parse_error({{"transaction", json::array()}}), body_err);
  EXPECT_EQ(parse_error({{"resultFormat", "csv"}, {"transaction", {{{"query", "SELECT 1"}}}}}),
            body_err);
  const json ok = {{"query", "SELECT 1"}};
  auto item_err = [&](const json& item) { return parse_error({{"transaction", {ok, item}}}); };
  // A request that does not parse is refused whole: reqIdx -1, the item named in the message.
  const P at1{errc::bad_request, -1};
  try {
    (void)ops::parse_sql_request({{"transaction", {ok, json(5)}}});
    ADD_FAILURE() << "no error";
  } catch (const api_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("transaction[1]: ", 0), 0U) << e.what();
  }
  EXPECT_EQ(item_err(json(5)), at1);
  EXPECT_EQ(item_err({{"query", "SELECT 1"}, {"statement", "SELECT 1"}}), at1);
  EXPECT_EQ(item_err(json::parse(R"J({"values":[1]})J")), at1);
  EXPECT_EQ(item_err({{"statement", "x"}, {"sql", "y"}}), at1);
  EXPECT_EQ(item_err({{"query", 5}}), at1);
  EXPECT_EQ(item_err(json::parse(R"J({"statement":"x","values":[1],"valuesBatch":[[1]]})J")), at1);
  EXPECT_EQ(item_err(json::parse(R"J({"query":"x","valuesBatch":[[1]]})J")), at1);
  EXPECT_EQ(item_err(json::parse(R"J({"statement":"x","valuesBatch":[1]})J")), at1);
  EXPECT_EQ(item_err({{"statement", "x"}, {"valuesBatch", "no"}}), at1);
  EXPECT_EQ(item_err({{"statement", "x"}, {"values", "no"}}), at1);
  EXPECT_EQ(item_err(json::parse(R"J({"statement":"x","values":[[1,2]]})J")), at1);  // nested array
  EXPECT_EQ(item_err(json::parse(R"J({"statement":"x","values":[{"a":1}]})J")),
            at1);  // object value
  EXPECT_EQ(item_err(json::parse(R"J({"statement":"x","values":[{"base64":"!!"}]})J")), at1);
  EXPECT_EQ(item_err({{"statement", "x"}, {"noFail", "yes"}}), at1);
  EXPECT_EQ(item_err({{"statement", "x"}, {"values", json::parse("[18446744073709551615]")}}), at1);
  EXPECT_EQ(item_err({{"statement", "x"}, {"values", json::parse("[9223372036854775808]")}}), at1);
  EXPECT_NO_THROW((void)ops::parse_sql_request(
      {{"transaction", {{{"statement", "x"}, {"values", json::parse("[9223372036854775807]")}}}}}));
}

TEST(sql_parse, caps) {
  json items = json::array();
  for (int i = 0; i < 10001; ++i) {
    items.push_back({{"query", "SELECT 1"}});
  }
  EXPECT_EQ(parse_error({{"transaction", items}}),
            (std::pair<errc, std::int64_t>{errc::payload_too_large, -1}));
  items.erase(items.begin());
  EXPECT_NO_THROW((void)ops::parse_sql_request({{"transaction", items}}));
  json batch = json::array();
  for (int i = 0; i < 100001; ++i) {
    batch.push_back(json::array());
  }
  EXPECT_EQ(parse_error({{"transaction", {{{"statement", "x"}, {"valuesBatch", batch}}}}}),
            (std::pair<errc, std::int64_t>{errc::payload_too_large, -1}));
  batch.erase(batch.begin());
  json many = json::array();
  for (int i = 0; i < 11; ++i) {
    many.push_back({{"statement", "x"}, {"valuesBatch", batch}});
  }
  EXPECT_EQ(parse_error({{"transaction", many}}),
            (std::pair<errc, std::int64_t>{errc::payload_too_large, -1}));
}

TEST(sql_parse, joined_sql_and_alias) {
  const auto req = ops::parse_sql_request(
      {{"transaction", {{{"sql", "INSERT INTO t VALUES (1)"}}, {{"query", "SELECT 1"}}}}});
  EXPECT_EQ(req.items[0].type, ops::sql_item::kind::statement);
  EXPECT_EQ(ops::joined_sql(req), "INSERT INTO t VALUES (1);\nSELECT 1");
}

}  // namespace

// === GET /query validation: run_read_only_query, decode_query_sql ===========================

namespace {

using namespace hoody;
using nlohmann::json;

class sql_readonly : public hoody::test::sql_fixture {
 protected:
  void SetUp() override {
    sql_fixture::SetUp();
    writer_->exec(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, b BLOB);"
        "INSERT INTO t (name, b) VALUES ('a', x'00ff'), ('b', NULL);");
  }
  json query(const std::string& sql) {
    return db_.in_read_transaction([&](db::connection& r) {
      return json::parse(handlers::render_query_outcome(ops::run_read_only_query(r, sql)));
    });
  }
  std::optional<api_error> error_of(const std::string& sql) {
    try {
      query(sql);
    } catch (const api_error& e) {
      return e;
    }
    return std::nullopt;
  }
};

TEST_F(sql_readonly, select_shape) {
  auto res = query("SELECT id, name, b FROM t ORDER BY id");
  EXPECT_EQ(
      res,
      json::parse(
          R"J({"success":true,"columns":["id","name","b"],"resultSet":[{"id":1,"name":"a","b":{"base64":"AP8="}},{"id":2,"name":"b","b":null}],"rowCount":2,"truncated":false})J"));
  EXPECT_EQ(query("WITH x AS (SELECT 1 AS v) SELECT v FROM x")["rowCount"], 1);
  EXPECT_EQ(query("VALUES (1), (2)")["rowCount"], 2);
  EXPECT_EQ(query("SELECT 1;  -- done")["rowCount"], 1);
  EXPECT_EQ(query("PRAGMA table_info(t)")["rowCount"], 3);
  EXPECT_EQ(query("PRAGMA user_version")["rowCount"], 1);
  EXPECT_EQ(query("EXPLAIN QUERY PLAN SELECT * FROM t WHERE id = 1")["truncated"], false);
  EXPECT_EQ(query("SELECT * FROM pragma_table_info('t')")["rowCount"], 3);
}

TEST_F(sql_readonly, truncates_at_ten_thousand_rows) {
  auto res = query(
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<20000) "
      "SELECT x FROM c");
  EXPECT_EQ(res["rowCount"], 10000);
  EXPECT_EQ(res["resultSet"].size(), 10000U);
  EXPECT_EQ(res["truncated"], true);
}

TEST_F(sql_readonly, refuses_every_write_form) {
  const std::vector<std::string> forms = {
      "INSERT INTO t (name) VALUES ('x')",
      "UPDATE t SET name = 'x'",
      "DELETE FROM t",
      "REPLACE INTO t (id, name) VALUES (1, 'x')",
      "INSERT INTO t (name) VALUES ('x') RETURNING id",
      "DELETE FROM t RETURNING *",
      "WITH x AS (SELECT 1) INSERT INTO t (name) SELECT 'x' FROM x",
      "WITH x AS (SELECT 1) DELETE FROM t",
      "CREATE TABLE u (x)",
      "CREATE TEMP TABLE u (x)",
      "CREATE INDEX i ON t (name)",
      "CREATE VIEW v AS SELECT 1",
      "DROP TABLE t",
      "ALTER TABLE t ADD COLUMN c",
      "PRAGMA user_version = 5",
      "PRAGMA user_version(5)",
      "PRAGMA journal_mode = DELETE",
      "PRAGMA query_only = 0",
      "PRAGMA wal_checkpoint(TRUNCATE)",
      "PRAGMA optimize",
      "PRAGMA incremental_vacuum",
      "VACUUM",
      "VACUUM INTO '/tmp/hoody_sql_readonly_vacuum.db'",
      "REINDEX",
      "ANALYZE",
      "ATTACH DATABASE '/tmp/x.db' AS x",
      "DETACH DATABASE main",
      "BEGIN",
      "COMMIT",
      "SAVEPOINT s",
      "SELECT load_extension('/tmp/evil')",
      "SELECT 1; DELETE FROM t",
      "SELECT 1; SELECT 2",
      "EXPLAIN DELETE FROM t",
      "EXPLAIN QUERY PLAN INSERT INTO t (name) VALUES ('x')",
      "/* c */ insert into t (name) values ('x')",
  };
  for (const auto& sql : forms) {
    auto e = error_of(sql);
    ASSERT_TRUE(e.has_value()) << sql;
    EXPECT_EQ(e->code(), errc::read_only_query) << sql << " → " << e->what();
    EXPECT_STREQ(e->what(), ops::read_only_query_message) << sql;
  }
  EXPECT_EQ(scalar("SELECT count(*) FROM t"), 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM sqlite_schema"), 1);
  EXPECT_EQ(scalar("PRAGMA user_version"), 0);
  EXPECT_FALSE(std::filesystem::exists("/tmp/hoody_sql_readonly_vacuum.db"));
}

TEST_F(sql_readonly, syntax_and_empty_errors) {
  auto e = error_of("SELECT * FROM nope");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), errc::sql_error);
  e = error_of("   ");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), errc::bad_request);
}

TEST(sql_decode, base64_or_raw) {
  const std::string sql = "SELECT * FROM t WHERE name = 'ü?'";
  EXPECT_EQ(ops::decode_query_sql(ops::base64_encode(sql)), sql);
  EXPECT_EQ(ops::decode_query_sql(ops::base64_encode(sql, true)), sql);
  std::string padded = ops::base64_encode("SELECT 1");
  EXPECT_EQ(ops::decode_query_sql(padded), "SELECT 1");
  while (!padded.empty() && padded.back() == '=') {
    padded.pop_back();
  }
  EXPECT_EQ(ops::decode_query_sql(padded), "SELECT 1");
  EXPECT_EQ(ops::decode_query_sql("SELECT 1"), "SELECT 1");
  EXPECT_EQ(ops::decode_query_sql("select"), "select");  // decodes to binary: raw SQL
}

}  // namespace

// === Reused prepared statements for user SQL ===============================================

namespace hoody::test {
namespace {

using nlohmann::json;

class sql_statement_reuse : public sql_fixture {
 protected:
  void SetUp() override {
    run(json::parse(R"json({"transaction":[
      {"statement":"CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"},
      {"statement":"INSERT INTO t (id, v) VALUES (?, ?)","valuesBatch":[[1,"a"],[2,"b"],[3,"c"]]}
    ]})json"));
  }

  json select_id(std::int64_t id, bool on_reader) {
    const json body = {
        {"transaction", {{{"query", "SELECT id, v FROM t WHERE id = ?"}, {"values", {id}}}}}};
    return on_reader ? run_reader(body) : run(body);
  }
};

TEST_F(sql_statement_reuse, same_text_binds_fresh_values_on_reader_and_writer) {
  for (const bool on_reader : {true, false}) {
    for (int round = 0; round < 3; ++round) {
      for (std::int64_t id = 1; id <= 3; ++id) {
        const auto out = select_id(id, on_reader);
        const auto& rows = out["results"][0]["resultSet"];
        ASSERT_EQ(rows.size(), 1U);
        EXPECT_EQ(rows[0]["id"], id);
      }
      // A missing id returns no row: nothing left over from the previous binding.
      EXPECT_TRUE(select_id(99, on_reader)["results"][0]["resultSet"].empty());
    }
  }
}

TEST_F(sql_statement_reuse, named_parameters_take_each_runs_values_and_types) {
  const auto b_of = [this](const json& b) {
    const json body = {
        {"transaction",
         {{{"query", "SELECT :a AS a, :b AS b"}, {"values", {{":a", 1}, {":b", b}}}}}}};
    return run(body)["results"][0]["resultSet"][0]["b"];
  };
  EXPECT_EQ(b_of(2), 2);
  EXPECT_EQ(b_of("x"), "x");
  EXPECT_TRUE(b_of(nullptr).is_null());
  EXPECT_EQ(b_of(2.5), 2.5);
}

TEST_F(sql_statement_reuse, refused_text_stays_refused) {
  const json attach = {{"transaction", {{{"statement", "ATTACH DATABASE ':memory:' AS other"}}}}};
  const json two = {{"transaction", {{{"query", "SELECT 1; SELECT 2"}}}}};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(error_of(attach).code(), errc::bad_request);
    EXPECT_EQ(error_of(two).code(), errc::bad_request);
  }
}

TEST_F(sql_statement_reuse, get_query_reuses_and_still_refuses_writes) {
  auto& r = reader();
  for (int i = 0; i < 3; ++i) {
    r.exec("BEGIN");
    auto out = ops::run_read_only_query(r, "SELECT count(*) AS n FROM t");
    r.exec("COMMIT");
    EXPECT_EQ(json::parse(handlers::render_query_outcome(std::move(out)))["resultSet"][0]["n"], 3);
    EXPECT_THROW(ops::run_read_only_query(r, "DELETE FROM t"), api_error);
  }
  // The read transactions ended: the writer can still write and readers see it afterwards.
  run(json::parse(R"json({"transaction":[{"statement":"DELETE FROM t WHERE id = 3"}]})json"));
  r.exec("BEGIN");
  auto out = ops::run_read_only_query(r, "SELECT count(*) AS n FROM t");
  r.exec("COMMIT");
  EXPECT_EQ(json::parse(handlers::render_query_outcome(std::move(out)))["resultSet"][0]["n"], 2);
}

TEST_F(sql_statement_reuse, a_text_is_kept_from_its_second_run_on) {
  db::connection& w = *writer_;
  const std::string text = "SELECT v FROM t WHERE id = ?";
  w.give_back_user_statement(text, w.prepare(text));
  EXPECT_FALSE(w.take_user_statement(text)) << "kept after one run: a one-off text costs memory";
  w.give_back_user_statement(text, w.prepare(text));
  auto kept = w.take_user_statement(text);
  ASSERT_TRUE(kept);
  kept.bind_int64(1, 2);
  ASSERT_TRUE(kept.step());
  EXPECT_EQ(kept.column_text(0), "b");
  kept.reset();
  EXPECT_FALSE(w.take_user_statement(text)) << "taken out: not there twice";
  w.give_back_user_statement(text, std::move(kept));
  EXPECT_TRUE(w.take_user_statement(text));
}

TEST_F(sql_statement_reuse, schema_change_between_runs_is_seen) {
  const json body = {{"transaction", {{{"query", "SELECT * FROM t WHERE id = 1"}}}}};
  EXPECT_EQ(run(body)["results"][0]["resultHeaders"].size(), 2U);
  EXPECT_EQ(run(body)["results"][0]["resultHeaders"].size(), 2U);  // now kept for reuse
  run(json::parse(
      R"json({"transaction":[{"statement":"ALTER TABLE t ADD COLUMN w INTEGER"}]})json"));
  EXPECT_EQ(run(body)["results"][0]["resultHeaders"].size(), 3U);
}

}  // namespace
}  // namespace hoody::test
