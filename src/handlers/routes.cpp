#include "hoody/handlers/routes.hpp"

namespace hoody::handlers {

// The whole API, family by family. Reading the register_* functions shows every route.
void register_all_routes(http::router& router) {
  register_admin_routes(router);
  register_database_routes(router);
  register_sql_routes(router);
  register_export_routes(router);
  register_history_routes(router);
  register_kv_routes(router);
  register_atomic_routes(router);
  register_batch_routes(router);
  register_time_travel_routes(router);
  register_watch_routes(router);
  register_maintenance_routes(router);
  register_share_routes(router);
  register_openapi_routes(router);
  register_metrics_routes(router);
  register_ui_routes(router);
}

}  // namespace hoody::handlers
