// Time travel over the KV op log (see hoody/ops/time_travel.hpp and docs/time-travel.md).
#include "hoody/ops/time_travel.hpp"

#include "hoody/core/clock.hpp"
#include "hoody/core/error.hpp"
#include "hoody/core/json_limits.hpp"
#include "hoody/ops/json_path.hpp"
#include "hoody/ops/kv_watch.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <set>
#include <unordered_set>

namespace hoody::ops {
namespace {

constexpr std::int64_t default_list_limit = 100;  // table snapshot and list-at, as GET /kv
constexpr std::int64_t max_list_limit = 10'000;
constexpr std::int64_t default_history_limit = 50;
constexpr std::int64_t max_history_limit = 1000;
constexpr std::size_t max_listed_changes = 10'000;

constexpr const char* op_columns =
    "seq, key, op_number, op, old_value, old_content_type, old_expires_at, new_value, "
    "new_content_type, new_expires_at, ts";

struct names {
  std::string live;     // quoted live table
  std::string history;  // quoted history table
  std::string history_raw;
};

names names_of(std::string_view table) {
  validate_kv_table_name(table);
  const std::string h = std::string(table) + "__history";
  return {db::quote_identifier(table), db::quote_identifier(h), h};
}

bool history_exists(db::connection& conn, std::string_view table) {
  return kv_tables_exist(conn, table) && (conn.schema_known("kv:" + std::string(table)) ||
                                          conn.table_exists(std::string(table) + "__history"));
}

std::optional<kv_value> value_at(db::statement& stmt, int value_col) {
  if (stmt.column_is_null(value_col + 1)) {  // content type NULL: absent
    return std::nullopt;
  }
  kv_value v;
  v.value = std::string(stmt.column_bytes(value_col));
  v.content_type = std::string(stmt.column_text(value_col + 1));
  v.expires_at_ms = stmt.column_optional_int64(value_col + 2);
  return v;
}

history_entry read_op(db::statement& stmt) {
  history_entry r;
  r.seq = stmt.column_int64(0);
  r.op_number = stmt.column_int64(2);
  r.op = std::string(stmt.column_text(3));
  r.old_state = value_at(stmt, 4);
  r.new_state = value_at(stmt, 7);
  r.ts_ms = stmt.column_int64(10);
  return r;
}

std::optional<history_entry> op_by_number(db::connection& conn, const names& n,
                                          std::string_view key, std::int64_t op_number) {
  auto& stmt = conn.cached(std::string("SELECT ") + op_columns + " FROM " + n.history +
                           " WHERE key = ?1 AND op_number = ?2");
  db::statement_reset_guard guard(stmt);
  stmt.bind_text(1, key);
  stmt.bind_int64(2, op_number);
  if (!stmt.step()) {
    return std::nullopt;
  }
  return read_op(stmt);
}

/// (op_number, op, ts) of the key's oldest or newest retained op.
struct op_head {
  std::int64_t op_number = 0;
  std::string op;
  std::int64_t ts = 0;
};

std::optional<op_head> edge_op(db::connection& conn, const names& n, std::string_view key,
                               bool newest) {
  auto& stmt =
      conn.cached("SELECT op_number, op, ts FROM " + n.history +
                  " WHERE key = ?1 ORDER BY op_number " + (newest ? "DESC" : "ASC") + " LIMIT 1");
  db::statement_reset_guard guard(stmt);
  stmt.bind_text(1, key);
  if (!stmt.step()) {
    return std::nullopt;
  }
  return op_head{stmt.column_int64(0), std::string(stmt.column_text(1)), stmt.column_int64(2)};
}

/// The key's latest op at `cutoff_ms` (ts <= cutoff_ms); absent when the key has no op or its
/// oldest retained op (then in `oldest`) is later. A key's ops never go back in time along
/// op_number (record_change keeps ts non-decreasing), so this is a binary search on the (key,
/// op_number) index: one statement when the newest op is old enough (the common case: reads of the
/// present and the recent past), about log2(ops) index seeks otherwise, with no (key, ts) index to
/// write on every op. Gaps in the op numbers (a middle op deleted by retention in an older log) are
/// skipped by each probe; in a log an older server wrote across a wall-clock step back, the op
/// found still has ts <= cutoff.
struct op_at {
  std::optional<history_entry> op;
  std::optional<op_head> oldest;  ///< the key's oldest op, when `op` is absent but ops exist
};

op_at latest_op_at(db::connection& conn, const names& n, std::string_view key,
                   std::int64_t cutoff_ms) {
  std::optional<history_entry> newest;
  {
    auto& stmt = conn.cached(std::string("SELECT ") + op_columns + " FROM " + n.history +
                             " WHERE key = ?1 ORDER BY op_number DESC LIMIT 1");
    db::statement_reset_guard guard(stmt);
    stmt.bind_text(1, key);
    if (!stmt.step()) {
      return {};
    }
    newest = read_op(stmt);
  }
  if (newest->ts_ms <= cutoff_ms) {
    return {std::move(newest), std::nullopt};
  }
  auto oldest = edge_op(conn, n, key, false);
  if (!oldest || oldest->ts > cutoff_ms) {
    return {std::nullopt, std::move(oldest)};
  }
  // lo: an op with ts <= cutoff; every op from hi on has ts > cutoff.
  std::int64_t lo = oldest->op_number;
  std::int64_t hi = newest->op_number;
  auto& probe = conn.cached("SELECT op_number, ts FROM " + n.history +
                            " WHERE key = ?1 AND op_number >= ?2 AND op_number < ?3"
                            " ORDER BY op_number LIMIT 1");
  while (hi - lo > 1) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    db::statement_reset_guard guard(probe);
    probe.bind_text(1, key);
    probe.bind_int64(2, mid);
    probe.bind_int64(3, hi);
    if (!probe.step()) {
      hi = mid;  // no op in [mid, hi)
    } else if (probe.column_int64(1) <= cutoff_ms) {
      lo = probe.column_int64(0);
    } else {
      hi = probe.column_int64(0);
    }
  }
  return {op_by_number(conn, n, key, lo), std::nullopt};
}

/// A JSON value as a document: parsed, or its text as a JSON string when it does not parse (or
/// nests too deep), as handlers/time_travel_render.hpp shows it.
nlohmann::json json_document(const kv_value& value) {
  auto parsed = json_too_deep(value.value) ? nlohmann::json(nlohmann::json::value_t::discarded)
                                           : nlohmann::json::parse(value.value, nullptr, false);
  if (!parsed.is_discarded()) {
    return parsed;
  }
  return value.value;
}

bool same_value(const std::optional<kv_value>& a, const std::optional<kv_value>& b) {
  if (a.has_value() != b.has_value()) {
    return false;
  }
  if (!a) {
    return true;
  }
  return a->value == b->value && a->content_type == b->content_type &&
         a->expires_at_ms == b->expires_at_ms;
}

[[noreturn]] void throw_gap(std::string_view key, const key_state& s) {
  if (s.status == key_state::kind::before_horizon) {
    throw api_error(errc::history_gap,
                    "time-travel chain gap: the requested time is before the retained history of "
                    "key '" +
                        std::string(key) + "' (oldest retained operation at " +
                        nlohmann::json(seconds_of_ms(s.horizon_ms)).dump() + ")",
                    {{"key", key},
                     {"reason", "retention"},
                     {"horizon", seconds_of_ms(s.horizon_ms)},
                     {"gap_keys", {key}}});
  }
  throw api_error(errc::history_gap, "time-travel chain gap",
                  {{"key", key}, {"reason", "untracked"}, {"gap_keys", {key}}});
}

/// Calls `fn(key)` for every key of the log in key order starting at `prefix` while the key
/// starts with `prefix`; `fn` returns false to stop. Each step is one index seek.
template <typename Fn>
void for_each_logged_key(db::connection& conn, const names& n, std::string_view prefix, Fn&& fn) {
  auto& first = conn.cached("SELECT MIN(key) FROM " + n.history + " WHERE key >= ?1");
  std::optional<std::string> current;
  {
    db::statement_reset_guard guard(first);
    first.bind_text(1, prefix);
    if (first.step() && !first.column_is_null(0)) {
      current = std::string(first.column_text(0));
    }
  }
  auto& next = conn.cached("SELECT MIN(key) FROM " + n.history + " WHERE key > ?1");
  while (current && current->starts_with(prefix)) {
    if (!fn(*current)) {
      return;
    }
    db::statement_reset_guard guard(next);
    next.bind_text(1, *current);
    if (next.step() && !next.column_is_null(0)) {
      current = std::string(next.column_text(0));
    } else {
      current.reset();
    }
  }
}

std::int64_t clamp_limit(std::int64_t limit, std::int64_t fallback, std::int64_t max) {
  if (limit <= 0) {
    return fallback;
  }
  return std::min(limit, max);
}

/// The live value of `key` (nullopt when missing or expired at `now_ms`).
std::optional<kv_value> live_value(db::connection& conn, const names& n, std::string_view key,
                                   std::int64_t now_ms) {
  auto& stmt =
      conn.cached("SELECT value, content_type, expires_at FROM " + n.live + " WHERE key = ?1");
  db::statement_reset_guard guard(stmt);
  stmt.bind_text(1, key);
  if (!stmt.step()) {
    return std::nullopt;
  }
  kv_value v;
  v.value = std::string(stmt.column_bytes(0));
  v.content_type = std::string(stmt.column_text(1));
  v.expires_at_ms = stmt.column_optional_int64(2);
  if (v.expires_at_ms && *v.expires_at_ms <= now_ms) {
    return std::nullopt;
  }
  return v;
}

/// Writes `after` as the live state of `key` (deleting it when nullopt) and records the change
/// as a `rollback` op. Returns the new op_number.
std::int64_t apply_rollback(db::connection& conn, std::string_view table, const names& n,
                            std::string_view key, const std::optional<kv_value>& before,
                            const std::optional<kv_value>& after, std::int64_t now_ms) {
  const std::int64_t op_number =
      record_change(conn, table, kv_change{key, "rollback", before, after, now_ms}, true);
  {
    auto& del = conn.cached("DELETE FROM " + n.live + " WHERE key = ?1");
    db::statement_reset_guard guard(del);
    del.bind_text(1, key);
    if (!after || !before) {  // a stale (expired) row is replaced, not updated
      del.run();
    }
  }
  if (!after) {
    return op_number;
  }
  auto& up = conn.cached("INSERT INTO " + n.live +
                         " (key, value, content_type, expires_at, created_at, updated_at, version)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6) ON CONFLICT(key) DO UPDATE SET"
                         " value = excluded.value, content_type = excluded.content_type,"
                         " expires_at = excluded.expires_at, updated_at = excluded.updated_at,"
                         " version = excluded.version");
  db::statement_reset_guard guard(up);
  up.bind_text(1, key);
  bind_kv_value(up, 2, after->value, after->content_type);
  up.bind_text(3, after->content_type);
  up.bind_optional_int64(4, after->expires_at_ms);
  up.bind_int64(5, now_ms);
  up.bind_int64(6, op_number);
  up.run();
  return op_number;
}

/// A restored state that has already expired at `now_ms` is absent.
std::optional<kv_value> effective_now(std::optional<kv_value> v, std::int64_t now_ms) {
  if (v && v->expires_at_ms && *v->expires_at_ms <= now_ms) {
    return std::nullopt;
  }
  return v;
}

std::optional<kv_value> state_value(const key_state& s) {
  return s.status == key_state::kind::present ? s.value : std::nullopt;
}

bool is_unknown(const key_state& s) {
  return s.status == key_state::kind::gap || s.status == key_state::kind::before_horizon;
}

/// The change from `before` to `after` (the two differ).
change_kind change_of(const std::optional<kv_value>& before, const std::optional<kv_value>& after) {
  if (!before) {
    return change_kind::created;
  }
  return after ? change_kind::modified : change_kind::deleted;
}

void count_change(change_stats& stats, change_kind kind) {
  switch (kind) {
  case change_kind::created:
    ++stats.created;
    break;
  case change_kind::modified:
    ++stats.modified;
    break;
  case change_kind::deleted:
    ++stats.deleted;
    break;
  }
}

}  // namespace

