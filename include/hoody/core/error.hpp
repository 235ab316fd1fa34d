// hoody/core/error.hpp — the one error type of the server.
//
// Every failure that reaches a client is an `api_error`: a stable code, a client-safe message and
// optional extra JSON fields (e.g. `reqIdx`). `status_of`/`wire_name_of` are the single mapping
// table from code to HTTP status and wire name; only http/response_render.cpp renders errors.
// Thread-safety: plain value types; safe everywhere.
#pragma once

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>
#include <string_view>

namespace hoody {

enum class errc {
  bad_request,          // 400 BAD_REQUEST: malformed parameter or body
  invalid_json,         // 400 INVALID_JSON
  invalid_db_path,      // 400 INVALID_DB_PATH
  sql_error,            // 400 SQL_ERROR: prepare/step error caused by the SQL text
  read_only_query,      // 400 READ_ONLY_QUERY: a write sent to GET /query
  unauthorized,         // 401 UNAUTHORIZED
  forbidden,            // 403 FORBIDDEN
  read_only_replica,    // 403 READ_ONLY_REPLICA: a write sent to a --read-only replica
  not_found,            // 404 NOT_FOUND: unknown route
  db_not_found,         // 404 DATABASE_NOT_FOUND
  key_not_found,        // 404 KEY_NOT_FOUND
  method_not_allowed,   // 405 METHOD_NOT_ALLOWED
  conflict,             // 409 CONFLICT: constraint violation, already exists
  history_gap,          // 409 HISTORY_GAP: time-travel chain crosses untracked writes
  history_compacted,    // 409 HISTORY_COMPACTED: a change-feed cursor before retained history
  checkpoint_external,  // 409 CHECKPOINT_EXTERNAL: --checkpoint-mode external owns the WAL
  precondition_failed,  // 412 PRECONDITION_FAILED: compare-and-swap failed
  payload_too_large,    // 413 PAYLOAD_TOO_LARGE
  unsupported_media,    // 415 UNSUPPORTED_MEDIA_TYPE
  too_many_requests,    // 429 TOO_MANY_REQUESTS: a bounded queue is full
  client_closed,        // 499 CLIENT_CLOSED_REQUEST: the client went away, its request was
                        //     cancelled (seen only in logs and metrics, as nginx's 499)
  internal,             // 500 INTERNAL_ERROR
  busy,                 // 503 BUSY: database locked by another process beyond busy_timeout
  query_timeout,        // 503 QUERY_TIMEOUT: --query-timeout-ms exceeded
  unavailable,          // 503 UNAVAILABLE: shutting down
  not_primary,          // 503 NOT_PRIMARY: a write while the --primary-file is missing
  disk_full,            // 507 DISK_FULL: SQLITE_FULL / ENOSPC; reads go on, writes resume later
};

/// HTTP status code for `code` (one table, see error.cpp).
[[nodiscard]] int status_of(errc code) noexcept;

/// Stable machine-readable name for `code`, e.g. "INVALID_DB_PATH".
[[nodiscard]] std::string_view wire_name_of(errc code) noexcept;

/// The exception every layer throws for a client-visible failure.
class api_error : public std::runtime_error {
 public:
  api_error(errc code, std::string message, nlohmann::json details = nlohmann::json::object())
      : std::runtime_error(message), code_(code), details_(std::move(details)) {}

  [[nodiscard]] errc code() const noexcept { return code_; }
  /// Extra top-level fields merged into the error envelope (e.g. {"reqIdx": 2}).
  [[nodiscard]] const nlohmann::json& details() const noexcept { return details_; }
  nlohmann::json& details() noexcept { return details_; }

 private:
  errc code_;
  nlohmann::json details_;
};

/// Shorthand for the most common error.
[[noreturn]] void throw_bad_request(std::string message);

}  // namespace hoody
