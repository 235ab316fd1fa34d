// The key-value store (see hoody/ops/kv.hpp and docs/kv.md).
#include "hoody/ops/kv.hpp"

#include "hoody/core/clock.hpp"
#include "hoody/core/error.hpp"
#include "hoody/core/json_limits.hpp"
#include "hoody/core/text.hpp"
#include "hoody/ops/base64.hpp"
#include "hoody/ops/utf8.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <unordered_set>

namespace hoody::ops {
namespace {

using nlohmann::json;

std::string quoted_key(std::string_view key) {
  return "'" + std::string(key) + "'";
}

[[noreturn]] void key_not_found() {
  throw api_error(errc::key_not_found, "Key not found");
}

/// Parses client or stored JSON; discarded when invalid or nested deeper than max_json_depth
/// (deeper documents would overflow the stack when copied or dumped).
json parse_bounded(std::string_view text) {
  if (json_too_deep(text) || text.find('\0') != std::string_view::npos) {
    return json(json::value_t::discarded);
  }
  return json::parse(text, nullptr, false);
}

/// A JSON text the client sent as a value: refuses nesting beyond max_json_depth.
bool accept_bounded(std::string_view text) {
  // nlohmann stops at a NUL byte as if the input ended there: "1\0junk" is not JSON.
  if (text.find('\0') != std::string_view::npos || !json::accept(text)) {
    return false;
  }
  if (json_too_deep(text)) {
    throw api_error(errc::invalid_json, "Invalid JSON body: nested deeper than " +
                                            std::to_string(max_json_depth) + " levels");
  }
  return true;
}

/// Parses a stored value as JSON; 400 when it is not JSON.
json parse_stored_json(const kv_entry& entry) {
  json doc = parse_bounded(entry.value.value);
  if (doc.is_discarded()) {
    throw api_error(errc::bad_request,
                    "Value at key " + quoted_key(entry.key) + " is not JSON; cannot use path");
  }
  return doc;
}

/// A fresh document for a path write on a missing key.
json empty_doc_for(const json_path& path) {
  return !path.segments.empty() && path.segments.front().bracket ? json::array() : json::object();
}

std::optional<std::int64_t> parse_int64(std::string_view text) {
  text = trim(text);
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);
  }
  if (text.empty()) {
    return std::nullopt;
  }
  std::int64_t v = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc{} || r.ptr != text.data() + text.size()) {
    return std::nullopt;
  }
  return v;
}

std::optional<std::int64_t> expiry_from_ttl(std::optional<std::int64_t> ttl_s, std::int64_t now) {
  if (!ttl_s || *ttl_s == 0) {
    return std::nullopt;
  }
  return now + *ttl_s * 1000;
}

std::string q(std::string_view table) {
  return db::quote_identifier(table);
}

std::optional<kv_entry> load_live(db::connection& conn, std::string_view table,
                                  std::string_view key, std::int64_t now) {
  auto& stmt = conn.cached(
      "SELECT value, content_type, expires_at, created_at, updated_at, version "
      "FROM " +
      q(table) + " WHERE key = ?1 AND (expires_at IS NULL OR expires_at > ?2)");
  db::statement_reset_guard guard(stmt);
  stmt.bind_text(1, key);
  stmt.bind_int64(2, now);
  if (!stmt.step()) {
    return std::nullopt;
  }
  kv_entry e;
  e.key = std::string(key);
  e.value.value = std::string(stmt.column_bytes(0));
  e.value.content_type = std::string(stmt.column_text(1));
  e.value.expires_at_ms = stmt.column_optional_int64(2);
  e.created_at_ms = stmt.column_int64(3);
  e.updated_at_ms = stmt.column_int64(4);
  e.version = stmt.column_int64(5);
  return e;
}

