// User SQL: POST /db transactions and GET /query (see hoody/ops/sql.hpp and docs/sql.md).
#include "hoody/ops/sql.hpp"

#include "hoody/core/error.hpp"
#include "hoody/ops/base64.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <limits>
#include <optional>
#include <unordered_map>
#include <unordered_set>

namespace hoody::ops {
namespace {

using json = nlohmann::json;

/// A request that does not parse is refused as a whole (4xx, `reqIdx` -1); the item at fault,
/// when there is one, is named in the message. `reqIdx` >= 0 is kept for statements that ran.
[[noreturn]] void fail(errc code, std::string message, std::int64_t item) {
  if (item >= 0) {
    message = "transaction[" + std::to_string(item) + "]: " + message;
  }
  throw api_error(code, std::move(message), {{"reqIdx", -1}});
}

// --- lexing: only to classify statements SQLite has already prepared -------------------------

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::size_t skip_trivia(std::string_view s, std::size_t i) {
  while (i < s.size()) {
    if (is_space(s[i])) {
      ++i;
    } else if (s[i] == '-' && i + 1 < s.size() && s[i + 1] == '-') {
      i = s.find('\n', i);
      if (i == std::string_view::npos) {
        return s.size();
      }
    } else if (s[i] == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      const auto end = s.find("*/", i + 2);
      if (end == std::string_view::npos) {
        return s.size();
      }
      i = end + 2;
    } else {
      break;
    }
  }
  return i;
}

/// True when `s` holds nothing but whitespace, comments and semicolons.
bool only_trivia(std::string_view s) {
  std::size_t i = 0;
  for (;;) {
    i = skip_trivia(s, i);
    if (i < s.size() && s[i] == ';') {
      ++i;
      continue;
    }
    return i >= s.size();
  }
}

bool is_ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// Reads a bare or quoted identifier/keyword at `i` (after trivia), lower-cased.
std::string read_word(std::string_view s, std::size_t& i) {
  i = skip_trivia(s, i);
  std::string out;
  if (i >= s.size()) {
    return out;
  }
  const char open = s[i];
  if (open == '"' || open == '`' || open == '[') {
    const char close = open == '[' ? ']' : open;
    ++i;
    while (i < s.size() && s[i] != close) {
      out.push_back(lower(s[i++]));
    }
    if (i < s.size()) {
      ++i;
    }
    return out;
  }
  while (i < s.size() && is_ident_char(s[i])) {
    out.push_back(lower(s[i++]));
  }
  return out;
}

std::string first_keyword(std::string_view sql) {
  std::size_t i = 0;
  return read_word(sql, i);
}

struct pragma_form {
  std::string name;
  bool assign = false;  ///< `PRAGMA x = v`
  bool paren = false;   ///< `PRAGMA x(v)`
};

/// Offset of the statement proper: after a leading EXPLAIN [QUERY PLAN].
std::size_t after_explain(std::string_view sql) {
  std::size_t i = 0;
  if (read_word(sql, i) != "explain") {
    return 0;
  }
  std::size_t j = i;
  if (read_word(sql, j) == "query" && read_word(sql, j) == "plan") {
    return j;
  }
  return i;
}

/// Parses `[EXPLAIN [QUERY PLAN]] PRAGMA [schema.]name [= v | (v)]`; nullopt for other SQL.
std::optional<pragma_form> parse_pragma(std::string_view sql) {
  std::size_t i = after_explain(sql);
  if (read_word(sql, i) != "pragma") {
    return std::nullopt;
  }
  pragma_form p;
  p.name = read_word(sql, i);
  i = skip_trivia(sql, i);
  if (i < sql.size() && sql[i] == '.') {
    ++i;
    p.name = read_word(sql, i);
    i = skip_trivia(sql, i);
  }
  p.assign = i < sql.size() && sql[i] == '=';
  p.paren = i < sql.size() && sql[i] == '(';
  return p;
}

bool one_of(std::string_view value, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), value) != set.end();
}

