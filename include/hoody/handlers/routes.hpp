// hoody/handlers/routes.hpp — the whole HTTP API in one list of registrations.
//
// `register_all_routes` (src/handlers/routes.cpp) calls one `register_*_routes` function per
// endpoint family; each family lives in src/handlers/<family>.cpp and exports exactly that
// function. Handlers are thin: parse the request, call a synchronous ops:: function on the
// connection the dispatcher hands them, render. Routes are registered once at start-up.
#pragma once

#include "hoody/http/router.hpp"

namespace hoody::handlers {

/// The API prefix every route starts with.
inline constexpr const char* api_prefix = "/api/v1/sqlite";

void register_all_routes(http::router& router);

void register_admin_routes(http::router& router);        // health, cache health
void register_sql_routes(http::router& router);          // POST /db, /db/create, GET /query
void register_history_routes(http::router& router);      // query history
void register_kv_routes(http::router& router);           // GET/PUT/DELETE/HEAD /kv/{key}, list
void register_atomic_routes(http::router& router);       // incr/decr/push/pop/remove
void register_batch_routes(http::router& router);        // /kv/batch/get|set|delete
void register_time_travel_routes(http::router& router);  // history, snapshot, diff, rollback
void register_watch_routes(http::router& router);        // GET /kv/watch (change feed)
void register_ui_routes(http::router& router);           // the embedded web UI
void register_maintenance_routes(http::router& router);  // POST /maintenance
void register_openapi_routes(http::router& router);      // /openapi.json, /openapi.yaml
void register_metrics_routes(http::router& router);      // GET /metrics (site root)
void register_share_routes(http::router& router);        // POST /share (signed share links)
void register_database_routes(http::router& router);     // GET /databases (data directory list)
void register_export_routes(http::router& router);       // GET /export (a table as CSV/JSON)

}  // namespace hoody::handlers
