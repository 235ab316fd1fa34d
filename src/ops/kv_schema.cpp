// KV tables and the op log (see hoody/ops/kv_schema.hpp).
#include "hoody/ops/kv_schema.hpp"

#include "hoody/core/clock.hpp"
#include "hoody/core/error.hpp"
#include "hoody/core/text.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>

namespace hoody::ops {
namespace {

std::string history_table(std::string_view table) {
  return std::string(table) + "__history";
}

void bind_value(db::statement& stmt, int index, const std::optional<kv_value>& v) {
  if (!v) {
    stmt.bind_null(index);
  } else {
    bind_kv_value(stmt, index, v->value, v->content_type);
  }
}

}  // namespace

void validate_kv_table_name(std::string_view table) {
  const auto bad = [&]() {
    throw api_error(errc::bad_request,
                    "Invalid table name: must match [A-Za-z_][A-Za-z0-9_]{0,63} and not start "
                    "with sqlite_");
  };
  if (table.empty() || table.size() > 64) {
    bad();
  }
  const auto first = static_cast<unsigned char>(table.front());
  if (!(std::isalpha(first) != 0 || first == '_')) {
    bad();
  }
  for (const char ch : table) {
    const auto c = static_cast<unsigned char>(ch);
    if (!(std::isalnum(c) != 0 || c == '_')) {
      bad();
    }
  }
  if (ascii_lowercase(table.substr(0, std::min<std::size_t>(7, table.size()))) == "sqlite_") {
    bad();
  }
}

void ensure_kv_tables(db::connection& conn, std::string_view table) {
  const std::string fact = "kv:" + std::string(table);
  if (conn.schema_known(fact)) {
    return;
  }
  validate_kv_table_name(table);
  // Remember the fact only once the tables were already there: tables created now live in the
  // caller's transaction, and a rollback (a failed CAS, a bad batch item) would drop them again
  // while the connection still believed in them. The next write re-checks and then remembers.
  const bool existed = conn.table_exists(table) && conn.table_exists(history_table(table));
  const std::string t = db::quote_identifier(table);
  const std::string h_name = history_table(table);
  const std::string h = db::quote_identifier(h_name);
  conn.exec("CREATE TABLE IF NOT EXISTS " + t +
            " (key TEXT PRIMARY KEY NOT NULL, value, content_type TEXT NOT NULL,"
            " expires_at INTEGER, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
            " version INTEGER NOT NULL)");
  conn.exec("CREATE TABLE IF NOT EXISTS " + h +
            " (seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL,"
            " op_number INTEGER NOT NULL, op TEXT NOT NULL,"
            " old_value, old_content_type TEXT, old_expires_at INTEGER,"
            " new_value, new_content_type TEXT, new_expires_at INTEGER,"
            " ts INTEGER NOT NULL)");
  conn.exec("CREATE UNIQUE INDEX IF NOT EXISTS " + db::quote_identifier(h_name + "_key_op") +
            " ON " + h + " (key, op_number)");
  // Logs written before 2026-12-03 have a (key, ts) index: reads by time search (key,
  // op_number) now (time_travel.cpp, latest_op_at), and the index cost about half of each
  // write's pages (docs/performance.md). Dropping it loses no history. It takes about 4 s per GB
  // of index, once, in one VDBE step (OP_Destroy) that the query deadline's progress handler
  // never interrupts, so a big log cannot be stuck re-trying it (kv_schema unit test).
  conn.exec("DROP INDEX IF EXISTS " + db::quote_identifier(h_name + "_key_ts"));
  conn.exec("CREATE INDEX IF NOT EXISTS " + db::quote_identifier(h_name + "_ts") + " ON " + h +
            " (ts)");
  conn.exec("CREATE INDEX IF NOT EXISTS " + db::quote_identifier(std::string(table) + "__expires") +
            " ON " + t + " (expires_at) WHERE expires_at IS NOT NULL");
  if (existed) {
    conn.mark_schema_known(fact);
  }
}

bool kv_tables_exist(db::connection& conn, std::string_view table) {
  if (conn.schema_known("kv:" + std::string(table))) {
    return true;
  }
  return conn.table_exists(table);
}

std::int64_t record_change(db::connection& conn, std::string_view table, const kv_change& change,
                           bool history) {
  const std::string h = db::quote_identifier(history_table(table));
  const std::int64_t ts = change.ts_ms != 0 ? change.ts_ms : unix_now_ms();

  // The key's latest log row (op_number, op, ts).
  std::int64_t last_op_number = 0;
  bool last_untracked = false;
  std::int64_t last_ts = 0;
  {
    auto& stmt = conn.cached("SELECT op_number, op, ts FROM " + h +
                             " WHERE key = ?1 ORDER BY op_number DESC LIMIT 1");
    db::statement_reset_guard guard(stmt);
    stmt.bind_text(1, change.key);
    if (stmt.step()) {
      last_op_number = stmt.column_int64(0);
      last_untracked = stmt.column_text(1) == "untracked";
      last_ts = stmt.column_int64(2);
    }
  }

  // A key's ops never go back in time, also when the wall clock does: reads at a timestamp
  // rely on it (they binary-search the key's ops by op_number, time_travel.cpp).
  const std::int64_t op_ts = std::max(ts, last_ts);
  if (!history) {
    std::int64_t op_number = last_op_number + 1;
    if (last_untracked) {
      // Consecutive untracked writes share one marker: it is re-inserted under a new seq (its
      // ts moving forward), so the log does not grow while the change feed, which reads the log
      // by seq, still sees every history=false write as a gap.
      auto& del = conn.cached("DELETE FROM " + h + " WHERE key = ?1 AND op_number = ?2");
      db::statement_reset_guard del_guard(del);
      del.bind_text(1, change.key);
      del.bind_int64(2, last_op_number);
      del.run();
      op_number = last_op_number;
    }
    auto& stmt = conn.cached("INSERT INTO " + h +
                             " (key, op_number, op, ts) VALUES (?1, ?2, 'untracked', ?3)");
    db::statement_reset_guard guard(stmt);
    stmt.bind_text(1, change.key);
    stmt.bind_int64(2, op_number);
    stmt.bind_int64(3, op_ts);
    stmt.run();
    return op_number;
  }

  auto& stmt = conn.cached("INSERT INTO " + h +
                           " (key, op_number, op, old_value, old_content_type, old_expires_at,"
                           " new_value, new_content_type, new_expires_at, ts)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  db::statement_reset_guard guard(stmt);
  stmt.bind_text(1, change.key);
  stmt.bind_int64(2, last_op_number + 1);
  stmt.bind_text(3, change.op);
  bind_value(stmt, 4, change.before);
  if (change.before) {
    stmt.bind_text(5, change.before->content_type);
    stmt.bind_optional_int64(6, change.before->expires_at_ms);
  } else {
    stmt.bind_null(5);
    stmt.bind_null(6);
  }
  bind_value(stmt, 7, change.after);
  if (change.after) {
    stmt.bind_text(8, change.after->content_type);
    stmt.bind_optional_int64(9, change.after->expires_at_ms);
  } else {
    stmt.bind_null(8);
    stmt.bind_null(9);
  }
  stmt.bind_int64(10, op_ts);
  stmt.run();
  return last_op_number + 1;
}

bool is_textual_content_type(std::string_view content_type) noexcept {
  // Media type without parameters, lower-cased.
  std::string_view base = content_type.substr(0, content_type.find(';'));
  while (!base.empty() && (base.back() == ' ' || base.back() == '\t')) {
    base.remove_suffix(1);
  }
  while (!base.empty() && (base.front() == ' ' || base.front() == '\t')) {
    base.remove_prefix(1);
  }
  std::string t;
  t.reserve(base.size());
  for (const char ch : base) {
    t.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
  }
  if (t.starts_with("text/")) {
    return true;
  }
  if (t.ends_with("+json") || t.ends_with("+xml") || t.ends_with("+yaml")) {
    return true;
  }
  return t == "application/json" || t == "application/xml" || t == "application/javascript" ||
         t == "application/ecmascript" || t == "application/x-www-form-urlencoded" ||
         t == "application/yaml" || t == "application/x-yaml" || t == "application/toml" ||
         t == "application/sql" || t == "application/graphql" || t == "application/x-ndjson" ||
         t == "application/ndjson";
}

bool stored_as_text(std::string_view value, std::string_view content_type) noexcept {
  return is_textual_content_type(content_type) && is_valid_utf8(value);
}

void bind_kv_value(db::statement& stmt, int index, std::string_view value,
                   std::string_view content_type) {
  if (stored_as_text(value, content_type)) {
    stmt.bind_text(index, value);
  } else {
    stmt.bind_blob(index, value);
  }
}

}  // namespace hoody::ops
