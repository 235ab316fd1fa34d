// Query history: GET/DELETE /history, DELETE /history/{index}, GET /history/stats.
// The routes resolve and check `db` like any read route; the handlers only use the in-memory
// store (ctx.conn is not touched).
#include "hoody/core/error.hpp"
#include "hoody/core/services.hpp"
#include "hoody/handlers/routes.hpp"
#include "hoody/ops/query_history.hpp"

#include <charconv>
#include <limits>

namespace hoody::handlers {
namespace {

constexpr std::int64_t default_limit = 100;
constexpr std::int64_t max_limit = 1000;

http::response list_history(http::context& ctx) {
  std::int64_t limit =
      ctx.req.int_param("limit", 0, std::numeric_limits<std::int64_t>::max()).value_or(0);
  if (limit == 0) {
    limit = default_limit;
  }
  limit = std::min(limit, max_limit);
  return http::response::json(
      ctx.svc.query_history.list(ctx.db_file.string(), static_cast<std::size_t>(limit)));
}

http::response clear_history(http::context& ctx) {
  const std::size_t n = ctx.svc.query_history.clear(ctx.db_file.string());
  return http::response::json({{"success", true}, {"cleared", n}});
}

http::response delete_entry(http::context& ctx) {
  const std::string raw = ctx.req.path_param("index");
  std::size_t index = 0;
  const auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), index);
  if (ec != std::errc() || end != raw.data() + raw.size() || raw.empty()) {
    throw api_error(errc::bad_request, "index must be a non-negative integer");
  }
  if (!ctx.svc.query_history.remove(ctx.db_file.string(), index)) {
    throw api_error(errc::not_found, "history entry not found");
  }
  return http::response::json({{"success", true}, {"deleted", true}});
}

http::response history_stats(http::context& ctx) {
  return http::response::json(ctx.svc.query_history.stats(ctx.db_file.string()));
}

}  // namespace

void register_history_routes(http::router& router) {
  const std::string p = std::string(api_prefix) + "/history";
  router.add({http::verb::get, p, http::access::read, http::db_use::existing,
              "List the query history of a database, newest first (limit: default 100, max 1000)",
              list_history});
  router.add({http::verb::delete_, p, http::access::read, http::db_use::existing,
              "Clear the query history of a database", clear_history});
  router.add({http::verb::get, p + "/stats", http::access::read, http::db_use::existing,
              "Query history statistics: counts, errors, durations (avg, max, p50, p95)",
              history_stats});
  router.add({http::verb::delete_, p + "/{index}", http::access::read, http::db_use::existing,
              "Delete one query history entry (index 0 = newest, as listed)", delete_entry});
}

}  // namespace hoody::handlers
