// POST /maintenance: wal_checkpoint_truncate, vacuum_into, quick_check (access::exclusive: on
// the database's writer strand, outside any transaction, in order with the other writes).
#include "hoody/ops/maintenance.hpp"

#include "hoody/core/clock.hpp"
#include "hoody/core/error.hpp"
#include "hoody/core/services.hpp"
#include "hoody/db/checkpointer.hpp"
#include "hoody/db/db_path.hpp"
#include "hoody/handlers/routes.hpp"

#include <algorithm>
#include <cmath>

namespace hoody::handlers {
namespace {

constexpr double default_timeout_s = 60;
constexpr double min_timeout_s = 1;
constexpr double max_timeout_s = 300;

// `timeout` (seconds): absent → 60; clamped to [1, 300].
double timeout_seconds(const http::request& req) {
  const auto value = req.number_param("timeout");
  if (!value) {
    return default_timeout_s;
  }
  if (!std::isfinite(*value)) {
    throw api_error(errc::bad_request, "timeout must be a number of seconds");
  }
  return std::clamp(*value, min_timeout_s, max_timeout_s);
}

http::response maintenance(http::context& ctx) {
  const double timeout = timeout_seconds(ctx.req);
  const auto body = ctx.req.json_body();
  if (!body.is_object() || !body.contains("op") || !body["op"].is_string()) {
    throw api_error(errc::bad_request,
                    "body must be {\"op\": \"wal_checkpoint_truncate\" | \"vacuum_into\" | "
                    "\"quick_check\"}");
  }
  const auto op = body["op"].get<std::string>();
  auto& conn = *ctx.conn;
  conn.set_deadline(steady_now_ms() + static_cast<std::int64_t>(timeout * 1000));
  nlohmann::json out;
  if (op == "wal_checkpoint_truncate") {
    // --checkpoint-mode: passive never truncates (nor waits); external leaves the WAL alone.
    const auto mode = db::parse_checkpoint_mode(ctx.svc.cfg.checkpoint_mode);
    if (mode == db::checkpoint_mode::external) {
      throw api_error(errc::checkpoint_external,
                      "the server runs with --checkpoint-mode external: the WAL is checkpointed "
                      "by an external replicator (e.g. Litestream), not by this server");
    }
    out = ops::wal_checkpoint_truncate(conn, mode == db::checkpoint_mode::truncate);
  } else if (op == "quick_check") {
    out = ops::quick_check(conn);
  } else if (op == "vacuum_into") {
    if (!body.contains("dest_path") || !body["dest_path"].is_string() ||
        body["dest_path"].get<std::string>().empty()) {
      throw api_error(errc::bad_request, "vacuum_into needs a dest_path");
    }
    const auto dest_name = body["dest_path"].get<std::string>();
    const auto dest = db::resolve_db_path(dest_name, ctx.svc.paths);
    out = ops::vacuum_into(conn, dest);
    out["dest_path"] = dest_name;
  } else {
    throw api_error(errc::bad_request, "unknown op '" + op +
                                           "'; expected wal_checkpoint_truncate, vacuum_into or "
                                           "quick_check");
  }
  out["success"] = true;
  out["op"] = op;
  out["timeout"] = timeout;
  return http::response::json(out);
}

}  // namespace

void register_maintenance_routes(http::router& router) {
  router.add({http::verb::post, std::string(api_prefix) + "/maintenance", http::access::exclusive,
              http::db_use::existing,
              "Maintenance: wal_checkpoint_truncate, vacuum_into (backup copy) or quick_check",
              maintenance});
}

}  // namespace hoody::handlers
