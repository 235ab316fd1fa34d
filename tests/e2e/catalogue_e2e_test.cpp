// The bad-input catalogue: a table of malformed and hostile requests sent to the real binary.
// Every row names the request and the status it must get; each answer must be a 4xx JSON body
// with a non-empty `error` (HEAD answers have no body), or for a POST /db statement that failed
// after the body parsed, 200 with `reqIdx` and `error`. After the whole table, the data
// directory's files and every table of the databases must be exactly as before.
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <vector>

namespace {
namespace fs = std::filesystem;
using hoody::test::http_client;
using hoody::test::server_process;
using hoody::test::temp_dir;
using hoody::test::url_encode;
using json = nlohmann::json;
using namespace std::string_literals;

using hoody::test::api;

/// POST /db items that fail after the body parsed are answered 200 `{"reqIdx": i, "error"}`
/// (the published contract); the transaction rolls back, so nothing may change either.
constexpr int statement_error = 200;

struct bad_case {
  std::string name;    ///< what the row tests
  std::string method;  ///< ignored when `raw` is set
  std::string target;
  std::string body;
  int status;                                  ///< the expected status
  std::map<std::string, std::string> headers;  ///< extra request headers
  std::string raw;                             ///< when set: bytes sent as is on a new connection
};

std::string repeat(std::string_view unit, std::size_t n) {
  std::string out;
  out.reserve(unit.size() * n);
  for (std::size_t i = 0; i < n; ++i) {
    out += unit;
  }
  return out;
}

std::string deep_array(std::size_t depth) {
  return repeat("[", depth) + repeat("]", depth);
}

std::string deep_object(std::size_t depth) {
  return repeat("{\"a\":", depth) + "1" + repeat("}", depth);
}

std::string base64(std::string_view in) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16U) |
                       (static_cast<unsigned char>(in[i + 1]) << 8U) |
                       static_cast<unsigned char>(in[i + 2]);
    out += alphabet[(v >> 18U) & 63U];
    out += alphabet[(v >> 12U) & 63U];
    out += alphabet[(v >> 6U) & 63U];
    out += alphabet[v & 63U];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16U;
    if (i + 1 < in.size()) {
      v |= static_cast<unsigned char>(in[i + 1]) << 8U;
    }
    out += alphabet[(v >> 18U) & 63U];
    out += alphabet[(v >> 12U) & 63U];
    out += i + 1 < in.size() ? alphabet[(v >> 6U) & 63U] : '=';
    out += '=';
  }
  return out;
}

std::string tx(const std::string& item_json) {
  return R"({"transaction":[)" + item_json + "]}";
}
std::string stmt(const std::string& sql) {
  return tx(json{{"statement", sql}}.dump());
}
std::string query(const std::string& sql) {
  return tx(json{{"query", sql}}.dump());
}

// A raw HTTP/1.1 request with the given head lines (each without CRLF) and body.
std::string raw_request(const std::string& request_line, const std::vector<std::string>& lines,
                        const std::string& body = {}) {
  std::string out = request_line + "\r\nHost: 127.0.0.1\r\n";
  for (const auto& line : lines) {
    out += line + "\r\n";
  }
  return out + "\r\n" + body;
}

// --- the table ---------------------------------------------------------------------------

