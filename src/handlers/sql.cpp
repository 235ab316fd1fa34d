// POST /db (one transaction), POST /db/create, GET /query (shareable read-only query).
#include "hoody/ops/sql.hpp"

#include "hoody/core/clock.hpp"
#include "hoody/core/error.hpp"
#include "hoody/core/services.hpp"
#include "hoody/core/text.hpp"
#include "hoody/db/connection.hpp"
#include "hoody/handlers/history.hpp"
#include "hoody/handlers/routes.hpp"
#include "hoody/handlers/sql_render.hpp"
#include "hoody/http/response_render.hpp"
#include "hoody/http/tokens.hpp"
#include "hoody/ops/kv_schema.hpp"
#include "hoody/ops/utf8.hpp"

#include <any>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string_view>

namespace hoody::handlers {
namespace {

using clock_type = std::chrono::steady_clock;

/// `history=false` (POST /db, GET /query): the request asks not to be recorded in the query
/// history (the console's own browse queries send it; docs/api.md). An invalid value → 400.
bool wants_history(const http::request& req) {
  return req.flag("history", true);
}

/// Times one SQL request and records it in the query history whatever its outcome, unless the
/// request asked not to be recorded.
class history_recorder {
 public:
  history_recorder(http::context& ctx, const char* source, bool enabled)
      : ctx_(ctx), start_(clock_type::now()), enabled_(enabled) {
    rec_.source = source;
    rec_.timestamp_ms = unix_now_ms();
  }

  void set_sql(std::string sql, std::size_t statements) {
    rec_.sql = std::move(sql);
    rec_.statements = static_cast<std::int64_t>(statements);
  }
  void succeeded(std::int64_t rows) {
    rec_.success = true;
    rec_.rows = rows;
    commit();
  }
  void failed(const std::string& error) {
    rec_.success = false;
    rec_.error = error;
    commit();
  }

 private:
  void commit() {
    if (!enabled_) {
      return;
    }
    rec_.duration_ms =
        std::chrono::duration<double, std::milli>(clock_type::now() - start_).count();
    record_query(ctx_, std::move(rec_));
  }

