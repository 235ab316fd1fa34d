// The change feed's wire form (see hoody/handlers/watch_render.hpp).
#include "hoody/handlers/watch_render.hpp"

#include "hoody/ops/base64.hpp"
#include "hoody/ops/kv_schema.hpp"

namespace hoody::handlers {

nlohmann::json to_json(const ops::kv_event& event) {
  nlohmann::json out = {{"seq", event.seq},
                        {"key", event.key},
                        {"op", event.op},
                        {"op_number", event.op_number},
                        {"timestamp", static_cast<double>(event.ts_ms) / 1000.0},
                        {"timestamp_ms", event.ts_ms}};
  if (event.gap()) {
    out["gap"] = true;
    return out;
  }
  out["exists"] = event.after.has_value();
  if (!event.after) {
    out["value"] = nullptr;
    out["content_type"] = nullptr;
    out["expires_at"] = nullptr;
    return out;
  }
  const ops::kv_value& v = *event.after;
  if (ops::stored_as_text(v.value, v.content_type)) {
    out["value"] = v.value;
  } else {
    out["value"] = ops::base64_encode(v.value);
    out["encoding"] = "base64";
  }
  out["content_type"] = v.content_type;
  out["expires_at"] = v.expires_at_ms ? nlohmann::json(*v.expires_at_ms) : nlohmann::json(nullptr);
  return out;
}

std::string sse_frame(const ops::kv_event& event) {
  std::string out = "id: ";
  out += std::to_string(event.seq);
  out += event.gap() ? "\nevent: gap\ndata: " : "\nevent: change\ndata: ";
  // dump() escapes control characters: the data is one line. Invalid UTF-8 cannot reach it
  // (such values are base64), keys are valid UTF-8 (checked when written).
  out += to_json(event).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out += "\n\n";
  return out;
}

std::string sse_control(std::string_view name, const nlohmann::json& data) {
  std::string out = "event: ";
  out += name;
  out += "\ndata: ";
  out += data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out += "\n\n";
  return out;
}

}  // namespace hoody::handlers
