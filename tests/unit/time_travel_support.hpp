// tests/unit/time_travel_support.hpp — a temp KV database (support/temp_db.hpp) and a minimal KV
// writer for the time-travel unit and property tests. Writes go through ops::record_change exactly
// like the KV handlers do, with synthetic timestamps. One fixture per test thread.
#pragma once

#include "hoody/core/error.hpp"
#include "hoody/db/connection.hpp"
#include "hoody/db/executors.hpp"
#include "hoody/ops/kv_schema.hpp"
#include "hoody/ops/time_travel.hpp"

#include "support/temp_db.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace hoody::test {

class tt_db {
 public:
  /// `file`: a database file of the caller's (kept); default: a temp file removed afterwards.
  explicit tt_db(const std::filesystem::path& file = {})
      : db_(temp_db::existing_file{file}, "time_travel") {
    ops::ensure_kv_tables(*conn_, table);
  }

  db::connection& conn() { return *conn_; }

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
  temp_db db_;
  db::connection* conn_ = &db_.writer();
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
