// hoody/ops/query_history.hpp — per-database log of executed SQL (POST /db and GET /query).
//
// Kept in memory, keyed by canonical database path, at most `limit` entries per database (oldest
// dropped first), SQL text cut at `max_sql_bytes`, at most `max_databases` databases (the one
// recorded least recently is forgotten); survives database cache eviction, not a restart
// (documented in docs/sql.md).
// Thread-safety: every member function is safe to call from any thread (internal mutex).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace hoody::ops {

struct query_record {
  std::string sql;                ///< statements of the request, joined with ";\n"
  std::string source;             ///< "db" (POST /db) or "query" (GET /query)
  std::int64_t timestamp_ms = 0;  ///< Unix ms when the request started
  double duration_ms = 0;
  bool success = true;
  std::optional<std::string> error;
  std::int64_t rows = 0;  ///< rows returned plus rows changed
  std::size_t statements = 0;
};

class query_history_store {
 public:
  static constexpr std::size_t max_sql_bytes = 16 * 1024;
  static constexpr std::size_t max_databases = 1024;

  explicit query_history_store(std::size_t limit) : limit_(limit) {}

  void record(const std::string& db_key, query_record entry);
  /// Newest first; each entry carries its `index` (0 = newest) and a stable `id`.
  [[nodiscard]] nlohmann::json list(const std::string& db_key, std::size_t limit) const;
  /// Removes every entry; returns how many were removed.
  std::size_t clear(const std::string& db_key);
  /// Removes the entry at `index` (0 = newest, as listed); false when out of range.
  bool remove(const std::string& db_key, std::size_t index);
  [[nodiscard]] nlohmann::json stats(const std::string& db_key) const;

 private:
  struct stored {
    std::uint64_t id;
    query_record rec;
  };
  struct per_db {
    std::deque<stored> entries;  // oldest at front
    std::uint64_t next_id = 1;
    std::uint64_t last_record = 0;  // clock_ value of the latest record
  };

  std::size_t limit_;
  std::uint64_t clock_ = 0;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, per_db> dbs_;
};

}  // namespace hoody::ops
