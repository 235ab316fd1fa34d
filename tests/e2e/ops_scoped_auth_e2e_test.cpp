// Scoped JWTs (--jwt-key-file) and signed share links against the real binary: every operation
// of the OpenAPI document under each scope, POST /db's read-then-write, expiry, tampering, and
// the `token` / `share` subcommands.
#include "hoody/core/clock.hpp"
#include "hoody/http/tokens.hpp"

#include "support/e2e_fixture.hpp"
#include "support/ed25519_test_keys.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>

namespace {

using hoody::test::http_client;
using hoody::test::http_response;
using hoody::test::server_binary;
using hoody::test::server_process;
using hoody::test::temp_dir;
using nlohmann::json;
namespace auth = hoody::http::auth;

using hoody::test::api;
const std::string secret = "e2e-hs256-secret-0123456789abcdef0123456789";
using hoody::test::ed_private_pem;
using hoody::test::ed_public_pem;

std::int64_t now_s() {
  return hoody::unix_now_ms() / 1000;
}

std::map<std::string, std::string> bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

std::string jwt(const std::vector<std::string>& dbs, auth::level access, std::int64_t ttl = 600) {
  return auth::sign_jwt_hs256(auth::token_payload(dbs, access, now_s(), ttl), secret);
}

std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return out;
  }
  char buf[4096];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) {
    out += buf;
  }
  ::pclose(pipe);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) {
    out.pop_back();
  }
  return out;
}

class ops_scoped_auth_e2e : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    keys_dir_ = new temp_dir();
    key_file_ = keys_dir_->path() / "keys";
    std::ofstream(key_file_) << "# e2e keys\nhs256 " << secret << "\n" << ed_public_pem;
    srv_ = new server_process({"--auth-token", "full-token", "--read-only-token", "ro-token",
                               "--jwt-key-file", key_file_.string()});
    http_client c(srv_->port());
    for (const auto* db : {"app1", "other"}) {
      ASSERT_EQ(c.request("POST", api + "/db/create?path=" + db + "&init_kv=true", "{}",
                          bearer("full-token"))
                    .status,
                201);
      ASSERT_EQ(c.request("PUT", api + "/kv/k?db=" + db, "v", bearer("full-token")).status, 200);
      ASSERT_EQ(c.request("POST", api + "/db?db=" + std::string(db),
                          R"j({"transaction":[{"statement":"CREATE TABLE t(x)"},
                               {"statement":"INSERT INTO t VALUES (42)"}]})j",
                          bearer("full-token"))
                    .status,
                200);
    }
  }
  static void TearDownTestSuite() {
    delete srv_;
    srv_ = nullptr;
    delete keys_dir_;
    keys_dir_ = nullptr;
  }
  static server_process* srv_;
  static temp_dir* keys_dir_;
  static std::filesystem::path key_file_;
  http_client c{srv_->port()};
};
server_process* ops_scoped_auth_e2e::srv_ = nullptr;
temp_dir* ops_scoped_auth_e2e::keys_dir_ = nullptr;
std::filesystem::path ops_scoped_auth_e2e::key_file_;

