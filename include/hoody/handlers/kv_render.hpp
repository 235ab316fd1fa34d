// hoody/handlers/kv_render.hpp — the wire JSON of GET /kv (a table or a directory) and of
// POST /kv/batch/get, from ops/kv.hpp's kv_page and kv_batch_read. Pure (any thread). Shapes:
// docs/kv.md and docs/api.md.
#pragma once

#include "hoody/ops/kv.hpp"

#include <nlohmann/json.hpp>

namespace hoody::handlers {

/// `{"items":[{key, value, encoding?: "base64", truncated, content_type, size, expires_at,
/// updated_at, created_at}], "count" (rows here), "total", "limit", "offset", "has_more",
/// "success": true}` (times in Unix ms; `value` is the preview).
[[nodiscard]] nlohmann::json to_json(const ops::kv_page& page);

/// `{"results": {key: {"value", "encoding"?: "base64", "content_type", "expires_at"} | null},
/// "count" (keys asked), "found", "success": true}`: a value that is not valid UTF-8 is sent as
/// base64 with `"encoding": "base64"`; expires_at in Unix ms or null.
[[nodiscard]] nlohmann::json to_json(const ops::kv_batch_read& read);

}  // namespace hoody::handlers