// Pragmas whose bare form only reads.
bool read_pragma_no_arg(std::string_view name) {
  return one_of(name, {"application_id",    "auto_vacuum",        "automatic_index",
                       "busy_timeout",      "cache_size",         "cache_spill",
                       "cell_size_check",   "collation_list",     "compile_options",
                       "data_version",      "database_list",      "encoding",
                       "foreign_key_check", "foreign_keys",       "freelist_count",
                       "fullfsync",         "function_list",      "integrity_check",
                       "journal_mode",      "journal_size_limit", "legacy_alter_table",
                       "locking_mode",      "max_page_count",     "mmap_size",
                       "module_list",       "page_count",         "page_size",
                       "pragma_list",       "query_only",         "quick_check",
                       "read_uncommitted",  "recursive_triggers", "reverse_unordered_selects",
                       "schema_version",    "secure_delete",      "synchronous",
                       "table_list",        "temp_store",         "trusted_schema",
                       "user_version",      "wal_autocheckpoint"});
}

// Pragmas whose parenthesised argument is an argument, not a new value.
bool read_pragma_with_arg(std::string_view name) {
  return one_of(name, {"table_info", "table_xinfo", "index_info", "index_xinfo", "index_list",
                       "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check",
                       "table_list"});
}

// Pragmas whose parenthesised argument parameterises an action on the file.
bool action_pragma_with_arg(std::string_view name) {
  return one_of(name, {"incremental_vacuum", "wal_checkpoint", "optimize"});
}

// The only pragmas POST /db may assign: they change the file, not the shared connection.
bool assignable_pragma(std::string_view name) {
  return one_of(name, {"user_version", "application_id"});
}

// --- preparing user SQL ----------------------------------------------------------------------

bool is_auth_error(const api_error& e) {
  // Denied statements fail with SQLITE_AUTH; a denied function (load_extension) fails with
  // SQLITE_ERROR "not authorized".
  const auto& d = e.details();
  const auto it = d.find("sqlite_code");
  return (it != d.end() && it->is_number_integer() && (it->get<int>() & 0xff) == SQLITE_AUTH) ||
         std::string_view(e.what()).starts_with("not authorized");
}

/// A PRAGMA that only reads. Checked BEFORE preparing: SQLite applies flag pragmas
/// (query_only, foreign_keys, ...) while it compiles them.
bool read_pragma(const pragma_form& p) {
  return !p.assign && (p.paren ? read_pragma_with_arg(p.name) : read_pragma_no_arg(p.name));
}

/// POST /db on the writer, before preparing: refuses assignments to pragmas that are
/// connection state shared by every request.
void check_writer_pragma(std::string_view sql) {
  const auto p = parse_pragma(sql);
  if (!p) {
    return;
  }
  const bool assignment =
      p->assign || (p->paren && !read_pragma_with_arg(p->name) && !action_pragma_with_arg(p->name));
  if (assignment && !assignable_pragma(p->name)) {
    throw api_error(errc::bad_request,
                    "PRAGMA " + p->name +
                        " cannot be set over HTTP: it is connection state shared by every "
                        "request (only user_version and application_id may be assigned)");
  }
}

std::string denied_message(std::string_view sql, std::string_view reason) {
  const std::string kw = first_keyword(sql);
  if (one_of(kw, {"begin", "commit", "end", "rollback", "savepoint", "release"})) {
    return "transaction control statements are not allowed: each request is already one "
           "transaction";
  }
  if (kw == "attach" || kw == "detach") {
    return "ATTACH and DETACH are not allowed";
  }
  return "statement not allowed: load_extension, ATTACH/DETACH and transaction control are "
         "refused (" +
         std::string(reason) + ")";
}

/// Prepares one user statement with the user-SQL guard on; rejects empty SQL and extra
/// statements. Errors carry no reqIdx (the caller adds it).
db::statement prepare_user(db::connection& conn, std::string_view sql, std::size_t item = 0) {
  // Text that passed every check below on this connection before: reuse its statement.
  if (db::statement reused = conn.take_user_statement(sql)) {
    return reused;
  }
  std::string_view tail;
  db::statement stmt;
  try {
    db::user_sql_scope guard(conn);
    stmt = conn.prepare(sql, &tail);
  } catch (const api_error& e) {
    if (is_auth_error(e)) {
      throw api_error(errc::bad_request, denied_message(sql, e.what()));
    }
    throw;
  }
  if (!stmt) {
    throw api_error(errc::bad_request, "empty SQL: the item holds no statement");
  }
  if (!only_trivia(tail)) {
    throw api_error(errc::bad_request,
                    "transaction item " + std::to_string(item) +
                        ": only one SQL statement per item is allowed; found more SQL after the "
                        "first statement: put each statement in its own item");
  }
  return stmt;
}