std::vector<bad_case> catalogue(const std::string& outside_dir) {
  const std::string db = api + "/db?db=main";
  const std::string kv = api + "/kv";
  const std::string q = "?db=main";
  std::vector<bad_case> rows;
  auto add = [&rows](std::string name, std::string method, std::string target, std::string body,
                     int status, std::map<std::string, std::string> headers = {}) {
    rows.push_back({std::move(name),
                    std::move(method),
                    std::move(target),
                    std::move(body),
                    status,
                    std::move(headers),
                    {}});
  };
  auto add_raw = [&rows](std::string name, std::string bytes, int status) {
    rows.push_back({std::move(name), "", "", "", status, {}, std::move(bytes)});
  };

  // Malformed JSON bodies.
  add("POST /db: empty body", "POST", db, "", 400);
  add("POST /db: lone brace", "POST", db, "{", 400);
  add("POST /db: unterminated array", "POST", db, R"({"transaction":[)", 400);
  add("POST /db: bare word", "POST", db, "nul", 400);
  add("POST /db: single quotes", "POST", db, "{'transaction':[]}", 400);
  add("POST /db: trailing comma", "POST", db, R"({"transaction":[{"query":"SELECT 1"},]})", 400);
  add("POST /db: trailing garbage", "POST", db, query("SELECT 1") + " garbage", 400);
  add("POST /db: comment", "POST", db, "/* c */" + query("SELECT 1"), 400);
  add("POST /db: NaN literal", "POST", db, tx(R"({"query":"SELECT ?","values":[NaN]})"), 400);
  add("POST /db: number overflow 1e400", "POST", db, tx(R"({"query":"SELECT ?","values":[1e400]})"),
      400);
  add("POST /db: invalid UTF-8 bytes only", "POST", db, "\xff\xfe\xfd", 400);
  add("POST /db: invalid UTF-8 inside a string", "POST", db, tx("{\"query\":\"SELECT '\xff'\"}"),
      400);
  add("POST /db: overlong UTF-8 slash", "POST", db, tx("{\"query\":\"SELECT '\xc0\xaf'\"}"), 400);
  add("POST /db: lone surrogate escape", "POST", db, tx(R"({"query":"SELECT '\ud800'"})"), 400);
  add("POST /db: NUL after the document", "POST", db, query("SELECT 1") + "\0"s, 400);
  add("POST /db: NUL inside the document", "POST", db, "{\"transaction\"\0:[]}"s, 400);
  add("POST /db: raw control char in string", "POST", db, tx("{\"query\":\"SELECT '\x01'\"}"), 400);
  add("POST /db: JSON array body", "POST", db, "[1,2,3]", 400);
  add("POST /db: JSON string body", "POST", db, R"("SELECT 1")", 400);
  add("POST /db: JSON number body", "POST", db, "42", 400);
  add("POST /db: JSON null body", "POST", db, "null", 400);
  add("POST /db: 100k nested arrays", "POST", db, deep_array(100000), 400);
  add("POST /db: 100k nested objects", "POST", db, deep_object(100000), 400);
  add("POST /db: 100k unclosed arrays", "POST", db, repeat("[", 100000), 400);
  add("POST /db: 100k nested arrays as a value", "POST", db,
      tx(R"({"query":"SELECT ?","values":[)" + deep_array(100000) + "]}"), 400);
  add("POST /db: 5k nested arrays as a value", "POST", db,
      tx(R"({"query":"SELECT ?","values":[)" + deep_array(5000) + "]}"), 400);

  // Wrong types and shapes in the transaction.
  add("POST /db: transaction missing", "POST", db, "{}", 400);
  add("POST /db: transaction is a string", "POST", db, R"({"transaction":"SELECT 1"})", 400);
  add("POST /db: transaction is an object", "POST", db, R"({"transaction":{}})", 400);
  add("POST /db: transaction is null", "POST", db, R"({"transaction":null})", 400);
  add("POST /db: item is a number", "POST", db, tx("1"), 400);
  add("POST /db: item is null", "POST", db, tx("null"), 400);
  add("POST /db: item is a string", "POST", db, tx(R"("SELECT 1")"), 400);
  add("POST /db: item without query or statement", "POST", db, tx("{}"), 400);
  add("POST /db: both query and statement", "POST", db,
      tx(R"({"query":"SELECT 1","statement":"SELECT 1"})"), 400);
  add("POST /db: query is a number", "POST", db, tx(R"({"query":1})"), 400);
  add("POST /db: query is an array", "POST", db, tx(R"({"query":["SELECT 1"]})"), 400);
  add("POST /db: statement is null", "POST", db, tx(R"({"statement":null})"), 400);
  add("POST /db: sql alias is a number", "POST", db, tx(R"({"sql":5})"), 400);
  add("POST /db: values is a string", "POST", db, tx(R"({"query":"SELECT ?","values":"x"})"), 400);
  add("POST /db: values is a number", "POST", db, tx(R"({"query":"SELECT ?","values":5})"), 400);
  add("POST /db: values holds an array", "POST", db, tx(R"({"query":"SELECT ?","values":[[1]]})"),
      400);
  add("POST /db: values holds an object", "POST", db,
      tx(R"({"query":"SELECT ?","values":[{"a":1}]})"), 400);
  add("POST /db: too many values", "POST", db, tx(R"({"query":"SELECT ?","values":[1,2]})"),
      statement_error);
  add("POST /db: noFail is a string", "POST", db, tx(R"({"query":"SELECT 1","noFail":"yes"})"),
      400);
  add("POST /db: resultFormat unknown", "POST", db,
      R"({"resultFormat":"xml","transaction":[{"query":"SELECT 1"}]})", 400);
  add("POST /db: resultFormat is a number", "POST", db,
      R"({"resultFormat":1,"transaction":[{"query":"SELECT 1"}]})", 400);
  add("POST /db: valuesBatch on a query", "POST", db,
      tx(R"({"query":"SELECT ?","valuesBatch":[[1]]})"), 400);
  add("POST /db: valuesBatch with values", "POST", db,
      tx(R"j({"statement":"INSERT INTO t(name) VALUES (?)","values":["a"],"valuesBatch":[["b"]]})j"),
      400);
  add("POST /db: valuesBatch is a string", "POST", db,
      tx(R"j({"statement":"INSERT INTO t(name) VALUES (?)","valuesBatch":"x"})j"), 400);
  add("POST /db: valuesBatch rows are numbers", "POST", db,
      tx(R"j({"statement":"INSERT INTO t(name) VALUES (?)","valuesBatch":[1,2]})j"), 400);
  add("POST /db: empty query", "POST", db, query(""), statement_error);
  add("POST /db: whitespace query", "POST", db, query("   "), statement_error);
  add("POST /db: query is only a semicolon", "POST", db, query(";"), statement_error);
  add("POST /db: two statements in one item", "POST", db, query("SELECT 1; SELECT 2"),
      statement_error);
  add("POST /db: syntax error", "POST", db, query("SELEC 1"), statement_error);
  add("POST /db: missing table", "POST", db, query("SELECT * FROM no_such_table"), statement_error);
  add("POST /db: NUL inside SQL", "POST", db, tx(R"({"query":"SELECT 1\u0000; DELETE FROM t"})"),
      statement_error);
  add("POST /db: primary key conflict", "POST", db,
      stmt("INSERT INTO t(id, name) VALUES (1, 'dup')"), statement_error);
  add("POST /db: NOT NULL violation", "POST", db, stmt("INSERT INTO t(name) VALUES (NULL)"),
      statement_error);
  add("POST /db: second item fails, first rolls back", "POST", db,
      tx(R"j({"statement":"INSERT INTO t(name) VALUES ('rolled back')"},{"query":"SELEC"})j"),
      statement_error);
  add("POST /db: injection via two statements", "POST", db,
      stmt("INSERT INTO t(name) VALUES ('x'); DROP TABLE t"), statement_error);
  for (const char* control : {"BEGIN", "BEGIN IMMEDIATE", "COMMIT", "END", "ROLLBACK",
                              "SAVEPOINT s", "RELEASE s", "ROLLBACK TO s"}) {
    add("POST /db: transaction control " + std::string(control), "POST", db, stmt(control),
        statement_error);
  }
  add("POST /db: ATTACH", "POST", db, stmt("ATTACH DATABASE '" + outside_dir + "/x.db' AS x"),
      statement_error);
  add("POST /db: ATTACH memory", "POST", db, stmt("ATTACH DATABASE ':memory:' AS m"),
      statement_error);
  add("POST /db: DETACH", "POST", db, stmt("DETACH DATABASE main"), statement_error);
  add("POST /db: load_extension", "POST", db, query("SELECT load_extension('/tmp/evil')"),
      statement_error);
  add("POST /db: VACUUM INTO outside", "POST", db, stmt("VACUUM INTO '" + outside_dir + "/v.db'"),
      statement_error);
  add("POST /db: PRAGMA journal_mode change", "POST", db, stmt("PRAGMA journal_mode=DELETE"),
      statement_error);
  add("POST /db: PRAGMA writable_schema", "POST", db, stmt("PRAGMA writable_schema=ON"),
      statement_error);
  add("POST /db: readfile()", "POST", db, query("SELECT readfile('/etc/passwd')"), statement_error);
  add("POST /db: 10,001 items", "POST", db, tx([] {
        std::string items;
        for (int i = 0; i < 10001; ++i) {
          items += (i == 0 ? "" : ",") + std::string(R"({"query":"SELECT 1"})");
        }
        return items;
      }()),
      413);

  // The db parameter: missing, traversal, absolute, special names, encodings.
  const std::string body = query("SELECT 1");
  add("POST /db: no db parameter", "POST", api + "/db", body, 400);
  add("POST /db: empty db", "POST", api + "/db?db=", body, 400);
  add("POST /db: missing database", "POST", api + "/db?db=nosuch", body, 404);
  add("POST /db: ../main", "POST", api + "/db?db=../main", body, 400);
  add("POST /db: ..%2Fmain", "POST", api + "/db?db=..%2Fmain", body, 400);
  add("POST /db: %2E%2E%2Fmain", "POST", api + "/db?db=%2E%2E%2Fmain", body, 400);
  add("POST /db: ..%5Cmain", "POST", api + "/db?db=..%5Cmain", body, 400);
  add("POST /db: ./../main", "POST", api + "/db?db=./../main", body, 400);
  add("POST /db: sub/main", "POST", api + "/db?db=sub/main", body, 400);
  add("POST /db: /etc/passwd", "POST", api + "/db?db=/etc/passwd", body, 400);
  add("POST /db: %2Fetc%2Fpasswd", "POST", api + "/db?db=%2Fetc%2Fpasswd", body, 400);
  add("POST /db: //etc/passwd", "POST", api + "/db?db=//etc/passwd", body, 400);
  add("POST /db: absolute path to main", "POST",
      api + "/db?db=" + url_encode(outside_dir + "/x.db"), body, 400);
  add("POST /db: :memory:", "POST", api + "/db?db=:memory:", body, 400);
  add("POST /db: file: URI", "POST", api + "/db?db=file:main.db", body, 400);
  add("POST /db: file: URI with mode", "POST", api + "/db?db=" + url_encode("file:x?mode=memory"),
      body, 400);
  add("POST /db: NUL in name", "POST", api + "/db?db=main%00.txt", body, 400);
  add("POST /db: NUL only", "POST", api + "/db?db=%00", body, 400);
  add("POST /db: dot", "POST", api + "/db?db=.", body, 400);
  add("POST /db: dot dot", "POST", api + "/db?db=..", body, 400);
  add("POST /db: symlink leading outside", "POST", api + "/db?db=escape", body, 400);
  add("POST /db: 300-byte name", "POST", api + "/db?db=" + std::string(300, 'a'), body, 400);
  add("POST /db: 5000-byte name", "POST", api + "/db?db=" + std::string(5000, 'a'), body, 400);
  add("POST /db: overlong-UTF-8 dots and slash", "POST", api + "/db?db=%C0%AE%C0%AE%2Fmain", body,
      400);
  add("POST /db: bad percent escape", "POST", api + "/db?db=ma%zzin", body, 400);
  add("POST /db: truncated percent escape", "POST", api + "/db?db=main%2", body, 400);
  add("POST /db: lone percent", "POST", api + "/db?db=main%", body, 400);
  add("POST /db: traversal first, main second", "POST", api + "/db?db=../x&db=main", body, 400);
  add("POST /db: create flag not a boolean", "POST", api + "/db?db=new1&create_db_if_missing=maybe",
      body, 400);
  add("POST /db: conflicting create flags", "POST",
      api + "/db?db=new2&create_db_if_missing=true&auto_create=false", body, 400);
  add("POST /db: create + invalid body creates nothing", "POST",
      api + "/db?db=new3&create_db_if_missing=true", "{", 400);
  add("POST /db: create + bad item shape creates nothing", "POST",
      api + "/db?db=new4&create_db_if_missing=true", tx(R"({"query":1})"), 400);
  add("POST /db: unknown parameter with bad escape", "POST", db + "&unknown=%G0", body, 400);
  add("POST /db: unknown parameter name with bad escape", "POST", db + "&%zz=1", body, 400);

  // POST /db/create.
  add("POST /db/create: no path", "POST", api + "/db/create", "", 400);
  add("POST /db/create: ../x", "POST", api + "/db/create?path=../x", "", 400);
  add("POST /db/create: absolute", "POST",
      api + "/db/create?path=" + url_encode(outside_dir + "/c.db"), "", 400);
  add("POST /db/create: :memory:", "POST", api + "/db/create?path=:memory:", "", 400);
  add("POST /db/create: already exists", "POST", api + "/db/create?path=main", "", 409);
  add("POST /db/create: init_kv not a boolean", "POST", api + "/db/create?path=c1&init_kv=maybe",
      "", 400);
  add("POST /db/create: bad kv_table", "POST",
      api + "/db/create?path=c2&init_kv=true&kv_table=1bad", "", 400);
  add("POST /db/create: kv_table sqlite_master", "POST",
      api + "/db/create?path=c3&init_kv=true&kv_table=sqlite_master", "", 400);
  add("POST /db/create: kv_table injection", "POST",
      api + "/db/create?path=c4&init_kv=true&kv_table=" + url_encode("t; DROP TABLE t"), "", 400);
  add("POST /db/create: symlink outside", "POST", api + "/db/create?path=escape", "", 400);

  // GET /query.
  auto get_query = [&](const std::string& name, const std::string& sql, int status) {
    add("GET /query: " + name, "GET", api + "/query?db=main&sql=" + url_encode(sql), "", status);
  };
  add("GET /query: no sql", "GET", api + "/query?db=main", "", 400);
  add("GET /query: empty sql", "GET", api + "/query?db=main&sql=", "", 400);
  add("GET /query: no db", "GET", api + "/query?sql=" + url_encode("SELECT 1"), "", 400);
  add("GET /query: traversal db", "GET", api + "/query?db=../main&sql=" + url_encode("SELECT 1"),
      "", 400);
  add("GET /query: missing db", "GET", api + "/query?db=nosuch&sql=" + url_encode("SELECT 1"), "",
      404);
  get_query("raw DELETE", "DELETE FROM t", 400);
  get_query("base64 DELETE", base64("DELETE FROM t"), 400);
  get_query("INSERT", "INSERT INTO t(name) VALUES ('x')", 400);
  get_query("UPDATE RETURNING", "UPDATE t SET name = 'x' RETURNING *", 400);
  get_query("REPLACE", "REPLACE INTO t(id, name) VALUES (1, 'x')", 400);
  get_query("CREATE TABLE", "CREATE TABLE z(a)", 400);
  get_query("DROP TABLE", "DROP TABLE t", 400);
  get_query("SELECT then DELETE", "SELECT 1; DELETE FROM t", 400);
  get_query("WITH ... DELETE", "WITH x AS (SELECT 1) DELETE FROM t", 400);
  get_query("PRAGMA write", "PRAGMA user_version = 5", 400);
  get_query("ATTACH", "ATTACH DATABASE ':memory:' AS m", 400);
  get_query("VACUUM", "VACUUM", 400);
  get_query("BEGIN", "BEGIN", 400);
  get_query("load_extension", "SELECT load_extension('/tmp/evil')", 400);
  get_query("syntax error", "SELEC 1", 400);
  get_query("missing table", "SELECT * FROM nosuch", 400);
  get_query("base64 of invalid UTF-8", base64("SELECT '\xff\xfe'"), 400);
  add("GET /query: invalid UTF-8 raw", "GET", api + "/query?db=main&sql=SELECT%20%27%FF%27", "",
      400);
  add("GET /query: NUL in SQL", "GET",
      api + "/query?db=main&sql=SELECT%201%00%3B%20DELETE%20FROM%20t", "", 400);

  // KV keys: NUL, whitespace, size, UTF-8, encoding.
  add("GET kv: NUL key", "GET", kv + "/%00" + q, "", 400);
  add("GET kv: NUL inside key", "GET", kv + "/a%00b" + q, "", 400);
  add("PUT kv: NUL inside key", "PUT", kv + "/a%00b" + q, "x", 400);
  add("PUT kv: whitespace-only key", "PUT", kv + "/%20%20" + q, "x", 400);
  add("PUT kv: tab-only key", "PUT", kv + "/%09" + q, "x", 400);
  add("PUT kv: 1025-byte key", "PUT", kv + "/" + std::string(1025, 'k') + q, "x", 400);
  add("PUT kv: invalid UTF-8 key", "PUT", kv + "/%FF%FE" + q, "x", 400);
  add("PUT kv: overlong UTF-8 NUL key", "PUT", kv + "/%C0%80" + q, "x", 400);
  add("GET kv: bad percent escape in key", "GET", kv + "/%zz" + q, "", 400);
  add("GET kv: truncated percent escape in key", "GET", kv + "/abc%" + q, "", 400);
  add("GET kv: SQL injection in key finds nothing", "GET",
      kv + "/" + url_encode("x' OR '1'='1") + q, "", 404);
  add("DELETE kv: SQL injection in key deletes nothing", "DELETE",
      kv + "/" + url_encode("x'; DELETE FROM kv_store; --") + q, "", 404);
  add("GET kv: missing key", "GET", kv + "/nosuch" + q, "", 404);
  add("DELETE kv: missing key", "DELETE", kv + "/nosuch" + q, "", 404);
  add("PUT kv: missing database", "PUT", kv + "/k?db=nosuch", "x", 404);
  add("PUT kv: traversal database", "PUT", kv + "/k?db=../main&create_db_if_missing=true", "x",
      400);
  add("PUT kv: absolute database", "PUT",
      kv + "/k?db=" + url_encode(outside_dir + "/kv.db") + "&create_db_if_missing=true", "x", 400);

  // KV parameters.
  for (const char* ttl :
       {"-1", "abc", "1.5", "1e3", "99999999999999999999", "3153600001", "+5", "0x10", " 5"}) {
    add("PUT kv: ttl=" + std::string(ttl), "PUT", kv + "/k" + q + "&ttl=" + url_encode(ttl), "x",
        400);
  }
  add("PUT kv: CAS mismatch", "PUT", kv + "/cfg" + q + "&if_match=nope", "x", 412);
  add("PUT kv: CAS on a missing key", "PUT", kv + "/nosuch" + q + "&if_match=x", "x", 412);
  add("PUT kv: path with non-JSON leaf", "PUT", kv + "/cfg" + q + "&path=theme.mode", "dark", 400);
  add("PUT kv: path index beyond the array", "PUT", kv + "/cfg" + q + "&path=items%5B99%5D", "1",
      400);
  add("PUT kv: path through a scalar", "PUT", kv + "/cfg" + q + "&path=theme.mode.x", "1", 400);
  add("PUT kv: path unterminated bracket", "PUT", kv + "/cfg" + q + "&path=items%5B", "1", 400);
  add("PUT kv: path bracket not a number", "PUT", kv + "/cfg" + q + "&path=items%5Bx%5D", "1", 400);
  add("PUT kv: path with invalid UTF-8 (fuzz finding)", "PUT", kv + "/cfg" + q + "&path=a%FF", "1",
      400);
  add("PUT kv: path on a text value", "PUT", kv + "/hello" + q + "&path=a", "1", 400);
  add("PUT kv: path with deep leaf", "PUT", kv + "/cfg" + q + "&path=theme.mode",
      deep_array(100000), 400);
  add("PUT kv: 100k nested arrays as the value", "PUT", kv + "/deep" + q, deep_array(100000), 400);
  add("PUT kv: 100k nested objects as the value", "PUT", kv + "/deep" + q, deep_object(100000),
      400);
  for (const char* table :
       {"1bad", "kv_store;DROP TABLE t", "sqlite_master", "a\"b", "a b", "tab\tle", "x-y"}) {
    add("PUT kv: table=" + std::string(table), "PUT", kv + "/k" + q + "&table=" + url_encode(table),
        "x", 400);
  }
  add("PUT kv: 65-char table", "PUT", kv + "/k" + q + "&table=" + std::string(65, 't'), "x", 400);
  add("PUT kv: table and kv_table disagree", "PUT", kv + "/k" + q + "&table=a&kv_table=b", "x",
      400);
  add("PUT kv: history not a boolean", "PUT", kv + "/k" + q + "&history=maybe", "x", 400);
  add("DELETE kv: history not a boolean", "DELETE", kv + "/cfg" + q + "&history=maybe", "", 400);
  add("PUT kv: content_type with CRLF", "PUT",
      kv + "/k" + q + "&content_type=" + url_encode("text/plain\r\nX-Injected: 1"), "x", 400);
  add("PUT kv: content_type with NUL", "PUT", kv + "/k" + q + "&content_type=text%00plain", "x",
      400);
  add("PUT kv: Content-Type header with control char", "PUT", kv + "/k" + q, "x", 400,
      {{"Content-Type",
        "text/pl\x01"
        "ain"}});
  add("GET kv: path not found", "GET", kv + "/cfg" + q + "&path=nosuch", "", 404);
  add("GET kv: path on a text value", "GET", kv + "/hello" + q + "&path=a", "", 400);
  add("GET kv: path through a scalar", "GET", kv + "/cfg" + q + "&path=theme.mode.deeper", "", 400);
  add("GET kv: at_timestamp not a number", "GET", kv + "/cfg" + q + "&at_timestamp=abc", "", 400);
  add("GET kv: at_timestamp 1e999", "GET", kv + "/cfg" + q + "&at_timestamp=1e999", "", 400);
  add("GET kv: at_timestamp NaN", "GET", kv + "/cfg" + q + "&at_timestamp=nan", "", 400);
  add("GET kv: at_timestamp inf", "GET", kv + "/cfg" + q + "&at_timestamp=inf", "", 400);
  add("GET kv list: limit=-1", "GET", kv + q + "&limit=-1", "", 400);
  add("GET kv list: limit=abc", "GET", kv + q + "&limit=abc", "", 400);
  add("GET kv list: huge limit", "GET", kv + q + "&limit=99999999999999999999", "", 400);
  add("GET kv list: offset=-1", "GET", kv + q + "&offset=-1", "", 400);
  add("GET kv list: traversal db", "GET", kv + "?db=..%2F..%2Fetc%2Fpasswd", "", 400);
  add("HEAD kv: missing key", "HEAD", kv + "/nosuch" + q, "", 404);
  add("HEAD kv: NUL key", "HEAD", kv + "/%00" + q, "", 400);

  // Atomic operations.
  for (const char* delta : {"0", "-1", "abc", "1.5", "99999999999999999999", "", "1e2"}) {
    if (std::string(delta).empty()) {
      continue;  // empty means the default (1), not an error
    }
    add("incr: delta=" + std::string(delta), "POST", kv + "/counter/incr" + q + "&delta=" + delta,
        "", 400);
    add("decr: delta=" + std::string(delta), "POST", kv + "/counter/decr" + q + "&delta=" + delta,
        "", 400);
  }
  add("incr: overflow", "POST", kv + "/counter/incr" + q + "&delta=9223372036854775807", "", 400);
  add("decr: underflow", "POST", kv + "/neg/decr" + q + "&delta=9223372036854775807", "", 400);
  add("incr: text value", "POST", kv + "/hello/incr" + q, "", 400);
  add("incr: object value", "POST", kv + "/cfg/incr" + q, "", 400);
  add("incr: array leaf", "POST", kv + "/cfg/incr" + q + "&path=items", "", 400);
  add("incr: NUL key", "POST", kv + "/a%00/incr" + q, "", 400);
  add("incr: traversal db", "POST", kv + "/counter/incr?db=../main", "", 400);
  add("push: body not JSON", "POST", kv + "/list/push" + q, "not json", 400);
  add("push: empty body", "POST", kv + "/list/push" + q, "", 400);
  add("push: whitespace body", "POST", kv + "/list/push" + q, " \n", 400);
  add("push: onto a number", "POST", kv + "/counter/push" + q, R"({"value":1})", 400);
  add("push: onto text", "POST", kv + "/hello/push" + q, R"({"value":1})", 400);
  add("push: deep value", "POST", kv + "/list/push" + q, R"({"value":)" + deep_array(100000) + "}",
      400);
  add("pop: missing key", "POST", kv + "/nosuch/pop" + q, "", 404);
  add("pop: object value", "POST", kv + "/cfg/pop" + q, "", 400);
  add("pop: number value", "POST", kv + "/counter/pop" + q, "", 400);
  add("remove: index not a number", "POST", kv + "/list/remove" + q + "&index=abc", "", 400);
  add("remove: index out of range", "POST", kv + "/list/remove" + q + "&index=99", "", 400);
  add("remove: body not JSON", "POST", kv + "/list/remove" + q, "{", 400);
  add("remove: from a number", "POST", kv + "/counter/remove" + q, R"({"value":1})", 400);

  // Batches (all or nothing).
  const std::string bset = kv + "/batch/set" + q;
  add("batch/set: body not JSON", "POST", bset, "{", 400);
  add("batch/set: no items", "POST", bset, "{}", 400);
  add("batch/set: empty items", "POST", bset, R"({"items":[]})", 400);
  add("batch/set: items is a string", "POST", bset, R"({"items":"x"})", 400);
  add("batch/set: item is a number", "POST", bset, R"({"items":[1]})", 400);
  add("batch/set: item value is a number", "POST", bset, R"({"items":[{"key":"a","value":1}]})",
      400);
  add("batch/set: empty key", "POST", bset, R"({"items":[{"key":"","value":"1"}]})", 400);
  add("batch/set: whitespace key", "POST", bset, R"({"items":[{"key":"  ","value":"1"}]})", 400);
  add("batch/set: numeric key", "POST", bset, R"({"items":[{"key":1,"value":"1"}]})", 400);
  add("batch/set: NUL in key", "POST", bset, R"({"items":[{"key":"a\u0000b","value":"1"}]})", 400);
  add("batch/set: raw object value", "POST", bset, R"({"items":[{"key":"a","value":{"x":1}}]})",
      400);
  add("batch/set: negative ttl", "POST", bset, R"({"items":[{"key":"a","value":"1","ttl":-1}]})",
      400);
  add("batch/set: ttl is a string", "POST", bset,
      R"({"items":[{"key":"a","value":"1","ttl":"x"}]})", 400);
  add("batch/set: content_type is a number", "POST", bset,
      R"({"items":[{"key":"a","value":"1","content_type":5}]})", 400);
  add("batch/set: good item then bad item (nothing written)", "POST", bset,
      R"({"items":[{"key":"good","value":"\"1\""},{"key":"","value":"1"}]})", 400);
  add("batch/set: batch form with empty key", "POST", bset, R"({"batch":[{"key":"","value":1}]})",
      400);
  add(
      "batch/set: 101 items", "POST", bset,
      [] {
        json items = json::array();
        for (int i = 0; i < 101; ++i) {
          items.push_back({{"key", "b" + std::to_string(i)}, {"value", "1"}});
        }
        return json{{"items", items}}.dump();
      }(),
      400);
  add("batch/set: traversal db", "POST", kv + "/batch/set?db=../main",
      R"({"items":[{"key":"a","value":"1"}]})", 400);
  const std::string bget = kv + "/batch/get" + q;
  add("batch/get: no keys", "POST", bget, "{}", 400);
  add("batch/get: keys is a string", "POST", bget, R"({"keys":"a"})", 400);
  add("batch/get: numeric key", "POST", bget, R"({"keys":[1]})", 400);
  add("batch/get: empty keys", "POST", bget, R"({"keys":[]})", 400);
  add(
      "batch/get: 101 keys", "POST", bget,
      [] {
        json keys = json::array();
        for (int i = 0; i < 101; ++i) {
          keys.push_back("k" + std::to_string(i));
        }
        return json{{"keys", keys}}.dump();
      }(),
      400);
  const std::string bdel = kv + "/batch/delete" + q;
  add("batch/delete: empty keys", "POST", bdel, R"({"keys":[]})", 400);
  add("batch/delete: empty key", "POST", bdel, R"({"keys":[""]})", 400);
  add("batch/delete: keys null", "POST", bdel, R"({"keys":null})", 400);
  add("batch/delete: real key then empty key (nothing deleted)", "POST", bdel,
      R"({"keys":["cfg",""]})", 400);

  // Time travel.
  add("history: limit=-1", "GET", kv + "/cfg/history" + q + "&limit=-1", "", 400);
  add("history: limit=abc", "GET", kv + "/cfg/history" + q + "&limit=abc", "", 400);
  add("snapshot: no op_number", "GET", kv + "/cfg/snapshot" + q, "", 400);
  add("snapshot: op_number=abc", "GET", kv + "/cfg/snapshot" + q + "&op_number=abc", "", 400);
  add("snapshot: op_number beyond the log", "GET", kv + "/cfg/snapshot" + q + "&op_number=999", "",
      404);
  add("rollback key: steps=0", "POST", kv + "/cfg/rollback" + q + "&steps=0", "", 400);
  add("rollback key: steps=-1", "POST", kv + "/cfg/rollback" + q + "&steps=-1", "", 400);
  add("rollback key: steps=abc", "POST", kv + "/cfg/rollback" + q + "&steps=abc", "", 400);
  add("rollback key: missing key", "POST", kv + "/nosuch/rollback" + q, "", 404);
  add("table snapshot: no timestamp", "GET", kv + "/snapshot" + q, "", 400);
  add("table snapshot: timestamp=abc", "GET", kv + "/snapshot" + q + "&timestamp=abc", "", 400);
  add("diff: no from", "GET", kv + "/diff" + q, "", 400);
  add("diff: from=abc", "GET", kv + "/diff" + q + "&from=abc", "", 400);
  add("diff: to=abc", "GET", kv + "/diff" + q + "&from=0&to=abc", "", 400);
  add("table rollback: no to_timestamp", "POST", kv + "/rollback" + q + "&confirm=yes", "{}", 400);
  add("table rollback: to_timestamp=abc", "POST", kv + "/rollback" + q + "&to_timestamp=abc", "{}",
      400);
  add("table rollback: body not JSON", "POST", kv + "/rollback" + q + "&to_timestamp=0&confirm=yes",
      "{", 400);
  add("table rollback: keys is a string", "POST",
      kv + "/rollback" + q + "&to_timestamp=0&confirm=yes", R"({"keys":"cfg"})", 400);
  add("table rollback: numeric key", "POST", kv + "/rollback" + q + "&to_timestamp=0&confirm=yes",
      R"({"keys":[1]})", 400);
  add(
      "table rollback: 10,001 keys", "POST", kv + "/rollback" + q + "&to_timestamp=0&confirm=yes",
      [] {
        json keys = json::array();
        for (int i = 0; i < 10001; ++i) {
          keys.push_back("k" + std::to_string(i));
        }
        return json{{"keys", keys}}.dump();
      }(),
      413);

  // Query history.
  add("history list: no db", "GET", api + "/history", "", 400);
  add("history list: traversal db", "GET", api + "/history?db=../main", "", 400);
  add("history list: limit=-1", "GET", api + "/history" + q + "&limit=-1", "", 400);
  add("history list: limit=abc", "GET", api + "/history" + q + "&limit=abc", "", 400);
  add("history stats: absolute db", "GET", api + "/history/stats?db=%2Fetc%2Fpasswd", "", 400);
  add("history delete: index abc", "DELETE", api + "/history/abc" + q, "", 400);
  add("history delete: index -1", "DELETE", api + "/history/-1" + q, "", 400);
  add("history delete: index beyond", "DELETE", api + "/history/999999" + q, "", 404);
  add("history clear: traversal db", "DELETE", api + "/history?db=..%2Fmain", "", 400);

  // The databases list.
  add("databases: limit=0", "GET", api + "/databases?limit=0", "", 400);
  add("databases: limit=abc", "GET", api + "/databases?limit=abc", "", 400);

  // Unknown paths and the UI's static files.
  add("unknown API path", "GET", api + "/nope", "", 404);
  add("unknown API version", "GET", "/api/v2/sqlite/health", "", 404);
  add("GET kv: missing key with slashes", "GET", kv + "/a/b/c/d" + q, "", 404);
  add("static: traversal by segments", "GET", "/../../etc/passwd", "", 404);
  add("static: encoded traversal", "GET", "/..%2F..%2Fetc%2Fpasswd", "", 404);
  add("static: encoded dot dot", "GET", "/%2e%2e", "", 404);
  add("static: NUL in file name", "GET", "/index.html%00.png", "", 404);
  add("static: bad escape", "GET", "/%zz", "", 400);

  // Every route with wrong methods.
  struct route_sample {
    std::string target;
    std::set<std::string> allowed;
  };
  const std::vector<route_sample> routes{
      {api + "/health", {"GET", "HEAD"}},
      {api + "/health/cache", {"GET", "HEAD"}},
      {api + "/databases", {"GET", "HEAD"}},
      {api + "/db" + q, {"POST"}},
      {api + "/db/create?path=wm", {"POST"}},
      {api + "/query" + q, {"GET", "HEAD"}},
      {api + "/history" + q, {"GET", "HEAD", "DELETE"}},
      {api + "/history/stats" + q, {"GET", "HEAD"}},
      {api + "/history/0" + q, {"DELETE"}},
      {kv + q, {"GET", "HEAD"}},
      {kv + "/cfg" + q, {"GET", "HEAD", "PUT", "DELETE"}},
      // A sub-route's path is also the key "counter/incr" for GET, HEAD, PUT and DELETE.
      {kv + "/counter/incr" + q, {"POST", "GET", "HEAD", "PUT", "DELETE"}},
      {kv + "/counter/decr" + q, {"POST", "GET", "HEAD", "PUT", "DELETE"}},
      {kv + "/list/push" + q, {"POST", "GET", "HEAD", "PUT", "DELETE"}},
      {kv + "/list/pop" + q, {"POST", "GET", "HEAD", "PUT", "DELETE"}},
      {kv + "/list/remove" + q, {"POST", "GET", "HEAD", "PUT", "DELETE"}},
      {kv + "/batch/get" + q, {"POST"}},
      {kv + "/batch/set" + q, {"POST"}},
      {kv + "/batch/delete" + q, {"POST"}},
      {kv + "/cfg/history" + q, {"GET", "HEAD", "PUT", "DELETE"}},
      {kv + "/cfg/snapshot" + q, {"GET", "HEAD", "PUT", "DELETE"}},
      {kv + "/cfg/rollback" + q, {"POST", "GET", "HEAD", "PUT", "DELETE"}},
      {kv + "/a/b/c" + q, {"GET", "HEAD", "PUT", "DELETE"}},
      {kv + "/snapshot" + q, {"GET", "HEAD"}},
      {kv + "/diff" + q, {"GET", "HEAD"}},
      {kv + "/rollback" + q, {"POST"}},
  };
  for (const auto& r : routes) {
    for (const char* method : {"GET", "POST", "PUT", "DELETE", "PATCH"}) {
      if (r.allowed.count(method) == 0) {
        add(std::string(method) + " " + r.target + " → 405", method, r.target, "", 405);
      }
    }
  }
  add("unknown method FOO", "FOO", api + "/health", "", 405);
  add("TRACE method", "TRACE", api + "/health", "", 405);
  add("PUT on the UI root", "PUT", "/", "x", 405);
  add("DELETE on a UI file", "DELETE", "/index.html", "", 405);

  // Malformed HTTP on the wire.
  const std::string health = "GET " + api + "/health HTTP/1.1";
  add_raw("wire: garbage request line", "GARBAGE\r\n\r\n", 400);
  add_raw("wire: unknown HTTP version", "GET / HTTP/9.9\r\n\r\n", 400);
  add_raw("wire: Content-Length not a number", raw_request(health, {"Content-Length: abc"}), 400);
  add_raw("wire: negative Content-Length", raw_request(health, {"Content-Length: -1"}), 400);
  add_raw("wire: huge Content-Length",
          raw_request("POST " + db + " HTTP/1.1", {"Content-Length: 99999999999999999999999"}),
          400);
  add_raw("wire: Content-Length above the body limit",
          raw_request("POST " + db + " HTTP/1.1", {"Content-Length: 17000000"}), 413);
  add_raw(
      "wire: two different Content-Lengths",
      raw_request("POST " + db + " HTTP/1.1", {"Content-Length: 5", "Content-Length: 6"}, "{}{}{}"),
      400);
  add_raw("wire: header without colon", raw_request(health, {"NoColonHere"}), 400);
  add_raw("wire: NUL in header value", raw_request(health, {"X-A: a\0b"s}), 400);
  add_raw("wire: header block over 16 KiB",
          raw_request(health, {"X-Big: " + std::string(20000, 'a')}), 431);
  add_raw("wire: 2,000 small headers",
          raw_request(health,
                      [] {
                        std::vector<std::string> lines;
                        for (int i = 0; i < 2000; ++i) {
                          lines.push_back("X-H" + std::to_string(i) + ": v");
                        }
                        return lines;
                      }()),
          431);
  add_raw("wire: 20 KiB target",
          raw_request("GET " + api + "/health?x=" + std::string(20000, 'a') + " HTTP/1.1", {}),
          431);
  add_raw("wire: bad chunk size",
          raw_request("POST " + db + " HTTP/1.1", {"Transfer-Encoding: chunked"}, "ZZ\r\n"), 400);
  add_raw("wire: chunked body above the limit",
          raw_request("POST " + db + " HTTP/1.1", {"Transfer-Encoding: chunked"},
                      "2000000\r\n" + std::string(64, 'a')),
          413);
  add_raw("wire: space inside the target", "GET /api/v1/sqlite/he alth HTTP/1.1\r\nHost: x\r\n\r\n",
          400);
  add_raw("wire: control char in the target",
          "GET /api/v1/sqlite/he\x01lth HTTP/1.1\r\nHost: x\r\n\r\n", 400);
  return rows;
}