/// Records the change and stores `after` for `key`. Returns the op_number.
std::int64_t write_value(db::connection& conn, const kv_scope& scope, std::string_view key,
                         std::string_view op, const std::optional<kv_entry>& before,
                         const kv_value& after, std::int64_t now) {
  if (after.value.size() > scope.max_value_bytes) {
    throw api_error(errc::payload_too_large,
                    "Value too large: " + std::to_string(after.value.size()) + " bytes (limit " +
                        std::to_string(scope.max_value_bytes) + ")");
  }
  kv_change change;
  change.key = key;
  change.op = op;
  if (before) {
    change.before = before->value;
  }
  change.after = after;
  change.ts_ms = now;
  const std::int64_t op_number = record_change(conn, scope.table, change, scope.history);
  auto& stmt =
      conn.cached("INSERT INTO " + q(scope.table) +
                  " (key, value, content_type, expires_at, created_at, updated_at, version)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(key) DO UPDATE SET"
                  " value = excluded.value, content_type = excluded.content_type,"
                  " expires_at = excluded.expires_at, created_at = excluded.created_at,"
                  " updated_at = excluded.updated_at, version = excluded.version");
  db::statement_reset_guard guard(stmt);
  stmt.bind_text(1, key);
  bind_kv_value(stmt, 2, after.value, after.content_type);
  stmt.bind_text(3, after.content_type);
  stmt.bind_optional_int64(4, after.expires_at_ms);
  stmt.bind_int64(5, before ? before->created_at_ms : now);
  stmt.bind_int64(6, now);
  stmt.bind_int64(7, op_number);
  stmt.run();
  return op_number;
}

/// Records the deletion of the live `before` and removes the row.
std::int64_t erase_value(db::connection& conn, const kv_scope& scope, std::string_view op,
                         const kv_entry& before, std::int64_t now) {
  kv_change change;
  change.key = before.key;
  change.op = op;
  change.before = before.value;
  change.ts_ms = now;
  const std::int64_t op_number = record_change(conn, scope.table, change, scope.history);
  auto& stmt = conn.cached("DELETE FROM " + q(scope.table) + " WHERE key = ?1");
  db::statement_reset_guard guard(stmt);
  stmt.bind_text(1, before.key);
  stmt.run();
  return op_number;
}

/// Common start of a write: validated key, tables present, current live entry.
struct write_ctx {
  std::int64_t now;
  std::optional<kv_entry> before;
};

write_ctx begin_write(db::connection& conn, const kv_scope& scope, std::string_view key) {
  validate_key(key);
  validate_kv_table_name(scope.table);
  ensure_kv_tables(conn, scope.table);
  const std::int64_t now = unix_now_ms();
  return {now, load_live(conn, scope.table, key, now)};
}

std::string path_label(const std::optional<json_path>& path, std::string_view key) {
  return path ? "path '" + path->text + "'" : "key " + quoted_key(key);
}

/// The JSON document of a JSON write on `key` (existing value parsed, or a fresh one).
json doc_for_write(const write_ctx& w, const std::optional<json_path>& path, json fresh_root) {
  if (!w.before) {
    return path ? empty_doc_for(*path) : std::move(fresh_root);
  }
  json doc = parse_bounded(w.before->value.value);
  if (doc.is_discarded()) {
    if (path) {
      throw api_error(errc::bad_request, "Value at key " + quoted_key(w.before->key) +
                                             " is not JSON; cannot use path");
    }
    return json();  // discarded: the caller reports the type error
  }
  return doc;
}

/// Loads the array a pop/remove works on: the key must exist, the leaf must be an array.
json& existing_array(json& doc, std::string_view key, const std::optional<json_path>& path) {
  json* target = &doc;
  if (path) {
    const json* found = json_path_find(doc, *path);
    if (found == nullptr) {
      throw api_error(errc::key_not_found, "Path not found");
    }
    target = const_cast<json*>(found);  // NOLINT: `doc` is ours and mutable
  }
  if (!target->is_array()) {
    throw api_error(errc::bad_request,
                    "Value at " + path_label(path, key) + " is not a JSON array");
  }
  return *target;
}

kv_value json_after(const json& doc, const write_ctx& w) {
  return {doc.dump(), "application/json", w.before ? w.before->value.expires_at_ms : std::nullopt};
}

