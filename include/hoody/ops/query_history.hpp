// hoody/ops/query_history.hpp — the per-database log of executed SQL (POST /db and GET /query).
//
// Kept in the database itself, in the table `_query_history`, so it survives restarts and is
// shared by every process using the file:
//
//   _query_history(id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: DELETE by id is safe
//                  sql TEXT, source TEXT ('db' | 'query'), timestamp_ms INTEGER (Unix ms),
//                  duration_ms REAL, success INTEGER, error TEXT, rows INTEGER, statements INTEGER)
//
// Entries are staged in memory (`memory_query_history::stage`) and appended in batches by one
// deferred writer job per batch (db::database::defer_write), never by a commit of their own on
// a request's path; the newest `cap` ids are kept, so at most `cap` entries are staged (older
// ones would be trimmed at once). A database the server cannot write keeps its whole history
// in memory instead, lost on restart. SQL text is cut at `max_history_sql_bytes`. Decisions
// (what a crash may drop): docs/sql.md.
// Threading: the table functions run on the connection they are given (changes: the writer,
// inside its transaction); `memory_query_history` is safe from any thread.
#pragma once

#include "hoody/db/connection.hpp"

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace hoody::ops {

inline constexpr std::size_t max_history_sql_bytes = std::size_t{16} * 1024;

struct query_record {
  std::string sql;                ///< statements of the request, joined with ";\n"
  std::string source;             ///< "db" (POST /db) or "query" (GET /query)
  std::int64_t timestamp_ms = 0;  ///< Unix ms when the request started
  double duration_ms = 0;
  bool success = true;
  std::optional<std::string> error;
  std::int64_t rows = 0;  ///< rows returned plus rows changed
  std::int64_t statements = 0;
};

struct query_history_entry {
  std::int64_t id = 0;
  query_record rec;
};

struct query_history_page {
  std::vector<query_history_entry> entries;  ///< newest first
  std::int64_t total = 0;                    ///< entries kept in all
};

struct query_history_summary {
  struct by_source {
    std::int64_t count = 0;
    std::int64_t errors = 0;
  };
  std::int64_t count = 0;
  std::int64_t success_count = 0;
  std::int64_t error_count = 0;
  std::int64_t total_rows = 0;
  double avg_duration_ms = 0;
  double max_duration_ms = 0;
  double p50_duration_ms = 0;  ///< nearest rank
  double p95_duration_ms = 0;
  by_source db;
  by_source query;
  std::optional<std::int64_t> oldest_timestamp_ms;
  std::optional<std::int64_t> newest_timestamp_ms;
};

/// Cuts `sql` at max_history_sql_bytes on a UTF-8 boundary, marking the cut with "…".
[[nodiscard]] std::string clip_history_sql(std::string sql);

/// Appends `records` (oldest first; creating the table when missing) and drops the entries
/// older than the newest `cap`. Writer connection, inside a transaction.
void append_query_history(db::connection& conn, const std::vector<query_record>& records,
                          std::size_t cap);
/// Newest first, at most `limit` (no table: empty).
[[nodiscard]] query_history_page list_query_history(db::connection& conn, std::size_t limit);
/// False when no entry has this id.
bool delete_query_history_entry(db::connection& conn, std::int64_t id);
/// Removes every entry; returns how many.
std::int64_t clear_query_history(db::connection& conn);
[[nodiscard]] query_history_summary summarize_query_history(db::connection& conn);

/// The statistics of a set of entries (any order).
[[nodiscard]] query_history_summary summarize(const std::vector<query_history_entry>& entries);

/// The in-memory side of the query history, keyed by database path: the whole history of
/// databases the server cannot write (the newest `cap` entries per database, at most
/// `max_databases` databases: the one recorded least recently is forgotten), and the entries
/// staged for the writer of those it can.
class memory_query_history {
 public:
  static constexpr std::size_t max_databases = 1024;

  explicit memory_query_history(std::size_t cap) : cap_(cap) {}

  void record(const std::string& db_key, query_record rec);
  [[nodiscard]] query_history_page list(const std::string& db_key, std::size_t limit) const;
  bool remove(const std::string& db_key, std::int64_t id);
  std::int64_t clear(const std::string& db_key);
  [[nodiscard]] query_history_summary summary(const std::string& db_key) const;

  /// Stages an entry for the database's table (the newest `cap` are kept); true when nothing
  /// was staged for it before, i.e. the caller must arrange one flush (`take_staged`).
  bool stage(const std::string& db_key, query_record rec);
  /// Everything staged for `db_key`, oldest first.
  [[nodiscard]] std::vector<query_record> take_staged(const std::string& db_key);

 private:
  struct per_db {
    std::deque<query_history_entry> entries;  // oldest at front
    std::int64_t next_id = 1;
    std::uint64_t last_record = 0;  // clock_ value of the latest record
  };

  std::size_t cap_;
  std::uint64_t clock_ = 0;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, per_db> dbs_;
  std::unordered_map<std::string, std::deque<query_record>> staged_;
};

}  // namespace hoody::ops
