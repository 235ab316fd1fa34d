// hoody/handlers/openapi.hpp — the OpenAPI 3.0 document, generated from the route table.
//
// Paths, verbs, summaries and the `db` parameter come from `router.routes()`; parameters,
// request bodies and responses come from ONE table in src/handlers/openapi.cpp keyed by
// "VERB pattern". A route missing from that table still appears (with its summary only), and
// `undocumented_routes` / `stale_route_docs` let a unit test keep the table in step.
// Pure functions; the handler builds the document once and caches it (thread-safe statics).
#pragma once

#include "hoody/http/router.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace hoody::handlers {

/// The whole OpenAPI 3.0.3 document for `routes`.
[[nodiscard]] nlohmann::json openapi_document(const http::router& routes);

/// Routes ("GET /api/v1/sqlite/...") that have no entry in the description table.
[[nodiscard]] std::vector<std::string> undocumented_routes(const http::router& routes);
/// Entries of the description table that name no route.
[[nodiscard]] std::vector<std::string> stale_route_docs(const http::router& routes);

/// A small JSON → YAML 1.2 emitter (block style; strings quoted when needed).
[[nodiscard]] std::string json_to_yaml(const nlohmann::json& value);

}  // namespace hoody::handlers
