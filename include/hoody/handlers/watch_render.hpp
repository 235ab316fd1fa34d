// hoody/handlers/watch_render.hpp — the wire form of the change feed (GET /kv/watch), from
// ops/kv_watch.hpp's kv_event. Pure (any thread). Shapes: docs/watch.md.
//
// An event's JSON: {"seq", "key", "op", "op_number", "timestamp" (Unix s), "timestamp_ms",
// "exists", "value", "encoding"?: "base64", "content_type", "expires_at" (Unix ms or null)};
// `value` is the stored text for a textual content type holding valid UTF-8, else its base64
// (then "encoding": "base64"); null when the key is absent afterwards. A history=false write is
// {"seq", "key", "op": "untracked", "op_number", "timestamp", "timestamp_ms", "gap": true}: the
// log does not know the value it left.
// As Server-Sent Events: `id: <seq>`, `event: change` (or `gap`), `data: <that JSON>`.
#pragma once

#include "hoody/ops/kv_watch.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace hoody::handlers {

[[nodiscard]] nlohmann::json to_json(const ops::kv_event& event);

/// One SSE frame for `event` (ends with the blank line).
[[nodiscard]] std::string sse_frame(const ops::kv_event& event);

/// A control frame without an id (`event: <name>`, `data: <data>`): ready, dropped, compacted,
/// shutdown, error.
[[nodiscard]] std::string sse_control(std::string_view name, const nlohmann::json& data);

}  // namespace hoody::handlers
