// hoody/ops/sql.hpp — user SQL over HTTP: POST /db transactions and GET /query read-only queries.
//
// Parsing is pure (any thread). Execution runs on the connection the dispatcher hands out, inside
// its transaction (never begins or commits one); on a read-only connection it throws
// db::requires_writer before running anything that could write (a `statement` item, or a query
// that is not provably read-only). Results are plain structs (sql_outcome, query_outcome); the
// wire JSON is built by handlers/sql_render.hpp. No Asio/Beast here.
#pragma once

#include "hoody/core/error.hpp"
#include "hoody/db/connection.hpp"
#include "hoody/ops/utf8.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace hoody::ops {

/// Caps of one POST /db request (see docs/sql.md).
struct sql_limits {
  static constexpr std::size_t max_items = 10'000;            ///< items per request → 413
  static constexpr std::size_t max_batch_rows = 100'000;      ///< rows per valuesBatch → 413
  static constexpr std::size_t max_request_rows = 1'000'000;  ///< value sets per request → 413
  static constexpr std::size_t max_result_rows = 10'000;      ///< rows returned per query
  static constexpr std::size_t max_request_result_rows = 1'000'000;  ///< rows per response
};

enum class result_format { map, list };

struct sql_item {
  enum class kind { query, statement };
  kind type = kind::statement;
  std::string sql;
  nlohmann::json values;  ///< null (none), array (positional) or object (named)
  bool has_batch = false;
  nlohmann::json values_batch;  ///< array of value sets when has_batch
  bool no_fail = false;
};

struct sql_request {
  result_format format = result_format::map;
  std::vector<sql_item> items;
};

/// Validates and parses a POST /db body. Throws api_error 400 (413 for the caps) carrying
/// `reqIdx` -1: a request that does not parse is refused whole (the message names the item).
[[nodiscard]] sql_request parse_sql_request(const nlohmann::json& body);

/// The SQL of a request for the query history: item texts joined with ";\n".
[[nodiscard]] std::string joined_sql(const sql_request& request);

/// A BLOB cell: the raw bytes (rendered as `{"base64": "..."}`).
struct sql_blob {
  std::string bytes;
};

/// One result cell as SQLite typed it: NULL, INTEGER, REAL, TEXT or BLOB.
using sql_cell = std::variant<std::monostate, std::int64_t, double, std::string, sql_blob>;

/// The rows one query produced. Cells are stored once, row-major (`headers.size()` per row),
/// straight from sqlite3_column_*: the renderer (handlers/sql_render.hpp) moves them into the
/// response, so a result costs one copy of each value, as building the JSON directly did.
struct sql_rows {
  std::vector<std::string> headers;  ///< column names as SQLite gives them
  std::vector<std::string> keys;     ///< unique names for row objects ("a", "a_2", ...)
  std::vector<sql_cell> cells;       ///< row-major
  std::size_t count = 0;             ///< rows returned (a 0-column row has no cells)
  bool truncated = false;            ///< another row was available past the cap
};

/// A failed row of a noFail valuesBatch item.
struct sql_row_error {
  std::size_t index = 0;
  std::string error;
};

/// The outcome of one transaction item.
struct sql_item_result {
  enum class kind {
    rows,     ///< a query: `rows`
    changed,  ///< a statement: `rows_updated`
    batch,    ///< a valuesBatch statement: `batch_counts`, `row_errors`
    failed,   ///< a noFail item that failed: `error`, `code`
  };
  kind type = kind::changed;
  sql_rows rows;
  std::int64_t rows_updated = 0;
  std::vector<std::int64_t> batch_counts;
  std::vector<sql_row_error> row_errors;
  std::string error;
  errc code = errc::internal;
};

struct sql_outcome {
  result_format format = result_format::map;
  std::vector<sql_item_result> results;  ///< one per item, in order
  std::int64_t rows = 0;                 ///< rows returned plus rows changed
};

/// Runs every item of `request` in order on `conn`, each inside its own savepoint. On the
/// writer, user SQL may have changed the server's own tables, so the connection's schema facts
/// are forgotten afterwards (success or failure). A failing
/// item without noFail throws its api_error with `reqIdx` >= 0 added (the caller's transaction
/// then rolls back; POST /db answers it with HTTP 200, see `statement_error_response`); a
/// failing noFail item is reported in place as kind::failed. The wire JSON is built by
/// handlers::render_sql_outcome.
[[nodiscard]] sql_outcome execute_sql_request(db::connection& conn, const sql_request& request);

/// GET /query's `sql` parameter: base64 (standard or URL-safe, padding optional) that decodes
/// to UTF-8 text, else the value itself as raw SQL.
[[nodiscard]] std::string decode_query_sql(std::string_view param);

/// The exact refusal text of GET /query.
inline constexpr const char* read_only_query_message =
    "GET /query only accepts read-only SELECT/WITH queries; use POST /db for mutating SQL";

/// GET /query's rows (map form), rendered by handlers::render_query_outcome.
struct query_outcome {
  sql_rows rows;
};

/// Validates (one read-only SELECT/WITH/VALUES/EXPLAIN/read PRAGMA statement) and runs `sql`.
/// Refusals throw api_error(read_only_query) with `read_only_query_message`.
[[nodiscard]] query_outcome run_read_only_query(db::connection& conn, std::string_view sql);

/// GET /export: a table or view read in bounded chunks, each in a read transaction of its own
/// (so no reader is held while the client reads). A rowid table is read in rowid order and
/// resumed after the last rowid sent (keyset: rows inserted or deleted meanwhile never shift
/// it); a WITHOUT ROWID table in primary-key order and a view in its own order, resumed by
/// OFFSET. Each chunk is a consistent snapshot, the whole export only when nothing writes.
struct export_source {
  std::string table;                 ///< as stored in sqlite_schema
  std::vector<std::string> columns;  ///< the output columns, in table order
  std::string rowid_alias;           ///< "rowid", "_rowid_" or "oid"; empty: OFFSET paging
  std::string order_by;              ///< WITHOUT ROWID: its primary key columns; else empty
};
/// Where the next chunk starts: after `rowid` (keyset) or at `offset`.
struct export_cursor {
  std::int64_t rowid = 0;
  std::int64_t offset = 0;
  bool started = false;  ///< false: the first chunk
  bool done = false;     ///< the last chunk was read
};
/// 404 NOT_FOUND when `table` is no table or view of the database (sqlite_ tables are refused).
[[nodiscard]] export_source describe_export_source(db::connection& conn, std::string_view table);
/// Reads the rows after `cursor` (at most `max_rows`, or fewer once their bytes pass
/// `max_bytes`), advancing it; `cursor.done` once the table is exhausted.
[[nodiscard]] sql_rows read_export_chunk(db::connection& conn, const export_source& source,
                                         export_cursor& cursor, std::size_t max_rows,
                                         std::size_t max_bytes);

}  // namespace hoody::ops