TEST_F(ops_scoped_auth_e2e, read_token_for_a_prefix_reads_but_never_writes_or_strays) {
  const auto token = bearer(jwt({"app*"}, auth::level::read));
  EXPECT_EQ(c.request("GET", api + "/kv/k?db=app1", "", token).body, "v");
  EXPECT_EQ(c.request("GET", api + "/query?db=app1&sql=SELECT+x+FROM+t", "", token).status, 200);
  const auto read_sql = c.request("POST", api + "/db?db=app1",
                                  R"({"transaction":[{"query":"SELECT x FROM t"}]})", token);
  EXPECT_EQ(read_sql.status, 200) << read_sql.body;
  EXPECT_EQ(read_sql.json()["results"][0]["resultSet"][0]["x"], 42) << read_sql.body;
  EXPECT_EQ(c.request("POST", api + "/kv/batch/get?db=app1", R"({"keys":["k"]})", token).status,
            200);

  const std::vector<std::tuple<std::string, std::string, std::string>> refused = {
      {"PUT", "/kv/k?db=app1", "changed"},
      {"DELETE", "/kv/k?db=app1", ""},
      {"POST", "/kv/n/incr?db=app1", "{}"},
      {"POST", "/db?db=app1", R"j({"transaction":[{"statement":"INSERT INTO t VALUES (1)"}]})j"},
      {"POST", "/db?db=app1", R"j({"transaction":[{"statement":"CREATE TABLE u(x)"}]})j"},
      {"POST", "/db?db=app9&create_db_if_missing=true",
       R"({"transaction":[{"query":"SELECT 1"}]})"},
      {"POST", "/db/create?path=app2", "{}"},
      {"POST", "/maintenance?db=app1", R"({"op":"quick_check"})"},
      {"GET", "/kv/k?db=other", ""},
      {"GET", "/query?db=other&sql=SELECT+1", ""},
      {"POST", "/db?db=other", R"({"transaction":[{"query":"SELECT 1"}]})"},
  };
  for (const auto& [method, target, body] : refused) {
    const auto r = c.request(method, api + target, body, token);
    EXPECT_EQ(r.status, 403) << method << " " << target << " " << r.body;
    EXPECT_EQ(r.json()["code"], "FORBIDDEN") << r.body;
  }
  const auto stray = c.request("GET", api + "/kv/k?db=other", "", token);
  EXPECT_NE(stray.body.find("does not include database 'other'"), std::string::npos) << stray.body;
  const auto write = c.request("PUT", api + "/kv/k?db=app1", "x", token);
  EXPECT_NE(write.body.find("needs 'write'"), std::string::npos) << write.body;
  // Nothing was written: the value, the table and the files are as before.
  EXPECT_EQ(c.request("GET", api + "/kv/k?db=app1", "", bearer("full-token")).body, "v");
  const auto rows = c.request("GET", api + "/query?db=app1&sql=SELECT+count(*)+AS+n+FROM+t", "",
                              bearer("full-token"));
  EXPECT_EQ(rows.json()["resultSet"][0]["n"], 1) << rows.body;
  EXPECT_FALSE(std::filesystem::exists(srv_->data_dir() / "app2.db"));
  EXPECT_FALSE(std::filesystem::exists(srv_->data_dir() / "app9.db"));
}

TEST_F(ops_scoped_auth_e2e, write_and_admin_levels) {
  const auto write = bearer(jwt({"app1"}, auth::level::write));
  EXPECT_EQ(c.request("PUT", api + "/kv/w?db=app1", "1", write).status, 200);
  EXPECT_EQ(c.request("POST", api + "/db?db=app1",
                      R"j({"transaction":[{"statement":"INSERT INTO t VALUES (7)"}]})j", write)
                .status,
            200);
  EXPECT_EQ(c.request("POST", api + "/db?db=app1",
                      R"({"transaction":[{"statement":"DELETE FROM t WHERE x = 7"}]})", write)
                .status,
            200);
  EXPECT_EQ(
      c.request("POST", api + "/maintenance?db=app1", R"({"op":"quick_check"})", write).status,
      403);
  EXPECT_EQ(c.request("DELETE", api + "/history?db=app1", "", write).status, 403);
  EXPECT_EQ(c.request("PUT", api + "/kv/w?db=other", "1", write).status, 403);
  const auto admin = bearer(jwt({"app1"}, auth::level::admin));
  EXPECT_EQ(
      c.request("POST", api + "/maintenance?db=app1", R"({"op":"quick_check"})", admin).status,
      200);
  EXPECT_EQ(c.request("DELETE", api + "/kv/w?db=app1", "", admin).status, 200);
}