/// True when `stmt` (prepared from `sql`) may run on a read-only connection and GET /query:
/// SQLite says it is read-only and it is a SELECT/WITH/VALUES, a reading PRAGMA or an EXPLAIN
/// of such a statement.
bool read_only_form(db::connection& conn, const db::statement& stmt, std::string_view sql) {
  if (!stmt.readonly()) {
    return false;
  }
  if (const auto p = parse_pragma(sql)) {
    return read_pragma(*p);
  }
  const std::size_t start = after_explain(sql);
  std::size_t i = start;
  const std::string kw = read_word(sql, i);
  if (kw != "select" && kw != "with" && kw != "values") {
    return false;
  }
  if (start == 0) {
    return true;
  }
  // SQLite calls every EXPLAIN read-only: judge the explained statement itself.
  const std::string_view inner = sql.substr(start);
  try {
    const db::statement inner_stmt = prepare_user(conn, inner);
    return inner_stmt.readonly();
  } catch (const api_error&) {
    return false;
  }
}

// --- values ---------------------------------------------------------------------------------

void validate_value(const json& v, const std::string& where, std::int64_t idx) {
  switch (v.type()) {
  case json::value_t::null:
  case json::value_t::boolean:
  case json::value_t::number_integer:
  case json::value_t::number_float:
  case json::value_t::string:
    return;
  case json::value_t::number_unsigned:
    if (v.get<std::uint64_t>() >
        static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      fail(errc::bad_request,
           "integer out of range at " + where + ": " + v.dump() + " exceeds the int64 range", idx);
    }
    return;
  case json::value_t::object: {
    const auto it = v.find("base64");
    if (v.size() == 1 && it != v.end() && it->is_string()) {
      if (!base64_decode(it->get_ref<const std::string&>())) {
        fail(errc::bad_request, "invalid base64 in BLOB value at " + where, idx);
      }
      return;
    }
    break;
  }
  default:
    break;
  }
  fail(errc::bad_request,
       "unsupported value type at " + where +
           ": use a number, string, boolean, null or {\"base64\": \"...\"} for a BLOB (send "
           "JSON documents as strings)",
       idx);
}

void validate_value_set(const json& set, const std::string& where, std::int64_t idx) {
  if (set.is_array()) {
    for (std::size_t k = 0; k < set.size(); ++k) {
      validate_value(set[k], where + "[" + std::to_string(k) + "]", idx);
    }
  } else if (set.is_object()) {
    for (const auto& [key, value] : set.items()) {
      validate_value(value, (where + ".").append(key), idx);
    }
  } else {
    fail(errc::bad_request, where + " must be an array (positional) or an object (named)", idx);
  }
}

void bind_value(db::statement& stmt, int index, const json& v) {
  switch (v.type()) {
  case json::value_t::boolean:
    stmt.bind_int64(index, v.get<bool>() ? 1 : 0);
    break;
  case json::value_t::number_integer:
    stmt.bind_int64(index, v.get<std::int64_t>());
    break;
  case json::value_t::number_unsigned:
    stmt.bind_int64(index, static_cast<std::int64_t>(v.get<std::uint64_t>()));
    break;
  case json::value_t::number_float:
    stmt.bind_double(index, v.get<double>());
    break;
  case json::value_t::string:
    stmt.bind_text(index, v.get_ref<const std::string&>());
    break;
  case json::value_t::object:
    stmt.bind_blob(index,
                   std::string_view(*base64_decode(v["base64"].get_ref<const std::string&>())));
    break;
  default:
    stmt.bind_null(index);
    break;
  }
}

