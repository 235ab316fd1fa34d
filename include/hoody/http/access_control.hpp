// hoody/http/access_control.hpp — Bearer-token authorization and CORS, applied by the
// dispatcher to every request (never per route).
//
// Tokens (--auth-token, --read-only-token): with neither set everything is open. Otherwise a
// request needs `Authorization: Bearer <token>` unless its route is marked `open` (health, web
// UI); the read-only token is accepted for GET and HEAD only (403 otherwise). Comparisons run
// in constant time. CORS (--cors-origin): `*` or a comma-separated list of origins.
// Pure functions and immutable values: safe on any thread. Decisions: docs/operations.md.
#pragma once

#include "hoody/core/config.hpp"
#include "hoody/http/request.hpp"
#include "hoody/http/router.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hoody::http {

/// Compares without data-dependent early exit (the time depends on the lengths only).
[[nodiscard]] bool constant_time_equals(std::string_view a, std::string_view b) noexcept;

/// The error response (401 + `WWW-Authenticate: Bearer`, or 403) for a request that may not
/// run, or nullopt when it may. `r`: the matched route (null when nothing matched).
[[nodiscard]] std::optional<response> check_access(const config& cfg, const request& req,
                                                   const route* r);

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
