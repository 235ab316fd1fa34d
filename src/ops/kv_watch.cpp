// The change feed's op-log reads (see hoody/ops/kv_watch.hpp).
#include "hoody/ops/kv_watch.hpp"

namespace hoody::ops {
namespace {

struct log_names {
  std::string history;      // quoted T__history
  std::string horizon;      // quoted T__horizon
  std::string horizon_raw;  // T__horizon
  std::string history_raw;  // T__history
};

log_names names_of(std::string_view table) {
  validate_kv_table_name(table);
  const std::string h = std::string(table) + "__history";
  const std::string z = std::string(table) + "__horizon";
  return {db::quote_identifier(h), db::quote_identifier(z), z, h};
}

std::int64_t horizon_of(db::connection& conn, const log_names& n) {
  if (!conn.table_exists(n.horizon_raw)) {
    return 0;
  }
  auto& stmt = conn.cached("SELECT seq FROM " + n.horizon + " WHERE id = 1");
  db::statement_reset_guard guard(stmt);
  return stmt.step() ? stmt.column_int64(0) : 0;
}

}  // namespace

kv_log_bounds kv_log_bounds_of(db::connection& conn, std::string_view table) {
  const log_names n = names_of(table);
  kv_log_bounds b;
  if (!conn.table_exists(n.history_raw)) {
    return b;
  }
  {
    auto& stmt = conn.cached("SELECT MAX(seq) FROM " + n.history);
    db::statement_reset_guard guard(stmt);
    if (stmt.step() && !stmt.column_is_null(0)) {
      b.head = stmt.column_int64(0);
    }
  }
  b.horizon = horizon_of(conn, n);
  return b;
}

kv_event_page read_kv_events(db::connection& conn, std::string_view table, std::int64_t after,
                             std::size_t max_events, std::size_t max_bytes) {
  const log_names n = names_of(table);
  kv_event_page page;
  if (!conn.table_exists(n.history_raw)) {
    return page;
  }
  page.horizon = horizon_of(conn, n);
  auto& stmt = conn.cached(
      "SELECT seq, key, op_number, op, new_value, new_content_type,"
      " new_expires_at, ts FROM " +
      n.history + " WHERE seq > ?1 ORDER BY seq LIMIT ?2");
  db::statement_reset_guard guard(stmt);
  stmt.bind_int64(1, after);
  // One row more than returned tells whether the page stopped at the limit.
  stmt.bind_int64(2, static_cast<std::int64_t>(max_events) + 1);
  std::size_t bytes = 0;
  while (stmt.step()) {
    if (page.events.size() == max_events || (bytes >= max_bytes && !page.events.empty())) {
      page.more = true;
      break;
    }
    kv_event e;
    e.seq = stmt.column_int64(0);
    e.key = std::string(stmt.column_text(1));
    e.op_number = stmt.column_int64(2);
    e.op = std::string(stmt.column_text(3));
    if (!stmt.column_is_null(5)) {  // new_content_type NULL: absent afterwards (or untracked)
      kv_value v;
      v.value = std::string(stmt.column_bytes(4));
      v.content_type = std::string(stmt.column_text(5));
      v.expires_at_ms = stmt.column_optional_int64(6);
      bytes += v.value.size();
      e.after = std::move(v);
    }
    e.ts_ms = stmt.column_int64(7);
    bytes += e.key.size();
    page.events.push_back(std::move(e));
  }
  return page;
}

void record_log_horizon(db::connection& conn, std::string_view table, std::int64_t seq) {
  const log_names n = names_of(table);
  conn.exec("CREATE TABLE IF NOT EXISTS " + n.horizon +
            " (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL)");
  auto& stmt = conn.cached("INSERT INTO " + n.horizon +
                           " (id, seq) VALUES (1, ?1)"
                           " ON CONFLICT (id) DO UPDATE SET seq = MAX(seq, excluded.seq)");
  db::statement_reset_guard guard(stmt);
  stmt.bind_int64(1, seq);
  stmt.run();
}

}  // namespace hoody::ops
