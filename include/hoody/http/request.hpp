// hoody/http/request.hpp — the transport-neutral request and response that handlers see.
//
// The HTTP session (Beast) parses the wire request into `request` and renders `response` back;
// handlers and tests use only these two types, never Beast. Query values are percent-decoded
// with `+` as space; path parameters are percent-decoded segments. Typed getters throw
// `api_error(bad_request)` with a message naming the parameter.
// Thread-safety: value types; a request is handled by one thread at a time.
#pragma once

#include "hoody/http/body_stream.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hoody::http {

enum class verb { get, head, post, put, delete_, options, patch, other };

[[nodiscard]] std::string_view to_string(verb v) noexcept;
[[nodiscard]] verb verb_from_string(std::string_view name) noexcept;

using string_pairs = std::vector<std::pair<std::string, std::string>>;

class request {
 public:
  verb method = verb::get;
  std::string path;      ///< raw (still percent-encoded) path, without the query string
  string_pairs query;    ///< decoded query parameters in order of appearance
  string_pairs headers;  ///< header names lower-cased
  std::string body;
  string_pairs path_params;  ///< decoded `{name}` captures of the matched route
  /// Set by the HTTP session once the client has closed its connection while the request is
  /// still unanswered: the dispatcher then skips work still queued, and SQL running for it is
  /// interrupted (db::connection::set_cancel_flag). Null when nothing watches the client.
  std::shared_ptr<const std::atomic<bool>> abandoned;

  /// Builds a request from a raw target ("/a/b?x=1"); throws bad_request on bad encoding.
  static request from_target(verb method, std::string_view target);

  [[nodiscard]] std::optional<std::string> query_param(std::string_view name) const;
  [[nodiscard]] bool has_query_param(std::string_view name) const;
  [[nodiscard]] std::string path_param(std::string_view name) const;
  [[nodiscard]] std::optional<std::string> header(std::string_view lower_name) const;

  /// The database the request names: `db`, else its published alias `path` (on KV routes
  /// `path` is then the JSON path whenever `db` is given: handlers/kv_params.hpp). The one home
  /// of that rule; nullopt when neither is given.
  [[nodiscard]] std::optional<std::string> database_param() const;
  /// Boolean query flag: true/false/1/0/yes/no/on/off (case-insensitive); absent → `fallback`.
  [[nodiscard]] bool flag(std::string_view name, bool fallback) const;
  /// Integer query parameter within [min, max]; absent or empty → nullopt.
  [[nodiscard]] std::optional<std::int64_t> int_param(std::string_view name, std::int64_t min,
                                                      std::int64_t max) const;
  /// Number (integer or decimal) query parameter; absent or empty → nullopt.
  [[nodiscard]] std::optional<double> number_param(std::string_view name) const;
  /// Parses the body as JSON; throws invalid_json (400) with `Invalid JSON body`.
  [[nodiscard]] nlohmann::json json_body() const;
};

struct response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  string_pairs headers;  ///< extra headers (ETag, Allow, Retry-After, ...)
  /// Set by a handler whose answer (status, type, body; no extra headers) depends only on the
  /// database's contents and the route's cache key: the dispatcher may keep it in the
  /// database's read cache, until `cache_expires_at_ms` (Unix ms) when set.
  bool cacheable = false;
  std::optional<std::int64_t> cache_expires_at_ms;
  /// Set by a streaming handler (GET /kv/watch): the session writes the head at once, then the
  /// stream's bytes as they come (http/body_stream.hpp); `body` is unused.
  std::shared_ptr<body_stream> stream;
  /// Set by a handler whose answer comes later (a long poll): the dispatcher hands it the
  /// request's completion; every other field of this response is unused.
  deferred_response later;

  static response json(const nlohmann::json& value, int status = 200);
  static response raw(std::string body, std::string content_type, int status = 200);
  static response empty(int status);
};

/// Percent-decodes `text`; `plus_is_space` for query strings. Throws bad_request on bad escapes.
[[nodiscard]] std::string percent_decode(std::string_view text, bool plus_is_space);

}  // namespace hoody::http
