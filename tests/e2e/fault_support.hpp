// tests/e2e/fault_support.hpp — helpers for the fault-injection e2e tests (issue 14), also used
// by other e2e tests: a small tmpfs (a full disk on demand), a SQLite handle opened by the test
// process itself (a second process next to the server: it checks files after the server
// stopped, holds a read transaction, or changes a database behind the server's back), and the
// server's resident memory.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <sys/mount.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>

namespace hoody::test {

/// A tmpfs of `size` bytes mounted at `dir` (created); unmounted on destruction. `ok()` is false
/// when mounting is not permitted (not root, no CAP_SYS_ADMIN): the test then skips.
class tmpfs_mount {
 public:
  tmpfs_mount(std::filesystem::path dir, std::size_t size) : dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);
    const std::string options = "size=" + std::to_string(size) + ",mode=0755";
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", 0, options.c_str()) == 0) {
      mounted_ = true;
    } else {
      error_ = std::strerror(errno);
    }
  }
  tmpfs_mount(const tmpfs_mount&) = delete;
  tmpfs_mount& operator=(const tmpfs_mount&) = delete;
  ~tmpfs_mount() {
    if (mounted_) {
      ::umount2(dir_.c_str(), MNT_DETACH);
    }
  }
  [[nodiscard]] bool ok() const noexcept { return mounted_; }
  [[nodiscard]] const std::string& error() const noexcept { return error_; }
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return dir_; }

 private:
  std::filesystem::path dir_;
  bool mounted_ = false;
  std::string error_;
};

/// A SQLite connection of the test process (not the server's).
class sqlite_file {
 public:
  explicit sqlite_file(const std::filesystem::path& file,
                       int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) {
    if (sqlite3_open_v2(file.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close_v2(db_);
      db_ = nullptr;
      throw std::runtime_error("cannot open " + file.string() + ": " + message);
    }
    sqlite3_busy_timeout(db_, 5000);
  }
  sqlite_file(const sqlite_file&) = delete;
  sqlite_file& operator=(const sqlite_file&) = delete;
  ~sqlite_file() { sqlite3_close_v2(db_); }

  void exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      const std::string message = error != nullptr ? error : "?";
      sqlite3_free(error);
      throw std::runtime_error(sql + ": " + message);
    }
  }

  /// First column of the first row as text (nullopt: no row or NULL).
  std::optional<std::string> text(const std::string& sql, const std::string& param = {}) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      throw std::runtime_error(sql + ": " + sqlite3_errmsg(db_));
    }
    if (!param.empty()) {
      sqlite3_bind_text(stmt, 1, param.data(), static_cast<int>(param.size()), SQLITE_TRANSIENT);
    }
    std::optional<std::string> out;
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW && sqlite3_column_type(stmt, 0) != SQLITE_NULL) {
      const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt, 0));
      out = std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(stmt, 0)));
    } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      const std::string message = sqlite3_errmsg(db_);
      sqlite3_finalize(stmt);
      throw std::runtime_error(sql + ": " + message);
    }
    sqlite3_finalize(stmt);
    return out;
  }

  std::int64_t integer(const std::string& sql) { return std::stoll(text(sql).value_or("0")); }

  /// The KV value of `key` in table kv_store, if present.
  std::optional<std::string> kv(const std::string& key) {
    if (!text("SELECT name FROM sqlite_schema WHERE name = 'kv_store'")) {
      return std::nullopt;
    }
    return text("SELECT value FROM kv_store WHERE key = ?1", key);
  }

  std::string integrity() { return text("PRAGMA integrity_check").value_or("?"); }

  [[nodiscard]] sqlite3* handle() const noexcept { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

/// VmRSS of process `pid` in KiB (0 when unknown).
inline std::size_t rss_kib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream fields(line.substr(6));
      std::size_t kib = 0;
      fields >> kib;
      return kib;
    }
  }
  return 0;
}

}  // namespace hoody::test