  http::context& ctx_;
  clock_type::time_point start_;
  bool enabled_;
  ops::query_record rec_;
};

/// Runs `body` (which may set the recorder's SQL) and records success or failure. A
/// hand-over to the writer is not an outcome: the writer run records it. `enabled` false: nothing
/// is recorded (`history=false`).
template <typename Fn>
http::response recorded(http::context& ctx, const char* source, bool enabled, Fn&& body) {
  history_recorder rec(ctx, source, enabled);
  try {
    return body(rec);
  } catch (const db::requires_writer&) {
    throw;
  } catch (const api_error& e) {
    rec.failed(e.what());
    throw;
  } catch (const std::exception& e) {
    rec.failed(e.what());
    throw;
  }
}

/// The body of POST /db, parsed once: the reader run parses it, the writer run (if the
/// transaction writes) finds it in the context's carry.
const ops::sql_request& parsed_request(http::context& ctx) {
  using parsed = std::shared_ptr<const ops::sql_request>;
  if (!ctx.carry->has_value()) {
    nlohmann::json body;
    try {
      body = ctx.req.json_body();
    } catch (api_error& e) {
      e.details()["reqIdx"] = -1;
      throw;
    }
    *ctx.carry = parsed(std::make_shared<const ops::sql_request>(ops::parse_sql_request(body)));
  }
  return *std::any_cast<const parsed&>(*ctx.carry);
}

http::response post_db(http::context& ctx) {
  bool record = true;
  try {
    record = wants_history(ctx.req);  // a bad value is refused before anything runs
  } catch (api_error& e) {
    e.details()["reqIdx"] = -1;  // a request-level error, as the spec says
    throw;
  }
  return recorded(ctx, "db", record, [&ctx](history_recorder& rec) {
    const ops::sql_request& request = parsed_request(ctx);
    rec.set_sql(ops::joined_sql(request), request.items.size());
    ops::sql_outcome out = ops::execute_sql_request(*ctx.conn, request);
    rec.succeeded(out.rows);
    return http::response::raw(render_sql_outcome(std::move(out)), "application/json");
  });
}

/// Once the body parsed, a failing statement is data, not an HTTP error: `{"reqIdx": i, "error",
/// "code"}` with 200 (its transaction rolled back). Request-level errors (reqIdx -1) and the
/// server's own conditions (5xx: busy, timeout, disk full, shutting down) keep their status.
std::optional<http::response> statement_error_response(const api_error& e) {
  const auto idx = e.details().find("reqIdx");
  if (idx == e.details().end() || !idx->is_number_integer() || idx->get<std::int64_t>() < 0 ||
      status_of(e.code()) >= 500) {
    return std::nullopt;
  }
  http::response res = http::error_response(e);
  res.status = 200;
  return res;
}

/// A strong validator for a response body (FNV-1a 64).
std::string etag_of(std::string_view body) {
  std::uint64_t hash = 1469598103934665603ULL;
  for (const char c : body) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  std::array<char, 40> buf{};
  std::snprintf(buf.data(), buf.size(), "\"%016llx-%zx\"", static_cast<unsigned long long>(hash),
                body.size());
  return buf.data();
}

bool if_none_match_hits(const std::string& header, const std::string& etag) {
  // Weak comparison (RFC 9110 13.1.2): W/ prefixes are ignored; "*" matches any.
  std::size_t i = 0;
  while (i < header.size()) {
    while (i < header.size() && (header[i] == ' ' || header[i] == ',' || header[i] == '\t')) {
      ++i;
    }
    if (i >= header.size()) {
      break;
    }
    if (header[i] == '*') {
      return true;
    }
    if (header.compare(i, 2, "W/") == 0) {
      i += 2;
    }
    std::size_t end = header.find(',', i);
    if (header[i] == '"') {
      end = header.find('"', i + 1);
      end = end == std::string::npos ? header.size() : end + 1;
    } else if (end == std::string::npos) {
      end = header.size();
    }
    std::string tag = header.substr(i, end - i);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) {
      tag.pop_back();
    }
    if (tag == etag) {
      return true;
    }
    i = end;
  }
  return false;
}

/// GET /query's representations (docs/api.md): JSON unless asked otherwise.
enum class representation { json, html, csv };

/// True when the Accept header names text/html before application/json (a browser opening a
/// link); media-type parameters other than q=0 are ignored.
bool accept_prefers_html(std::string_view accept) {
  while (!accept.empty()) {
    const auto comma = accept.find(',');
    std::string_view item = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view{} : accept.substr(comma + 1);
    const auto semi = item.find(';');
    const std::string type = ascii_lowercase(trim(item.substr(0, semi)));
    bool refused = false;
    for (std::string_view params = semi == std::string_view::npos ? std::string_view{}
                                                                  : item.substr(semi + 1);
         !params.empty();) {
      const auto next = params.find(';');
      const std::string p = ascii_lowercase(trim(params.substr(0, next)));
      if (p.starts_with("q=")) {
        refused = std::strtod(p.c_str() + 2, nullptr) <= 0.0;
      }
      params = next == std::string_view::npos ? std::string_view{} : params.substr(next + 1);
    }
    if (refused) {
      continue;
    }
    if (type == "text/html") {
      return true;
    }
    if (type == "application/json") {
      return false;
    }
  }
  return false;
}

representation query_representation(const http::request& req) {
  if (const auto format = req.query_param("format")) {
    const std::string f = ascii_lowercase(*format);
    if (f == "json") {
      return representation::json;
    }
    if (f == "html") {
      return representation::html;
    }
    if (f == "csv") {
      return representation::csv;
    }
    throw api_error(errc::bad_request, "format must be json, html or csv");
  }
  const auto accept = req.header("accept");
  return accept && accept_prefers_html(*accept) ? representation::html : representation::json;
}

/// This request's link with `format` set (other parameters kept, e.g. a share link's exp+sig).
std::string link_with_format(const http::request& req, std::string_view format) {
  std::string url = req.path + "?";
  for (const auto& [name, value] : req.query) {
    if (name != "format") {
      url += http::auth::url_encode(name) + "=" + http::auth::url_encode(value) + "&";
    }
  }
  return url + "format=" + std::string(format);
}

query_page page_for(const http::request& req, const std::string& sql) {
  query_page page;
  page.db = req.database_param().value_or(std::string());
  page.sql = sql;
  page.console_url =
      "/#db=" + http::auth::url_encode(page.db) + "&view=sql&sql=" + http::auth::url_encode(sql);
  page.json_url = link_with_format(req, "json");
  page.csv_url = link_with_format(req, "csv");
  return page;
}

http::response get_query(http::context& ctx) {
  return recorded(ctx, "query", wants_history(ctx.req), [&ctx](history_recorder& rec) {
    const representation as = query_representation(ctx.req);
    const auto param = ctx.req.query_param("sql");
    if (!param || param->empty()) {
      throw api_error(errc::bad_request, "missing required parameter: sql");
    }
    const std::string sql = ops::decode_query_sql(*param);
    if (!ops::is_valid_utf8(sql)) {
      throw api_error(errc::bad_request, "sql must be valid UTF-8");
    }
    rec.set_sql(sql, 1);
    ops::query_outcome out = ops::run_read_only_query(*ctx.conn, sql);
    rec.succeeded(static_cast<std::int64_t>(out.rows.count));
    // Each representation has its own body, hence its own ETag: a validator of one never
    // answers 304 for another (GET /query has no server-side read cache).
    std::string body;
    std::string type = "application/json";
    if (as == representation::html) {
      body = render_query_html(std::move(out), page_for(ctx.req, sql));
      type = "text/html; charset=utf-8";
    } else if (as == representation::csv) {
      body = render_query_csv(std::move(out));
      type = "text/csv; charset=utf-8; header=present";
    } else {
      body = render_query_outcome(std::move(out));
    }
    const std::string etag = etag_of(body);
    http::response res;
    if (const auto inm = ctx.req.header("if-none-match"); inm && if_none_match_hits(*inm, etag)) {
      res = http::response::empty(304);
    } else {
      res = http::response::raw(std::move(body), std::move(type));
    }
    res.headers.emplace_back("ETag", etag);
    res.headers.emplace_back("Cache-Control", "no-cache");
    res.headers.emplace_back("Vary", "Accept");
    if (as == representation::html) {
      // No script may run in the page, whatever a value holds; frames (embeds) stay allowed.
      res.headers.emplace_back("Content-Security-Policy",
                               "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
                               "form-action 'none'");
      res.headers.emplace_back("X-Content-Type-Options", "nosniff");
      res.headers.emplace_back("Referrer-Policy", "no-referrer");
    }
    return res;
  });
}

http::response create_db(http::context& ctx) {
  const std::string name = ctx.req.database_param().value_or(std::string());
  nlohmann::json body = {{"success", true}, {"path", name}, {"created", true}};
  if (ctx.req.flag("init_kv", false)) {
    const std::string table = ctx.req.query_param("kv_table").value_or("kv_store");
    ops::validate_kv_table_name(table);
    ops::ensure_kv_tables(*ctx.conn, table);
    body["kv_table"] = table;
  } else {
    body["kv_table"] = nullptr;
  }
  return http::response::json(body, 201);
}

}  // namespace