std::int64_t cutoff_ms_for_seconds(double at_timestamp_s) {
  if (!std::isfinite(at_timestamp_s) || at_timestamp_s < 0) {
    throw api_error(errc::bad_request, "timestamp must be a non-negative number of Unix seconds");
  }
  if (at_timestamp_s >= 1e12) {  // far future (year 33658+): everything is visible
    return std::numeric_limits<std::int64_t>::max() / 2;
  }
  if (at_timestamp_s == std::floor(at_timestamp_s)) {
    return static_cast<std::int64_t>(at_timestamp_s) * 1000 + 999;
  }
  // Microseconds first, so a decimal such as 1700000000.123 is not floored to ...122.
  const auto us = static_cast<std::int64_t>(std::llround(at_timestamp_s * 1e6));
  return us / 1000;
}

double seconds_of_ms(std::int64_t ts_ms) noexcept {
  return static_cast<double>(ts_ms) / 1000.0;
}

bool is_json_content_type(std::string_view content_type) {
  std::string_view base = content_type.substr(0, content_type.find(';'));
  while (!base.empty() && (base.back() == ' ' || base.back() == '\t')) {
    base.remove_suffix(1);
  }
  std::string t;
  for (const char ch : base) {
    t.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
  }
  return t == "application/json" || t.ends_with("+json");
}