TEST_F(ops_scoped_auth_e2e, bad_expired_and_foreign_tokens_are_401) {
  const auto expired = auth::sign_jwt_hs256(
      auth::token_payload({"app*"}, auth::level::admin, now_s() - 3600, 60), secret);
  const auto r = c.request("GET", api + "/kv/k?db=app1", "", bearer(expired));
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(r.json()["code"], "UNAUTHORIZED");
  EXPECT_NE(r.body.find("token expired at"), std::string::npos) << r.body;
  EXPECT_EQ(r.header("www-authenticate").rfind("Bearer", 0), 0U);
  const auto foreign = auth::sign_jwt_hs256(
      auth::token_payload({"*"}, auth::level::admin, now_s(), 600), secret + "-other");
  const auto f = c.request("GET", api + "/kv/k?db=app1", "", bearer(foreign));
  EXPECT_EQ(f.status, 401);
  EXPECT_NE(f.body.find("signature does not verify"), std::string::npos) << f.body;
  EXPECT_EQ(c.request("GET", api + "/kv/k?db=app1", "", bearer("a.b.c")).status, 401);
  // The static tokens still work next to the key file.
  EXPECT_EQ(c.request("GET", api + "/kv/k?db=app1", "", bearer("ro-token")).body, "v");
  EXPECT_EQ(c.request("PUT", api + "/kv/k?db=app1", "v", bearer("ro-token")).status, 403);
  EXPECT_EQ(c.request("PUT", api + "/kv/k?db=app1", "v", bearer("full-token")).status, 200);
}

TEST_F(ops_scoped_auth_e2e, eddsa_tokens_verify_with_the_configured_public_key) {
  const auto token = auth::sign_jwt_ed25519(
      auth::token_payload({"app1"}, auth::level::read, now_s(), 600), ed_private_pem);
  EXPECT_EQ(c.request("GET", api + "/kv/k?db=app1", "", bearer(token)).body, "v");
  EXPECT_EQ(c.request("PUT", api + "/kv/k?db=app1", "v", bearer(token)).status, 403);
}

