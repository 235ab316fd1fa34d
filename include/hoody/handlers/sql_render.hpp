// hoody/handlers/sql_render.hpp — the wire JSON of POST /db and GET /query, from ops/sql.hpp's
// result structs.
//
// Pure functions (any thread). Each takes its outcome by rvalue and moves every cell into the
// JSON it builds, then serializes once: a result is held once as typed cells (ops) and once as
// JSON nodes whose strings are the moved cells, never as two copies of its bytes. Invalid UTF-8
// in a cell is sent as U+FFFD. Shapes: docs/sql.md.
#pragma once

#include "hoody/ops/sql.hpp"

#include <string>

namespace hoody::handlers {

/// `{"results":[{"success": true, "resultHeaders", "resultSet"|"resultSetList", "truncated"?} |
/// {"success": true, "rowsUpdated"} | {"success": true, "rowsUpdatedBatch", "rowErrors"?} |
/// {"success": false, "error", "code"}]}`.
[[nodiscard]] std::string render_sql_outcome(ops::sql_outcome&& outcome);

/// `{"success": true, "columns", "resultSet", "rowCount", "truncated"}`.
[[nodiscard]] std::string render_query_outcome(ops::query_outcome&& outcome);

}  // namespace hoody::handlers
