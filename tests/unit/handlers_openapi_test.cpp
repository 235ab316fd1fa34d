// The OpenAPI document covers exactly the route table, uses the SDK's field names, and the
// YAML emitter produces block YAML for it. docs/api.md names every route too.
#include "hoody/handlers/openapi.hpp"

#include "hoody/handlers/routes.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace {
using namespace hoody;
using nlohmann::json;

http::router all_routes() {
  http::router r;
  handlers::register_all_routes(r);
  return r;
}

TEST(openapi, every_route_is_documented_and_nothing_else) {
  const auto routes = all_routes();
  EXPECT_EQ(handlers::undocumented_routes(routes), std::vector<std::string>{});
  EXPECT_EQ(handlers::stale_route_docs(routes), std::vector<std::string>{});
  const json doc = handlers::openapi_document(routes);
  EXPECT_EQ(doc["openapi"], "3.0.3");
  std::size_t operations = 0;
  for (const auto& r : routes.routes()) {
    std::string verb(http::to_string(r.method));
    for (auto& c : verb) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    const std::string path = http::public_pattern(r.pattern);
    ASSERT_TRUE(doc["paths"].contains(path)) << path;
    EXPECT_TRUE(doc["paths"][path].contains(verb)) << verb << " " << path;
    EXPECT_EQ(doc["paths"][path][verb]["summary"], r.summary);
  }
  // Nothing in the document that the router would not serve.
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [verb, op] : item.items()) {
      ++operations;
      auto v = http::verb_from_string(verb == "delete" ? "DELETE" : [&] {
        std::string up = verb;
        for (auto& c : up) {
          c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        return up;
      }());
      std::string concrete = path;
      for (std::size_t open; (open = concrete.find('{')) != std::string::npos;) {
        concrete.replace(open, concrete.find('}', open) - open + 1, "x");
      }
      const auto m = routes.match(v, concrete);
      ASSERT_NE(m.found, nullptr) << verb << " " << path;
      EXPECT_EQ(http::public_pattern(m.found->pattern), path) << verb;
    }
  }
  EXPECT_GE(operations, routes.routes().size());
}

TEST(openapi, uses_the_sdk_field_names) {
  const std::string text = handlers::openapi_document(all_routes()).dump();
  for (const char* name : {"resultFormat",
                           "transaction",
                           "valuesBatch",
                           "noFail",
                           "resultHeaders",
                           "resultSet",
                           "resultSetList",
                           "rowsUpdated",
                           "rowsUpdatedBatch",
                           "reqIdx",
                           "op_number",
                           "has_gaps",
                           "gap_keys",
                           "candidate_truncated",
                           "rowCount",
                           "truncated",
                           "create_db_if_missing",
                           "auto_create",
                           "at_timestamp",
                           "if_match",
                           "ttl",
                           "exclude_keys",
                           "to_timestamp",
                           "raw_old_value",
                           "raw_new_value",
                           "dest_path",
                           "wal_checkpoint_truncate",
                           "vacuum_into",
                           "quick_check",
                           "bearerAuth"}) {
    EXPECT_NE(text.find(std::string("\"") + name + "\""), std::string::npos) << name;
  }
}

TEST(json_to_yaml, emits_block_yaml) {
  const json v = {{"a", 1},
                  {"b", {"x", json::object(), json::array(), {{"k", "v"}, {"n", nullptr}}}},
                  {"c", "true"},
                  {"d", "plain text"},
                  {"e", "with: colon"},
                  {"f", "/path/{key}"},
                  {"g", json::object()}};
  const auto yaml = handlers::json_to_yaml(v);
  EXPECT_EQ(yaml,
            "a: 1\n"
            "b:\n"
            "  - x\n"
            "  - {}\n"
            "  - []\n"
            "  - k: v\n"
            "    n: null\n"
            "c: \"true\"\n"
            "d: plain text\n"
            "e: \"with: colon\"\n"
            "f: /path/{key}\n"
            "g: {}\n");
}

TEST(api_docs, docs_api_md_names_every_route) {
  const auto file = std::filesystem::path(HOODY_SOURCE_DIR) / "docs" / "api.md";
  std::ifstream in(file);
  ASSERT_TRUE(in) << file;
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  const auto routes = all_routes();
  for (const auto& r : routes.routes()) {
    const std::string row = "| `" + std::string(http::to_string(r.method)) + "` | `" +
                            http::public_pattern(r.pattern) + "` |";
    EXPECT_NE(doc.find(row), std::string::npos) << "docs/api.md lacks the table row " << row;
  }
}

}  // namespace