std::string plural(std::size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

/// Binds a validated value set (null = none). Errors carry no reqIdx.
void bind_values(db::statement& stmt, const json& values) {
  const int count = stmt.parameter_count();
  const auto n = static_cast<std::size_t>(count);
  if (values.is_null()) {
    if (count > 0) {
      throw api_error(errc::bad_request,
                      "statement expects " + plural(n, "parameter") + " but no values were given");
    }
    return;
  }
  if (values.is_array()) {
    if (values.size() != n) {
      throw api_error(errc::bad_request, "statement expects " + plural(n, "parameter") + " but " +
                                             plural(values.size(), "value") + " were given");
    }
    for (int p = 1; p <= count; ++p) {
      bind_value(stmt, p, values[static_cast<std::size_t>(p - 1)]);
    }
    return;
  }
  // Named: keys with or without the :/@/$ prefix.
  std::unordered_set<std::string> used;
  for (int p = 1; p <= count; ++p) {
    const std::string name(stmt.parameter_name(p));
    if (name.empty() || name[0] == '?') {
      throw api_error(errc::bad_request,
                      "statement uses positional parameters (?); values must be an array");
    }
    auto it = values.find(name);
    if (it == values.end()) {
      it = values.find(name.substr(1));
    }
    if (it == values.end()) {
      throw api_error(errc::bad_request, "missing value for parameter " + name);
    }
    used.insert(it.key());
    bind_value(stmt, p, *it);
  }
  if (used.size() != values.size()) {
    for (const auto& [key, value] : values.items()) {
      if (!used.contains(key)) {
        throw api_error(errc::bad_request, "unknown parameter '" + key +
                                               "' in values: the statement has no such "
                                               "parameter");
      }
    }
  }
}

// --- results --------------------------------------------------------------------------------

sql_cell column_value(const db::statement& stmt, int c) {
  switch (stmt.column_type(c)) {
  case SQLITE_INTEGER:
    return stmt.column_int64(c);
  case SQLITE_FLOAT:
    return stmt.column_double(c);
  case SQLITE_TEXT:
    return std::string(stmt.column_text(c));
  case SQLITE_BLOB:
    return sql_blob{std::string(stmt.column_bytes(c))};
  default:
    return std::monostate{};
  }
}

/// Column names and, for row objects, unique keys ("a", "a_2", ... for duplicate names).
void column_names(const db::statement& stmt, sql_rows& out) {
  std::unordered_set<std::string> seen;
  for (int c = 0; c < stmt.column_count(); ++c) {
    std::string name(stmt.column_name(c));
    std::string key = name;
    for (int n = 2; seen.contains(key); ++n) {
      key = name + "_" + std::to_string(n);
    }
    seen.insert(key);
    out.headers.push_back(std::move(name));
    out.keys.push_back(std::move(key));
  }
}

/// Steps `stmt` collecting up to `cap` rows; `truncated` when another row was available. The
/// column list is read after the first step: a statement prepared before another connection (or
/// another process) changed the schema is re-prepared by that step, and its columns before it
/// are the old ones (`SELECT *` after `ALTER TABLE ADD COLUMN`).
sql_rows read_rows(db::statement& stmt, std::size_t cap) {
  sql_rows out;
  bool more = stmt.step();
  column_names(stmt, out);
  const int ncol = static_cast<int>(out.keys.size());
  for (; more; more = stmt.step()) {
    if (out.count >= cap) {
      out.truncated = true;
      break;
    }
    for (int c = 0; c < ncol; ++c) {
      out.cells.push_back(column_value(stmt, c));
    }
    ++out.count;
  }
  return out;
}

// --- executing a transaction ----------------------------------------------------------------

class runner {
 public:
  runner(db::connection& conn, const sql_request& request)
      : conn_(conn), request_(request), writer_(!conn.read_only()) {}

  sql_outcome run() {
    std::vector<std::optional<db::statement>> prepared(request_.items.size());
    std::vector<std::optional<api_error>> prepare_errors(request_.items.size());
    if (!writer_) {
      preflight(prepared, prepare_errors);
    }
    sql_outcome out;
    out.format = request_.format;
    out.results.reserve(request_.items.size());
    for (std::size_t i = 0; i < request_.items.size(); ++i) {
      const sql_item& item = request_.items[i];
      const auto idx = static_cast<std::int64_t>(i);
      try {
        if (prepare_errors[i]) {
          throw *prepare_errors[i];
        }
        if (writer_) {
          db::savepoint sp(conn_, "hoody_sql_item");
          sql_item_result result = run_item(item, i, prepared[i]);
          sp.release();
          out.results.push_back(std::move(result));
        } else {
          out.results.push_back(run_item(item, i, prepared[i]));
        }
      } catch (const api_error& e) {
        // A failure that ended the whole transaction (e.g. OR ROLLBACK) cannot be skipped.
        if (!item.no_fail || (writer_ && !conn_.in_transaction())) {
          api_error failure = e;
          failure.details()["reqIdx"] = idx;
          throw failure;  // NOLINT(cert-err09-cpp,cert-err61-cpp)
        }
        sql_item_result failed;
        failed.type = sql_item_result::kind::failed;
        failed.error = e.what();
        failed.code = e.code();
        out.results.push_back(std::move(failed));
      }
    }
    out.rows = rows_;
    return out;
  }

 private:
  /// On a reader: prepare everything first and bail out to the writer when anything could
  /// write. Prepare errors are kept and reported in item order afterwards.
  void preflight(std::vector<std::optional<db::statement>>& prepared,
                 std::vector<std::optional<api_error>>& errors) {
    for (const auto& item : request_.items) {
      if (item.type != sql_item::kind::query) {
        throw db::requires_writer{};
      }
    }
    for (std::size_t i = 0; i < request_.items.size(); ++i) {
      const std::string& sql = request_.items[i].sql;
      if (const auto p = parse_pragma(sql); p && !read_pragma(*p)) {
        throw db::requires_writer{};
      }
      try {
        db::statement stmt = prepare_user(conn_, sql, i);
        if (!read_only_form(conn_, stmt, sql)) {
          throw db::requires_writer{};
        }
        prepared[i] = std::move(stmt);
      } catch (const api_error& e) {
        errors[i] = e;
      }
    }
  }

  sql_item_result run_item(const sql_item& item, std::size_t index,
                           std::optional<db::statement>& pre) {
    if (writer_) {
      check_writer_pragma(item.sql);
    }
    db::statement stmt = pre ? std::move(*pre) : prepare_user(conn_, item.sql, index);
    sql_item_result result;
    if (item.type == sql_item::kind::query) {
      bind_values(stmt, item.values);
      const std::size_t left = sql_limits::max_request_result_rows - result_rows_;
      result.type = sql_item_result::kind::rows;
      result.rows = read_rows(stmt, std::min(sql_limits::max_result_rows, left));
      result_rows_ += result.rows.count;
      rows_ += static_cast<std::int64_t>(result.rows.count);
      conn_.give_back_user_statement(item.sql, std::move(stmt));
      return result;
    }
    if (!item.has_batch) {
      bind_values(stmt, item.values);
      result.type = sql_item_result::kind::changed;
      result.rows_updated = run_statement(stmt);
      conn_.give_back_user_statement(item.sql, std::move(stmt));
      return result;
    }
    result.type = sql_item_result::kind::batch;
    const json& batch = item.values_batch;
    result.batch_counts.reserve(batch.size());
    for (std::size_t j = 0; j < batch.size(); ++j) {
      stmt.reset();
      stmt.clear_bindings();
      if (item.no_fail) {
        try {
          db::savepoint sp(conn_, "hoody_sql_row");
          bind_values(stmt, batch[j]);
          const std::int64_t n = run_statement(stmt);
          sp.release();
          result.batch_counts.push_back(n);
        } catch (const api_error& e) {
          if (!conn_.in_transaction()) {
            throw;
          }
          result.batch_counts.push_back(0);
          result.row_errors.push_back({j, e.what()});
        }
      } else {
        try {
          bind_values(stmt, batch[j]);
          result.batch_counts.push_back(run_statement(stmt));
        } catch (api_error& e) {
          e.details()["rowIdx"] = j;
          throw;
        }
      }
    }
    conn_.give_back_user_statement(item.sql, std::move(stmt));
    return result;
  }

  /// Runs a statement to completion; rows it changed (0 for SELECT/DDL, not a stale count).
  std::int64_t run_statement(db::statement& stmt) {
    const auto before = sqlite3_total_changes64(conn_.handle());
    stmt.run();
    const std::int64_t n = sqlite3_total_changes64(conn_.handle()) == before ? 0 : conn_.changes();
    rows_ += n;
    return n;
  }

  db::connection& conn_;
  const sql_request& request_;
  bool writer_;
  std::int64_t rows_ = 0;
  std::size_t result_rows_ = 0;
};

bool is_text(std::string_view s) {
  if (!is_valid_utf8(s)) {
    return false;
  }
  return std::none_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t' && c != '\n' && c != '\r') || u == 0x7f;
  });
}