std::string successor(std::string prefix) {
  while (!prefix.empty()) {
    auto c = static_cast<unsigned char>(prefix.back());
    if (c < 0xFF) {
      prefix.back() = static_cast<char>(c + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return prefix;  // empty: no upper bound
}

std::string json_type_error(const std::string& what, std::size_t index) {
  return "items[" + std::to_string(index) + "]: " + what;
}

}  // namespace

void validate_key(std::string_view key) {
  if (key.empty()) {
    throw api_error(errc::bad_request, "Key must not be empty");
  }
  if (trim(key).empty()) {
    throw api_error(errc::bad_request, "Key must not be empty or whitespace-only");
  }
  if (key.size() > max_key_bytes) {
    throw api_error(errc::bad_request, "Key too long: " + std::to_string(key.size()) +
                                           " bytes (maximum " + std::to_string(max_key_bytes) +
                                           ")");
  }
  if (key.find('\0') != std::string_view::npos) {
    throw api_error(errc::bad_request, "Key must not contain NUL characters");
  }
  if (!is_valid_utf8(key)) {
    throw api_error(errc::bad_request, "Key must be valid UTF-8");
  }
}

std::int64_t parse_ttl(std::string_view text) {
  const std::string msg = "ttl must be a non-negative integer number of seconds";
  if (text.empty() || text.size() > 18 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    throw api_error(errc::bad_request, msg);
  }
  const auto v = parse_int64(text);
  if (!v || *v < 0) {
    throw api_error(errc::bad_request, msg);
  }
  if (*v > max_ttl_seconds) {
    throw api_error(errc::bad_request,
                    "ttl must be at most " + std::to_string(max_ttl_seconds) + " seconds");
  }
  return *v;
}

void validate_content_type(std::string_view content_type) {
  const bool printable = std::all_of(content_type.begin(), content_type.end(),
                                     [](char ch) { return ch >= 0x20 && ch <= 0x7e; });
  if (content_type.empty() || content_type.size() > 255 || !printable) {
    throw api_error(
        errc::bad_request,
        "content_type must be 1-255 printable ASCII characters (no control characters)");
  }
}

std::string infer_content_type(const std::optional<std::string>& header, std::string_view body) {
  std::string given = header ? std::string(trim(*header)) : std::string();
  const std::string base =
      ascii_lowercase(trim(std::string_view(given).substr(0, given.find(';'))));
  // No usable header (also curl's default form type and wildcards): sniff the body.
  if (base.empty() || base == "application/x-www-form-urlencoded" || base == "*/*") {
    if (accept_bounded(body)) {
      return "application/json";
    }
    return is_valid_utf8(body) ? "text/plain" : "application/octet-stream";
  }
  if (base == "application/json" || base.ends_with("+json")) {
    if (!accept_bounded(body)) {
      return "text/plain";
    }
    return base == "application/json" ? "application/json" : given;
  }
  return given;
}

std::optional<kv_entry> kv_get(db::connection& conn, std::string_view table, std::string_view key) {
  validate_key(key);
  validate_kv_table_name(table);
  if (!kv_tables_exist(conn, table)) {
    return std::nullopt;
  }
  return load_live(conn, table, key, unix_now_ms());
}

nlohmann::json kv_read_path(const kv_entry& entry, const json_path& path) {
  const json doc = parse_stored_json(entry);
  const json* leaf = json_path_find(doc, path);
  if (leaf == nullptr) {
    throw api_error(errc::key_not_found, "Path not found");
  }
  return *leaf;
}

kv_write_result kv_put(db::connection& conn, const kv_scope& scope, std::string_view key,
                       const kv_put_request& req) {
  auto w = begin_write(conn, scope, key);
  if (req.if_match) {
    if (!w.before) {
      throw api_error(errc::precondition_failed, "Key does not exist for CAS");
    }
    if (w.before->value.value != *req.if_match) {
      throw api_error(errc::precondition_failed, "Value mismatch for CAS");
    }
  }
  kv_value after;
  if (req.path) {
    json leaf = parse_bounded(req.value);
    if (leaf.is_discarded()) {
      throw api_error(errc::invalid_json, "Invalid JSON body");
    }
    json doc = w.before ? parse_stored_json(*w.before) : empty_doc_for(*req.path);
    json_path_assign(doc, *req.path, std::move(leaf));
    after = {doc.dump(), "application/json",
             req.ttl_s ? expiry_from_ttl(req.ttl_s, w.now)
                       : (w.before ? w.before->value.expires_at_ms : std::nullopt)};
  } else {
    after = {req.value, req.content_type.empty() ? "application/octet-stream" : req.content_type,
             expiry_from_ttl(req.ttl_s, w.now)};
  }
  kv_write_result out;
  out.created = !w.before;
  out.op_number = write_value(conn, scope, key, "set", w.before, after, w.now);
  out.value = std::move(after);
  return out;
}

void kv_delete(db::connection& conn, const kv_scope& scope, std::string_view key) {
  validate_key(key);
  validate_kv_table_name(scope.table);
  if (!kv_tables_exist(conn, scope.table)) {
    key_not_found();
  }
  ensure_kv_tables(conn, scope.table);
  const std::int64_t now = unix_now_ms();
  const auto before = load_live(conn, scope.table, key, now);
  if (!before) {
    key_not_found();
  }
  erase_value(conn, scope, "delete", *before, now);
}

kv_page kv_list(db::connection& conn, std::string_view table, const kv_list_request& req) {
  validate_kv_table_name(table);
  kv_page out;
  out.limit = req.limit;
  out.offset = req.offset;
  if (!kv_tables_exist(conn, table)) {
    return out;
  }
  const std::int64_t now = unix_now_ms();
  std::string where = " WHERE (expires_at IS NULL OR expires_at > ?1)";
  const std::string upper = successor(req.prefix);
  if (!req.prefix.empty()) {
    where += " AND key >= ?2";
    if (!upper.empty()) {
      where += " AND key < ?3";
    }
  }
  const auto bind_filter = [&](db::statement& stmt) {
    stmt.bind_int64(1, now);
    if (!req.prefix.empty()) {
      stmt.bind_text(2, req.prefix);
      if (!upper.empty()) {
        stmt.bind_text(3, upper);
      }
    }
  };
  {
    auto& stmt = conn.cached(
        "SELECT key, content_type, length(CAST(value AS BLOB)), expires_at, updated_at,"
        " created_at, substr(CAST(value AS BLOB), 1, " +
        std::to_string(list_value_preview_bytes) + ") FROM " + q(table) + where +
        " ORDER BY key LIMIT ?4 OFFSET ?5");
    db::statement_reset_guard guard(stmt);
    bind_filter(stmt);
    stmt.bind_int64(4, req.limit);
    stmt.bind_int64(5, req.offset);
    while (stmt.step()) {
      kv_list_item item;
      item.key = std::string(stmt.column_text(0));
      item.size = stmt.column_int64(2);
      item.preview = value_preview(stmt.column_bytes(6), item.size);
      item.content_type = std::string(stmt.column_text(1));
      item.expires_at_ms = stmt.column_optional_int64(3);
      item.updated_at_ms = stmt.column_int64(4);
      item.created_at_ms = stmt.column_int64(5);
      out.items.push_back(std::move(item));
    }
  }
  {
    auto& stmt = conn.cached("SELECT count(*) FROM " + q(table) + where);
    db::statement_reset_guard guard(stmt);
    bind_filter(stmt);
    if (stmt.step()) {
      out.total = stmt.column_int64(0);
    }
  }
  return out;
}

value_preview_result value_preview(std::string_view head, std::int64_t size) {
  value_preview_result out;
  out.truncated = size > static_cast<std::int64_t>(head.size());
  if (is_valid_utf8(head)) {
    out.text = std::string(head);
    return out;
  }
  // A cut in the middle of a character: drop the partial character (at most 3 bytes).
  if (out.truncated) {
    for (std::size_t drop = 1; drop <= 3 && drop < head.size(); ++drop) {
      const auto shorter = head.substr(0, head.size() - drop);
      if (is_valid_utf8(shorter)) {
        out.text = std::string(shorter);
        return out;
      }
    }
  }
  out.text = base64_encode(head);
  out.base64 = true;
  return out;
}

kv_incr_result kv_incr(db::connection& conn, const kv_scope& scope, std::string_view key,
                       std::string_view op, std::int64_t delta,
                       const std::optional<json_path>& path) {
  if (delta <= 0) {
    throw api_error(errc::bad_request, "delta must be a positive integer");
  }
  auto w = begin_write(conn, scope, key);
  const bool down = op == "decr";
  const auto apply = [&](std::int64_t cur) {
    std::int64_t result = 0;
    const bool overflow = down ? __builtin_sub_overflow(cur, delta, &result)
                               : __builtin_add_overflow(cur, delta, &result);
    if (overflow) {
      throw api_error(errc::bad_request,
                      "Integer overflow: the result does not fit in a signed 64-bit integer");
    }
    return result;
  };
  kv_incr_result out;
  kv_value after;
  if (!path) {
    std::int64_t cur = 0;
    if (w.before) {
      const auto parsed = parse_int64(w.before->value.value);
      if (!parsed) {
        throw api_error(errc::bad_request,
                        "Value at key " + quoted_key(key) + " is not an integer");
      }
      cur = *parsed;
    }
    out.value = apply(cur);
    after = {std::to_string(out.value), "text/plain",
             w.before ? w.before->value.expires_at_ms : std::nullopt};
  } else {
    json doc = w.before ? parse_stored_json(*w.before) : empty_doc_for(*path);
    json& leaf = json_path_resolve(doc, *path, 0);
    std::int64_t cur = 0;
    if (leaf.is_number_unsigned()) {
      const auto u = leaf.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        throw api_error(errc::bad_request,
                        "Integer overflow: the result does not fit in a signed 64-bit integer");
      }
      cur = static_cast<std::int64_t>(u);
    } else if (leaf.is_number_integer()) {
      cur = leaf.get<std::int64_t>();
    } else {
      throw api_error(errc::bad_request, "Value at path '" + path->text + "' is not an integer");
    }
    out.value = apply(cur);
    leaf = out.value;
    after = json_after(doc, w);
  }
  out.op_number = write_value(conn, scope, key, op, w.before, after, w.now);
  return out;
}

kv_array_result kv_push(db::connection& conn, const kv_scope& scope, std::string_view key,
                        nlohmann::json item, const std::optional<json_path>& path) {
  auto w = begin_write(conn, scope, key);
  json doc = doc_for_write(w, path, json::array());
  json* arr = &doc;
  if (path) {
    arr = &json_path_resolve(doc, *path, json::array());
  }
  if (!arr->is_array()) {
    throw api_error(errc::bad_request,
                    "Value at " + path_label(path, key) + " is not a JSON array");
  }
  arr->push_back(item);
  kv_array_result out;
  out.length = arr->size();
  out.item = std::move(item);
  out.op_number = write_value(conn, scope, key, "push", w.before, json_after(doc, w), w.now);
  return out;
}

kv_array_result kv_pop(db::connection& conn, const kv_scope& scope, std::string_view key,
                       const std::optional<json_path>& path) {
  auto w = begin_write(conn, scope, key);
  if (!w.before) {
    key_not_found();
  }
  json doc = doc_for_write(w, path, json::array());
  json& arr = existing_array(doc, key, path);
  if (arr.empty()) {
    throw api_error(errc::bad_request, "Cannot pop from an empty array");
  }
  kv_array_result out;
  out.item = arr.back();
  arr.erase(arr.size() - 1);
  out.length = arr.size();
  out.op_number = write_value(conn, scope, key, "pop", w.before, json_after(doc, w), w.now);
  return out;
}

kv_array_result kv_remove(db::connection& conn, const kv_scope& scope, std::string_view key,
                          const std::optional<nlohmann::json>& value,
                          std::optional<std::int64_t> index, const std::optional<json_path>& path) {
  if (value && index) {
    throw api_error(errc::bad_request, "Give either the element to remove or index, not both");
  }
  if (!value && !index) {
    throw api_error(errc::bad_request,
                    "remove needs an index query parameter or a body: the element to remove");
  }
  auto w = begin_write(conn, scope, key);
  if (!w.before) {
    key_not_found();
  }
  json doc = doc_for_write(w, path, json::array());
  json& arr = existing_array(doc, key, path);
  std::size_t pos = 0;
  if (index) {
    std::int64_t i = *index;
    const auto size = static_cast<std::int64_t>(arr.size());
    if (i < 0) {
      i += size;
    }
    if (i < 0 || i >= size) {
      throw api_error(errc::bad_request, "index " + std::to_string(*index) +
                                             " is out of range (array size " +
                                             std::to_string(size) + ")");
    }
    pos = static_cast<std::size_t>(i);
  } else {
    const auto it = std::find(arr.begin(), arr.end(), *value);
    if (it == arr.end()) {
      throw api_error(errc::key_not_found, "Value not found in array");
    }
    pos = static_cast<std::size_t>(it - arr.begin());
  }
  kv_array_result out;
  out.item = arr[pos];
  arr.erase(pos);
  out.length = arr.size();
  out.op_number = write_value(conn, scope, key, "remove", w.before, json_after(doc, w), w.now);
  return out;
}

std::vector<kv_batch_item> parse_batch_set_body(const nlohmann::json& body) {
  if (!body.is_object() || (body.contains("items") && body.contains("batch"))) {
    throw api_error(errc::bad_request,
                    "batch/set body must be {\"items\": [...]} or {\"batch\": [...]}");
  }
  const bool raw_form = body.contains("batch");
  const char* field = raw_form ? "batch" : "items";
  if (!body.contains(field) || body[field].is_null()) {
    throw api_error(errc::bad_request, "No items provided");
  }
  const json& list = body[field];
  if (!list.is_array()) {
    throw api_error(errc::bad_request, std::string(field) + " must be an array");
  }
  if (list.empty()) {
    throw api_error(errc::bad_request, "No items provided");
  }
  if (list.size() > max_batch_entries) {
    throw api_error(errc::bad_request,
                    "Maximum " + std::to_string(max_batch_entries) + " items per request",
                    {{"count", list.size()}});
  }
  std::vector<kv_batch_item> items;
  items.reserve(list.size());
  std::unordered_set<std::string> seen;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const json details = {{"index", i}};
    const auto fail = [&](const std::string& what) {
      throw api_error(errc::bad_request, json_type_error(what, i), details);
    };
    const json& it = list[i];
    if (!it.is_object()) {
      fail("each item must be an object {\"key\", \"value\"}");
    }
    if (!it.contains("key") || !it["key"].is_string()) {
      fail("key must be a string");
    }
    kv_batch_item item;
    item.key = it["key"].get<std::string>();
    if (trim(item.key).empty()) {
      throw api_error(errc::bad_request,
                      std::string(field) + "[" + std::to_string(i) + "].key is empty", details);
    }
    try {
      validate_key(item.key);
    } catch (const api_error& e) {
      fail(e.what());
    }
    if (!seen.insert(item.key).second) {
      fail("duplicate key '" + item.key + "' in batch");
    }
    const json& v = it.contains("value") ? it["value"] : json(nullptr);
    if (v.is_null()) {
      // No value (or null): the empty value, as the CLI documents ("defaults to empty").
      item.content_type = "application/octet-stream";
    } else if (raw_form) {
      item.value = v.dump();
      item.content_type = "application/json";
    } else {
      if (!v.is_string()) {
        throw api_error(
            errc::invalid_json, "Invalid JSON body",
            {{"index", i}, {"detail", json_type_error("value must be a JSON-encoded string", i)}});
      }
      item.value = v.get<std::string>();
      item.content_type = "application/octet-stream";
    }
    if (it.contains("content_type") && !it["content_type"].is_null()) {
      const json& ct = it["content_type"];
      if (!ct.is_string() || trim(ct.get<std::string>()).empty()) {
        fail("content_type must be a non-empty string");
      }
      item.content_type = std::string(trim(ct.get<std::string>()));
      validate_content_type(item.content_type);
    }
    if (it.contains("ttl") && !it["ttl"].is_null()) {
      const json& ttl = it["ttl"];
      if (ttl.is_number_unsigned()) {
        const auto t = ttl.get<std::uint64_t>();
        if (t > static_cast<std::uint64_t>(max_ttl_seconds)) {
          fail("ttl must be at most " + std::to_string(max_ttl_seconds) + " seconds");
        }
        item.ttl_s = static_cast<std::int64_t>(t);
      } else if (ttl.is_number_float() && ttl.get<double>() >= 0 &&
                 ttl.get<double>() <= static_cast<double>(max_ttl_seconds) &&
                 ttl.get<double>() ==
                     static_cast<double>(static_cast<std::int64_t>(ttl.get<double>()))) {
        item.ttl_s = static_cast<std::int64_t>(ttl.get<double>());
      } else {
        fail("ttl must be a non-negative integer number of seconds");
      }
    }
    items.push_back(std::move(item));
  }
  return items;
}

