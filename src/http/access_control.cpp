#include "hoody/http/access_control.hpp"

#include "hoody/core/error.hpp"
#include "hoody/core/text.hpp"
#include "hoody/http/response_render.hpp"
#include "hoody/ops/sql.hpp"  // decode_query_sql: share links sign the decoded SQL

#include <algorithm>
#include <cctype>

namespace hoody::http {
namespace {

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

auth::level required_level(const route& r, const request& req) {
  using auth::level;
  if (r.admin || r.mode == access::exclusive) {
    return level::admin;
  }
  level need = r.mode == access::write ? level::write : level::read;
  if (r.db == db_use::create_if_flagged) {
    bool create = true;  // a malformed flag is refused later (400); until then assume a create
    try {
      create = req.flag("create_db_if_missing", false) || req.flag("auto_create", false);
    } catch (...) {  // NOLINT(bugprone-empty-catch): `create` stays true
    }
    if (create) {
      need = level::write;
    }
  }
  return need;
}

namespace {

bool reads_only(const request& req) {
  return req.method == verb::get || req.method == verb::head;
}

response forbidden(std::string message) {
  return error_response(api_error(errc::forbidden, std::move(message)));
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    out += out.empty() ? "" : ", ";
    out += item;
  }
  return out;
}

// GET /query?db&sql&exp&sig: a signed share link opens exactly that query until exp.
access_decision share_link_decision(const auth::key_set& keys, const request& req,
                                    std::int64_t now_s) {
  access_decision d;
  d.may_write = false;
  const auto db = req.database_param();
  const auto sql = req.query_param("sql");
  const auto exp = req.query_param("exp");
  const auto sig = req.query_param("sig");
  if (!db || !sql || !exp || !sig) {
    d.denied = unauthorized("invalid share link: it needs db, sql, exp and sig");
    return d;
  }
  std::string decoded;
  try {
    decoded = ops::decode_query_sql(*sql);
  } catch (...) {
    d.denied = unauthorized("invalid share link: sql cannot be decoded");
    return d;
  }
  if (auto why = auth::check_share_link(keys, *db, decoded, *exp, *sig, now_s); !why.empty()) {
    d.denied = unauthorized(std::move(why));
  }
  return d;
}

// A verified JWT: its databases and access level against the route's metadata.
access_decision scope_decision(const auth::claims& c, const request& req, const route* r) {
  access_decision d;
  if (r == nullptr) {
    return d;  // 404 / 405 follow
  }
  if (r->db != db_use::none) {
    if (const auto name = req.database_param(); name && !c.allows_database(*name)) {
      d.denied = forbidden("token scope does not include database '" + *name +
                           "' (the token allows: " + joined(c.databases) + ")");
      return d;
    }
  }
  const auto need = required_level(*r, req);
  if (c.access < need) {
    d.denied = forbidden("token access '" + std::string(auth::to_string(c.access)) +
                         "' does not allow this request (it needs '" +
                         std::string(auth::to_string(need)) + "')");
    return d;
  }
  d.may_write =
      !(r->mode == access::read_then_write && !reads_only(req) && c.access < auth::level::write);
  d.scope = c;
  return d;
}

}  // namespace

response write_refused_response() {
  return forbidden(
      "token access 'read' does not allow writes: this request would write (it "
      "needs 'write')");
}

access_decision authorize(const config& cfg, const auth::key_set& keys, const request& req,
                          const route* r, std::int64_t now_s) {
  access_decision d;
  if (cfg.auth_token.empty() && cfg.read_only_token.empty() && !keys.has_jwt_keys()) {
    return d;
  }
  if (r != nullptr && r->open) {
    return d;
  }
  if (r != nullptr && r->share_link && (req.has_query_param("sig") || req.has_query_param("exp"))) {
    return share_link_decision(keys, req, now_s);
  }
  const auto token = bearer_token(req.header("authorization"));
  if (!token) {
    d.denied = unauthorized("missing bearer token: send Authorization: Bearer <token>");
    return d;
  }
  // Both comparisons always run, so the time does not tell which token matched.
  const bool full = !cfg.auth_token.empty() && constant_time_equals(*token, cfg.auth_token);
  const bool read_only =
      !cfg.read_only_token.empty() && constant_time_equals(*token, cfg.read_only_token);
  if (full) {
    return d;
  }
  if (read_only) {
    if (!reads_only(req)) {
      d.denied = forbidden("the read-only token allows only GET and HEAD requests");
    }
    return d;
  }
  if (!keys.has_jwt_keys()) {
    d.denied = unauthorized("invalid bearer token");
    return d;
  }
  auto verified = auth::verify_jwt(*token, keys, now_s);
  if (!verified.valid) {
    d.denied = unauthorized("invalid bearer token: " + verified.error);
    return d;
  }
  return scope_decision(*verified.valid, req, r);
}

std::optional<response> check_access(const config& cfg, const request& req, const route* r) {
  static const auth::key_set no_keys;
  return authorize(cfg, no_keys, req, r, 0).denied;
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
