// The wire JSON of the time-travel routes (see hoody/handlers/time_travel_render.hpp).
#include "hoody/handlers/time_travel_render.hpp"

#include "hoody/core/json_limits.hpp"
#include "hoody/ops/base64.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace hoody::handlers {
namespace {

using nlohmann::json;

json ms_or_null(const std::optional<std::int64_t>& ms) {
  return ms ? json(*ms) : json(nullptr);
}

/// `{<prefix>value, <prefix>content_type, <prefix>expires_at}`, all null when absent.
void add_state(json& out, const std::optional<ops::kv_value>& v, const std::string& prefix) {
  out[prefix + "value"] = v ? render_value(*v) : json(nullptr);
  out[prefix + "content_type"] = v ? json(v->content_type) : json(nullptr);
  out[prefix + "expires_at"] = v ? ms_or_null(v->expires_at_ms) : json(nullptr);
}

void add_gaps(json& out, const ops::gap_report& gaps) {
  out["has_gaps"] = gaps.has_gaps();
  out["gap_keys"] = gaps.gap_keys;
  out["candidate_truncated"] = gaps.candidate_truncated;
}

json stats_json(const ops::change_stats& stats) {
  return {{"created", stats.created}, {"modified", stats.modified}, {"deleted", stats.deleted}};
}

const char* change_name(ops::change_kind kind) {
  switch (kind) {
  case ops::change_kind::created:
    return "created";
  case ops::change_kind::modified:
    return "modified";
  case ops::change_kind::deleted:
    return "deleted";
  }
  return "modified";
}

}  // namespace

json render_value(const ops::kv_value& value) {
  if (ops::is_json_content_type(value.content_type)) {
    auto parsed = json_too_deep(value.value) ? json(json::value_t::discarded)
                                             : json::parse(value.value, nullptr, false);
    if (!parsed.is_discarded()) {
      return parsed;
    }
    return value.value;
  }
  if (ops::is_textual_content_type(value.content_type)) {
    return value.value;
  }
  return ops::base64_encode(value.value);
}

json to_json(const ops::key_value_at& read) {
  json out = {{"key", read.key}};
  if (read.path) {
    out["value"] = json::parse(read.leaf_json);
    out["path"] = *read.path;
  } else {
    out["value"] = render_value(read.value);
  }
  out["content_type"] = read.value.content_type;
  out["expires_at"] = ms_or_null(read.value.expires_at_ms);
  out["op_number"] = read.op_number;
  out["timestamp"] = ops::seconds_of_ms(read.ts_ms);
  out["timestamp_ms"] = read.ts_ms;
  out["at_timestamp"] = read.at_timestamp_s;
  out["success"] = true;
  return out;
}

json to_json(const ops::keys_at& list) {
  json out = {
      {"keys", list.keys}, {"count", list.keys.size()}, {"at_timestamp", list.at_timestamp_s}};
  add_gaps(out, list.gaps);
  out["success"] = true;
  return out;
}

json to_json(const ops::key_history& history) {
  json ops_json = json::array();
  for (const auto& e : history.entries) {
    json op = {{"op", e.op}};
    if (e.is_gap()) {
      op["gap"] = true;
    }
    add_state(op, e.old_state, "old_");
    add_state(op, e.new_state, "new_");
    if (e.old_state && !ops::is_json_content_type(e.old_state->content_type)) {
      op["raw_old_value"] = ops::base64_encode(e.old_state->value);
    }
    if (e.new_state && !ops::is_json_content_type(e.new_state->content_type)) {
      op["raw_new_value"] = ops::base64_encode(e.new_state->value);
    }
    ops_json.push_back({{"op_number", e.op_number},
                        {"seq", e.seq},
                        {"operation", std::move(op)},
                        {"timestamp", ops::seconds_of_ms(e.ts_ms)},
                        {"timestamp_ms", e.ts_ms}});
  }
  const bool gaps = history.has_gaps();
  json out = {{"key", history.key}, {"count", history.entries.size()}};
  out["operations"] = std::move(ops_json);
  out["has_gaps"] = gaps;
  out["gap_keys"] = gaps ? json::array({history.key}) : json::array();
  out["success"] = true;
  return out;
}

json to_json(const ops::op_snapshot& snapshot) {
  const auto& v = snapshot.state;
  json out = {{"key", snapshot.key}};
  out["value"] = v ? render_value(*v) : json(nullptr);
  out["op_number"] = snapshot.op_number;
  out["content_type"] = v ? json(v->content_type) : json(nullptr);
  out["exists"] = v.has_value();
  out["expires_at"] = v ? ms_or_null(v->expires_at_ms) : json(nullptr);
  out["op"] = snapshot.op;
  out["timestamp"] = ops::seconds_of_ms(snapshot.ts_ms);
  out["timestamp_ms"] = snapshot.ts_ms;
  out["success"] = true;
  return out;
}

json to_json(const ops::table_snapshot& snapshot) {
  json items = json::array();
  for (const auto& item : snapshot.items) {
    items.push_back({{"key", item.key},
                     {"value", render_value(item.value)},
                     {"content_type", item.value.content_type},
                     {"expires_at", ms_or_null(item.value.expires_at_ms)},
                     {"op_number", item.op_number},
                     {"updated_at", item.ts_ms}});
  }
  json out = {{"timestamp", snapshot.timestamp_s},
              {"items", std::move(items)},
              {"count", snapshot.items.size()}};
  add_gaps(out, snapshot.gaps);
  out["success"] = true;
  return out;
}

json to_json(const ops::table_diff& diff) {
  json changes = json::array();
  for (const auto& c : diff.changes) {
    json item = {{"key", c.key}, {"change", change_name(c.kind)}};
    add_state(item, c.old_state, "old_");
    add_state(item, c.new_state, "new_");
    item["old_op_number"] = c.old_op_number;
    item["new_op_number"] = c.new_op_number;
    changes.push_back(std::move(item));
  }
  json out = {{"from", diff.from_s}, {"to", diff.to_s}};
  out["stats"] = stats_json(diff.stats);
  out["changes"] = std::move(changes);
  add_gaps(out, diff.gaps);
  out["success"] = true;
  return out;
}

json to_json(const ops::key_rollback& rollback) {
  json out = {{"success", true},
              {"key", rollback.key},
              {"steps", rollback.steps},
              {"restored_op_number", rollback.restored_op_number},
              {"op_number", rollback.op_number},
              {"exists", rollback.restored.has_value()}};
  add_state(out, rollback.restored, "");
  return out;
}

json to_json(const ops::table_rollback& rollback) {
  json changes = json::array();
  for (const auto& c : rollback.changes) {
    json item = {{"key", c.key}, {"change", change_name(c.kind)}};
    add_state(item, c.current, "current_");
    add_state(item, c.target, "target_");
    item["target_op_number"] = c.target_op_number;
    changes.push_back(std::move(item));
  }
  json out = {{"success", true},
              {"dry_run", !rollback.applied},
              {"applied", rollback.applied},
              {"to_timestamp", rollback.to_timestamp_s},
              {"affected", rollback.affected},
              {"applied_count", rollback.applied_count}};
  out["stats"] = stats_json(rollback.stats);
  out["changes"] = std::move(changes);
  out["has_gaps"] = !rollback.gap_keys.empty();
  out["gap_keys"] = rollback.gap_keys;
  out["candidate_truncated"] = rollback.changes_truncated();
  if (!rollback.applied) {
    out["message"] = "preview only: nothing changed; add confirm=yes to apply";
  }
  return out;
}

}  // namespace hoody::handlers
