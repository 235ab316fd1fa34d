#include "hoody/http/access_control.hpp"

#include "hoody/core/error.hpp"
#include "hoody/http/response_render.hpp"

#include <algorithm>
#include <cctype>

namespace hoody::http {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
    text.remove_suffix(1);
  }
  return text;
}

// The token of "Bearer <token>" (scheme case-insensitive), or nullopt.
std::optional<std::string> bearer_token(const std::optional<std::string>& header) {
  if (!header) {
    return std::nullopt;
  }
  std::string_view value = trim(*header);
  constexpr std::string_view scheme = "bearer";
  if (value.size() <= scheme.size() ||
      !std::equal(scheme.begin(), scheme.end(), value.begin(), [](char a, char b) {
        return a == std::tolower(static_cast<unsigned char>(b));
      })) {
    return std::nullopt;
  }
  if (value[scheme.size()] != ' ') {
    return std::nullopt;
  }
  return std::string(trim(value.substr(scheme.size() + 1)));
}

response unauthorized(std::string message) {
  auto res = error_response(api_error(errc::unauthorized, std::move(message)));
  // Never "Basic": a browser would pop up its own login dialog.
  res.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"hoody-sqlite\"");
  return res;
}

}  // namespace

bool constant_time_equals(std::string_view a, std::string_view b) noexcept {
  const std::size_t n = std::max(a.size(), b.size());
  unsigned diff = a.size() == b.size() ? 0U : 1U;
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = static_cast<unsigned char>(i < a.size() ? a[i] : 0);
    const auto y = static_cast<unsigned char>(i < b.size() ? b[i] : 0);
    diff |= static_cast<unsigned>(x ^ y);
  }
  return diff == 0;
}

std::optional<response> check_access(const config& cfg, const request& req, const route* r) {
  if (cfg.auth_token.empty() && cfg.read_only_token.empty()) {
    return std::nullopt;
  }
  if (r != nullptr && r->open) {
    return std::nullopt;
  }
  const auto token = bearer_token(req.header("authorization"));
  if (!token) {
    return unauthorized("missing bearer token: send Authorization: Bearer <token>");
  }
  // Both comparisons always run, so the time does not tell which token matched.
  const bool full = !cfg.auth_token.empty() && constant_time_equals(*token, cfg.auth_token);
  const bool read_only =
      !cfg.read_only_token.empty() && constant_time_equals(*token, cfg.read_only_token);
  if (full) {
    return std::nullopt;
  }
  if (!read_only) {
    return unauthorized("invalid bearer token");
  }
  if (req.method == verb::get || req.method == verb::head) {
    return std::nullopt;
  }
  return error_response(
      api_error(errc::forbidden, "the read-only token allows only GET and HEAD requests"));
}

cors_policy cors_policy::parse(std::string_view spec) {
  cors_policy policy;
  while (!spec.empty()) {
    const auto comma = spec.find(',');
    const auto item = trim(spec.substr(0, comma));
    if (item == "*") {
      policy.any = true;
    } else if (!item.empty()) {
      std::string origin(item);
      while (!origin.empty() && origin.back() == '/') {
        origin.pop_back();  // "https://a.example/" names the origin "https://a.example"
      }
      policy.origins.push_back(std::move(origin));
    }
    spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
  }
  return policy;
}

std::optional<std::string> cors_policy::allow_origin(std::string_view origin) const {
  if (any) {
    return std::string("*");
  }
  for (const auto& allowed : origins) {
    if (allowed.size() == origin.size() &&
        std::equal(allowed.begin(), allowed.end(), origin.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return std::string(origin);
    }
  }
  return std::nullopt;
}

void cors_policy::decorate(const std::optional<std::string>& origin, response& res) const {
  if (!enabled()) {
    return;
  }
  if (!any) {
    res.headers.emplace_back("Vary", "Origin");  // the answer depends on the Origin header
  }
  if (!origin) {
    return;
  }
  if (auto allowed = allow_origin(*origin)) {
    res.headers.emplace_back("Access-Control-Allow-Origin", std::move(*allowed));
    res.headers.emplace_back("Access-Control-Expose-Headers",
                             "ETag, Allow, Retry-After, WWW-Authenticate, Content-Length");
  }
}

response cors_policy::preflight() const {
  auto res = response::empty(204);
  res.headers.emplace_back("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, DELETE, OPTIONS");
  res.headers.emplace_back("Access-Control-Allow-Headers", "Authorization, Content-Type");
  res.headers.emplace_back("Access-Control-Max-Age", "600");
  res.headers.emplace_back("Allow", "GET, HEAD, POST, PUT, DELETE, OPTIONS");
  return res;  // Access-Control-Allow-Origin is added by decorate() like on every response
}

}  // namespace hoody::http
