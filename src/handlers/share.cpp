// POST /share: mints a signed share link for one read-only query (docs/security.md). The query
// runs once on a reader first, so a link is only issued for SQL that GET /query accepts.
#include "hoody/core/clock.hpp"
#include "hoody/core/error.hpp"
#include "hoody/core/services.hpp"
#include "hoody/handlers/routes.hpp"
#include "hoody/http/tokens.hpp"
#include "hoody/ops/kv_schema.hpp"  // unix_now_ms
#include "hoody/ops/sql.hpp"
#include "hoody/ops/utf8.hpp"

namespace hoody::handlers {
namespace {

constexpr std::int64_t default_ttl_s = 3600;
constexpr std::int64_t max_ttl_s = 30LL * 86400;

http::response mint_share(http::context& ctx) {
  const auto* keys = ctx.svc.auth_keys;
  if (keys == nullptr || !keys->has_share_key()) {
    throw api_error(errc::forbidden,
                    "share links are not enabled on this server: start it with --jwt-key-file "
                    "holding an \"hs256\" or \"share\" secret");
  }
  const auto body = ctx.req.json_body();
  if (!body.is_object() || !body.contains("sql") || !body["sql"].is_string() ||
      body["sql"].get_ref<const std::string&>().empty()) {
    throw api_error(errc::bad_request, "body must be {\"sql\": \"SELECT ...\", \"ttl\": seconds}");
  }
  const auto& sql = body["sql"].get_ref<const std::string&>();
  if (!ops::is_valid_utf8(sql)) {
    throw api_error(errc::bad_request, "sql must be valid UTF-8");
  }
  std::int64_t ttl = default_ttl_s;
  if (body.contains("ttl")) {
    const auto& t = body["ttl"];
    if (!t.is_number_integer() || t.get<std::int64_t>() < 1 || t.get<std::int64_t>() > max_ttl_s) {
      throw api_error(errc::bad_request,
                      "ttl must be an integer number of seconds from 1 to 2592000 (30 days)");
    }
    ttl = t.get<std::int64_t>();
  }
  (void)ops::run_read_only_query(*ctx.conn, sql);  // 400 READ_ONLY_QUERY / SQL_ERROR as GET /query
  const std::string db = ctx.req.database_param().value_or(std::string());
  const std::int64_t exp = unix_now_ms() / 1000 + ttl;
  const std::string url =
      http::auth::share_link(*keys, std::string(api_prefix) + "/query", db, sql, exp);
  return http::response::json(
      {{"url", url},
       {"db", db},
       {"exp", exp},
       {"sig", http::auth::share_signature(keys->share.front(), db, sql, exp)}});
}

}  // namespace

void register_share_routes(http::router& router) {
  http::route share{http::verb::post,
                    std::string(api_prefix) + "/share",
                    http::access::read,
                    http::db_use::existing,
                    "Mint a signed share link for one read-only query (body {sql, ttl}; admin)",
                    mint_share};
  share.admin = true;
  router.add(std::move(share));
}

}  // namespace hoody::handlers