// The matrix: every operation of the OpenAPI document under each credential. "Allowed" means
// the request got past access control (any status but 401/403, never 5xx); refused is 403.
TEST_F(ops_scoped_auth_e2e, every_openapi_operation_under_each_scope) {
  const auto doc = c.request("GET", api + "/openapi.json", "", bearer("full-token")).json();
  ASSERT_TRUE(doc["paths"].is_object());
  // What each operation needs, written independently of the server ("open": no token).
  const std::map<std::string, std::string> expected = {
      {"get /api/v1/sqlite/health", "open"},
      {"get /api/v1/sqlite/health/cache", "open"},
      {"get /api/v1/sqlite/readyz", "open"},
      {"get /", "open"},
      {"get /{file}", "open"},
      {"get /js/{file}", "open"},
      {"post /api/v1/sqlite/db", "read"},  // escalates to write when the SQL writes
      {"post /api/v1/sqlite/db/create", "write"},
      {"get /api/v1/sqlite/query", "read"},
      {"get /api/v1/sqlite/databases", "read"},
      {"get /api/v1/sqlite/export", "read"},
      {"post /api/v1/sqlite/share", "admin"},
      {"get /api/v1/sqlite/history", "read"},
      {"delete /api/v1/sqlite/history", "admin"},
      {"get /api/v1/sqlite/history/stats", "read"},
      {"delete /api/v1/sqlite/history/{index}", "admin"},
      {"get /api/v1/sqlite/kv/{key}", "read"},
      {"head /api/v1/sqlite/kv/{key}", "read"},
      {"put /api/v1/sqlite/kv/{key}", "write"},
      {"delete /api/v1/sqlite/kv/{key}", "write"},
      {"get /api/v1/sqlite/kv", "read"},
      {"post /api/v1/sqlite/kv/{key}/incr", "write"},
      {"post /api/v1/sqlite/kv/{key}/decr", "write"},
      {"post /api/v1/sqlite/kv/{key}/push", "write"},
      {"post /api/v1/sqlite/kv/{key}/pop", "write"},
      {"post /api/v1/sqlite/kv/{key}/remove", "write"},
      {"post /api/v1/sqlite/kv/batch/get", "read"},
      {"post /api/v1/sqlite/kv/batch/set", "write"},
      {"post /api/v1/sqlite/kv/batch/delete", "write"},
      {"post /api/v1/sqlite/kv/batch/expire", "write"},
      {"get /api/v1/sqlite/kv/{key}/history", "read"},
      {"get /api/v1/sqlite/kv/{key}/snapshot", "read"},
      {"post /api/v1/sqlite/kv/{key}/rollback", "write"},
      {"get /api/v1/sqlite/kv/snapshot", "read"},
      {"get /api/v1/sqlite/kv/diff", "read"},
      {"get /api/v1/sqlite/kv/watch", "read"},
      {"post /api/v1/sqlite/kv/rollback", "admin"},
      {"post /api/v1/sqlite/maintenance", "admin"},
      {"get /api/v1/sqlite/openapi.json", "read"},
      {"get /api/v1/sqlite/openapi.yaml", "read"},
      {"get /metrics", "read"},
  };
  const std::map<std::string, std::string> bodies = {
      {"post /api/v1/sqlite/db", R"({"transaction":[{"query":"SELECT 1"}]})"},
      {"post /api/v1/sqlite/share", R"({"sql":"SELECT 1","ttl":60})"},
      {"put /api/v1/sqlite/kv/{key}", "v"},
      {"post /api/v1/sqlite/kv/batch/get", R"({"keys":["matrix"]})"},
      {"post /api/v1/sqlite/kv/batch/set", R"({"items":[{"key":"b","value":"1"}]})"},
      {"post /api/v1/sqlite/kv/batch/delete", R"({"keys":["b"]})"},
      {"post /api/v1/sqlite/kv/batch/expire", R"({"keys":["b"],"ttl":60})"},
      {"post /api/v1/sqlite/maintenance", R"({"op":"quick_check"})"},
      {"post /api/v1/sqlite/kv/{key}/push", R"({"value":1})"},
      {"post /api/v1/sqlite/kv/{key}/remove", R"({"value":1})"},
  };
  struct credential {
    std::string name;
    std::map<std::string, std::string> headers;
    int level;       // 0 none, 1 read, 2 write, 3 admin, 4 full
    bool any_db;     // false: scoped to "nomatch*" only
    bool static_ro;  // the --read-only-token: GET/HEAD only
  };
  const std::vector<credential> credentials = {
      {"no token", {}, 0, true, false},
      {"read app*", bearer(jwt({"app*"}, auth::level::read)), 1, true, false},
      {"write app*", bearer(jwt({"app*"}, auth::level::write)), 2, true, false},
      {"admin app*", bearer(jwt({"app*"}, auth::level::admin)), 3, true, false},
      {"admin nomatch*", bearer(jwt({"nomatch*"}, auth::level::admin)), 3, false, false},
      {"read-only token", bearer("ro-token"), 1, true, true},
      {"full token", bearer("full-token"), 4, true, false},
  };
  const std::map<std::string, int> levels = {{"open", 0}, {"read", 1}, {"write", 2}, {"admin", 3}};
  std::size_t operations = 0;
  std::size_t creates = 0;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [verb, op] : item.items()) {
      const std::string key = verb + " " + path;
      ++operations;
      const auto want = expected.find(key);
      ASSERT_NE(want, expected.end()) << key << ": a new operation needs its row in this matrix";
      const int need = levels.at(want->second);
      if (need > 0) {
        EXPECT_EQ(op.value("x-hoody-access", ""), want->second) << key;
      }
      bool takes_db = false;
      for (const auto& p : op.value("parameters", json::array())) {
        takes_db = takes_db || p["name"] == "db";
      }
      std::string method = verb;
      for (auto& ch : method) {
        ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      }
      const auto body = bodies.count(key) != 0 ? bodies.at(key) : std::string("{}");
      for (const auto& cred : credentials) {
        std::string target = path;
        for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
                 {"{key}", "matrix"}, {"{index}", "999"}, {"{file}", "main.mjs"}}) {
          if (const auto at = target.find(from); at != std::string::npos) {
            target.replace(at, from.size(), to);
          }
        }
        if (takes_db) {
          // /db/create makes a new file per credential; every other route uses app1.
          target += path == api + "/db/create" ? "?path=appnew" + std::to_string(++creates)
                                               : std::string("?db=app1");
        }
        if (key == "get " + api + "/query") {
          target += "&sql=SELECT+1";
        }
        if (key == "get " + api + "/kv/watch") {
          target += "&wait=0";  // the long poll: one JSON answer instead of a stream
        }
        const auto r = c.request(method, target, method == "GET" || method == "HEAD" ? "" : body,
                                 cred.headers);
        const std::string where = cred.name + ": " + method + " " + target + " → " +
                                  std::to_string(r.status) + " " + r.body.substr(0, 200);
        bool allowed = false;
        if (need == 0 || cred.level == 4) {
          allowed = true;
        } else if (cred.level == 0) {
          allowed = false;
        } else if (cred.static_ro) {
          allowed = method == "GET" || method == "HEAD";
        } else {
          allowed = cred.level >= need && (cred.any_db || !takes_db);
        }
        if (allowed) {
          EXPECT_NE(r.status, 401) << where;
          EXPECT_NE(r.status, 403) << where;
          EXPECT_LT(r.status, 500) << where;
        } else {
          EXPECT_EQ(r.status, cred.level == 0 ? 401 : 403) << where;
        }
      }
    }
  }
  EXPECT_EQ(operations, expected.size());
}

