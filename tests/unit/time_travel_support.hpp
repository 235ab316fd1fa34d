// tests/unit/time_travel_support.hpp — a temp KV database and a minimal KV writer for the
// time-travel unit and property tests. Writes go through ops::record_change exactly like the KV
// handlers do, with synthetic timestamps. One fixture per test thread.
#pragma once

#include "hoody/core/error.hpp"
#include "hoody/db/connection.hpp"
#include "hoody/db/executors.hpp"
#include "hoody/ops/kv_schema.hpp"
#include "hoody/ops/time_travel.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>

namespace hoody::test {

class tt_db {
 public:
  explicit tt_db(std::filesystem::path file = {}) {
    db::mark_db_thread();
    file_ = !file.empty()
                ? std::move(file)
                : std::filesystem::temp_directory_path() /
                      ("time_travel_test_" + std::to_string(std::random_device{}()) + ".db");
    db::connection_options opts;
    opts.create = true;
    conn_ = std::make_unique<db::connection>(file_, opts);
    ops::ensure_kv_tables(*conn_, table);
  }
  tt_db(const tt_db&) = delete;
  tt_db& operator=(const tt_db&) = delete;
  ~tt_db() {
    conn_.reset();
    if (keep_) {
      return;
    }
    std::filesystem::remove(file_);
    std::filesystem::remove(file_.string() + "-wal");
    std::filesystem::remove(file_.string() + "-shm");
  }

  db::connection& conn() { return *conn_; }
  /// Keeps the file on destruction (closes the connection only).
  void keep_file() { keep_ = true; }

  /// The live value (nullopt when missing or expired at `now_ms`).
  std::optional<ops::kv_value> live(const std::string& key, std::int64_t now_ms) {
    auto stmt =
        conn_->prepare("SELECT value, content_type, expires_at FROM " + table + " WHERE key = ?1");
    stmt.bind_text(1, key);
    if (!stmt.step()) {
      return std::nullopt;
    }
    ops::kv_value v{std::string(stmt.column_bytes(0)), std::string(stmt.column_text(1)),
                    stmt.column_optional_int64(2)};
    if (v.expires_at_ms && *v.expires_at_ms <= now_ms) {
      return std::nullopt;
    }
    return v;
  }

  /// Writes `after` (nullopt = delete) at `ts_ms` as op `op`, like a KV handler.
  std::int64_t write(const std::string& key, std::optional<ops::kv_value> after, std::int64_t ts_ms,
                     const std::string& op = "set", bool history = true) {
    const auto before = live(key, ts_ms);
    const std::int64_t n =
        ops::record_change(*conn_, table, ops::kv_change{key, op, before, after, ts_ms}, history);
    auto del = conn_->prepare("DELETE FROM " + table + " WHERE key = ?1");
    del.bind_text(1, key);
    del.run();
    if (after) {
      auto ins = conn_->prepare("INSERT INTO " + table +
                                " (key, value, content_type, expires_at, created_at, updated_at, "
                                "version) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)");
      ins.bind_text(1, key);
      ops::bind_kv_value(ins, 2, after->value, after->content_type);
      ins.bind_text(3, after->content_type);
      ins.bind_optional_int64(4, after->expires_at_ms);
      ins.bind_int64(5, ts_ms);
      ins.bind_int64(6, n);
      ins.run();
    }
    return n;
  }

  std::int64_t set(const std::string& key, const std::string& json_value, std::int64_t ts_ms,
                   std::optional<std::int64_t> expires_at_ms = std::nullopt, bool history = true) {
    return write(key, ops::kv_value{json_value, "application/json", expires_at_ms}, ts_ms, "set",
                 history);
  }
  std::int64_t del(const std::string& key, std::int64_t ts_ms, bool history = true) {
    return write(key, std::nullopt, ts_ms, "delete", history);
  }

  std::int64_t count(const std::string& sql) {
    auto stmt = conn_->prepare(sql);
    EXPECT_TRUE(stmt.step());
    return stmt.column_int64(0);
  }

  const std::string table = "kv_store";

 private:
  std::filesystem::path file_;
  std::unique_ptr<db::connection> conn_;
  bool keep_ = false;
};

/// Runs `fn` and returns the api_error's HTTP status (0 when nothing was thrown).
template <typename Fn>
int status_of_call(Fn&& fn, nlohmann::json* details = nullptr, std::string* message = nullptr) {
  try {
    fn();
  } catch (const api_error& e) {
    if (details != nullptr) {
      *details = e.details();
    }
    if (message != nullptr) {
      *message = e.what();
    }
    return status_of(e.code());
  }
  return 0;
}

}  // namespace hoody::test