void register_sql_routes(http::router& router) {
  const std::string p = api_prefix;
  http::route post{
      http::verb::post,
      p + "/db",
      http::access::read_then_write,
      http::db_use::create_if_flagged,
      "Run one atomic SQL transaction: query/statement items with values or valuesBatch",
      post_db};
  // A body bound to fail creates no database file; its error gets reqIdx -1 from error_fields
  // unless parsing named the failing item.
  post.precheck = [](const http::request& req) {
    (void)wants_history(req);
    (void)ops::parse_sql_request(req.json_body());
  };
  post.error_fields = {{"reqIdx", -1}};  // request-level errors, as the spec says
  post.render_error = statement_error_response;
  router.add(std::move(post));
  http::route create{http::verb::post,
                     p + "/db/create",
                     http::access::write,
                     http::db_use::create_new,
                     "Create a database file (optionally with the KV tables: init_kv, kv_table)",
                     create_db};
  create.precheck = [](const http::request& req) {
    if (req.flag("init_kv", false)) {
      ops::validate_kv_table_name(req.query_param("kv_table").value_or("kv_store"));
    }
  };
  router.add(std::move(create));
  http::route query{
      http::verb::get,
      p + "/query",
      http::access::read,
      http::db_use::existing,
      "Run one read-only SELECT/WITH query given as base64 or raw SQL (shareable URL)",
      get_query};
  query.share_link = true;  // exp + sig open it without a token (access_control.hpp)
  router.add(std::move(query));
}

}  // namespace hoody::handlers
