// hoody/handlers/time_travel_render.hpp — the wire JSON of the time-travel routes (GET
// /kv/{key}?at_timestamp=, GET /kv?at_timestamp=, history, op snapshot, table snapshot, diff, key
// and table rollback), from ops/time_travel.hpp's result structs. Pure (any thread). Times:
// `timestamp` in Unix seconds (ms precision) plus `timestamp_ms`; `expires_at` in Unix ms or
// null. Values are shown by render_value. Shapes: docs/time-travel.md.
#pragma once

#include "hoody/ops/time_travel.hpp"

#include <nlohmann/json.hpp>

namespace hoody::handlers {

/// A stored value as shown in time-travel JSON: parsed JSON for JSON content types (the text, as
/// a string, when it does not parse or nests too deep), the text for other textual types, base64
/// for binary ones.
[[nodiscard]] nlohmann::json render_value(const ops::kv_value& value);

/// `{key, value, path?, content_type, expires_at, op_number, timestamp, timestamp_ms,
/// at_timestamp, success: true}`; with a path, `value` is the leaf.
[[nodiscard]] nlohmann::json to_json(const ops::key_value_at& read);

/// `{keys: [names...], count, at_timestamp, has_gaps, gap_keys, candidate_truncated,
/// success: true}`.
[[nodiscard]] nlohmann::json to_json(const ops::keys_at& list);

/// `{key, count, operations: [{op_number, seq, operation: {op, gap?: true, old_value,
/// old_content_type, old_expires_at, new_value, new_content_type, new_expires_at, raw_old_value?,
/// raw_new_value?}, timestamp, timestamp_ms}], has_gaps, gap_keys ([key] or []), success: true}`.
/// raw_*_value: the bytes in base64, for values whose content type is not JSON.
[[nodiscard]] nlohmann::json to_json(const ops::key_history& history);

/// `{key, value, op_number, content_type, exists, expires_at, op, timestamp, timestamp_ms,
/// success: true}` (value, content_type and expires_at null when the key is absent after the op).
[[nodiscard]] nlohmann::json to_json(const ops::op_snapshot& snapshot);

/// `{timestamp, items: [{key, value, content_type, expires_at, op_number, updated_at (ms)}],
/// count, has_gaps, gap_keys, candidate_truncated, success: true}`.
[[nodiscard]] nlohmann::json to_json(const ops::table_snapshot& snapshot);

/// `{from, to, stats: {created, modified, deleted}, changes: [{key, change, old_value,
/// old_content_type, old_expires_at, new_value, new_content_type, new_expires_at, old_op_number,
/// new_op_number}], has_gaps, gap_keys, candidate_truncated, success: true}`.
[[nodiscard]] nlohmann::json to_json(const ops::table_diff& diff);

/// `{success: true, key, steps, restored_op_number, op_number, exists, value, content_type,
/// expires_at}` (the restored state; null when the key is now absent).
[[nodiscard]] nlohmann::json to_json(const ops::key_rollback& rollback);

/// `{success: true, dry_run, applied, to_timestamp, affected, applied_count, stats: {created,
/// modified, deleted}, changes: [{key, change, current_value, current_content_type,
/// current_expires_at, target_value, target_content_type, target_expires_at,
/// target_op_number}], has_gaps, gap_keys, candidate_truncated (more changes than listed),
/// message? (a preview)}`.
[[nodiscard]] nlohmann::json to_json(const ops::table_rollback& rollback);

}  // namespace hoody::handlers