std::vector<std::string> parse_batch_keys(const nlohmann::json& body, bool reject_duplicates) {
  if (!body.is_object()) {
    throw api_error(errc::bad_request, "Body must be {\"keys\": [...]}");
  }
  if (!body.contains("keys") || body["keys"].is_null()) {
    throw api_error(errc::bad_request, "No keys provided");
  }
  const json& list = body["keys"];
  if (!list.is_array()) {
    throw api_error(errc::bad_request, "keys must be an array");
  }
  if (list.empty()) {
    throw api_error(errc::bad_request, "No keys provided");
  }
  if (list.size() > max_batch_entries) {
    throw api_error(errc::bad_request,
                    "Maximum " + std::to_string(max_batch_entries) + " keys per request",
                    {{"count", list.size()}});
  }
  std::vector<std::string> keys;
  keys.reserve(list.size());
  std::unordered_set<std::string> seen;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const json details = {{"index", i}};
    const auto fail = [&](const std::string& what) {
      throw api_error(errc::bad_request, "keys[" + std::to_string(i) + "]: " + what, details);
    };
    if (!list[i].is_string()) {
      fail("key must be a string");
    }
    auto key = list[i].get<std::string>();
    if (trim(key).empty()) {
      throw api_error(errc::bad_request, "keys[" + std::to_string(i) + "] is empty", details);
    }
    try {
      validate_key(key);
    } catch (const api_error& e) {
      fail(e.what());
    }
    if (!seen.insert(key).second && reject_duplicates) {
      fail("duplicate key '" + key + "' in batch");
    }
    keys.push_back(std::move(key));
  }
  return keys;
}