key_state state_at(db::connection& conn, std::string_view table, std::string_view key,
                   std::int64_t cutoff_ms) {
  const names n = names_of(table);
  key_state s;
  op_at at = latest_op_at(conn, n, key, cutoff_ms);
  std::optional<history_entry>& found = at.op;
  if (!found) {
    const std::optional<op_head>& oldest = at.oldest;
    if (oldest && oldest->op_number > 1) {
      s.status = key_state::kind::before_horizon;
      s.horizon_ms = oldest->ts;
    } else if (oldest && oldest->op == "untracked") {
      s.status = key_state::kind::gap;  // its first write(s) may precede the cutoff
    } else {
      s.status = key_state::kind::absent;  // never written, or first written after the cutoff
    }
    return s;
  }
  s.op_number = found->op_number;
  s.ts_ms = found->ts_ms;
  if (found->op == "untracked") {
    s.status = key_state::kind::gap;
    return s;
  }
  // An untracked marker right after the op: its ts is that of its LAST untracked write, so
  // the first one may precede the cutoff and the value at the cutoff is unknown.
  if (const auto next = op_by_number(conn, n, key, found->op_number + 1);
      next && next->op == "untracked") {
    s.status = key_state::kind::gap;
    return s;
  }
  if (!found->new_state ||
      (found->new_state->expires_at_ms && *found->new_state->expires_at_ms <= cutoff_ms)) {
    s.status = key_state::kind::absent;
    return s;
  }
  s.status = key_state::kind::present;
  s.value = std::move(found->new_state);
  return s;
}

