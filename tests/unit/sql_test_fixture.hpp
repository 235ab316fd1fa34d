// tests/unit/sql_test_fixture.hpp — a temp database with a writer (inside BEGIN IMMEDIATE, as the
// dispatcher runs handlers) and a read-only reader connection, for the SQL unit tests.
#pragma once

#include "hoody/core/error.hpp"
#include "hoody/db/connection.hpp"
#include "hoody/db/executors.hpp"
#include "hoody/ops/sql.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <random>

namespace hoody::test {

class sql_fixture : public ::testing::Test {
 protected:
  void SetUp() override {
    db::mark_db_thread();
    file_ = std::filesystem::temp_directory_path() /
            ("sql_test_" + std::to_string(std::random_device{}()) + ".db");
    db::connection_options opts;
    opts.create = true;
    writer_ = std::make_unique<db::connection>(file_, opts);
  }
  void TearDown() override {
    reader_.reset();
    writer_.reset();
    std::filesystem::remove(file_);
    std::filesystem::remove(file_.string() + "-wal");
    std::filesystem::remove(file_.string() + "-shm");
  }

  db::connection& reader() {
    if (!reader_) {
      db::connection_options opts;
      opts.read_only = true;
      reader_ = std::make_unique<db::connection>(file_, opts);
    }
    return *reader_;
  }

  /// Runs a POST /db body on the writer inside BEGIN IMMEDIATE; commits on success, rolls back
  /// on error (like the dispatcher) and rethrows.
  nlohmann::json run(const nlohmann::json& body) {
    writer_->exec("BEGIN IMMEDIATE");
    try {
      const auto req = ops::parse_sql_request(body);
      auto out = ops::execute_sql_request(*writer_, req);
      writer_->exec("COMMIT");
      return nlohmann::json::parse(out.body);
    } catch (...) {
      if (writer_->in_transaction()) {
        writer_->exec("ROLLBACK");
      }
      throw;
    }
  }

  /// Same on the reader inside a read transaction.
  nlohmann::json run_reader(const nlohmann::json& body) {
    auto& r = reader();
    r.exec("BEGIN");
    try {
      const auto req = ops::parse_sql_request(body);
      auto out = ops::execute_sql_request(r, req);
      r.exec("COMMIT");
      return nlohmann::json::parse(out.body);
    } catch (...) {
      r.exec("ROLLBACK");
      throw;
    }
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

  std::int64_t scalar(const std::string& sql) {
    auto stmt = writer_->prepare(sql);
    EXPECT_TRUE(stmt.step());
    return stmt.column_int64(0);
  }

  std::filesystem::path file_;
  std::unique_ptr<db::connection> writer_;
  std::unique_ptr<db::connection> reader_;
};

}  // namespace hoody::test
