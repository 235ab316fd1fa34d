// GET /databases: the SQLite databases of the data directory (db/db_list.hpp). Runs on the
// blocking pool (access::blocking): it reads directories and file headers, never a database.
#include "hoody/core/services.hpp"
#include "hoody/db/db_list.hpp"
#include "hoody/handlers/routes.hpp"
#include "hoody/http/tokens.hpp"

#include <array>
#include <cstdio>
#include <ctime>
#include <functional>
#include <string>

namespace hoody::handlers {
namespace {

std::string iso8601_utc_ms(std::int64_t ms) {
  const auto secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::array<char, 40> buf{};
  const std::size_t n = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf.data() + n, buf.size() - n, ".%03dZ", static_cast<int>(ms % 1000));
  return buf.data();
}

http::response list(http::context& ctx) {
  db::listing_limits limits;
  limits.limit = static_cast<std::size_t>(ctx.req.int_param("limit", 1, 10000).value_or(1000));
  std::function<bool(std::string_view)> visible;
  if (ctx.scope != nullptr) {
    visible = [scope = ctx.scope](std::string_view name) { return scope->allows_database(name); };
  }
  auto listing = db::list_databases(ctx.svc.paths, limits, visible);
  nlohmann::json items = nlohmann::json::array();
  for (auto& d : listing.databases) {
    items.push_back({{"name", std::move(d.name)},
                     {"file", std::move(d.file)},
                     {"size", d.size_bytes},
                     {"modified", iso8601_utc_ms(d.modified_ms)},
                     {"modified_ms", d.modified_ms}});
  }
  const auto count = items.size();
  return http::response::json(
      {{"databases", std::move(items)}, {"count", count}, {"truncated", listing.truncated}});
}

}  // namespace

void register_database_routes(http::router& router) {
  router.add({http::verb::get, std::string(api_prefix) + "/databases", http::access::blocking,
              http::db_use::none,
              "List the SQLite databases of the data directory: name (as db=), file, size, "
              "modified; at most `limit` (1000), `truncated` when more exist",
              list});
}

}  // namespace hoody::handlers
