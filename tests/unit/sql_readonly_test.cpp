// Unit tests for GET /query validation (hoody/ops/sql.hpp run_read_only_query, decode_query_sql).
#include "hoody/ops/base64.hpp"

#include "sql_test_fixture.hpp"

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
    auto& r = reader();
    r.exec("BEGIN");
    try {
      auto out = ops::run_read_only_query(r, sql);
      r.exec("COMMIT");
      return json::parse(handlers::render_query_outcome(std::move(out)));
    } catch (...) {
      r.exec("ROLLBACK");
      throw;
    }
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

TEST(sql_utf8, validation) {
  EXPECT_TRUE(ops::is_valid_utf8("héllo 🌍"));
  EXPECT_FALSE(ops::is_valid_utf8("\xff"));
  EXPECT_FALSE(ops::is_valid_utf8("\xc0\x80"));      // overlong
  EXPECT_FALSE(ops::is_valid_utf8("\xed\xa0\x80"));  // surrogate
  EXPECT_FALSE(ops::is_valid_utf8("\xe2\x82"));      // truncated
}

}  // namespace
