// hoody/handlers/sql_render.hpp — the wire JSON of POST /db and GET /query, from ops/sql.hpp's
// result structs, and GET /query's other representations: a self-contained HTML page (share
// links opened by a browser) and CSV (RFC 4180).
//
// Pure functions (any thread). Each takes its outcome by rvalue and moves every cell into the
// JSON it builds, then serializes once: a result is held once as typed cells (ops) and once as
// JSON nodes whose strings are the moved cells, never as two copies of its bytes. Invalid UTF-8
// in a cell is sent as U+FFFD. Shapes: docs/sql.md.
#pragma once

#include "hoody/ops/sql.hpp"

#include <string>
#include <vector>

namespace hoody::handlers {

/// `{"results":[{"success": true, "resultHeaders", "resultSet"|"resultSetList", "truncated"?} |
/// {"success": true, "rowsUpdated"} | {"success": true, "rowsUpdatedBatch", "rowErrors"?} |
/// {"success": false, "error", "code"}]}`.
[[nodiscard]] std::string render_sql_outcome(ops::sql_outcome&& outcome);

/// `{"success": true, "columns", "resultSet", "rowCount", "truncated"}`.
[[nodiscard]] std::string render_query_outcome(ops::query_outcome&& outcome);

/// What the HTML page of GET /query shows besides the rows. URLs are already encoded.
struct query_page {
  std::string db;
  std::string sql;
  std::string console_url;  ///< the query in the console ("/#db=…&view=sql&sql=…")
  std::string json_url;     ///< the same link with format=json
  std::string csv_url;      ///< the same link with format=csv
};

/// A styled HTML page (inline CSS, no script): the database, the SQL, the row count, the
/// truncation notice, the column names with the types of their values, the rows, and links to
/// the console, JSON and CSV. Every text is HTML-escaped; invalid UTF-8 becomes U+FFFD; NULL is
/// shown as a styled NULL, a BLOB as its size and first bytes in hex.
[[nodiscard]] std::string render_query_html(ops::query_outcome&& outcome, const query_page& page);

/// RFC 4180 CSV: a header line of the column names, then one line per row, CRLF line ends;
/// fields holding `"`, `,`, CR or LF are quoted (quotes doubled). NULL → empty field, numbers as
/// in the JSON, BLOB → its base64, invalid UTF-8 → U+FFFD.
[[nodiscard]] std::string render_query_csv(ops::query_outcome&& outcome);

/// The pieces of render_query_csv, for a CSV produced chunk by chunk (GET /export): the header
/// line, then each chunk's rows (their cells are moved out).
void append_csv_header(std::string& out, const std::vector<std::string>& headers);
void append_csv_rows(std::string& out, ops::sql_rows& rows);

/// Appends each row as a JSON object on a line of its own, each preceded by ",\n" (by "\n"
/// for the very first row of the array: `first`); cells as in render_query_outcome.
void append_json_rows(std::string& out, ops::sql_rows& rows, bool first);

/// `text` as HTML text or attribute value (& < > " ' escaped).
[[nodiscard]] std::string html_escape(std::string_view text);

}  // namespace hoody::handlers