[[noreturn]] void refuse_read_only() {
  throw api_error(errc::read_only_query, read_only_query_message);
}

}  // namespace

// --- public ---------------------------------------------------------------------------------

sql_request parse_sql_request(const json& body) {
  if (!body.is_object()) {
    fail(errc::bad_request, "request body must be a JSON object with a \"transaction\" array", -1);
  }
  sql_request request;
  if (const auto it = body.find("resultFormat"); it != body.end() && !it->is_null()) {
    if (it->is_string() && it->get_ref<const std::string&>() == "map") {
      request.format = result_format::map;
    } else if (it->is_string() && it->get_ref<const std::string&>() == "list") {
      request.format = result_format::list;
    } else {
      fail(errc::bad_request, "resultFormat must be \"map\" or \"list\"", -1);
    }
  }
  const auto tx = body.find("transaction");
  if (tx == body.end() || tx->is_null()) {
    fail(errc::bad_request, "transaction is required: an array of items", -1);
  }
  if (!tx->is_array()) {
    fail(errc::bad_request, "transaction must be an array of items", -1);
  }
  if (tx->empty()) {
    fail(errc::bad_request, "transaction must not be empty", -1);
  }
  if (tx->size() > sql_limits::max_items) {
    fail(errc::payload_too_large,
         "too many items in transaction: " + std::to_string(tx->size()) + " (max " +
             std::to_string(sql_limits::max_items) + ")",
         -1);
  }
  std::size_t total_rows = 0;
  request.items.reserve(tx->size());
  for (std::size_t i = 0; i < tx->size(); ++i) {
    const json& raw = (*tx)[i];
    const auto idx = static_cast<std::int64_t>(i);
    if (!raw.is_object()) {
      fail(errc::bad_request, "transaction item must be an object", idx);
    }
    auto present = [&raw](const char* key) {
      const auto it = raw.find(key);
      return it != raw.end() && !it->is_null();
    };
    const bool has_query = present("query");
    const bool has_statement = present("statement");
    const bool has_sql = present("sql");
    if (has_statement && has_sql) {
      fail(errc::bad_request, "item has both statement and sql (sql is an alias of statement)",
           idx);
    }
    if (has_query && (has_statement || has_sql)) {
      fail(errc::bad_request, "item must have exactly one of query or statement, not both", idx);
    }
    if (!has_query && !has_statement && !has_sql) {
      fail(errc::bad_request, "item must have exactly one of query or statement", idx);
    }
    sql_item item;
    const char* field = has_query ? "query" : (has_statement ? "statement" : "sql");
    item.type = has_query ? sql_item::kind::query : sql_item::kind::statement;
    const json& text = raw[field];
    if (!text.is_string()) {
      fail(errc::bad_request, std::string(field) + " must be a string", idx);
    }
    item.sql = text.get<std::string>();
    const bool has_values = present("values");
    const bool has_batch = present("valuesBatch");
    if (has_values && has_batch) {
      fail(errc::bad_request, "values and valuesBatch cannot be used together", idx);
    }
    if (has_values) {
      item.values = raw["values"];
      validate_value_set(item.values, "values", idx);
    }
    if (has_batch) {
      if (has_query) {
        fail(errc::bad_request, "valuesBatch is not allowed on a query item", idx);
      }
      const json& batch = raw["valuesBatch"];
      if (!batch.is_array()) {
        fail(errc::bad_request, "valuesBatch must be an array of value sets", idx);
      }
      if (batch.size() > sql_limits::max_batch_rows) {
        fail(errc::payload_too_large,
             "too many rows in valuesBatch: " + std::to_string(batch.size()) + " (max " +
                 std::to_string(sql_limits::max_batch_rows) + ")",
             idx);
      }
      for (std::size_t j = 0; j < batch.size(); ++j) {
        validate_value_set(batch[j], "valuesBatch[" + std::to_string(j) + "]", idx);
      }
      item.has_batch = true;
      item.values_batch = batch;
      total_rows += batch.size();
    } else {
      total_rows += 1;
    }
    if (present("noFail")) {
      if (!raw["noFail"].is_boolean()) {
        fail(errc::bad_request, "noFail must be a boolean", idx);
      }
      item.no_fail = raw["noFail"].get<bool>();
    }
    if (total_rows > sql_limits::max_request_rows) {
      fail(errc::payload_too_large,
           "too many rows in request: more than " + std::to_string(sql_limits::max_request_rows),
           -1);
    }
    request.items.push_back(std::move(item));
  }
  return request;
}