// --- state fingerprint ---------------------------------------------------------------------

std::string list_files(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    names.insert(fs::relative(entry.path(), dir).string());
  }
  std::string out;
  for (const auto& n : names) {
    out += n + "\n";
  }
  return out;
}

// Every table's rows, the schema and the KV listing of database `main`, plus the file names.
json fingerprint(http_client& c, const fs::path& data_dir, const fs::path& outside) {
  json fp;
  fp["files"] = list_files(data_dir);
  fp["outside"] = list_files(outside);
  auto tables =
      c.post(api + "/db?db=main",
             json{{"resultFormat", "list"},
                  {"transaction",
                   {{{"query", "SELECT type, name, sql FROM sqlite_master ORDER BY name"}}}}});
  EXPECT_EQ(tables.status, 200) << tables.body;
  fp["schema"] = tables.json()["results"][0]["resultSetList"];
  for (const auto& row : fp["schema"]) {
    if (row[0] != "table") {
      continue;
    }
    const std::string name = row[1];
    // The query history records every request, refused ones too (and its AUTOINCREMENT row in
    // sqlite_sequence moves with it): bookkeeping, not data the requests may have changed.
    const std::string where = name == "sqlite_sequence" ? " WHERE name <> '_query_history'" : "";
    if (name == "_query_history") {
      continue;
    }
    auto rows =
        c.post(api + "/db?db=main",
               json{{"resultFormat", "list"},
                    {"transaction",
                     {{{"query", "SELECT * FROM \"" + name + "\"" + where + " ORDER BY rowid"}}}}});
    EXPECT_EQ(rows.status, 200) << rows.body;
    fp["table:" + name] = rows.json()["results"][0]["resultSetList"];
  }
  auto keys = c.get(api + "/kv?db=main&limit=1000");
  EXPECT_EQ(keys.status, 200) << keys.body;
  fp["kv"] = keys.json();
  return fp;
}

