// GET/PUT/DELETE/HEAD /kv/{key} and GET /kv (list). Thin: parse → ops::kv_* → render.
// HEAD is served by the GET route (the router falls back to it; the session drops the body).
#include "hoody/ops/kv.hpp"

#include "hoody/core/error.hpp"
#include "hoody/core/services.hpp"
#include "hoody/handlers/kv_params.hpp"
#include "hoody/handlers/kv_render.hpp"
#include "hoody/handlers/routes.hpp"
#include "hoody/handlers/time_travel_render.hpp"
#include "hoody/ops/kv_dir.hpp"
#include "hoody/ops/time_travel.hpp"

#include <algorithm>

namespace hoody::handlers {
namespace {

using nlohmann::json;

json expires_json(const std::optional<std::int64_t>& ms) {
  return ms ? json(*ms) : json(nullptr);
}

http::response get_key(http::context& ctx) {
  const auto& req = ctx.req;
  const std::string key = req.path_param("key");
  const std::string table = kv_table_param(req);
  if (req.has_query_param("at_timestamp")) {
    const auto at = req.number_param("at_timestamp");
    if (!at) {
      throw api_error(errc::bad_request, "at_timestamp must be a number (Unix seconds)");
    }
    const auto path = kv_json_path_param(req);
    return http::response::json(to_json(ops::kv_read_at(
        *ctx.conn, table, key, *at, path ? std::optional<std::string>(path->text) : std::nullopt)));
  }
  const auto path = kv_json_path_param(req);
  const auto entry = ops::kv_get(*ctx.conn, table, key);
  if (!entry) {
    throw api_error(errc::key_not_found, "Key not found");
  }
  if (path) {
    return http::response::json(ops::kv_read_path(*entry, *path));
  }
  // A type written by raw SQL could hold CR/LF: never echo it into a header unchecked.
  const auto& type = entry->value.content_type;
  const bool safe =
      !type.empty() && type.size() <= 255 &&
      std::all_of(type.begin(), type.end(), [](char ch) { return ch >= 0x20 && ch <= 0x7e; });
  auto res = http::response::raw(entry->value.value, safe ? type : "application/octet-stream");
  res.cacheable = true;
  res.cache_expires_at_ms = entry->value.expires_at_ms;
  return res;
}

// The read cache key of a plain GET (no time travel, no JSON path): table and key. Requests
// with parameters the handler would refuse are not cached (the handler reports them).
std::optional<std::string> get_key_cache_key(const http::request& req) {
  if (req.has_query_param("at_timestamp")) {
    return std::nullopt;
  }
  try {
    if (kv_json_path_param(req)) {
      return std::nullopt;
    }
    std::string out = kv_table_param(req);
    out.push_back('\0');
    out += req.path_param("key");
    return out;
  } catch (...) {
    return std::nullopt;
  }
}

http::response put_key(http::context& ctx) {
  const auto& req = ctx.req;
  const std::string key = req.path_param("key");
  const auto scope_table = kv_table_param(req);
  const ops::kv_scope scope = kv_scope_of(ctx, scope_table);
  ops::kv_put_request put;
  put.path = kv_json_path_param(req);
  if (auto ttl = req.query_param("ttl")) {
    put.ttl_s = ops::parse_ttl(*ttl);
  }
  if (req.has_query_param("if_match")) {
    put.if_match = req.query_param("if_match").value_or("");
  }
  put.value = req.body;
  if (auto ct = req.query_param("content_type"); ct && !ct->empty()) {
    ops::validate_content_type(*ct);
    put.content_type = *ct;
  } else {
    put.content_type = ops::infer_content_type(req.header("content-type"), req.body);
  }
  const auto r = ops::kv_put(*ctx.conn, scope, key, put);
  return http::response::json({{"success", true},
                               {"key", key},
                               {"op_number", r.op_number},
                               {"content_type", r.value.content_type},
                               {"size", r.value.value.size()},
                               {"expires_at", expires_json(r.value.expires_at_ms)},
                               {"created", r.created}});
}

http::response delete_key(http::context& ctx) {
  const auto& req = ctx.req;
  const std::string key = req.path_param("key");
  const auto table = kv_table_param(req);
  ops::kv_delete(*ctx.conn, kv_scope_of(ctx, table), key);
  return http::response::json({{"success", true}, {"deleted", true}});
}

http::response list_keys(http::context& ctx) {
  const auto& req = ctx.req;
  const std::string table = kv_table_param(req);
  const std::string prefix = req.query_param("prefix").value_or("");
  if (req.has_query_param("at_timestamp")) {
    const auto at = req.number_param("at_timestamp");
    if (!at) {
      throw api_error(errc::bad_request, "at_timestamp must be a number (Unix seconds)");
    }
    const auto limit = req.int_param("limit", 0, 10000).value_or(0);
    return http::response::json(to_json(ops::kv_list_at(*ctx.conn, table, *at, prefix, limit)));
  }
  ops::kv_list_request list;
  list.prefix = prefix;
  list.limit = req.int_param("limit", 0, 10000).value_or(100);
  if (list.limit == 0) {
    list.limit = 100;
  }
  list.offset = req.int_param("offset", 0, std::numeric_limits<std::int64_t>::max()).value_or(0);
  return http::response::json(to_json(ops::kv_list(*ctx.conn, table, list)));
}

// ---- directory mode (docs/kv.md): the same routes on a directory of files

void refuse_in_directory_mode(const http::request& req, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (req.has_query_param(name)) {
      throw api_error(errc::bad_request, std::string("directory mode: '") + name +
                                             "' is not supported when db names a directory");
    }
  }
}

http::response get_key_dir(http::context& ctx) {
  const auto& req = ctx.req;
  refuse_in_directory_mode(req, {"at_timestamp"});
  const auto path = kv_json_path_param(req);
  auto file = ctx.directory->get(req.path_param("key"), req.flag("rebuild", false),
                                 ctx.svc.cfg.max_body_bytes);
  if (path) {
    ops::kv_entry entry;
    entry.key = file.key;
    entry.value.value = std::move(file.bytes);
    entry.value.content_type = file.content_type;
    return http::response::json(ops::kv_read_path(entry, *path));
  }
  return http::response::raw(std::move(file.bytes), file.content_type);
}

http::response put_key_dir(http::context& ctx) {
  const auto& req = ctx.req;
  refuse_in_directory_mode(req, {"ttl", "if_match", "path"});
  const std::string key = req.path_param("key");
  const auto r = ctx.directory->put(key, req.body);
  return http::response::json({{"success", true},
                               {"key", key},
                               {"op_number", nullptr},
                               {"content_type", r.content_type},
                               {"size", r.size},
                               {"expires_at", nullptr},
                               {"created", r.created}});
}

http::response delete_key_dir(http::context& ctx) {
  ctx.directory->remove(ctx.req.path_param("key"));
  return http::response::json({{"success", true}, {"deleted", true}});
}

http::response list_keys_dir(http::context& ctx) {
  const auto& req = ctx.req;
  refuse_in_directory_mode(req, {"at_timestamp"});
  ops::kv_list_request list;
  list.prefix = req.query_param("prefix").value_or("");
  list.limit = req.int_param("limit", 0, 10000).value_or(100);
  if (list.limit == 0) {
    list.limit = 100;
  }
  list.offset = req.int_param("offset", 0, std::numeric_limits<std::int64_t>::max()).value_or(0);
  return http::response::json(to_json(ctx.directory->list(list, req.flag("rebuild", false))));
}

}  // namespace

void register_kv_routes(http::router& router) {
  const std::string base = std::string(api_prefix) + "/kv";
  http::route get{http::verb::get,
                  base + "/{key+}",
                  http::access::read,
                  http::db_use::existing,
                  "Read a key's raw value (path: a JSON leaf; at_timestamp: time travel)",
                  get_key};
  get.read_cache_key = get_key_cache_key;
  get.on_directory = get_key_dir;
  router.add(std::move(get));
  http::route put{http::verb::put,
                  base + "/{key+}",
                  http::access::write,
                  http::db_use::create_if_flagged,
                  "Store a raw value (ttl, if_match compare-and-swap, path partial update)",
                  put_key};
  put.on_directory = put_key_dir;
  router.add(std::move(put));
  http::route del{http::verb::delete_,    base + "/{key+}", http::access::write,
                  http::db_use::existing, "Delete a key",   delete_key};
  del.on_directory = delete_key_dir;
  router.add(std::move(del));
  http::route list{http::verb::get,
                   base,
                   http::access::read,
                   http::db_use::existing,
                   "List keys (prefix, limit, offset; at_timestamp: time travel)",
                   list_keys};
  list.on_directory = list_keys_dir;
  router.add(std::move(list));
}

}  // namespace hoody::handlers
