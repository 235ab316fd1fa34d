// hoody/ops/time_travel.hpp — time-travel reads and rollbacks over the KV op log (kv_schema.hpp).
//
// Reads find, per key, the last op with ts <= the cutoff through the (key, ts) index: O(log n)
// per key, never a replay. Rollbacks write the live table and record a `rollback` op through
// record_change. Every function runs synchronously on the caller's connection inside the
// caller's transaction (a reader for reads, the writer for rollbacks/prune); no Asio/Beast.
// Reads and rollbacks return plain structs (no JSON here); their wire JSON, and how values are
// shown in it, is built by handlers/time_travel_render.hpp.
// Semantics (timestamps, gaps, retention horizon, JSON shapes): docs/time-travel.md.
#pragma once

#include "hoody/core/clock.hpp"
#include "hoody/db/connection.hpp"
#include "hoody/ops/kv_schema.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hoody::ops {

/// Spec cap on per-key reconstruction (also the maximum `steps` of a key rollback).
inline constexpr std::int64_t max_reconstruction_ops = 50'000;
/// Maximum entries of `keys` / `exclude_keys` in a table rollback body (more → 413).
inline constexpr std::size_t max_rollback_key_list = 10'000;
/// Table-wide reads examine at most this many keys (more → `candidate_truncated: true`).
inline constexpr std::int64_t max_candidate_keys = 100'000;

/// Inclusive cutoff (Unix ms) of a read "at T" (Unix seconds). A whole-number T covers the
/// whole second: cutoff = T*1000 + 999. A fractional T is exact to the millisecond:
/// cutoff = floor(T*1000). Throws bad_request for NaN, infinities or negative T.
[[nodiscard]] std::int64_t cutoff_ms_for_seconds(double at_timestamp_s);

/// Unix seconds (fractional, ms precision) for a ts in Unix ms, as rendered on the wire.
[[nodiscard]] double seconds_of_ms(std::int64_t ts_ms) noexcept;

/// State of one key as the log knows it at some point.
struct key_state {
  enum class kind {
    present,         ///< value known and live
    absent,          ///< known absent (never written, deleted, or expired at the cutoff)
    gap,             ///< unknown: crosses a history=false (untracked) write
    before_horizon,  ///< unknown: the ops needed were pruned by retention
  };
  kind status = kind::absent;
  std::optional<kv_value> value;  ///< set when present
  std::int64_t op_number = 0;     ///< op that produced the state (0: none)
  std::int64_t ts_ms = 0;         ///< that op's ts
  std::int64_t horizon_ms = 0;    ///< for before_horizon: ts of the oldest retained op
};

/// State of `key` at `cutoff_ms` (inclusive). TTL applies: expires_at <= cutoff → absent.
/// The history table must exist (see kv_tables_exist).
[[nodiscard]] key_state state_at(db::connection& conn, std::string_view table, std::string_view key,
                                 std::int64_t cutoff_ms);

/// True for application/json and any `+json` type (parameters ignored, case-insensitive): the
/// values shown as parsed JSON, and the only ones a json_path can read.
[[nodiscard]] bool is_json_content_type(std::string_view content_type);

// ---- Reads (reader connection) --------------------------------------------------------------

/// Table-wide reads also report the keys whose state is unknown.
struct gap_report {
  std::vector<std::string> gap_keys;  ///< examined keys in a gap or before the horizon, key order
  bool candidate_truncated = false;   ///< the walk stopped before examining every key
  [[nodiscard]] bool has_gaps() const noexcept { return !gap_keys.empty(); }
};

/// One key as of T.
struct key_value_at {
  std::string key;
  kv_value value;                   ///< its state at T
  std::optional<std::string> path;  ///< the json_path read, when one was given
  std::string leaf_json;            ///< with `path`: the leaf, as JSON text
  std::int64_t op_number = 0;       ///< the op that produced the state
  std::int64_t ts_ms = 0;           ///< that op's ts
  double at_timestamp_s = 0;        ///< T as asked
};