std::string joined_sql(const sql_request& request) {
  std::string out;
  for (const auto& item : request.items) {
    if (!out.empty()) {
      out += ";\n";
    }
    out += item.sql;
  }
  return out;
}

sql_outcome execute_sql_request(db::connection& conn, const sql_request& request) {
  struct forget_schema_after {
    db::connection& conn;
    ~forget_schema_after() {
      if (!conn.read_only()) {
        conn.forget_schema();  // user DDL may have dropped or changed the server's tables
      }
    }
  } forget{conn};
  return runner(conn, request).run();
}

std::string decode_query_sql(std::string_view param) {
  if (auto decoded = base64_decode(param); decoded && !decoded->empty() && is_text(*decoded)) {
    return std::move(*decoded);
  }
  return std::string(param);
}

query_outcome run_read_only_query(db::connection& conn, std::string_view sql) {
  const std::string kw = first_keyword(sql);
  if (kw.empty() && only_trivia(sql)) {
    throw api_error(errc::bad_request, "sql is empty");
  }
  // A cheap first filter; the decision is SQLite's (stmt_readonly) below.
  if (!one_of(kw, {"select", "with", "values", "pragma", "explain"})) {
    refuse_read_only();
  }
  if (const auto p = parse_pragma(sql); p && !read_pragma(*p)) {
    refuse_read_only();
  }
  std::string_view tail;
  db::statement stmt = conn.take_user_statement(sql);  // passed the checks below before
  if (!stmt) {
    try {
      db::user_sql_scope guard(conn);
      stmt = conn.prepare(sql, &tail);
    } catch (const api_error& e) {
      if (is_auth_error(e)) {
        refuse_read_only();
      }
      throw;
    }
  }
  if (!stmt) {
    throw api_error(errc::bad_request, "sql is empty");
  }
  if (!only_trivia(tail) || !read_only_form(conn, stmt, sql)) {
    refuse_read_only();
  }
  query_outcome out{read_rows(stmt, sql_limits::max_result_rows)};
  conn.give_back_user_statement(sql, std::move(stmt));
  return out;
}

