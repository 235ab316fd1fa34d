// hoody/http/access_control.hpp — Bearer-token authorization and CORS, applied by the
// dispatcher to every request (never per route).
//
// Tokens (--auth-token, --read-only-token, JWTs verified with --jwt-key-file): with none set
// everything is open. Otherwise a request needs `Authorization: Bearer <token>` unless its route
// is marked `open` (health, web UI) or it carries a valid share link (route `share_link`: `exp`
// and `sig` parameters). The read-only token is accepted for GET and HEAD only (403 otherwise).
// A JWT's scope (databases, access level) is checked against the route's metadata: see
// `required_level`. Comparisons run in constant time. CORS (--cors-origin): `*` or a
// comma-separated list of origins.
// Pure functions and immutable values: safe on any thread. Decisions: docs/operations.md.
#pragma once

#include "hoody/core/config.hpp"
#include "hoody/http/request.hpp"
#include "hoody/http/router.hpp"
#include "hoody/http/tokens.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hoody::http {

/// Compares without data-dependent early exit (the time depends on the lengths only).
[[nodiscard]] bool constant_time_equals(std::string_view a, std::string_view b) noexcept;

/// The access level a scoped token needs for a request, from the route's metadata only:
/// `admin` routes and `exclusive` ones (maintenance) → admin; `write` → write; `read`,
/// `read_then_write` and database-less routes → read (a non-GET `read_then_write` request that
/// turns out to write needs write: see access_decision::may_write); asking a create flag
/// (`create_if_flagged` routes) → at least write.
[[nodiscard]] auth::level required_level(const route& r, const request& req);

struct access_decision {
  std::optional<response> denied;  ///< 401 / 403 to send instead of running the request
  /// false: the request may run on a reader, but if its handler hands over to the writer
  /// (`db::requires_writer`, POST /db with a write) the dispatcher answers 403 instead.
  bool may_write = true;
  /// The verified claims when a scoped token (JWT) authorized the request.
  std::optional<auth::claims> scope;
};

/// Decides whether a request may run. `r`: the matched route (null when nothing matched);
/// `now_s`: Unix seconds, for `exp`/`nbf`.
[[nodiscard]] access_decision authorize(const config& cfg, const auth::key_set& keys,
                                        const request& req, const route* r, std::int64_t now_s);

/// authorize() without JWT keys: the error response (401 + `WWW-Authenticate: Bearer`, or 403)
/// for a request that may not run, or nullopt when it may.
[[nodiscard]] std::optional<response> check_access(const config& cfg, const request& req,
                                                   const route* r);

/// The 403 answer to a scoped request whose work turned out to write.
[[nodiscard]] response write_refused_response();

struct cors_policy {
  bool any = false;                  ///< `*`
  std::vector<std::string> origins;  ///< exact origins ("https://app.example.com")

  [[nodiscard]] bool enabled() const noexcept { return any || !origins.empty(); }
  /// Parses the --cors-origin value ("" → disabled).
  static cors_policy parse(std::string_view spec);
  /// The Access-Control-Allow-Origin value for `origin`, or nullopt when not allowed.
  [[nodiscard]] std::optional<std::string> allow_origin(std::string_view origin) const;
  /// Adds Access-Control-Allow-Origin (+ Vary: Origin, Expose-Headers) when allowed.
  void decorate(const std::optional<std::string>& origin, response& res) const;
  /// The answer to an OPTIONS request (preflight): 204 with Allow-Methods/Headers/Max-Age.
  [[nodiscard]] response preflight() const;
};

}  // namespace hoody::http