std::int64_t kv_batch_set(db::connection& conn, const kv_scope& scope,
                          const std::vector<kv_batch_item>& items) {
  validate_kv_table_name(scope.table);
  for (const auto& item : items) {
    validate_key(item.key);
  }
  ensure_kv_tables(conn, scope.table);
  const std::int64_t now = unix_now_ms();
  db::savepoint sp(conn, "hoody_kv_batch_set");
  for (const auto& item : items) {
    const auto before = load_live(conn, scope.table, item.key, now);
    const kv_value after{item.value, item.content_type, expiry_from_ttl(item.ttl_s, now)};
    write_value(conn, scope, item.key, "batch_set", before, after, now);
  }
  sp.release();
  return static_cast<std::int64_t>(items.size());
}

std::int64_t kv_batch_read::found() const noexcept {
  return static_cast<std::int64_t>(std::count_if(
      results.begin(), results.end(), [](const kv_batch_value& r) { return r.value.has_value(); }));
}

kv_batch_read kv_batch_get(db::connection& conn, std::string_view table,
                           const std::vector<std::string>& keys) {
  validate_kv_table_name(table);
  const bool exists = kv_tables_exist(conn, table);
  const std::int64_t now = unix_now_ms();
  kv_batch_read out;
  out.results.reserve(keys.size());
  for (const auto& key : keys) {
    validate_key(key);
    auto e = exists ? load_live(conn, table, key, now) : std::nullopt;
    out.results.push_back({key, e ? std::optional<kv_value>(std::move(e->value)) : std::nullopt});
  }
  return out;
}

