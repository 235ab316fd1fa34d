// GET /openapi.json and /openapi.yaml: the OpenAPI document built from the route table plus the
// one description table below (parameters, bodies, responses per "VERB pattern").
#include "hoody/handlers/openapi.hpp"

#include "hoody/core/error.hpp"
#include "hoody/core/text.hpp"
#include "hoody/handlers/routes.hpp"
#include "hoody/http/access_control.hpp"  // required_level: each operation's token scope

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

namespace hoody::handlers {
namespace {

using nlohmann::json;

std::string api(const std::string& tail) {
  return std::string(api_prefix) + tail;
}

json param(const std::string& name, const std::string& type, const std::string& description,
           bool required = false) {
  return {{"name", name},
          {"in", "query"},
          {"required", required},
          {"description", description},
          {"schema", {{"type", type}}}};
}

json ref(const std::string& schema) {
  return {{"$ref", "#/components/schemas/" + schema}};
}

json json_body(const json& schema, bool required = true) {
  return {{"required", required}, {"content", {{"application/json", {{"schema", schema}}}}}};
}

json ok(const std::string& description, const json& schema) {
  return {{"description", description}, {"content", {{"application/json", {{"schema", schema}}}}}};
}

json object_of(std::initializer_list<std::pair<const char*, json>> props) {
  json p = json::object();
  for (const auto& [name, schema] : props) {
    p[name] = schema;
  }
  return {{"type", "object"}, {"properties", p}};
}

json type(const std::string& t) {
  return {{"type", t}};
}
json array_of(const json& items) {
  return {{"type", "array"}, {"items", items}};
}

// What the route table does not know: extra parameters, body, and the 2xx response.
struct route_doc {
  json parameters = json::array();
  json request_body;  ///< null: none
  json responses;     ///< {"200": {...}}; null → a generic JSON 200
  std::string tag;
};

json kv_common_params() {
  return json::array(
      {param("history", "boolean", "Record the write in the time-travel history (default true)")});
}

json query_history_param() {
  return param("history", "boolean",
               "Record this request in the query history (default true; the console sends "
               "false for its own browse queries)");
}

const json& time_travel_flags() {
  static const json flags = object_of({{"has_gaps", type("boolean")},
                                       {"gap_keys", array_of(type("string"))},
                                       {"candidate_truncated", type("boolean")}});
  return flags;
}

// THE description table. Every route of the router must have an entry (unit-tested).
const std::map<std::string, route_doc>& route_docs() {
  static const std::map<std::string, route_doc> docs = [] {
    std::map<std::string, route_doc> d;
    const json raw_value = {{"description", "The stored value (raw body, its content type)"},
                            {"content", {{"*/*", {{"schema", {{"type", "string"}}}}}}}};
    // ---- health, operations ------------------------------------------------------------
    d["GET " + api("/health")] = {json::array(), nullptr,
                                  json{{"200", ok("Server health", ref("Health"))}}, "operations"};
    d["GET " + api("/readyz")] = {
        json::array(), nullptr,
        json{{"200", ok("Ready: send traffic here (role primary; role replica under --read-only: "
                        "reads only, writes answer 403 READ_ONLY_REPLICA)",
                        ref("Readiness"))},
             {"503", ok("Not ready: starting, draining after SIGTERM (still serving during "
                        "--drain-delay-ms) or a standby (--primary-file missing, role standby)",
                        ref("Readiness"))}},
        "operations"};
    d["GET " + api("/health/cache")] = {json::array(), nullptr,
                                        json{{"200", ok("Cache statistics", ref("CacheStats"))}},
                                        "operations"};
    d["POST " + api("/maintenance")] = {
        json::array(
            {param("timeout", "number", "Statement time limit in seconds (1-300, default 60)")}),
        json_body(ref("MaintenanceRequest")),
        json{{"200", ok("The operation's result", ref("MaintenanceResponse"))}}, "operations"};
    d["GET " + api("/openapi.json")] = {
        json::array(), nullptr, json{{"200", ok("This document", type("object"))}}, "operations"};
    d["GET " + api("/openapi.yaml")] = {
        json::array(), nullptr,
        json{{"200",
              {{"description", "This document as YAML"},
               {"content", {{"application/yaml", {{"schema", type("string")}}}}}}}},
        "operations"};
    d["GET /metrics"] = {json::array(), nullptr,
                         json{{"200",
                               {{"description", "Prometheus text exposition format 0.0.4"},
                                {"content", {{"text/plain", {{"schema", type("string")}}}}}}}},
                         "operations"};
    // ---- SQL -------------------------------------------------------------------------------
    d["POST " + api("/db")] = {
        json::array({query_history_param()}), json_body(ref("TransactionRequest")),
        json{{"200", ok("One result per item, in order", ref("TransactionResponse"))}}, "sql"};
    d["POST " + api("/db/create")] = {
        json::array({param("path", "string", "Database name (alias of db)"),
                     param("init_kv", "boolean", "Also create the KV table and its history"),
                     param("kv_table", "string", "KV table name for init_kv (default kv_store)")}),
        nullptr,
        json{{"201", ok("Created", object_of({{"created", type("boolean")},
                                              {"path", type("string")},
                                              {"kv_table", type("string")},
                                              {"success", type("boolean")}}))}},
        "sql"};
    json query_rows =
        ok("Rows (JSON unless format or Accept asks otherwise)", ref("QueryResponse"));
    query_rows["content"]["text/html"] = {{"schema", type("string")}};
    query_rows["content"]["text/csv"] = {{"schema", type("string")}};
    d["GET " + api("/query")] = {
        json::array({param("sql", "string",
                           "Read-only SELECT/WITH, base64 (URL-safe or standard, padding "
                           "optional) or raw SQL",
                           true),
                     {{"name", "format"},
                      {"in", "query"},
                      {"required", false},
                      {"description",
                       "json (the default), html (a styled result page) or csv (RFC 4180); "
                       "without it, an Accept header listing text/html before application/json "
                       "gets html"},
                      {"schema", {{"type", "string"}, {"enum", {"json", "html", "csv"}}}}},
                     query_history_param()}),
        nullptr, json{{"200", query_rows}}, "sql"};
    json export_rows;
    export_rows["description"] =
        "The rows, streamed (Content-Disposition: attachment): CSV (RFC 4180, a header line) "
        "or a JSON array of row objects";
    export_rows["content"]["text/csv"] = {{"schema", type("string")}};
    export_rows["content"]["application/json"] = {{"schema", array_of(type("object"))}};
    d["GET " + api("/export")] = {
        json::array({param("table", "string", "The table or view to export", true),
                     {{"name", "format"},
                      {"in", "query"},
                      {"required", false},
                      {"description", "csv (the default) or json"},
                      {"schema", {{"type", "string"}, {"enum", {"csv", "json"}}}}}}),
        nullptr, json{{"200", export_rows}}, "sql"};
    d["GET " + api("/databases")] = {
        json::array(
            {param("limit", "integer", "At most this many databases (1-10000, default 1000)")}),
        nullptr,
        json{{"200", ok("The SQLite databases of the data directory", ref("DatabaseList"))}},
        "sql"};
    d["POST " + api("/share")] = {
        json::array(),
        json_body(object_of(
            {{"sql", type("string")},
             {"ttl",
              {{"type", "integer"}, {"minimum", 1}, {"maximum", 2592000}, {"default", 3600}}}})),
        json{{"200", ok("A link for GET /query that needs no token until exp",
                        object_of({{"url", type("string")},
                                   {"db", type("string")},
                                   {"exp", type("integer")},
                                   {"sig", type("string")}}))}},
        "sql"};
    d["GET " + api("/history")] = {
        json::array({param("limit", "integer", "Entries (default 100, max 1000)")}), nullptr,
        json{{"200", ok("Executed SQL, newest first",
                        object_of({{"history", array_of(ref("QueryHistoryEntry"))}}))}},
        "sql"};
    d["DELETE " + api("/history")] = {json::array(), nullptr, nullptr, "sql"};
    d["GET " + api("/history/stats")] = {json::array(), nullptr, nullptr, "sql"};
    d["DELETE " + api("/history/{index}")] = {json::array(), nullptr, nullptr, "sql"};
    // ---- KV --------------------------------------------------------------------------------
    d["GET " + api("/kv/{key}")] = {
        json::array({param("path", "string", "JSON path a.b.0: return only that leaf"),
                     param("at_timestamp", "number",
                           "Unix seconds: time-travel read (envelope with op_number)"),
                     param("rebuild", "boolean", "Directory mode only: rescan the index first")}),
        nullptr, json{{"200", raw_value}}, "kv"};
    d["HEAD " + api("/kv/{key}")] = {json::array(), nullptr,
                                     json{{"200", {{"description", "The key is live"}}}}, "kv"};
    auto put_params = kv_common_params();
    put_params.push_back(param("ttl", "integer", "Seconds until expiry (0 = none)"));
    put_params.push_back(param("if_match", "string", "Compare-and-swap: the exact current value"));
    put_params.push_back(param("path", "string", "Replace only this JSON leaf"));
    put_params.push_back(param("content_type", "string", "Stored content type"));
    d["PUT " + api("/kv/{key}")] = {
        put_params,
        {{"required", true}, {"content", {{"*/*", {{"schema", type("string")}}}}}},
        json{{"200", ok("Stored", object_of({{"success", type("boolean")},
                                             {"key", type("string")},
                                             {"op_number", type("integer")}}))}},
        "kv"};
    d["DELETE " + api("/kv/{key}")] = {
        kv_common_params(), nullptr,
        json{{"200", ok("Deleted",
                        object_of({{"success", type("boolean")}, {"deleted", type("boolean")}}))}},
        "kv"};
    d["GET " + api("/kv")] = {
        json::array({param("prefix", "string", "Literal key prefix"),
                     param("limit", "integer", "1-10,000 (default 100)"),
                     param("offset", "integer", "Rows to skip (a row offset, not a page)"),
                     param("at_timestamp", "number", "Unix seconds: keys live at that time"),
                     param("rebuild", "boolean", "Directory mode only: rescan the index first")}),
        nullptr,
        json{{"200", ok("Keys", object_of({{"items",
                                            array_of(object_of({{"key", type("string")},
                                                                {"value", type("string")},
                                                                {"truncated", type("boolean")},
                                                                {"encoding", type("string")},
                                                                {"content_type", type("string")},
                                                                {"size", type("integer")},
                                                                {"updated_at", type("integer")},
                                                                {"expires_at", type("integer")},
                                                                {"created_at", type("integer")}}))},
                                           {"count", type("integer")},
                                           {"total", type("integer")},
                                           {"limit", type("integer")},
                                           {"offset", type("integer")},
                                           {"has_more", type("boolean")},
                                           {"success", type("boolean")}}))}},
        "kv"};
    auto atomic_params = kv_common_params();
    atomic_params.push_back(param("path", "string", "Operate on this JSON leaf"));
    auto counter_params = atomic_params;
    counter_params.push_back(param("delta", "integer", "Positive integer (default 1)"));
    const json counter_result = object_of({{"success", type("boolean")},
                                           {"key", type("string")},
                                           {"value", type("integer")},
                                           {"op_number", type("integer")}});
    const json array_result = object_of({{"success", type("boolean")},
                                         {"key", type("string")},
                                         {"value", json::object()},
                                         {"length", type("integer")},
                                         {"op_number", type("integer")}});
    // push: the whole body is the element (any JSON); {"value": x} is unwrapped.
    const json value_body = json_body(json::object());
    d["POST " + api("/kv/{key}/incr")] = {counter_params, nullptr,
                                          json{{"200", ok("New value", counter_result)}}, "kv"};
    d["POST " + api("/kv/{key}/decr")] = {counter_params, nullptr,
                                          json{{"200", ok("New value", counter_result)}}, "kv"};
    d["POST " + api("/kv/{key}/push")] = {atomic_params, value_body,
                                          json{{"200", ok("New length", array_result)}}, "kv"};
    d["POST " + api("/kv/{key}/pop")] = {atomic_params, nullptr,
                                         json{{"200", ok("Popped element", array_result)}}, "kv"};
    auto remove_params = atomic_params;
    remove_params.push_back(param("index", "integer", "Remove this index (negative: from end)"));
    d["POST " + api("/kv/{key}/remove")] = {remove_params, json_body(json::object(), false),
                                            json{{"200", ok("Removed element", array_result)}},
                                            "kv"};
    d["POST " + api("/kv/batch/get")] = {
        json::array(), json_body(object_of({{"keys", array_of(type("string"))}})),
        json{{"200", ok("Per key {value, content_type} or null",
                        object_of({{"results", type("object")},
                                   {"count", type("integer")},
                                   {"found", type("integer")},
                                   {"success", type("boolean")}}))}},
        "kv"};
    d["POST " + api("/kv/batch/set")] = {
        kv_common_params(),
        json_body(object_of({{"items", array_of(object_of({{"key", type("string")},
                                                           {"value", type("string")},
                                                           {"content_type", type("string")},
                                                           {"ttl", type("integer")}}))},
                             {"batch", array_of(object_of({{"key", type("string")},
                                                           {"value", json::object()}}))}})),
        json{{"200",
              ok("Stored", object_of({{"success", type("boolean")}, {"count", type("integer")}}))}},
        "kv"};
    d["POST " + api("/kv/batch/delete")] = {
        kv_common_params(), json_body(object_of({{"keys", array_of(type("string"))}})),
        json{{"200", ok("Deleted",
                        object_of({{"deleted", type("integer")}, {"success", type("boolean")}}))}},
        "kv"};
    d["POST " + api("/kv/batch/expire")] = {
        kv_common_params(),
        json_body(object_of({{"keys", array_of(type("string"))}, {"ttl", type("integer")}})),
        json{{"200", ok("Updated",
                        object_of({{"updated", type("integer")}, {"success", type("boolean")}}))}},
        "kv"};
    // ---- time travel -----------------------------------------------------------------------
    d["GET " + api("/kv/{key}/history")] = {
        json::array({param("limit", "integer", "Operations (0 → 50, max 1000)"),
                     param("before", "integer", "Only operations with a smaller op_number")}),
        nullptr,
        json{{"200",
              ok("Newest first", object_of({{"operations", array_of(ref("HistoryOperation"))}}))}},
        "time-travel"};
    d["GET " + api("/kv/{key}/snapshot")] = {
        json::array({param("op_number", "integer", "The operation", true)}), nullptr,
        json{{"200", ok("The key's value right after op_number",
                        object_of({{"value", json::object()},
                                   {"op_number", type("integer")},
                                   {"content_type", type("string")},
                                   {"success", type("boolean")}}))}},
        "time-travel"};
    d["POST " + api("/kv/{key}/rollback")] = {
        json::array({param("steps", "integer", "Operations to undo (default 1)")}), nullptr,
        nullptr, "time-travel"};
    json snapshot = time_travel_flags();
    snapshot["properties"]["items"] = array_of(type("object"));
    snapshot["properties"]["timestamp"] = type("number");
    d["GET " + api("/kv/snapshot")] = {
        json::array({param("timestamp", "number", "Unix seconds", true),
                     param("prefix", "string", "Literal key prefix"),
                     param("limit", "integer", "Keys")}),
        nullptr, json{{"200", ok("The table as of timestamp", snapshot)}}, "time-travel"};
    json diff = time_travel_flags();
    diff["properties"]["stats"] = object_of({{"created", type("integer")},
                                             {"modified", type("integer")},
                                             {"deleted", type("integer")}});
    diff["properties"]["changes"] = array_of(type("object"));
    d["GET " + api("/kv/diff")] = {
        json::array({param("from", "number", "Unix seconds", true),
                     param("to", "number", "Unix seconds", true),
                     param("keys", "string", "Comma-separated keys (default: all)")}),
        nullptr, json{{"200", ok("Changes between from and to", diff)}}, "time-travel"};
    d["POST " + api("/kv/rollback")] = {
        json::array({param("to_timestamp", "number", "Unix seconds", true),
                     param("confirm", "string", "yes applies; anything else previews"),
                     param("dry_run", "boolean", "Preview only")}),
        json_body(object_of({{"keys", array_of(type("string"))},
                             {"exclude_keys", array_of(type("string"))}}),
                  false),
        nullptr, "time-travel"};
    // ---- change feed -----------------------------------------------------------------------
    const json sse = {
        {"description",
         "Server-Sent Events: `id: <seq>`, `event: change|gap`, `data: <event JSON>`; control "
         "events `dropped`, `compacted`, `shutdown`, `error` end the stream (docs/watch.md). "
         "With `wait`: one JSON answer {events, count, last_seq, timed_out}"},
        {"content",
         {{"text/event-stream", {{"schema", type("string")}}},
          {"application/json",
           {{"schema", object_of({{"events", array_of(type("object"))},
                                  {"count", type("integer")},
                                  {"last_seq", type("integer")},
                                  {"timed_out", type("boolean")}})}}}}}};
    d["GET " + api("/kv/watch")] = {
        json::array(
            {param("table", "string", "KV table (default kv_store)"),
             param("prefix", "string", "Only keys starting with this"),
             param("keys", "string", "Only these keys (comma-separated)"),
             param("since", "integer",
                   "Replay the changes after this seq, then follow (Last-Event-ID wins)"),
             param("wait", "integer", "Long poll: answer JSON within this many seconds (0-60)"),
             param("limit", "integer", "Long poll: at most this many events (1-1000)")}),
        nullptr,
        json{{"200", sse},
             {"409",
              ok("since is below the retention horizon (HISTORY_COMPACTED)", type("object"))}},
        "kv"};
    // ---- web UI ----------------------------------------------------------------------------
    const json html = {{"description", "A file of the web UI"},
                       {"content", {{"text/html", {{"schema", type("string")}}}}}};
    d["GET /"] = {json::array(), nullptr, json{{"200", html}}, "ui"};
    d["GET /{file}"] = {json::array(), nullptr, json{{"200", html}}, "ui"};
    d["GET /js/{file}"] = {json::array(), nullptr, json{{"200", html}}, "ui"};
    return d;
  }();
  return docs;
}

json components() {
  json s;
  s["Error"] =
      object_of({{"error", type("string")}, {"code", type("string")}, {"reqIdx", type("integer")}});
  s["Error"]["required"] = {"error"};
  s["TransactionItem"] = object_of({{"query", type("string")},
                                    {"statement", type("string")},
                                    {"sql", type("string")},
                                    {"values", json{{"oneOf", {type("array"), type("object")}}}},
                                    {"valuesBatch", array_of(json::object())},
                                    {"noFail", type("boolean")}});
  s["TransactionRequest"] =
      object_of({{"resultFormat", {{"type", "string"}, {"enum", {"map", "list"}}}},
                 {"transaction", array_of(ref("TransactionItem"))}});
  s["TransactionRequest"]["required"] = {"transaction"};
  s["ItemResult"] = object_of({{"success", type("boolean")},
                               {"resultHeaders", array_of(type("string"))},
                               {"resultSet", array_of(type("object"))},
                               {"resultSetList", array_of(type("array"))},
                               {"truncated", type("boolean")},
                               {"rowsUpdated", type("integer")},
                               {"rowsUpdatedBatch", array_of(type("integer"))},
                               {"rowErrors", array_of(type("object"))},
                               {"error", type("string")}});
  s["TransactionResponse"] = object_of({{"results", array_of(ref("ItemResult"))}});
  s["DatabaseList"] =
      object_of({{"databases", array_of(object_of({{"name", type("string")},
                                                   {"file", type("string")},
                                                   {"size", type("integer")},
                                                   {"modified", type("string")},
                                                   {"modified_ms", type("integer")}}))},
                 {"count", type("integer")},
                 {"truncated", type("boolean")}});
  s["QueryResponse"] = object_of({{"columns", array_of(type("string"))},
                                  {"resultSet", array_of(type("object"))},
                                  {"rowCount", type("integer")},
                                  {"truncated", type("boolean")}});
  s["QueryHistoryEntry"] = object_of({{"sql", type("string")},
                                      {"timestamp", type("number")},
                                      {"duration_ms", type("number")},
                                      {"success", type("boolean")},
                                      {"error", type("string")}});
  s["HistoryOperation"] = object_of({{"op_number", type("integer")},
                                     {"operation", object_of({{"op", type("string")},
                                                              {"old_value", json::object()},
                                                              {"new_value", json::object()},
                                                              {"raw_old_value", type("string")},
                                                              {"raw_new_value", type("string")}})},
                                     {"timestamp", type("number")}});
  s["CacheStats"] = object_of({{"open", type("integer")},
                               {"max_open", type("integer")},
                               {"hits", type("integer")},
                               {"misses", type("integer")},
                               {"evictions", type("integer")}});
  s["Health"] = object_of({{"status", type("string")},
                           {"service", type("string")},
                           {"version", type("string")},
                           {"pid", type("integer")},
                           {"uptime_seconds", type("number")},
                           {"cache", ref("CacheStats")}});
  s["Readiness"] = object_of({{"status", type("string")},
                              {"ready", type("boolean")},
                              {"role", type("string")},
                              {"reason", type("string")}});
  s["MaintenanceRequest"] = object_of(
      {{"op",
        {{"type", "string"}, {"enum", {"wal_checkpoint_truncate", "vacuum_into", "quick_check"}}}},
       {"dest_path", type("string")}});
  s["MaintenanceRequest"]["required"] = {"op"};
  s["MaintenanceResponse"] = object_of({{"success", type("boolean")},
                                        {"op", type("string")},
                                        {"mode", type("string")},
                                        {"timeout", type("number")},
                                        {"ok", type("boolean")},
                                        {"result", array_of(type("string"))},
                                        {"busy", type("integer")},
                                        {"log", type("integer")},
                                        {"checkpointed", type("integer")},
                                        {"complete", type("boolean")},
                                        {"dest_path", type("string")},
                                        {"size_bytes", type("integer")}});
  const json bearer = {
      {"type", "http"},
      {"scheme", "bearer"},
      {"description",
       "--auth-token (everything), --read-only-token (GET/HEAD), or a JWT (HS256 or EdDSA, "
       "verified with --jwt-key-file) with claims db (names or prefix*) and access "
       "(read|write|admin): see x-hoody-access on each operation and docs/security.md"}};
  const auto share_param = [](const char* name, const char* what) {
    return json{{"type", "apiKey"}, {"in", "query"}, {"name", name}, {"description", what}};
  };
  return {{"schemas", s},
          {"securitySchemes",
           {{"bearerAuth", bearer},
            {"shareLinkSig", share_param("sig", "Share link: HMAC-SHA256 over db, sql and exp")},
            {"shareLinkExp", share_param("exp", "Share link: expiry, Unix seconds")}}}};
}

std::string doc_key(http::verb v, const std::string& pattern) {
  return std::string(to_string(v)) + " " + pattern;
}

json operation_for(const http::route& r, const route_doc* doc, std::string_view verb_name) {
  json op;
  op["summary"] = r.summary;
  op["operationId"] = ascii_lowercase(verb_name) + http::public_pattern(r.pattern);
  json params = json::array();
  // Path captures.
  std::string_view rest = r.pattern;
  while (true) {
    const auto open = rest.find('{');
    if (open == std::string_view::npos) {
      break;
    }
    const auto close = rest.find('}', open);
    std::string name(rest.substr(open + 1, close - open - 1));
    const bool spans = !name.empty() && name.back() == '+';
    if (spans) {
      name.pop_back();
    }
    params.push_back(
        {{"name", name},
         {"in", "path"},
         {"required", true},
         {"description", spans ? "Percent-encoded (\":\" as %3A); may contain \"/\" (a last "
                                 "segment naming a sub-route of the verb needs %2F)"
                               : "Percent-encoded (\"/\" as %2F, \":\" as %3A)"},
         {"schema", {{"type", "string"}}}});
    rest = rest.substr(close + 1);
  }
  if (r.db != http::db_use::none) {
    params.push_back(param("db", "string",
                           r.on_directory
                               ? "Database: bare name → <data-dir>/<name>.db (alias: "
                                 "path); an absolute directory: directory mode"
                               : "Database: bare name → <data-dir>/<name>.db (alias: path)",
                           r.db != http::db_use::create_new));
  }
  if (r.pattern.find("/kv") != std::string::npos) {
    params.push_back(param("table", "string", "KV table (default kv_store)"));
  }
  if (r.db == http::db_use::create_if_flagged) {
    params.push_back(param("create_db_if_missing", "boolean", "Create the database if missing"));
    params.push_back(param("auto_create", "boolean", "Alias of create_db_if_missing"));
  }
  if (doc != nullptr) {
    for (const auto& p : doc->parameters) {
      params.push_back(p);
    }
    if (!doc->request_body.is_null()) {
      op["requestBody"] = doc->request_body;
    }
    if (!doc->tag.empty()) {
      op["tags"] = {doc->tag};
    }
  }
  if (!params.empty()) {
    op["parameters"] = params;
  }
  json responses = doc != nullptr && !doc->responses.is_null()
                       ? doc->responses
                       : json{{"200", ok("Success", type("object"))}};
  responses["default"] = ok("Error envelope", ref("Error"));
  op["responses"] = responses;
  if (r.open) {
    op["security"] = json::array();  // no token needed
  } else {
    op["x-hoody-access"] = std::string(http::auth::to_string(http::required_level(r, {})));
  }
  if (r.share_link) {
    op["security"] =
        json::array({{{"bearerAuth", json::array()}},
                     {{"shareLinkSig", json::array()}, {"shareLinkExp", json::array()}},
                     json::object()});
    op["parameters"].push_back(param("exp", "integer", "Share link expiry (Unix seconds)"));
    op["parameters"].push_back(param("sig", "string", "Share link signature (POST /share)"));
  }
  return op;
}

}  // namespace

json openapi_document(const http::router& routes) {
  json paths = json::object();
  const auto& docs = route_docs();
  for (const auto& r : routes.routes()) {
    const std::string path = http::public_pattern(r.pattern);
    const auto key = doc_key(r.method, path);
    const auto it = docs.find(key);
    const route_doc* doc = it == docs.end() ? nullptr : &it->second;
    paths[path][ascii_lowercase(to_string(r.method))] = operation_for(r, doc, to_string(r.method));
    // HEAD is served by the GET route; documented where the table has an entry for it.
    if (r.method == http::verb::get) {
      const auto head = docs.find(doc_key(http::verb::head, path));
      if (head != docs.end()) {
        auto op = operation_for(r, &head->second, "HEAD");
        op["summary"] = "Whether the key exists (200) or not (404); no body";
        paths[path]["head"] = op;
      }
    }
  }
  return {{"openapi", "3.0.3"},
          {"info",
           {{"title", "hoody-sqlite"},
            {"version", HOODY_VERSION},
            {"description",
             "SQLite databases over HTTP: SQL transactions, a key-value store with time travel. "
             "Errors are JSON {\"error\", \"code\", ...}. See docs/api.md."}}},
          {"servers", json::array({{{"url", "/"}}})},
          {"security", json::array({{{"bearerAuth", json::array()}}, json::object()})},
          {"paths", paths},
          {"components", components()}};
}

std::vector<std::string> undocumented_routes(const http::router& routes) {
  std::vector<std::string> out;
  for (const auto& r : routes.routes()) {
    const auto key = doc_key(r.method, http::public_pattern(r.pattern));
    if (route_docs().count(key) == 0) {
      out.push_back(key);
    }
  }
  return out;
}

std::vector<std::string> stale_route_docs(const http::router& routes) {
  std::set<std::string> known;
  for (const auto& r : routes.routes()) {
    known.insert(doc_key(r.method, http::public_pattern(r.pattern)));
    if (r.method == http::verb::get) {
      known.insert(doc_key(http::verb::head, http::public_pattern(r.pattern)));
    }
  }
  std::vector<std::string> out;
  for (const auto& [key, doc] : route_docs()) {
    if (known.count(key) == 0) {
      out.push_back(key);
    }
  }
  return out;
}

// ---- JSON → YAML --------------------------------------------------------------------------

namespace {

bool needs_quotes(const std::string& s) {
  if (s.empty()) {
    return true;
  }
  static const std::set<std::string> reserved = {"true", "false", "null", "yes",   "no",    "on",
                                                 "off",  "~",     "True", "False", "Null",  "Yes",
                                                 "No",   "On",    "Off",  "TRUE",  "FALSE", "NULL"};
  if (reserved.count(s) != 0) {
    return true;
  }
  // Anything that could parse as a number, or starts/ends with an indicator or space.
  const char first = s.front();
  if (std::string_view("-?:,[]{}#&*!|>'\"%@`0123456789.+ ").find(first) != std::string_view::npos) {
    return true;
  }
  if (s.back() == ' ' || s.back() == ':') {
    return true;
  }
  for (const char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '#' || c == ':' || c == '"' || c == '\\' ||
        c == '\'') {
      return true;
    }
  }
  return false;
}

std::string scalar(const json& v) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    return needs_quotes(s) ? json(s).dump() : s;  // JSON strings are valid YAML double-quoted
  }
  return v.dump();  // numbers, booleans, null
}