TEST_F(ops_scoped_auth_e2e, share_links_open_one_query_without_a_token) {
  const auto minted = c.request("POST", api + "/share?db=app1",
                                R"({"sql":"SELECT x FROM t","ttl":3600})", bearer("full-token"));
  ASSERT_EQ(minted.status, 200) << minted.body;
  const auto link = minted.json();
  const std::string url = link["url"];
  ASSERT_EQ(url.rfind(api + "/query?db=app1&sql=", 0), 0U) << url;
  EXPECT_GT(link["exp"].get<std::int64_t>(), now_s() + 3500);
  EXPECT_NE(url.find("&sig=" + link["sig"].get<std::string>()), std::string::npos);
  const auto genuine = c.get(url);  // no Authorization header at all
  ASSERT_EQ(genuine.status, 200) << genuine.body;
  EXPECT_EQ(genuine.json()["resultSet"][0]["x"], 42);

  const auto exp = std::to_string(link["exp"].get<std::int64_t>());
  const auto sig = link["sig"].get<std::string>();
  const std::string tail = "&exp=" + exp + "&sig=" + sig;
  const std::string sql = auth::base64url_encode("SELECT x FROM t");
  const std::vector<std::string> tampered = {
      api + "/query?db=other&sql=" + sql + tail,                                              // db
      api + "/query?db=app1&sql=" + auth::base64url_encode("SELECT * FROM kv_store") + tail,  // sql
      api + "/query?db=app1&sql=" + sql + "&exp=" + std::to_string(now_s() + 999999) +
          "&sig=" + sig,                                                            // exp
      api + "/query?db=app1&sql=" + sql + "&exp=" + exp + "&sig=" + sig.substr(1),  // sig
      api + "/query?db=app1&sql=" + sql + "&exp=" + exp,                            // no sig
  };
  for (const auto& target : tampered) {
    const auto r = c.get(target);
    EXPECT_EQ(r.status, 401) << target << " " << r.body;
    EXPECT_EQ(r.json()["code"], "UNAUTHORIZED");
  }
  // An expired link made with the server's key (the key file's first hs256 secret).
  const auto keys = auth::key_set::load(key_file_);
  const auto old = auth::share_link(keys, api + "/query", "app1", "SELECT x FROM t", now_s() - 1);
  const auto expired = c.get(old);
  EXPECT_EQ(expired.status, 401);
  EXPECT_NE(expired.body.find("share link expired"), std::string::npos) << expired.body;
  // A link opens GET /query only, and only for reads.
  EXPECT_EQ(c.get(api + "/kv/k?db=app1" + tail).status, 401);
  const auto write_link =
      auth::share_link(keys, api + "/query", "app1", "DELETE FROM t", now_s() + 60);
  EXPECT_EQ(c.get(write_link).status, 400);
  // Minting needs admin; a read scope or the read-only token cannot.
  EXPECT_EQ(c.request("POST", api + "/share?db=app1", R"({"sql":"SELECT 1"})",
                      bearer(jwt({"app1"}, auth::level::write)))
                .status,
            403);
  EXPECT_EQ(c.request("POST", api + "/share?db=app1", R"({"sql":"SELECT 1"})",
                      bearer(jwt({"app1"}, auth::level::admin)))
                .status,
            200);
  EXPECT_EQ(
      c.request("POST", api + "/share?db=app1", R"({"sql":"DELETE FROM t"})", bearer("full-token"))
          .status,
      400);
  EXPECT_EQ(c.request("POST", api + "/share?db=app1", R"({"sql":"SELECT 1","ttl":0})",
                      bearer("full-token"))
                .status,
            400);
}

