// GET /metrics (site root): Prometheus text exposition of http::metrics.
#include "hoody/http/metrics.hpp"

#include "hoody/core/error.hpp"
#include "hoody/core/services.hpp"
#include "hoody/handlers/routes.hpp"

#include <chrono>

namespace hoody::handlers {
namespace {

http::response scrape(http::context& ctx) {
  if (ctx.svc.metrics == nullptr) {
    throw api_error(errc::not_found, "metrics are not enabled");
  }
  const auto uptime =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - ctx.svc.started).count();
  return http::response::raw(ctx.svc.metrics->render(&ctx.svc.databases, uptime),
                             "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace

void register_metrics_routes(http::router& router) {
  router.add({http::verb::get, "/metrics", http::access::none, http::db_use::none,
              "Prometheus metrics: requests, latency, databases, cache, writer, TTL sweeps",
              scrape});
}

}  // namespace hoody::handlers