namespace {

// The shared body of the batch changes by key list (delete, expire): in one savepoint, calls
// `change(before, now)` for each of `keys` that is live now (`before` is always engaged; missing
// and expired keys are skipped) and returns how many it changed; 0 when the table has no KV tables.
// The caller has validated the table name and the keys.
template <typename Change>
std::int64_t change_live_keys(db::connection& conn, const kv_scope& scope,
                              const std::vector<std::string>& keys, const char* savepoint_name,
                              Change&& change) {
  if (!kv_tables_exist(conn, scope.table)) {
    return 0;
  }
  ensure_kv_tables(conn, scope.table);
  const std::int64_t now = unix_now_ms();
  db::savepoint sp(conn, savepoint_name);
  std::int64_t changed = 0;
  for (const auto& key : keys) {
    if (const auto before = load_live(conn, scope.table, key, now)) {
      change(before, now);
      ++changed;
    }
  }
  sp.release();
  return changed;
}

}  // namespace

std::int64_t kv_batch_delete(db::connection& conn, const kv_scope& scope,
                             const std::vector<std::string>& keys) {
  validate_kv_table_name(scope.table);
  for (const auto& key : keys) {
    validate_key(key);
  }
  return change_live_keys(conn, scope, keys, "hoody_kv_batch_delete",
                          [&](const std::optional<kv_entry>& before, std::int64_t now) {
                            erase_value(conn, scope, "batch_delete", *before, now);
                          });
}