key_value_at kv_read_at(db::connection& conn, std::string_view table, std::string_view key,
                        double at_timestamp_s, std::optional<std::string> json_path) {
  const std::int64_t cutoff = cutoff_ms_for_seconds(at_timestamp_s);
  validate_kv_table_name(table);
  if (!history_exists(conn, table)) {
    throw api_error(errc::key_not_found, "Key not found",
                    {{"key", key}, {"at_timestamp", at_timestamp_s}});
  }
  key_state s = state_at(conn, table, key, cutoff);
  if (is_unknown(s)) {
    throw_gap(key, s);
  }
  if (s.status != key_state::kind::present) {
    throw api_error(errc::key_not_found, "Key not found",
                    {{"key", key}, {"at_timestamp", at_timestamp_s}});
  }
  key_value_at out;
  out.key = std::string(key);
  if (json_path && !json_path->empty()) {
    const ops::json_path parsed = parse_json_path(*json_path);
    if (!is_json_content_type(s.value->content_type)) {
      throw api_error(errc::bad_request, "path requires a JSON value");
    }
    const nlohmann::json doc = json_document(*s.value);
    const nlohmann::json* leaf = json_path_find(doc, parsed);
    if (leaf == nullptr) {
      throw api_error(errc::key_not_found, "Path not found", {{"path", *json_path}});
    }
    out.leaf_json = leaf->dump();
    out.path = std::move(json_path);
  }
  out.value = std::move(*s.value);
  out.op_number = s.op_number;
  out.ts_ms = s.ts_ms;
  out.at_timestamp_s = at_timestamp_s;
  return out;
}

