// --auth-token / --read-only-token and --cors-origin against the real binary.
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>

namespace {

using hoody::test::http_client;
using hoody::test::http_response;
using hoody::test::server_process;
using nlohmann::json;

using hoody::test::api;
const std::map<std::string, std::string> full = {{"Authorization", "Bearer full-token"}};
const std::map<std::string, std::string> ro = {{"Authorization", "Bearer ro-token"}};

class ops_auth_e2e : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    srv_ = new server_process({"--auth-token", "full-token", "--read-only-token", "ro-token"});
    http_client c(srv_->port());
    ASSERT_EQ(c.request("POST", api + "/db/create?path=a&init_kv=true", "{}", full).status, 201);
    ASSERT_EQ(c.request("PUT", api + "/kv/k?db=a", "v", full).status, 200);
  }
  static void TearDownTestSuite() {
    delete srv_;
    srv_ = nullptr;
  }
  static server_process* srv_;
  http_client c{srv_->port()};

  static void expect_401(const http_response& r) {
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(r.json()["code"], "UNAUTHORIZED");
    EXPECT_EQ(r.header("www-authenticate").rfind("Bearer", 0), 0U);
  }
};
server_process* ops_auth_e2e::srv_ = nullptr;

TEST_F(ops_auth_e2e, no_or_wrong_token_is_401_everywhere) {
  expect_401(c.get(api + "/kv/k?db=a"));
  expect_401(c.post(api + "/db?db=a", {{"transaction", {{{"query", "SELECT 1"}}}}}));
  expect_401(c.request("GET", api + "/kv/k?db=a", "", {{"Authorization", "Bearer wrong"}}));
  expect_401(
      c.request("GET", api + "/kv/k?db=a", "", {{"Authorization", "Basic ZnVsbC10b2tlbg=="}}));
  expect_401(c.get("/metrics"));
  expect_401(c.get(api + "/openapi.json"));
  expect_401(c.get(api + "/no/such/route"));  // no route discovery without a token
}

TEST_F(ops_auth_e2e, health_and_ui_stay_open) {
  EXPECT_EQ(c.get(api + "/health").status, 200);
  EXPECT_EQ(c.get(api + "/health/cache").status, 200);
  EXPECT_EQ(c.get("/").status, 200);
  EXPECT_EQ(c.get("/style.css").status, 200);
  EXPECT_EQ(c.get("/js/main.mjs").status, 200);
}

TEST_F(ops_auth_e2e, full_token_does_everything) {
  EXPECT_EQ(c.request("GET", api + "/kv/k?db=a", "", full).body, "v");
  EXPECT_EQ(c.request("PUT", api + "/kv/k2?db=a", "x", full).status, 200);
  EXPECT_EQ(c.request("DELETE", api + "/kv/k2?db=a", "", full).status, 200);
  EXPECT_EQ(c.request("GET", "/metrics", "", full).status, 200);
}

TEST_F(ops_auth_e2e, read_only_token_reads_but_never_writes) {
  EXPECT_EQ(c.request("GET", api + "/kv/k?db=a", "", ro).body, "v");
  EXPECT_EQ(c.request("HEAD", api + "/kv/k?db=a", "", ro).status, 200);
  EXPECT_EQ(c.request("GET", api + "/kv?db=a", "", ro).status, 200);
  EXPECT_EQ(c.request("GET", api + "/query?db=a&sql=SELECT+1", "", ro).status, 200);
  const std::vector<std::tuple<std::string, std::string, std::string>> writes = {
      {"PUT", "/kv/k?db=a", "changed"},
      {"DELETE", "/kv/k?db=a", ""},
      {"POST", "/kv/n/incr?db=a", "{}"},
      {"POST", "/kv/batch/set?db=a", R"({"items":[{"key":"b","value":"1"}]})"},
      {"POST", "/db?db=a", R"j({"transaction":[{"statement":"CREATE TABLE t(x)"}]})j"},
      {"POST", "/db?db=a", R"({"transaction":[{"query":"SELECT 1"}]})"},
      {"POST", "/db/create?path=other", "{}"},
      {"POST", "/kv/k/rollback?db=a", "{}"},
      {"POST", "/maintenance?db=a", R"({"op":"vacuum_into","dest_path":"copy"})"},
      {"DELETE", "/history?db=a", ""},
  };
  for (const auto& [method, target, body] : writes) {
    const auto r = c.request(method, api + target, body, ro);
    EXPECT_EQ(r.status, 403) << method << " " << target << " " << r.body;
    EXPECT_EQ(r.json()["code"], "FORBIDDEN");
  }
  EXPECT_EQ(c.request("GET", api + "/kv/k?db=a", "", full).body, "v");
  EXPECT_FALSE(std::filesystem::exists(srv_->data_dir() / "other.db"));
  EXPECT_FALSE(std::filesystem::exists(srv_->data_dir() / "copy.db"));
}

TEST(ops_cors_e2e, preflight_and_simple_requests_with_an_origin_list) {
  server_process srv(
      {"--cors-origin", "https://app.example,http://localhost:3000", "--auth-token", "t"});
  http_client c(srv.port());
  const auto pre = c.request("OPTIONS", api + "/kv/x?db=a", "",
                             {{"Origin", "https://app.example"},
                              {"Access-Control-Request-Method", "PUT"},
                              {"Access-Control-Request-Headers", "authorization,content-type"}});
  EXPECT_EQ(pre.status, 204) << pre.body;  // no token needed for a preflight
  EXPECT_EQ(pre.header("access-control-allow-origin"), "https://app.example");
  EXPECT_NE(pre.header("access-control-allow-methods").find("PUT"), std::string::npos);
  EXPECT_NE(pre.header("access-control-allow-headers").find("Authorization"), std::string::npos);
  EXPECT_FALSE(pre.header("access-control-max-age").empty());
  EXPECT_EQ(pre.header("vary"), "Origin");

  const auto simple = c.request("GET", api + "/health", "", {{"Origin", "http://localhost:3000"}});
  EXPECT_EQ(simple.status, 200);
  EXPECT_EQ(simple.header("access-control-allow-origin"), "http://localhost:3000");
  // Errors carry the header too, so the browser app can read them.
  const auto denied = c.request("GET", api + "/kv/x?db=a", "", {{"Origin", "https://app.example"}});
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ(denied.header("access-control-allow-origin"), "https://app.example");

  const auto other = c.request("GET", api + "/health", "", {{"Origin", "https://evil.example"}});
  EXPECT_EQ(other.status, 200);
  EXPECT_EQ(other.header("access-control-allow-origin"), "");
  const auto pre_other =
      c.request("OPTIONS", api + "/health", "",
                {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "GET"}});
  EXPECT_EQ(pre_other.header("access-control-allow-origin"), "");
}

TEST(ops_cors_e2e, star_and_disabled) {
  {
    server_process srv({"--cors-origin", "*"});
    http_client c(srv.port());
    const auto r = c.request("GET", api + "/health", "", {{"Origin", "https://x.example"}});
    EXPECT_EQ(r.header("access-control-allow-origin"), "*");
    EXPECT_EQ(
        c.request("OPTIONS", "/anything/at/all", "", {{"Origin", "https://x.example"}}).status,
        204);
  }
  server_process srv;
  http_client c(srv.port());
  const auto r = c.request("GET", api + "/health", "", {{"Origin", "https://x.example"}});
  EXPECT_EQ(r.header("access-control-allow-origin"), "");
  EXPECT_EQ(c.request("OPTIONS", api + "/health", "", {{"Origin", "https://x.example"}}).status,
            405);
}

}  // namespace