kv_expire_request parse_batch_expire_body(const nlohmann::json& body) {
  kv_expire_request out;
  out.keys = parse_batch_keys(body, true);
  const auto ttl = body.find("ttl");
  if (ttl == body.end() || !ttl->is_number_integer()) {
    throw api_error(errc::bad_request,
                    "ttl is required: a non-negative integer number of seconds (0 removes the "
                    "expiry)");
  }
  out.ttl_s = parse_ttl(std::to_string(ttl->get<std::int64_t>()));
  return out;
}

std::int64_t kv_batch_expire(db::connection& conn, const kv_scope& scope,
                             const kv_expire_request& req) {
  validate_kv_table_name(scope.table);
  return change_live_keys(conn, scope, req.keys, "hoody_kv_batch_expire",
                          [&](const std::optional<kv_entry>& before, std::int64_t now) {
                            kv_value after = before->value;  // the same bytes and content type
                            after.expires_at_ms = expiry_from_ttl(req.ttl_s, now);
                            write_value(conn, scope, before->key, "expire", before, after, now);
                          });
}

std::int64_t sweep_expired(db::connection& conn) {
  std::vector<std::string> tables;
  {
    auto& stmt = conn.cached(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE '%\\_\\_history' "
        "ESCAPE '\\'");
    db::statement_reset_guard guard(stmt);
    while (stmt.step()) {
      std::string name(stmt.column_text(0));
      name.resize(name.size() - std::string_view("__history").size());
      tables.push_back(std::move(name));
    }
  }
  const std::int64_t now = unix_now_ms();
  std::int64_t total = 0;
  for (const auto& table : tables) {
    try {
      validate_kv_table_name(table);
      if (!conn.table_exists(table)) {
        continue;
      }
      auto& stmt = conn.cached("DELETE FROM " + q(table) +
                               " WHERE expires_at IS NOT NULL AND expires_at <= ?1");
      db::statement_reset_guard guard(stmt);
      stmt.bind_int64(1, now);
      stmt.run();
      total += conn.changes();
    } catch (const api_error&) {  // NOLINT(bugprone-empty-catch): not a KV table; skip it
    }
  }
  return total;
}

}  // namespace hoody::ops
