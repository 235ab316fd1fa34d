// The query history table and its in-memory stand-in (see hoody/ops/query_history.hpp and
// docs/sql.md).
#include "hoody/ops/query_history.hpp"

#include <algorithm>
#include <cmath>

namespace hoody::ops {
namespace {

constexpr const char* table_ddl =
    "CREATE TABLE IF NOT EXISTS _query_history ("
    "id INTEGER PRIMARY KEY AUTOINCREMENT, sql TEXT NOT NULL, source TEXT NOT NULL, "
    "timestamp_ms INTEGER NOT NULL, duration_ms REAL NOT NULL, success INTEGER NOT NULL, "
    "error TEXT, rows INTEGER NOT NULL, statements INTEGER NOT NULL)";
constexpr const char* schema_fact = "query_history";
constexpr const char* entry_columns =
    "id, sql, source, timestamp_ms, duration_ms, success, error, rows, statements";

query_history_entry read_entry(const db::statement& stmt) {
  query_history_entry e;
  e.id = stmt.column_int64(0);
  e.rec.sql = std::string(stmt.column_text(1));
  e.rec.source = std::string(stmt.column_text(2));
  e.rec.timestamp_ms = stmt.column_int64(3);
  e.rec.duration_ms = stmt.column_double(4);
  e.rec.success = stmt.column_int64(5) != 0;
  e.rec.error = stmt.column_optional_text(6);
  e.rec.rows = stmt.column_int64(7);
  e.rec.statements = stmt.column_int64(8);
  return e;
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) {
    return 0;
  }
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

std::string clip_history_sql(std::string sql) {
  if (sql.size() <= max_history_sql_bytes) {
    return sql;
  }
  std::size_t cut = max_history_sql_bytes;
  while (cut > 0 && (static_cast<unsigned char>(sql[cut]) & 0xc0U) == 0x80U) {
    --cut;  // not inside a UTF-8 sequence
  }
  sql.resize(cut);
  sql += "…";
  return sql;
}

void append_query_history(db::connection& conn, const std::vector<query_record>& records,
                          std::size_t cap) {
  if (records.empty()) {
    return;
  }
  if (!conn.schema_known(schema_fact)) {
    conn.exec(table_ddl);
    conn.mark_schema_known(schema_fact);
  }
  auto& insert = conn.cached(
      "INSERT INTO _query_history (sql, source, timestamp_ms, duration_ms, success, error, rows, "
      "statements) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  for (const auto& rec : records) {
    db::statement_reset_guard guard(insert);
    insert.bind_text(1, rec.sql);
    insert.bind_text(2, rec.source);
    insert.bind_int64(3, rec.timestamp_ms);
    insert.bind_double(4, rec.duration_ms);
    insert.bind_int64(5, rec.success ? 1 : 0);
    insert.bind_optional_text(6, rec.error);
    insert.bind_int64(7, rec.rows);
    insert.bind_int64(8, rec.statements);
    insert.run();
  }
  // Ids only grow (AUTOINCREMENT, also across processes), so the newest `cap` entries are the
  // ids above last - cap: one indexed delete at the low end instead of a count.
  const std::int64_t horizon = conn.last_insert_rowid() - static_cast<std::int64_t>(cap);
  if (horizon > 0) {
    auto& trim = conn.cached("DELETE FROM _query_history WHERE id <= ?1");
    db::statement_reset_guard guard(trim);
    trim.bind_int64(1, horizon);
    trim.run();
  }
}

query_history_page list_query_history(db::connection& conn, std::size_t limit) {
  query_history_page page;
  if (!conn.table_exists("_query_history")) {
    return page;
  }
  auto& stmt = conn.cached(std::string("SELECT ") + entry_columns +
                           " FROM _query_history ORDER BY id DESC LIMIT ?1");
  {
    db::statement_reset_guard guard(stmt);
    stmt.bind_int64(1, static_cast<std::int64_t>(limit));
    while (stmt.step()) {
      page.entries.push_back(read_entry(stmt));
    }
  }
  auto& count = conn.cached("SELECT count(*) FROM _query_history");
  db::statement_reset_guard guard(count);
  if (count.step()) {
    page.total = count.column_int64(0);
  }
  return page;
}

bool delete_query_history_entry(db::connection& conn, std::int64_t id) {
  if (!conn.table_exists("_query_history")) {
    return false;
  }
  auto& stmt = conn.cached("DELETE FROM _query_history WHERE id = ?1");
  db::statement_reset_guard guard(stmt);
  stmt.bind_int64(1, id);
  stmt.run();
  return conn.changes() > 0;
}

std::int64_t clear_query_history(db::connection& conn) {
  if (!conn.table_exists("_query_history")) {
    return 0;
  }
  auto& stmt = conn.cached("DELETE FROM _query_history");
  db::statement_reset_guard guard(stmt);
  stmt.run();
  return conn.changes();
}

query_history_summary summarize_query_history(db::connection& conn) {
  std::vector<query_history_entry> all;
  if (conn.table_exists("_query_history")) {
    auto& stmt = conn.cached(std::string("SELECT ") + entry_columns + " FROM _query_history");
    db::statement_reset_guard guard(stmt);
    while (stmt.step()) {
      all.push_back(read_entry(stmt));
    }
  }
  return summarize(all);
}

query_history_summary summarize(const std::vector<query_history_entry>& entries) {
  query_history_summary s;
  std::vector<double> durations;
  durations.reserve(entries.size());
  double total_ms = 0;
  for (const auto& e : entries) {
    durations.push_back(e.rec.duration_ms);
    total_ms += e.rec.duration_ms;
    s.total_rows += e.rec.rows;
    auto& src = e.rec.source == "query" ? s.query : s.db;
    ++src.count;
    if (e.rec.success) {
      ++s.success_count;
    } else {
      ++s.error_count;
      ++src.errors;
    }
    const auto ts = e.rec.timestamp_ms;
    s.oldest_timestamp_ms = std::min(s.oldest_timestamp_ms.value_or(ts), ts);
    s.newest_timestamp_ms = std::max(s.newest_timestamp_ms.value_or(ts), ts);
  }
  s.count = static_cast<std::int64_t>(entries.size());
  std::sort(durations.begin(), durations.end());
  s.avg_duration_ms = entries.empty() ? 0.0 : total_ms / static_cast<double>(entries.size());
  s.max_duration_ms = durations.empty() ? 0.0 : durations.back();
  s.p50_duration_ms = percentile(durations, 0.50);
  s.p95_duration_ms = percentile(durations, 0.95);
  return s;
}

// --- in memory ------------------------------------------------------------------------------

void memory_query_history::record(const std::string& db_key, query_record rec) {
  const std::lock_guard lock(mutex_);
  auto found = dbs_.find(db_key);
  if (found == dbs_.end()) {
    if (dbs_.size() >= max_databases) {
      const auto oldest = std::min_element(dbs_.begin(), dbs_.end(), [](auto& a, auto& b) {
        return a.second.last_record < b.second.last_record;
      });
      dbs_.erase(oldest);
    }
    found = dbs_.emplace(db_key, per_db{}).first;
  }
  per_db& db = found->second;
  db.last_record = ++clock_;
  db.entries.push_back({db.next_id++, std::move(rec)});
  while (db.entries.size() > std::max<std::size_t>(cap_, 1)) {
    db.entries.pop_front();
  }
}

query_history_page memory_query_history::list(const std::string& db_key, std::size_t limit) const {
  const std::lock_guard lock(mutex_);
  query_history_page page;
  if (const auto found = dbs_.find(db_key); found != dbs_.end()) {
    const auto& all = found->second.entries;
    page.total = static_cast<std::int64_t>(all.size());
    for (auto it = all.rbegin(); it != all.rend() && page.entries.size() < limit; ++it) {
      page.entries.push_back(*it);
    }
  }
  return page;
}

bool memory_query_history::remove(const std::string& db_key, std::int64_t id) {
  const std::lock_guard lock(mutex_);
  const auto found = dbs_.find(db_key);
  if (found == dbs_.end()) {
    return false;
  }
  auto& all = found->second.entries;
  const auto it = std::find_if(all.begin(), all.end(), [id](auto& e) { return e.id == id; });
  if (it == all.end()) {
    return false;
  }
  all.erase(it);
  return true;
}

std::int64_t memory_query_history::clear(const std::string& db_key) {
  const std::lock_guard lock(mutex_);
  const auto found = dbs_.find(db_key);
  if (found == dbs_.end()) {
    return 0;
  }
  const auto n = static_cast<std::int64_t>(found->second.entries.size());
  found->second.entries.clear();
  return n;
}

bool memory_query_history::stage(const std::string& db_key, query_record rec) {
  const std::lock_guard lock(mutex_);
  auto& staged = staged_[db_key];
  const bool first = staged.empty();
  staged.push_back(std::move(rec));
  while (staged.size() > std::max<std::size_t>(cap_, 1)) {
    staged.pop_front();  // the table keeps only the newest cap entries anyway
  }
  return first;
}

std::vector<query_record> memory_query_history::take_staged(const std::string& db_key) {
  const std::lock_guard lock(mutex_);
  const auto found = staged_.find(db_key);
  if (found == staged_.end()) {
    return {};
  }
  std::vector<query_record> out(std::make_move_iterator(found->second.begin()),
                                std::make_move_iterator(found->second.end()));
  staged_.erase(found);
  return out;
}

query_history_summary memory_query_history::summary(const std::string& db_key) const {
  std::vector<query_history_entry> copy;
  {
    const std::lock_guard lock(mutex_);
    if (const auto found = dbs_.find(db_key); found != dbs_.end()) {
      copy.assign(found->second.entries.begin(), found->second.entries.end());
    }
  }
  return summarize(copy);
}

}  // namespace hoody::ops
