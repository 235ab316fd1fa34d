// GET /openapi.json and /openapi.yaml are served and cover every route.
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>

namespace {

using hoody::test::http_client;
using hoody::test::server_process;
using nlohmann::json;

using hoody::test::api;

TEST(ops_openapi_e2e, json_and_yaml_are_served) {
  server_process srv;
  http_client c(srv.port());
  const auto r = c.get(api + "/openapi.json");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type").rfind("application/json", 0), 0U);
  const json doc = r.json();
  EXPECT_EQ(doc["openapi"].get<std::string>().rfind("3.0", 0), 0U);
  ASSERT_TRUE(doc["paths"].is_object());
  for (const auto* path : {"/api/v1/sqlite/db", "/api/v1/sqlite/kv/{key}", "/api/v1/sqlite/query",
                           "/api/v1/sqlite/maintenance", "/api/v1/sqlite/kv/diff", "/metrics"}) {
    EXPECT_TRUE(doc["paths"].contains(path)) << path;
  }
  EXPECT_TRUE(doc["paths"]["/api/v1/sqlite/kv/{key}"].contains("head"));
  EXPECT_TRUE(doc["paths"]["/api/v1/sqlite/kv/{key}"].contains("put"));

  const auto y = c.get(api + "/openapi.yaml");
  ASSERT_EQ(y.status, 200);
  EXPECT_EQ(y.header("content-type").rfind("application/yaml", 0), 0U);
  EXPECT_NE(y.body.find("\nopenapi: \"3.0.3\"\n"), std::string::npos) << y.body.substr(0, 100);
  EXPECT_NE(y.body.find("\n  /api/v1/sqlite/kv/{key}:\n"), std::string::npos);
  EXPECT_NE(y.body.find("resultSetList"), std::string::npos);
}

}  // namespace
