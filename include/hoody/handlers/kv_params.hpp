// hoody/handlers/kv_params.hpp — query parameters shared by the KV handler families
// (kv.cpp, atomic.cpp, batch.cpp, time_travel.cpp, watch.cpp): the KV table, the JSON `path`,
// the write scope, key lists.
// Pure request parsing; runs on whichever thread runs the handler.
#pragma once

#include "hoody/core/error.hpp"
#include "hoody/core/services.hpp"
#include "hoody/http/router.hpp"
#include "hoody/ops/json_path.hpp"
#include "hoody/ops/kv.hpp"

#include <optional>
#include <string>
#include <vector>

namespace hoody::handlers {

/// `table` (alias `kv_table`), default kv_store, validated as an identifier.
inline std::string kv_table_param(const http::request& req) {
  auto table = req.query_param("table");
  auto alias = req.query_param("kv_table");
  if (table && alias && *table != *alias) {
    throw api_error(errc::bad_request, "conflicting parameters: table and kv_table must match");
  }
  std::string out = table ? *table : alias ? *alias : std::string(ops::default_kv_table);
  if (out.empty()) {
    out = std::string(ops::default_kv_table);
  }
  ops::validate_kv_table_name(out);
  return out;
}

/// The JSON `path`. `path` is also the alias of `db`: it is a JSON path only when `db` is given.
/// `root`: whether a leading `$` is the document root (see ops::json_path_root).
inline std::optional<ops::json_path> kv_json_path_param(
    const http::request& req, ops::json_path_root root = ops::json_path_root::dollar_is_root) {
  if (!req.has_query_param("db")) {
    return std::nullopt;
  }
  auto p = req.query_param("path");
  if (!p || p->empty()) {
    return std::nullopt;
  }
  return ops::parse_json_path(*p, root);
}

/// Write scope: table, `history` flag (default true), value size limit (--max-body-bytes).
inline ops::kv_scope kv_scope_of(const http::context& ctx, const std::string& table) {
  ops::kv_scope scope;
  scope.table = table;
  scope.history = ctx.req.flag("history", true);
  scope.max_value_bytes = ctx.svc.cfg.max_body_bytes;
  return scope;
}

/// A comma-separated key list (`keys=a,b,c`); empty items are skipped.
inline std::vector<std::string> split_key_list(const std::string& text) {
  std::vector<std::string> keys;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = text.find(',', start);
    std::string k =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!k.empty()) {
      keys.push_back(std::move(k));
    }
    if (comma == std::string::npos) {
      break;
    }
    start = comma + 1;
  }
  return keys;
}

}  // namespace hoody::handlers
