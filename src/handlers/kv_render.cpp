// The wire JSON of GET /kv and POST /kv/batch/get (see hoody/handlers/kv_render.hpp).
#include "hoody/handlers/kv_render.hpp"

#include "hoody/ops/base64.hpp"
#include "hoody/ops/utf8.hpp"

#include <cstdint>

namespace hoody::handlers {

nlohmann::json to_json(const ops::kv_page& page) {
  using nlohmann::json;
  json items = json::array();
  for (const auto& row : page.items) {
    json item;
    item["key"] = row.key;
    item["value"] = row.preview.text;
    if (row.preview.base64) {
      item["encoding"] = "base64";
    }
    item["truncated"] = row.preview.truncated;
    item["content_type"] = row.content_type;
    item["size"] = row.size;
    item["expires_at"] = row.expires_at_ms ? json(*row.expires_at_ms) : json(nullptr);
    item["updated_at"] = row.updated_at_ms;
    item["created_at"] = row.created_at_ms;
    items.push_back(std::move(item));
  }
  json out;
  out["items"] = std::move(items);
  out["count"] = static_cast<std::int64_t>(page.items.size());
  out["total"] = page.total;
  out["limit"] = page.limit;
  out["offset"] = page.offset;
  out["has_more"] = page.has_more();
  out["success"] = true;
  return out;
}

nlohmann::json to_json(const ops::kv_batch_read& read) {
  using nlohmann::json;
  json results = json::object();
  for (const auto& r : read.results) {
    if (!r.value) {
      results[r.key] = nullptr;
      continue;
    }
    json v;
    if (ops::is_valid_utf8(r.value->value)) {
      v["value"] = r.value->value;
    } else {
      v["value"] = ops::base64_encode(r.value->value);
      v["encoding"] = "base64";
    }
    v["content_type"] = r.value->content_type;
    v["expires_at"] = r.value->expires_at_ms ? json(*r.value->expires_at_ms) : json(nullptr);
    results[r.key] = std::move(v);
  }
  return {{"results", std::move(results)},
          {"count", read.results.size()},
          {"found", read.found()},
          {"success", true}};
}

}  // namespace hoody::handlers
