// Time-travel routes: key history/snapshot/rollback, table snapshot/diff/rollback.
// Thin: parse → ops::kv_* (time_travel.hpp) → render. Reads run on a reader, rollbacks on the
// writer (the table rollback preview is a write route that changes nothing).
#include "hoody/ops/time_travel.hpp"

#include "hoody/core/clock.hpp"
#include "hoody/core/error.hpp"
#include "hoody/handlers/kv_params.hpp"
#include "hoody/handlers/routes.hpp"
#include "hoody/handlers/time_travel_render.hpp"

#include <cctype>
#include <limits>

namespace hoody::handlers {
namespace {

using nlohmann::json;

double required_seconds(const http::request& req, const char* name) {
  const auto value = req.number_param(name);
  if (!value) {
    throw api_error(errc::bad_request, std::string(name) + " is required (Unix seconds)");
  }
  return *value;
}

std::int64_t limit_param(const http::request& req, std::int64_t max) {
  const auto limit = req.int_param("limit", 0, std::numeric_limits<std::int64_t>::max());
  return limit ? std::min(*limit, max) : 0;
}

http::response key_history(http::context& ctx) {
  const auto& req = ctx.req;
  const auto before = req.int_param("before", 1, std::numeric_limits<std::int64_t>::max());
  return http::response::json(
      to_json(ops::kv_history(*ctx.conn, kv_table_param(req), req.path_param("key"),
                              limit_param(req, 1000), before.value_or(0))));
}

http::response key_snapshot(http::context& ctx) {
  const auto& req = ctx.req;
  const auto op = req.int_param("op_number", 1, std::numeric_limits<std::int64_t>::max());
  if (!op) {
    throw api_error(errc::bad_request, "op_number is required");
  }
  return http::response::json(
      to_json(ops::kv_snapshot_op(*ctx.conn, kv_table_param(req), req.path_param("key"), *op)));
}

http::response key_rollback(http::context& ctx) {
  const auto& req = ctx.req;
  const auto steps = req.int_param("steps", 1, ops::max_reconstruction_ops).value_or(1);
  return http::response::json(
      to_json(ops::kv_rollback_key(*ctx.conn, kv_table_param(req), req.path_param("key"), steps)));
}

http::response table_snapshot(http::context& ctx) {
  const auto& req = ctx.req;
  const double t = required_seconds(req, "timestamp");
  return http::response::json(to_json(ops::kv_table_snapshot(*ctx.conn, kv_table_param(req), t,
                                                             req.query_param("prefix").value_or(""),
                                                             limit_param(req, 10'000))));
}

http::response table_diff(http::context& ctx) {
  const auto& req = ctx.req;
  const double from = required_seconds(req, "from");
  const auto to = req.number_param("to");
  std::vector<std::string> keys;
  if (auto k = req.query_param("keys")) {
    keys = split_key_list(*k);
    if (keys.size() > ops::max_rollback_key_list) {
      throw api_error(errc::payload_too_large,
                      "too many keys: at most " + std::to_string(ops::max_rollback_key_list));
    }
  }
  const double to_s = to ? *to : static_cast<double>(unix_now_ms()) / 1000.0;
  return http::response::json(
      to_json(ops::kv_diff(*ctx.conn, kv_table_param(req), from, to_s, keys)));
}

std::optional<std::vector<std::string>> key_list(const json& body, const char* name) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) {
    return std::nullopt;
  }
  if (!it->is_array()) {
    throw api_error(errc::bad_request, std::string(name) + " must be an array of strings");
  }
  if (it->size() > ops::max_rollback_key_list) {
    throw api_error(errc::payload_too_large, std::string("too many ") + name + ": at most " +
                                                 std::to_string(ops::max_rollback_key_list));
  }
  std::vector<std::string> out;
  out.reserve(it->size());
  for (const auto& k : *it) {
    if (!k.is_string()) {
      throw api_error(errc::bad_request, std::string(name) + " must be an array of strings");
    }
    out.push_back(k.get<std::string>());
  }
  return out;
}

bool is_blank(const std::string& text) {
  for (const char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) == 0) {
      return false;
    }
  }
  return true;
}

http::response table_rollback(http::context& ctx) {
  const auto& req = ctx.req;
  ops::table_rollback_request r;
  r.to_timestamp_s = required_seconds(req, "to_timestamp");
  // Only the exact literal `yes` applies; anything else (true, 1, YES, empty) is a preview.
  r.apply = req.query_param("confirm") == "yes" && !req.flag("dry_run", false);
  if (!is_blank(req.body)) {
    const json body = req.json_body();
    if (!body.is_object()) {
      throw api_error(errc::bad_request,
                      "body must be {} or {\"keys\": [...]} or {\"exclude_keys\": [...]}");
    }
    r.keys = key_list(body, "keys");
    r.exclude_keys = key_list(body, "exclude_keys");
  }
  return http::response::json(to_json(ops::kv_table_rollback(*ctx.conn, kv_table_param(req), r)));
}

}  // namespace

void register_time_travel_routes(http::router& router) {
  const std::string kv = std::string(api_prefix) + "/kv";
  using http::access;
  using http::db_use;
  using http::verb;
  router.add({verb::get, kv + "/{key+}/history", access::read, db_use::existing,
              "Operation history of a key, newest first (limit, before)", key_history});
  router.add({verb::get, kv + "/{key+}/snapshot", access::read, db_use::existing,
              "A key's value right after operation op_number", key_snapshot});
  router.add({verb::post, kv + "/{key+}/rollback", access::write, db_use::existing,
              "Undo the last `steps` operations of a key (recorded as a rollback op)",
              key_rollback});
  router.add({verb::get, kv + "/snapshot", access::read, db_use::existing,
              "The whole KV table as of timestamp (prefix, limit)", table_snapshot});
  router.add({verb::get, kv + "/diff", access::read, db_use::existing,
              "Created/modified/deleted keys between from and to (keys=k1,k2)", table_diff});
  http::route table{verb::post,
                    kv + "/rollback",
                    access::write,
                    db_use::existing,
                    "Roll the table (or keys / all but exclude_keys) back to to_timestamp; "
                    "preview unless confirm=yes",
                    table_rollback};
  table.admin = true;  // scoped tokens: table rollback needs `admin`
  router.add(std::move(table));
}

}  // namespace hoody::handlers
