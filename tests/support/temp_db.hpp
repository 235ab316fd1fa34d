// tests/support/temp_db.hpp — a real SQLite file in its own temp directory, for unit tests of
// synchronous ops on a connection. The writer opens at construction (the calling thread is
// declared a database thread, as the connection's assertions require); a read-only reader
// opens on first use. Everything is removed on destruction. One thread at a time.
#pragma once

#include "hoody/db/connection.hpp"
#include "hoody/db/executors.hpp"

#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace hoody::test {

class temp_db {
 public:
  explicit temp_db(const std::string& name = "test") {
    db::mark_db_thread();
    file_ = dir_.path() / (name + ".db");
    db::connection_options options;
    options.create = true;
    writer_ = std::make_unique<db::connection>(file_, options);
  }

  [[nodiscard]] db::connection& writer() { return *writer_; }

  [[nodiscard]] db::connection& reader() {
    if (!reader_) {
      db::connection_options options;
      options.read_only = true;
      reader_ = std::make_unique<db::connection>(file_, options);
    }
    return *reader_;
  }

  [[nodiscard]] const std::filesystem::path& file() const { return file_; }

  /// First column of the first row of `sql`, run on the writer.
  std::int64_t scalar(const std::string& sql) {
    auto stmt = writer_->prepare(sql);
    EXPECT_TRUE(stmt.step()) << sql;
    return stmt.column_int64(0);
  }

 private:
  temp_dir dir_;
  std::filesystem::path file_;
  std::unique_ptr<db::connection> writer_;
  std::unique_ptr<db::connection> reader_;
};

}  // namespace hoody::test
