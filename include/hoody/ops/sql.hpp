// hoody/ops/sql.hpp — user SQL over HTTP: POST /db transactions and GET /query read-only queries.
//
// Parsing is pure (any thread). Execution runs on the connection the dispatcher hands out, inside
// its transaction (never begins or commits one); on a read-only connection it throws
// db::requires_writer before running anything that could write (a `statement` item, or a query
// that is not provably read-only). No Asio/Beast here.
#pragma once

#include "hoody/db/connection.hpp"
#include "hoody/ops/utf8.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
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

struct sql_outcome {
  std::string body;       ///< the JSON response text `{"results":[...]}`
  std::int64_t rows = 0;  ///< rows returned plus rows changed
};

/// Runs every item of `request` in order on `conn`, each inside its own savepoint. On the
/// writer, user SQL may have changed the server's own tables, so the connection's schema facts
/// are forgotten afterwards (success or failure). A failing
/// item without noFail throws its api_error with `reqIdx` >= 0 added (the caller's transaction
/// then rolls back; POST /db answers it with HTTP 200, see `statement_error_response`); a
/// failing noFail item is reported in place as `{"success": false, "error", "code"}`.
[[nodiscard]] sql_outcome execute_sql_request(db::connection& conn, const sql_request& request);

/// GET /query's `sql` parameter: base64 (standard or URL-safe, padding optional) that decodes
/// to UTF-8 text, else the value itself as raw SQL.
[[nodiscard]] std::string decode_query_sql(std::string_view param);

/// The exact refusal text of GET /query.
inline constexpr const char* read_only_query_message =
    "GET /query only accepts read-only SELECT/WITH queries; use POST /db for mutating SQL";

struct query_outcome {
  std::string body;  ///< `{"columns":[...],"resultSet":[...],"rowCount":n,"truncated":b}`
  std::int64_t rows = 0;
};

/// Validates (one read-only SELECT/WITH/VALUES/EXPLAIN/read PRAGMA statement) and runs `sql`.
/// Refusals throw api_error(read_only_query) with `read_only_query_message`.
[[nodiscard]] query_outcome run_read_only_query(db::connection& conn, std::string_view sql);

}  // namespace hoody::ops