namespace {

/// Shared walk of table-wide reads: present keys at the cutoff, up to `limit`.
struct table_walk {
  std::vector<std::pair<std::string, key_state>> present;
  gap_report gaps;
};

table_walk walk_table(db::connection& conn, std::string_view table, std::int64_t cutoff,
                      std::string_view prefix, std::int64_t limit) {
  table_walk w;
  if (!history_exists(conn, table)) {
    return w;
  }
  const names n = names_of(table);
  std::int64_t examined = 0;
  for_each_logged_key(conn, n, prefix, [&](const std::string& key) {
    if (static_cast<std::int64_t>(w.present.size()) >= limit || examined >= max_candidate_keys) {
      w.gaps.candidate_truncated = true;  // at least one more candidate key was not examined
      return false;
    }
    ++examined;
    key_state s = state_at(conn, table, key, cutoff);
    if (is_unknown(s)) {
      w.gaps.gap_keys.push_back(key);
    } else if (s.status == key_state::kind::present) {
      w.present.emplace_back(key, std::move(s));
    }
    return true;
  });
  return w;
}

// The table's live keys under `prefix` as of `timestamp_s` (list and snapshot reads).
table_walk walk_table_at(db::connection& conn, std::string_view table, double timestamp_s,
                         std::string_view prefix, std::int64_t limit) {
  const std::int64_t cutoff = cutoff_ms_for_seconds(timestamp_s);
  validate_kv_table_name(table);
  return walk_table(conn, table, cutoff, prefix,
                    clamp_limit(limit, default_list_limit, max_list_limit));
}

}  // namespace

keys_at kv_list_at(db::connection& conn, std::string_view table, double at_timestamp_s,
                   std::string_view prefix, std::int64_t limit) {
  table_walk w = walk_table_at(conn, table, at_timestamp_s, prefix, limit);
  keys_at out;
  out.at_timestamp_s = at_timestamp_s;
  out.keys.reserve(w.present.size());
  for (auto& [key, s] : w.present) {
    out.keys.push_back(std::move(key));
  }
  out.gaps = std::move(w.gaps);
  return out;
}

table_snapshot kv_table_snapshot(db::connection& conn, std::string_view table, double timestamp_s,
                                 std::string_view prefix, std::int64_t limit) {
  table_walk w = walk_table_at(conn, table, timestamp_s, prefix, limit);
  table_snapshot out;
  out.timestamp_s = timestamp_s;
  out.items.reserve(w.present.size());
  for (auto& [key, s] : w.present) {
    out.items.push_back({std::move(key), std::move(*s.value), s.op_number, s.ts_ms});
  }
  out.gaps = std::move(w.gaps);
  return out;
}

bool key_history::has_gaps() const noexcept {
  return std::any_of(entries.begin(), entries.end(),
                     [](const history_entry& e) { return e.is_gap(); });
}

key_history kv_history(db::connection& conn, std::string_view table, std::string_view key,
                       std::int64_t limit, std::int64_t before_op_number) {
  const names n = names_of(table);
  const std::int64_t lim = clamp_limit(limit, default_history_limit, max_history_limit);
  key_history out;
  out.key = std::string(key);
  if (history_exists(conn, table)) {
    auto& stmt = conn.cached(std::string("SELECT ") + op_columns + " FROM " + n.history +
                             " WHERE key = ?1 AND op_number < ?3 ORDER BY op_number DESC LIMIT ?2");
    db::statement_reset_guard guard(stmt);
    stmt.bind_text(1, key);
    stmt.bind_int64(2, lim);
    stmt.bind_int64(
        3, before_op_number > 0 ? before_op_number : std::numeric_limits<std::int64_t>::max());
    while (stmt.step()) {
      out.entries.push_back(read_op(stmt));
    }
  }
  return out;
}

