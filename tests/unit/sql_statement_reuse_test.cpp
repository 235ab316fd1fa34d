// Reused prepared statements for user SQL (connection::take/give_back_user_statement): the same
// text run again must bind fresh values, stay refused when it was refused, and never carry state
// (bindings, an open read) from the previous run.
#include "sql_test_fixture.hpp"

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

TEST_F(sql_statement_reuse, schema_change_between_runs_is_seen) {
  const json body = {{"transaction", {{{"query", "SELECT * FROM t WHERE id = 1"}}}}};
  EXPECT_EQ(run(body)["results"][0]["resultHeaders"].size(), 2U);
  run(json::parse(
      R"json({"transaction":[{"statement":"ALTER TABLE t ADD COLUMN w INTEGER"}]})json"));
  EXPECT_EQ(run(body)["results"][0]["resultHeaders"].size(), 3U);
}

}  // namespace
}  // namespace hoody::test