export_source describe_export_source(db::connection& conn, std::string_view table) {
  export_source out;
  bool is_view = false;
  {
    auto& stmt = conn.cached(
        "SELECT name, type FROM sqlite_schema WHERE name = ?1 AND type IN ('table', 'view')"
        " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'");
    db::statement_reset_guard guard(stmt);
    stmt.bind_text(1, table);
    if (!stmt.step()) {
      throw api_error(errc::not_found, "no table or view named \"" + std::string(table) + "\"");
    }
    out.table = std::string(stmt.column_text(0));
    is_view = stmt.column_text(1) == "view";
  }
  const std::string quoted = db::quote_identifier(out.table);
  std::vector<std::pair<std::int64_t, std::string>> pk_at;  // (position, name) in the key
  {
    // Hidden columns (of virtual tables) are left out, generated ones kept: as SELECT * does.
    db::statement stmt =
        conn.prepare("SELECT name, pk, hidden FROM pragma_table_xinfo(?1) ORDER BY cid");
    stmt.bind_text(1, out.table);
    while (stmt.step()) {
      if (stmt.column_int64(2) == 1) {
        continue;
      }
      out.columns.emplace_back(stmt.column_text(0));
      if (const auto at = stmt.column_int64(1); at > 0) {
        pk_at.emplace_back(at, out.columns.back());
      }
    }
  }
  // The rowid under a name no column has (a column may be called rowid, _rowid_ or oid). A
  // view has none that can be paged by (SQLite may answer NULL for it).
  for (const char* alias : {"rowid", "_rowid_", "oid"}) {
    if (is_view) {
      break;
    }
    const bool taken = std::any_of(out.columns.begin(), out.columns.end(), [&](const auto& c) {
      return c.size() == std::strlen(alias) &&
             std::equal(c.begin(), c.end(), alias, [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) == b;
             });
    });
    if (taken) {
      continue;
    }
    try {
      // Views and WITHOUT ROWID tables have none: preparing fails ("no such column").
      (void)conn.prepare("SELECT " + std::string(alias) + " FROM " + quoted + " LIMIT 0");
      out.rowid_alias = alias;
    } catch (const api_error&) {  // NOLINT(bugprone-empty-catch): no rowid, OFFSET paging
    }
    break;
  }
  if (out.rowid_alias.empty() && !pk_at.empty()) {
    std::sort(pk_at.begin(), pk_at.end());
    for (const auto& [at, name] : pk_at) {
      out.order_by += (out.order_by.empty() ? "" : ", ") + db::quote_identifier(name);
    }
  }
  return out;
}