op_snapshot kv_snapshot_op(db::connection& conn, std::string_view table, std::string_view key,
                           std::int64_t op_number) {
  const names n = names_of(table);
  if (op_number < 1) {
    throw api_error(errc::bad_request, "op_number must be a positive integer");
  }
  if (!history_exists(conn, table)) {
    throw api_error(errc::key_not_found, "Key not found", {{"key", key}});
  }
  auto row = op_by_number(conn, n, key, op_number);
  if (!row) {
    const auto oldest = edge_op(conn, n, key, false);
    if (!oldest) {
      throw api_error(errc::key_not_found, "Key not found", {{"key", key}});
    }
    if (op_number < oldest->op_number) {
      key_state s;
      s.status = key_state::kind::before_horizon;
      s.horizon_ms = oldest->ts;
      throw_gap(key, s);
    }
    throw api_error(errc::key_not_found, "Operation not found",
                    {{"key", key}, {"op_number", op_number}});
  }
  if (row->op == "untracked") {
    throw_gap(key, key_state{key_state::kind::gap, std::nullopt, op_number, row->ts_ms, 0});
  }
  return {std::string(key), op_number, std::move(row->op), std::move(row->new_state), row->ts_ms};
}

table_diff kv_diff(db::connection& conn, std::string_view table, double from_s, double to_s,
                   const std::vector<std::string>& keys) {
  const std::int64_t from_cut = cutoff_ms_for_seconds(from_s);
  const std::int64_t to_cut = cutoff_ms_for_seconds(to_s);
  if (from_cut > to_cut) {
    throw api_error(errc::bad_request, "from must not be after to");
  }
  const names n = names_of(table);
  table_diff out;
  out.from_s = from_s;
  out.to_s = to_s;
  std::int64_t examined = 0;

  const auto visit = [&](const std::string& key) {
    if (examined >= max_candidate_keys) {
      out.gaps.candidate_truncated = true;
      return false;
    }
    ++examined;
    const key_state a = state_at(conn, table, key, from_cut);
    const key_state b = state_at(conn, table, key, to_cut);
    if (is_unknown(a) || is_unknown(b)) {
      out.gaps.gap_keys.push_back(key);
      return true;
    }
    const auto va = state_value(a);
    const auto vb = state_value(b);
    if (same_value(va, vb)) {
      return true;
    }
    const change_kind kind = change_of(va, vb);
    count_change(out.stats, kind);
    if (out.changes.size() >= max_listed_changes) {
      out.gaps.candidate_truncated = true;
      return true;
    }
    out.changes.push_back({key, kind, va, vb, a.op_number, b.op_number});
    return true;
  };

  if (history_exists(conn, table)) {
    if (keys.empty()) {
      for_each_logged_key(conn, n, "", visit);
    } else {
      std::set<std::string> unique(keys.begin(), keys.end());
      for (const auto& key : unique) {
        if (!visit(key)) {
          break;
        }
      }
    }
  }
  return out;
}

key_rollback kv_rollback_key(db::connection& conn, std::string_view table, std::string_view key,
                             std::int64_t steps, std::int64_t now_ms) {
  const names n = names_of(table);
  if (steps < 1 || steps > max_reconstruction_ops) {
    throw api_error(errc::bad_request,
                    "steps must be between 1 and " + std::to_string(max_reconstruction_ops));
  }
  if (now_ms == 0) {
    now_ms = unix_now_ms();
  }
  if (!history_exists(conn, table)) {
    throw api_error(errc::key_not_found, "Key not found", {{"key", key}});
  }
  const auto newest = edge_op(conn, n, key, true);
  if (!newest) {
    throw api_error(errc::key_not_found, "Key not found", {{"key", key}});
  }
  const std::int64_t target = newest->op_number - steps;
  if (target < 0) {
    throw api_error(errc::bad_request, "steps exceeds the key's history (" +
                                           std::to_string(newest->op_number) + " operations)");
  }
  std::optional<kv_value> restored;  // target 0: before the first op, the key did not exist
  if (target > 0) {
    const auto row = op_by_number(conn, n, key, target);
    if (!row) {
      const auto oldest = edge_op(conn, n, key, false);
      key_state s;
      s.status = key_state::kind::before_horizon;
      s.horizon_ms = oldest ? oldest->ts : 0;
      throw_gap(key, s);
    }
    if (row->op == "untracked") {
      throw_gap(key, key_state{key_state::kind::gap, std::nullopt, target, row->ts_ms, 0});
    }
    restored = row->new_state;
  }
  ensure_kv_tables(conn, table);
  restored = effective_now(std::move(restored), now_ms);
  const auto before = live_value(conn, n, key, now_ms);
  const std::int64_t op_number = apply_rollback(conn, table, n, key, before, restored, now_ms);
  return {std::string(key), steps, target, op_number, std::move(restored)};
}