/// GET /kv/{key}?at_timestamp=T: the key's state at T; `json_path` ("a.b.0") selects a leaf of a
/// JSON value (400 for another content type). 404 when absent at T (or the path is missing),
/// 409 HISTORY_GAP on a gap or before the horizon.
[[nodiscard]] key_value_at kv_read_at(db::connection& conn, std::string_view table,
                                      std::string_view key, double at_timestamp_s,
                                      std::optional<std::string> json_path);

/// The keys present at T.
struct keys_at {
  double at_timestamp_s = 0;
  std::vector<std::string> keys;  ///< key order
  gap_report gaps;
};

/// GET /kv?at_timestamp=T: the keys under `prefix` present at T. `limit` <= 0 → 100 (max
/// 10,000); more present keys → `candidate_truncated`.
[[nodiscard]] keys_at kv_list_at(db::connection& conn, std::string_view table,
                                 double at_timestamp_s, std::string_view prefix,
                                 std::int64_t limit);

/// One row of the op log.
struct history_entry {
  std::int64_t op_number = 0;
  std::int64_t seq = 0;
  std::string op;                     ///< "set", "delete", ..., "rollback", or "untracked"
  std::optional<kv_value> old_state;  ///< nullopt: absent before (and for a marker)
  std::optional<kv_value> new_state;  ///< nullopt: absent after (and for a marker)
  std::int64_t ts_ms = 0;
  /// An untracked marker: writes made with history=false happened here.
  [[nodiscard]] bool is_gap() const noexcept { return op == "untracked"; }
};

/// One page of a key's op log.
struct key_history {
  std::string key;
  std::vector<history_entry> entries;            ///< newest first
  [[nodiscard]] bool has_gaps() const noexcept;  ///< a marker is on the page
};

/// GET /kv/{key}/history: newest first, `limit` <= 0 → 50, max 1000; `before_op_number` > 0
/// pages back (only ops with a smaller op_number). An unknown key gives an empty page.
[[nodiscard]] key_history kv_history(db::connection& conn, std::string_view table,
                                     std::string_view key, std::int64_t limit,
                                     std::int64_t before_op_number = 0);

/// A key right after one op.
struct op_snapshot {
  std::string key;
  std::int64_t op_number = 0;
  std::string op;                 ///< that op's kind
  std::optional<kv_value> state;  ///< nullopt: absent after it
  std::int64_t ts_ms = 0;
};

/// GET /kv/{key}/snapshot?op_number=N: the key's state right after op N. 400 for N < 1, 404 for
/// an unknown key or op, 409 HISTORY_GAP for a marker or an op below the retention horizon.
[[nodiscard]] op_snapshot kv_snapshot_op(db::connection& conn, std::string_view table,
                                         std::string_view key, std::int64_t op_number);

/// One key of a table snapshot.
struct snapshot_item {
  std::string key;
  kv_value value;
  std::int64_t op_number = 0;  ///< the op that produced the value
  std::int64_t ts_ms = 0;      ///< that op's ts
};

/// The table as of T.
struct table_snapshot {
  double timestamp_s = 0;
  std::vector<snapshot_item> items;  ///< key order
  gap_report gaps;
};

/// GET /kv/snapshot?timestamp=T: the keys under `prefix` present at T with their values.
/// `limit` <= 0 → 100 (max 10,000).
[[nodiscard]] table_snapshot kv_table_snapshot(db::connection& conn, std::string_view table,
                                               double timestamp_s, std::string_view prefix,
                                               std::int64_t limit);

enum class change_kind { created, modified, deleted };

struct change_stats {
  std::int64_t created = 0;
  std::int64_t modified = 0;
  std::int64_t deleted = 0;
};

/// One key that differs between two times.
struct key_change {
  std::string key;
  change_kind kind = change_kind::modified;
  std::optional<kv_value> old_state;  ///< at `from` (nullopt: absent)
  std::optional<kv_value> new_state;  ///< at `to` (nullopt: absent)
  std::int64_t old_op_number = 0;     ///< op behind old_state (0: none)
  std::int64_t new_op_number = 0;
};