TEST_F(ops_scoped_auth_e2e, token_and_share_commands_mint_usable_credentials) {
  const std::string bin = server_binary().string();
  const std::string keys = " --jwt-key-file '" + key_file_.string() + "'";
  const auto token = run("'" + bin + "' token --db 'app*' --access read --ttl 1h" + keys);
  ASSERT_EQ(std::count(token.begin(), token.end(), '.'), 2) << token;
  EXPECT_EQ(c.request("GET", api + "/kv/k?db=app1", "", bearer(token)).body, "v");
  EXPECT_EQ(c.request("PUT", api + "/kv/k?db=app1", "v", bearer(token)).status, 403);
  EXPECT_EQ(c.request("GET", api + "/kv/k?db=other", "", bearer(token)).status, 403);
  // The environment twin, and EdDSA with a private key file.
  const auto pem = keys_dir_->path() / "ed25519.pem";
  std::ofstream(pem) << ed_private_pem;
  const auto ed = run("HOODY_SQLITE_JWT_KEY_FILE='" + key_file_.string() + "' '" + bin +
                      "' token --db app1 --access admin --ttl 5m --jwt-private-key-file '" +
                      pem.string() + "'");
  EXPECT_EQ(
      c.request("POST", api + "/maintenance?db=app1", R"({"op":"quick_check"})", bearer(ed)).status,
      200);
  const std::string base = "http://127.0.0.1:" + std::to_string(srv_->port());
  const auto link = run("'" + bin + "' share --db app1 --sql 'SELECT x FROM t' --ttl 10m" + keys +
                        " --base-url " + base);
  ASSERT_EQ(link.rfind(base + api + "/query?db=app1&sql=", 0), 0U) << link;
  const auto r = c.get(link.substr(base.size()));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["resultSet"][0]["x"], 42);
  // Bad input: exit code 2 (command line), nothing printed on stdout.
  EXPECT_EQ(run("'" + bin + "' token --db x --ttl 0" + keys + "; echo rc=$?"), "rc=2");
  EXPECT_EQ(run("'" + bin + "' token --db ''" + keys + " 2>/dev/null; echo rc=$?"), "rc=2");
  EXPECT_EQ(run("'" + bin + "' token --db x 2>/dev/null; echo rc=$?"), "rc=2");  // no key file
  EXPECT_EQ(run("'" + bin + "' token --db x --access root" + keys + " 2>/dev/null; echo rc=$?"),
            "rc=2");
}

TEST(ops_scoped_auth_start, help_lists_the_key_file_and_the_subcommands) {
  const auto out = run("'" + server_binary().string() + "' --help");
  EXPECT_NE(out.find("--jwt-key-file"), std::string::npos) << out;
  EXPECT_NE(out.find("HOODY_SQLITE_JWT_KEY_FILE"), std::string::npos);
  EXPECT_NE(out.find("token"), std::string::npos);
  EXPECT_NE(out.find("share"), std::string::npos);
  const auto token_help = run("'" + server_binary().string() + "' token --help");
  EXPECT_NE(token_help.find("--jwt-private-key-file"), std::string::npos) << token_help;
}

TEST(ops_scoped_auth_start, a_bad_key_file_stops_the_start_with_its_reason) {
  temp_dir dir;
  const auto file = dir.path() / "keys";
  std::ofstream(file) << "hs256 short\n";
  const auto out =
      run("'" + server_binary().string() + "' --port 0 --data-dir '" + dir.path().string() +
          "' --jwt-key-file '" + file.string() + "' 2>&1; echo rc=$?");
  EXPECT_NE(out.find("line 1: hs256 secret must be at least 32 bytes"), std::string::npos) << out;
  EXPECT_NE(out.find("rc=1"), std::string::npos) << out;
}

}  // namespace
