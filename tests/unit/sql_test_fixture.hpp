// tests/unit/sql_test_fixture.hpp — a temp database with a writer (inside BEGIN IMMEDIATE, as the
// dispatcher runs handlers) and a read-only reader connection, for the SQL unit tests.
#pragma once

#include "hoody/core/error.hpp"
#include "hoody/db/connection.hpp"
#include "hoody/db/executors.hpp"
#include "hoody/handlers/sql_render.hpp"
#include "hoody/ops/sql.hpp"

#include "support/temp_db.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <random>

namespace hoody::test {

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
