// POST /kv/batch/get|set|delete|expire — up to 100 keys, one transaction each, all or nothing
// (every item is validated before anything is written). Thin: parse → ops::kv_batch_* → render.
#include "hoody/core/error.hpp"
#include "hoody/handlers/kv_params.hpp"
#include "hoody/handlers/kv_render.hpp"
#include "hoody/handlers/routes.hpp"
#include "hoody/ops/kv.hpp"

namespace hoody::handlers {
namespace {

using nlohmann::json;

http::response batch_get(http::context& ctx) {
  const std::string table = kv_table_param(ctx.req);
  const auto keys = ops::parse_batch_keys(ctx.req.json_body(), true);
  return http::response::json(to_json(ops::kv_batch_get(*ctx.conn, table, keys)));
}

http::response batch_set(http::context& ctx) {
  const std::string table = kv_table_param(ctx.req);
  const auto items = ops::parse_batch_set_body(ctx.req.json_body());
  const auto n = ops::kv_batch_set(*ctx.conn, kv_scope_of(ctx, table), items);
  return http::response::json({{"success", true}, {"count", n}});
}

http::response batch_delete(http::context& ctx) {
  const std::string table = kv_table_param(ctx.req);
  const auto keys = ops::parse_batch_keys(ctx.req.json_body(), true);
  const auto n = ops::kv_batch_delete(*ctx.conn, kv_scope_of(ctx, table), keys);
  return http::response::json({{"deleted", n}, {"success", true}});
}

http::response batch_expire(http::context& ctx) {
  const std::string table = kv_table_param(ctx.req);
  const auto req = ops::parse_batch_expire_body(ctx.req.json_body());
  const auto n = ops::kv_batch_expire(*ctx.conn, kv_scope_of(ctx, table), req);
  return http::response::json({{"updated", n}, {"success", true}});
}

}  // namespace

void register_batch_routes(http::router& router) {
  const std::string base = std::string(api_prefix) + "/kv/batch";
  router.add({http::verb::post, base + "/get", http::access::read, http::db_use::existing,
              "Read up to 100 keys: {\"keys\": [...]} → {\"results\": {key: {value, "
              "content_type} | null}}",
              batch_get});
  http::route set{http::verb::post,
                  base + "/set",
                  http::access::write,
                  http::db_use::create_always,
                  "Write up to 100 keys in one transaction (creates a missing database): "
                  "{\"items\": [{key, value?, content_type?, ttl?}]} or {\"batch\": [{key, "
                  "value}]}",
                  batch_set};
  // A body that is bound to fail creates no database file.
  set.precheck = [](const http::request& req) { (void)ops::parse_batch_set_body(req.json_body()); };
  router.add(std::move(set));
  router.add({http::verb::post, base + "/delete", http::access::write, http::db_use::existing,
              "Delete up to 100 keys in one transaction: {\"keys\": [...]}", batch_delete});
  router.add({http::verb::post, base + "/expire", http::access::write, http::db_use::existing,
              "Set the TTL of up to 100 keys in one transaction, values untouched: {\"keys\": "
              "[...], \"ttl\": seconds (0 removes the expiry)}",
              batch_expire});
}

}  // namespace hoody::handlers