sql_rows read_export_chunk(db::connection& conn, const export_source& source, export_cursor& cursor,
                           std::size_t max_rows, std::size_t max_bytes) {
  std::string columns;
  for (const auto& c : source.columns) {
    columns += (columns.empty() ? "" : ", ") + db::quote_identifier(c);
  }
  const std::string from = " FROM " + db::quote_identifier(source.table);
  const bool keyset = !source.rowid_alias.empty();
  const std::string sql =
      keyset ? "SELECT " + source.rowid_alias + ", " + columns + from + " WHERE " +
                   source.rowid_alias + " > ?1 ORDER BY " + source.rowid_alias + " LIMIT ?2"
             : "SELECT " + columns + from +
                   (source.order_by.empty() ? "" : " ORDER BY " + source.order_by) +
                   " LIMIT ?2 OFFSET ?1";
  auto& stmt = conn.cached(sql);
  db::statement_reset_guard guard(stmt);
  stmt.bind_int64(
      1, keyset ? (cursor.started ? cursor.rowid : std::numeric_limits<std::int64_t>::min())
                : cursor.offset);
  stmt.bind_int64(2, static_cast<std::int64_t>(max_rows) + 1);
  sql_rows out;
  out.headers = source.columns;
  out.keys = source.columns;
  const int first = keyset ? 1 : 0;
  const int ncol = static_cast<int>(source.columns.size());
  std::size_t bytes = 0;
  cursor.started = true;
  bool more = stmt.step();
  for (; more; more = stmt.step()) {
    if (out.count >= max_rows || (out.count > 0 && bytes >= max_bytes)) {
      break;  // a row past the chunk: the next chunk starts there
    }
    if (keyset) {
      cursor.rowid = stmt.column_int64(0);
    }
    for (int c = 0; c < ncol; ++c) {
      auto cell = column_value(stmt, first + c);
      if (const auto* text = std::get_if<std::string>(&cell)) {
        bytes += text->size();
      } else if (const auto* blob = std::get_if<sql_blob>(&cell)) {
        bytes += blob->bytes.size();
      } else {
        bytes += 8;
      }
      out.cells.push_back(std::move(cell));
    }
    ++out.count;
  }
  cursor.offset += static_cast<std::int64_t>(out.count);
  cursor.done = !more;
  return out;
}

}  // namespace hoody::ops