table_rollback kv_table_rollback(db::connection& conn, std::string_view table,
                                 const table_rollback_request& request) {
  const std::int64_t cutoff = cutoff_ms_for_seconds(request.to_timestamp_s);
  const names n = names_of(table);
  if (request.keys && request.exclude_keys) {
    throw api_error(errc::bad_request, "give either keys or exclude_keys, not both");
  }
  for (const auto* list : {&request.keys, &request.exclude_keys}) {
    if (*list && (*list)->size() > max_rollback_key_list) {
      throw api_error(errc::payload_too_large,
                      "too many keys: at most " + std::to_string(max_rollback_key_list));
    }
  }
  const std::int64_t now_ms = request.now_ms != 0 ? request.now_ms : unix_now_ms();

  // Candidates: the chosen keys, or every key with an op after the cutoff.
  std::set<std::string> candidates;
  if (history_exists(conn, table)) {
    if (request.keys) {
      candidates.insert(request.keys->begin(), request.keys->end());
    } else {
      auto& stmt = conn.cached("SELECT DISTINCT key FROM " + n.history + " WHERE ts > ?1");
      db::statement_reset_guard guard(stmt);
      stmt.bind_int64(1, cutoff);
      while (stmt.step()) {
        candidates.emplace(stmt.column_text(0));
      }
      if (request.exclude_keys) {
        for (const auto& k : *request.exclude_keys) {
          candidates.erase(k);
        }
      }
    }
  }

  table_rollback out;
  out.to_timestamp_s = request.to_timestamp_s;
  std::vector<rollback_change> plan;
  for (const auto& key : candidates) {
    const key_state s = state_at(conn, table, key, cutoff);
    if (is_unknown(s)) {
      out.gap_keys.push_back(key);
      continue;
    }
    auto target = effective_now(state_value(s), now_ms);
    auto current = live_value(conn, n, key, now_ms);
    if (same_value(current, target)) {
      continue;
    }
    const change_kind kind = change_of(current, target);
    count_change(out.stats, kind);
    plan.push_back({key, kind, std::move(current), std::move(target), s.op_number});
  }

  if (request.apply && !out.gap_keys.empty()) {
    throw api_error(errc::history_gap, "time-travel chain gap",
                    {{"reason", "untracked"}, {"gap_keys", out.gap_keys}, {"has_gaps", true}});
  }
  out.affected = static_cast<std::int64_t>(plan.size());
  if (request.apply) {
    ensure_kv_tables(conn, table);
    for (const auto& p : plan) {
      apply_rollback(conn, table, n, p.key, p.current, p.target, now_ms);
      ++out.applied_count;
    }
  }
  out.applied = request.apply;
  if (plan.size() > max_preview_changes) {
    plan.resize(max_preview_changes);
  }
  out.changes = std::move(plan);
  return out;
}

prune_result prune_history(db::connection& conn, std::string_view table, std::int64_t max_age_ms,
                           std::int64_t max_ops_per_key, std::int64_t now_ms) {
  const names n = names_of(table);
  prune_result r;
  if (!history_exists(conn, table)) {
    return r;
  }
  if (now_ms == 0) {
    now_ms = unix_now_ms();
  }
  const std::string newest_of_key =
      "(SELECT MAX(h2.op_number) FROM " + n.history + " h2 WHERE h2.key = h.key)";
  // The highest seq deleted becomes the log's horizon: the change feed cannot resume below it.
  std::int64_t horizon = 0;
  const auto delete_where = [&](const std::string& where, std::int64_t bound) {
    auto stmt =
        conn.prepare("DELETE FROM " + n.history + " AS h WHERE " + where + " RETURNING seq");
    stmt.bind_int64(1, bound);
    while (stmt.step()) {
      horizon = std::max(horizon, stmt.column_int64(0));
      ++r.deleted_ops;
    }
  };
  if (max_age_ms > 0) {
    delete_where("h.ts < ?1 AND h.op_number < " + newest_of_key, now_ms - max_age_ms);
  }
  if (max_ops_per_key > 0) {
    delete_where("h.op_number <= " + newest_of_key + " - ?1", max_ops_per_key);
  }
  if (horizon > 0) {
    record_log_horizon(conn, table, horizon);
  }
  return r;
}

}  // namespace hoody::ops