/// What changed between two times.
struct table_diff {
  double from_s = 0;
  double to_s = 0;
  change_stats stats;               ///< every change found, listed or not
  std::vector<key_change> changes;  ///< key order; at most 10,000 (then candidate_truncated)
  gap_report gaps;
};

/// GET /kv/diff?from=&to=&keys=: keys created, modified or deleted between `from` and `to`.
/// `keys` empty → every key of the table. 400 when from is after to.
[[nodiscard]] table_diff kv_diff(db::connection& conn, std::string_view table, double from_s,
                                 double to_s, const std::vector<std::string>& keys);

// ---- Writes (writer connection) -------------------------------------------------------------

/// A key rollback done.
struct key_rollback {
  std::string key;
  std::int64_t steps = 0;
  std::int64_t restored_op_number = 0;  ///< the op whose state was restored (0: before the first)
  std::int64_t op_number = 0;           ///< the recorded `rollback` op
  std::optional<kv_value> restored;     ///< the key's live state now (nullopt: absent)
};

/// POST /kv/{key}/rollback?steps=N: restores the state after op (last - N), recorded as a
/// `rollback` op; a restored state already expired at `now_ms` is absent. 400 for steps outside
/// 1..max_reconstruction_ops or beyond the key's history, 404 for an unknown key, 409
/// HISTORY_GAP when the target is a marker or below the retention horizon. `now_ms` 0 →
/// unix_now_ms().
key_rollback kv_rollback_key(db::connection& conn, std::string_view table, std::string_view key,
                             std::int64_t steps, std::int64_t now_ms = 0);

struct table_rollback_request {
  double to_timestamp_s = 0;
  bool apply = false;                                    ///< false: preview only, nothing changes
  std::optional<std::vector<std::string>> keys;          ///< only these keys
  std::optional<std::vector<std::string>> exclude_keys;  ///< every key but these
  std::int64_t now_ms = 0;  ///< ts of the rollback ops; 0 → unix_now_ms()
};

/// What a table rollback does (or would do) to one key.
struct rollback_change {
  std::string key;
  change_kind kind = change_kind::modified;  ///< created: restored; deleted: removed
  std::optional<kv_value> current;           ///< the live state before (nullopt: absent)
  std::optional<kv_value> target;            ///< the state at T (nullopt: absent)
  std::int64_t target_op_number = 0;         ///< op behind `target` (0: none)
};

/// A table rollback previewed or applied.
struct table_rollback {
  double to_timestamp_s = 0;
  bool applied = false;                  ///< false: a preview, nothing changed
  std::int64_t affected = 0;             ///< keys that change (or would)
  std::int64_t applied_count = 0;        ///< keys changed (0 for a preview)
  change_stats stats;                    ///< over all `affected` keys
  std::vector<rollback_change> changes;  ///< key order, the first max_preview_changes of them
  std::vector<std::string> gap_keys;     ///< selected keys in a gap (left alone), key order
  [[nodiscard]] bool changes_truncated() const noexcept {
    return affected > static_cast<std::int64_t>(changes.size());
  }
};

/// Changes listed by a table rollback (more are counted in `affected` and `stats`).
inline constexpr std::size_t max_preview_changes = 1000;

/// POST /kv/rollback?to_timestamp=T: preview or apply. Applying with any selected key in a gap
/// (or before the horizon) → 409 and nothing changes. Both `keys` and `exclude_keys` → 400; more
/// than max_rollback_key_list of either → 413.
table_rollback kv_table_rollback(db::connection& conn, std::string_view table,
                                 const table_rollback_request& request);

struct prune_result {
  std::int64_t deleted_ops = 0;
};

/// Retention: deletes ops older than `max_age_ms` (0 = no age limit) and all but the newest
/// `max_ops_per_key` ops of each key (0 = no count limit). The newest op of every key is always
/// kept, so reads at or after it stay exact; reads before a key's oldest retained op report
/// the horizon (409 HISTORY_GAP, reason "retention").
prune_result prune_history(db::connection& conn, std::string_view table, std::int64_t max_age_ms,
                           std::int64_t max_ops_per_key, std::int64_t now_ms = 0);

}  // namespace hoody::ops