void emit(const json& v, int indent, std::string& out);

void emit_child(const json& v, int indent, std::string& out) {
  if ((v.is_object() || v.is_array()) && !v.empty()) {
    out += '\n';
    emit(v, indent, out);
  } else if (v.is_object()) {
    out += " {}\n";
  } else if (v.is_array()) {
    out += " []\n";
  } else {
    out += ' ';
    out += scalar(v);
    out += '\n';
  }
}

void emit(const json& v, int indent, std::string& out) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  if (v.is_object()) {
    for (const auto& [key, value] : v.items()) {
      out += pad;
      out += needs_quotes(key) ? json(key).dump() : key;
      out += ':';
      emit_child(value, indent + 2, out);
    }
  } else if (v.is_array()) {
    for (const auto& item : v) {
      out += pad;
      out += '-';
      if (item.is_object() && !item.empty()) {
        // "- key: value" with the rest of the object aligned under the first key.
        std::string nested;
        emit(item, indent + 2, nested);
        out += ' ';
        out += nested.substr(static_cast<std::size_t>(indent) + 2);
      } else {
        emit_child(item, indent + 2, out);
      }
    }
  } else {
    out += pad;
    out += scalar(v);
    out += '\n';
  }
}

const json& cached_document(const http::router& routes) {
  static const json doc = openapi_document(routes);
  return doc;
}

}  // namespace

std::string json_to_yaml(const nlohmann::json& value) {
  std::string out;
  if ((value.is_object() || value.is_array()) && !value.empty()) {
    emit(value, 0, out);
  } else {
    out = (value.is_object() ? std::string("{}") : value.is_array() ? "[]" : scalar(value)) + "\n";
  }
  return out;
}

void register_openapi_routes(http::router& router) {
  // The document is built on first request from the finished route table.
  const http::router* table = &router;
  router.add({http::verb::get, api("/openapi.json"), http::access::none, http::db_use::none,
              "The OpenAPI 3 document of this API (JSON)", [table](http::context&) {
                static const std::string body = cached_document(*table).dump(2);
                return http::response::raw(body, "application/json");
              }});
  router.add({http::verb::get, api("/openapi.yaml"), http::access::none, http::db_use::none,
              "The OpenAPI 3 document of this API (YAML)", [table](http::context&) {
                static const std::string body = json_to_yaml(cached_document(*table));
                return http::response::raw(body, "application/yaml; charset=utf-8");
              }});
}

}  // namespace hoody::handlers
