// POST /kv/{key}/incr|decr|push|pop|remove — atomic read-modify-write on the writer, each one
// transaction, all `path`-aware and `history`-aware. Thin: parse → ops::kv_* → render.
#include "hoody/core/error.hpp"
#include "hoody/handlers/kv_params.hpp"
#include "hoody/handlers/routes.hpp"
#include "hoody/ops/kv.hpp"

#include <charconv>

namespace hoody::handlers {
namespace {

using nlohmann::json;

[[noreturn]] void bad_delta() {
  throw api_error(errc::bad_request, "delta must be a positive integer");
}

/// `delta` from the query (or a JSON body {"delta": n}); default 1; must be > 0.
std::int64_t delta_param(const http::request& req) {
  if (auto d = req.query_param("delta")) {
    std::int64_t v = 0;
    const auto* end = d->data() + d->size();
    const auto r = std::from_chars(d->data(), end, v);
    if (d->empty() || r.ec != std::errc{} || r.ptr != end || v <= 0) {
      bad_delta();
    }
    return v;
  }
  if (req.body.find_first_not_of(" \t\r\n") != std::string::npos) {
    const json body = req.json_body();
    if (body.is_object() && body.contains("delta")) {
      const json& d = body["delta"];
      if (!d.is_number_integer() ||
          (d.is_number_unsigned() &&
           d.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))) {
        bad_delta();
      }
      const auto v = d.get<std::int64_t>();
      if (v <= 0) {
        bad_delta();
      }
      return v;
    }
  }
  return 1;
}

bool blank(std::string_view body) {
  return body.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

/// The array element a push/remove body names: the whole body (any JSON), except that an
/// object whose only member is `value` is the product page's envelope and is unwrapped.
json element_body(const http::request& req) {
  json body = req.json_body();
  if (body.is_object() && body.size() == 1 && body.contains("value")) {
    return std::move(body["value"]);
  }
  return body;
}

/// The JSON `path` of the array operations: bare dotted (`$.items` is the member "$").
std::optional<ops::json_path> array_path_param(const http::request& req) {
  return kv_json_path_param(req, ops::json_path_root::literal);
}

http::response counter(http::context& ctx, std::string_view op) {
  const auto& req = ctx.req;
  const std::string key = req.path_param("key");
  const std::string table = kv_table_param(req);
  const auto path = kv_json_path_param(req);
  const auto delta = delta_param(req);
  const auto r = ops::kv_incr(*ctx.conn, kv_scope_of(ctx, table), key, op, delta, path);
  return http::response::json(
      {{"success", true}, {"key", key}, {"value", r.value}, {"op_number", r.op_number}});
}

json array_result(const std::string& key, const ops::kv_array_result& r, bool with_item) {
  json out = {{"success", true}, {"key", key}, {"length", r.length}, {"op_number", r.op_number}};
  if (with_item) {
    out["value"] = r.item;
  }
  return out;
}

http::response push(http::context& ctx) {
  const auto& req = ctx.req;
  const std::string key = req.path_param("key");
  const std::string table = kv_table_param(req);
  const auto path = array_path_param(req);
  if (blank(req.body)) {
    throw api_error(errc::bad_request, "push needs a body: the JSON element to append");
  }
  auto item = element_body(req);
  const auto r = ops::kv_push(*ctx.conn, kv_scope_of(ctx, table), key, std::move(item), path);
  return http::response::json(array_result(key, r, false));
}

http::response pop(http::context& ctx) {
  const auto& req = ctx.req;
  const std::string key = req.path_param("key");
  const std::string table = kv_table_param(req);
  const auto path = array_path_param(req);
  const auto r = ops::kv_pop(*ctx.conn, kv_scope_of(ctx, table), key, path);
  return http::response::json(array_result(key, r, true));
}

http::response remove(http::context& ctx) {
  const auto& req = ctx.req;
  const std::string key = req.path_param("key");
  const std::string table = kv_table_param(req);
  const auto path = array_path_param(req);
  const auto index = req.int_param("index", INT64_MIN, INT64_MAX);
  // With `index` the body is ignored (the CLI sends `null` or `{}` as a placeholder).
  std::optional<json> value;
  if (!index && !blank(req.body)) {
    value = element_body(req);
  }
  const auto r = ops::kv_remove(*ctx.conn, kv_scope_of(ctx, table), key, value, index, path);
  return http::response::json(array_result(key, r, true));
}

}  // namespace

void register_atomic_routes(http::router& router) {
  const std::string base = std::string(api_prefix) + "/kv/{key+}";
  router.add({http::verb::post, base + "/incr", http::access::write,
              http::db_use::create_if_flagged,
              "Atomically add delta (default 1) to an integer; creates it at 0",
              [](http::context& ctx) { return counter(ctx, "incr"); }});
  router.add({http::verb::post, base + "/decr", http::access::write,
              http::db_use::create_if_flagged,
              "Atomically subtract delta (default 1) from an integer; creates it at 0",
              [](http::context& ctx) { return counter(ctx, "decr"); }});
  router.add({http::verb::post, base + "/push", http::access::write,
              http::db_use::create_if_flagged,
              "Append the body (one JSON element; {\"value\": x} unwrapped) to a JSON array; "
              "creates []",
              push});
  router.add({http::verb::post, base + "/pop", http::access::write, http::db_use::existing,
              "Remove and return the last element of a JSON array", pop});
  router.add({http::verb::post, base + "/remove", http::access::write, http::db_use::existing,
              "Remove the element at index (body ignored), or the first one equal to the body",
              remove});
}

}  // namespace hoody::handlers
