// Health and cache health.
#include "hoody/core/services.hpp"
#include "hoody/db/database_cache.hpp"
#include "hoody/handlers/routes.hpp"

#include <unistd.h>

#include <chrono>

namespace hoody::handlers {
namespace {

http::response health(http::context& ctx) {
  const auto uptime =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - ctx.svc.started).count();
  return http::response::json({{"status", "ok"},
                               {"service", "hoody-sqlite"},
                               {"version", HOODY_VERSION},
                               {"pid", ::getpid()},
                               {"uptime_seconds", uptime},
                               {"cache", ctx.svc.databases.stats_json()}});
}

http::response cache_health(http::context& ctx) {
  return http::response::json(ctx.svc.databases.stats_json());
}

}  // namespace

void register_admin_routes(http::router& router) {
  const std::string p = api_prefix;
  router.add({http::verb::get, p + "/health", http::access::none, http::db_use::none,
              "Server health: status, service, pid and database cache statistics", health,
              /*open=*/true});
  router.add({http::verb::get, p + "/health/cache", http::access::none, http::db_use::none,
              "Database cache statistics: open databases, hits, misses, evictions", cache_health,
              /*open=*/true});
}

}  // namespace hoody::handlers
