// Unit tests for the KV tables and the op log (hoody/ops/kv_schema.hpp).
#include "hoody/ops/kv_schema.hpp"

#include "hoody/core/error.hpp"
#include "hoody/db/connection.hpp"
#include "hoody/db/executors.hpp"

#include "support/temp_db.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

namespace {

using namespace hoody;

class kv_schema_test : public ::testing::Test {
 protected:
  std::int64_t count(const std::string& sql) { return db_.scalar(sql); }
  test::temp_db db_{"kv_schema"};
  db::connection* conn_ = &db_.writer();
};

TEST_F(kv_schema_test, validates_table_names) {
  EXPECT_NO_THROW(ops::validate_kv_table_name("kv_store"));
  EXPECT_NO_THROW(ops::validate_kv_table_name("_x1"));
  EXPECT_NO_THROW(ops::validate_kv_table_name(std::string(64, 'a')));
  EXPECT_THROW(ops::validate_kv_table_name(""), api_error);
  EXPECT_THROW(ops::validate_kv_table_name("1abc"), api_error);
  EXPECT_THROW(ops::validate_kv_table_name("a-b"), api_error);
  EXPECT_THROW(ops::validate_kv_table_name("a b"), api_error);
  EXPECT_THROW(ops::validate_kv_table_name("x\"y"), api_error);
  EXPECT_THROW(ops::validate_kv_table_name("sqlite_foo"), api_error);
  EXPECT_THROW(ops::validate_kv_table_name("SQLite_foo"), api_error);
  EXPECT_THROW(ops::validate_kv_table_name(std::string(65, 'a')), api_error);
}

TEST_F(kv_schema_test, creates_tables_idempotently) {
  EXPECT_FALSE(ops::kv_tables_exist(*conn_, "kv_store"));
  ops::ensure_kv_tables(*conn_, "kv_store");
  EXPECT_TRUE(ops::kv_tables_exist(*conn_, "kv_store"));
  EXPECT_TRUE(conn_->table_exists("kv_store__history"));
  conn_->forget_schema();
  EXPECT_NO_THROW(ops::ensure_kv_tables(*conn_, "kv_store"));
}

TEST_F(kv_schema_test, rolled_back_creation_is_not_remembered) {
  conn_->exec("BEGIN");
  {
    db::savepoint sp(*conn_, "t");
    ops::ensure_kv_tables(*conn_, "kv_store");
  }  // rolled back, like a failed CAS on the first write
  EXPECT_FALSE(conn_->table_exists("kv_store"));
  ops::ensure_kv_tables(*conn_, "kv_store");
  EXPECT_TRUE(conn_->table_exists("kv_store"));
  conn_->exec("COMMIT");
}

TEST_F(kv_schema_test, records_changes_with_per_key_op_numbers) {
  ops::ensure_kv_tables(*conn_, "kv_store");
  ops::kv_value v1{"1", "text/plain", std::nullopt};
  ops::kv_value v2{"{\"a\":1}", "application/json", 5};
  EXPECT_EQ(ops::record_change(*conn_, "kv_store", {"a", "set", std::nullopt, v1, 10}, true), 1);
  EXPECT_EQ(ops::record_change(*conn_, "kv_store", {"a", "set", v1, v2, 11}, true), 2);
  EXPECT_EQ(ops::record_change(*conn_, "kv_store", {"b", "set", std::nullopt, v1, 12}, true), 1);
  EXPECT_EQ(ops::record_change(*conn_, "kv_store", {"a", "delete", v2, std::nullopt, 13}, true), 3);
  auto stmt = conn_->prepare(
      "SELECT op, old_value, old_content_type, new_value, new_content_type, new_expires_at, ts "
      "FROM kv_store__history WHERE key='a' AND op_number=2");
  ASSERT_TRUE(stmt.step());
  EXPECT_EQ(stmt.column_text(0), "set");
  EXPECT_EQ(stmt.column_text(1), "1");
  EXPECT_EQ(stmt.column_text(2), "text/plain");
  EXPECT_EQ(stmt.column_text(3), "{\"a\":1}");
  EXPECT_EQ(stmt.column_int64(5), 5);
  EXPECT_EQ(stmt.column_int64(6), 11);
  EXPECT_EQ(count("SELECT count(*) FROM kv_store__history WHERE key='a' AND op_number=3 AND "
                  "new_content_type IS NULL AND new_value IS NULL"),
            1);
}

TEST_F(kv_schema_test, an_older_logs_key_ts_index_is_dropped_even_past_the_query_deadline) {
  // A log of an older server, big enough that dropping its (key, ts) index is real work.
  ops::ensure_kv_tables(*conn_, "kv_store");
  conn_->exec(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
      "INSERT INTO kv_store__history (key, op_number, op, ts) "
      "SELECT 'k' || (i % 100), i, 'set', 1700000000000 + i FROM n");
  conn_->exec("CREATE INDEX kv_store__history_key_ts ON kv_store__history (key, ts)");
  conn_->forget_schema();
  // The request that first writes has run out of time: the drop still completes (its work is
  // one VDBE step, which the deadline's progress handler cannot cut off), so a big log is not
  // stuck re-trying it on every first write.
  conn_->set_deadline(1);  // long past
  ops::ensure_kv_tables(*conn_, "kv_store");
  conn_->set_deadline(0);
  EXPECT_EQ(count("SELECT count(*) FROM sqlite_schema WHERE name = 'kv_store__history_key_ts'"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM kv_store__history"), 20000);
  EXPECT_EQ(count("SELECT count(*) FROM sqlite_schema WHERE name = 'kv_store__history_key_op'"), 1);
}

TEST_F(kv_schema_test, binary_values_are_blobs) {
  ops::ensure_kv_tables(*conn_, "kv_store");
  ops::kv_value bin{std::string("\x00\x01\xff", 3), "application/octet-stream", std::nullopt};
  ops::record_change(*conn_, "kv_store", {"b", "set", std::nullopt, bin, 1}, true);
  EXPECT_EQ(count("SELECT typeof(new_value)='blob' AND length(new_value)=3 FROM kv_store__history"),
            1);
}

TEST_F(kv_schema_test, untracked_writes_share_one_marker) {
  ops::ensure_kv_tables(*conn_, "kv_store");
  ops::kv_value v{"x", "text/plain", std::nullopt};
  EXPECT_EQ(ops::record_change(*conn_, "kv_store", {"k", "set", std::nullopt, v, 100}, true), 1);
  EXPECT_EQ(ops::record_change(*conn_, "kv_store", {"k", "set", v, v, 200}, false), 2);
  EXPECT_EQ(ops::record_change(*conn_, "kv_store", {"k", "set", v, v, 300}, false), 2);
  EXPECT_EQ(count("SELECT count(*) FROM kv_store__history WHERE key='k'"), 2);
  EXPECT_EQ(count("SELECT ts FROM kv_store__history WHERE key='k' AND op_number=2 AND "
                  "op='untracked' AND old_value IS NULL AND new_value IS NULL"),
            300);
  EXPECT_EQ(count("SELECT seq FROM kv_store__history WHERE key='k' AND op_number=2"), 3);  // moved
  EXPECT_EQ(ops::record_change(*conn_, "kv_store", {"k", "set", v, v, 400}, true), 3);
  EXPECT_EQ(ops::record_change(*conn_, "kv_store", {"k", "set", v, v, 500}, false), 4);
}

TEST_F(kv_schema_test, textual_content_types) {
  EXPECT_TRUE(ops::is_textual_content_type("application/json"));
  EXPECT_TRUE(ops::is_textual_content_type("Application/JSON; charset=utf-8"));
  EXPECT_TRUE(ops::is_textual_content_type("text/plain"));
  EXPECT_TRUE(ops::is_textual_content_type("application/ld+json"));
  EXPECT_TRUE(ops::is_textual_content_type("image/svg+xml"));
  EXPECT_FALSE(ops::is_textual_content_type("application/octet-stream"));
  EXPECT_FALSE(ops::is_textual_content_type("image/png"));
}

}  // namespace
