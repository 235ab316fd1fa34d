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
#include <type_traits>
#include <utility>

namespace hoody::test {

class temp_db {
 public:
  /// A database file of the caller's (kept: its directory is the caller's to remove).
  struct existing_file {
    std::filesystem::path path;
  };

  explicit temp_db(const std::string& name = "test") : temp_db(existing_file{}, name) {}
  explicit temp_db(existing_file file, const std::string& name = "test") {
    db::mark_db_thread();
    file_ = file.path.empty() ? dir_.path() / (name + ".db") : std::move(file.path);
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

  /// Runs `fn` on the writer inside BEGIN IMMEDIATE, as the dispatcher runs write handlers:
  /// commits when it returns, rolls back (if SQLite has not already) and rethrows when it throws.
  template <typename Fn>
  auto in_write_transaction(Fn&& fn) -> decltype(fn(std::declval<db::connection&>())) {
    return in_transaction(*writer_, "BEGIN IMMEDIATE", std::forward<Fn>(fn));
  }
  /// The same on the read-only reader inside BEGIN (one snapshot), as read handlers run.
  template <typename Fn>
  auto in_read_transaction(Fn&& fn) -> decltype(fn(std::declval<db::connection&>())) {
    return in_transaction(reader(), "BEGIN", std::forward<Fn>(fn));
  }

  /// First column of the first row of `sql`, run on the writer.
  std::int64_t scalar(const std::string& sql) {
    auto stmt = writer_->prepare(sql);
    EXPECT_TRUE(stmt.step()) << sql;
    return stmt.column_int64(0);
  }

 private:
  template <typename Fn>
  static auto in_transaction(db::connection& conn, const char* begin, Fn&& fn)
      -> decltype(fn(conn)) {
    conn.exec(begin);
    try {
      if constexpr (std::is_void_v<decltype(fn(conn))>) {
        fn(conn);
        conn.exec("COMMIT");
      } else {
        auto result = fn(conn);
        conn.exec("COMMIT");
        return result;
      }
    } catch (...) {
      if (conn.in_transaction()) {
        conn.exec("ROLLBACK");
      }
      throw;
    }
  }

  temp_dir dir_;
  std::filesystem::path file_;
  std::unique_ptr<db::connection> writer_;
  std::unique_ptr<db::connection> reader_;
};

}  // namespace hoody::test