// --- the test ------------------------------------------------------------------------------

TEST(catalogue, every_bad_request_is_a_clear_4xx_and_changes_nothing) {
  temp_dir outside;
  server_process srv;
  http_client c(srv.port(), std::chrono::seconds(20));

  // State: a database with a SQL table and KV keys of every shape, and a symlink that leads out.
  ASSERT_EQ(c.request("POST", api + "/db/create?path=main&init_kv=true").status, 201);
  auto setup =
      c.post(api + "/db?db=main",
             json{{"transaction",
                   {{{"statement", "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL)"}},
                    {{"statement", "INSERT INTO t(name) VALUES ('a'), ('b')"}}}}});
  ASSERT_EQ(setup.status, 200) << setup.body;
  ASSERT_EQ(c.put(api + "/kv/cfg?db=main", R"({"theme":{"mode":"dark"},"items":[1,2,3]})").status,
            200);
  ASSERT_EQ(c.put(api + "/kv/counter?db=main", "7").status, 200);
  ASSERT_EQ(c.put(api + "/kv/neg?db=main", "-5").status, 200);
  ASSERT_EQ(c.put(api + "/kv/list?db=main", "[1,2]").status, 200);
  ASSERT_EQ(c.put(api + "/kv/hello?db=main", "hello", {{"Content-Type", "text/plain"}}).status,
            200);
  fs::create_symlink(outside.path() / "escaped.db", srv.data_dir() / "escape.db");

  const json before = fingerprint(c, srv.data_dir(), outside.path());
  const auto rows = catalogue(outside.path().string());
  EXPECT_GE(rows.size(), 200U);
  std::printf("catalogue: %zu requests\n", rows.size());

  std::set<std::string> names;
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_TRUE(names.insert(row.name).second) << "duplicate row name";
    hoody::test::http_response res;
    try {
      if (!row.raw.empty()) {
        http_client fresh(srv.port(), std::chrono::seconds(20));
        res = fresh.raw(row.raw);
      } else {
        res = c.request(row.method, row.target, row.body, row.headers);
      }
    } catch (const std::exception& e) {
      ADD_FAILURE() << "no answer: " << e.what();
      c.close();
      continue;
    }
    EXPECT_EQ(res.status, row.status) << res.body.substr(0, 300);
    if (row.status == statement_error) {
      const json body = json::parse(res.body, nullptr, false);
      EXPECT_TRUE(body.is_object() && body.value("reqIdx", -1) >= 0 && body.contains("error"))
          << res.body.substr(0, 300);
      continue;
    }
    EXPECT_GE(res.status, 400);
    EXPECT_LT(res.status, 500);
    if (row.method == "HEAD") {
      EXPECT_TRUE(res.body.empty());
      continue;
    }
    EXPECT_NE(res.header("content-type").find("application/json"), std::string::npos);
    const json body = json::parse(res.body, nullptr, false);
    if (!body.is_object() || !body.contains("error") || !body["error"].is_string()) {
      ADD_FAILURE() << "not a JSON error: " << res.body.substr(0, 300);
      continue;
    }
    EXPECT_FALSE(body["error"].get<std::string>().empty());
  }

  // Still serving, and nothing changed.
  EXPECT_EQ(c.get(api + "/health").status, 200);
  const json after = fingerprint(c, srv.data_dir(), outside.path());
  for (const auto& [name, value] : before.items()) {
    EXPECT_EQ(after[name], value) << "state changed: " << name;
  }
  EXPECT_EQ(after.size(), before.size()) << "new tables: " << after.dump().substr(0, 2000);
}

}  // namespace
