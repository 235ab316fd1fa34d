// Unit tests for the KV `path` parameter (hoody/ops/json_path.hpp).
#include "hoody/ops/json_path.hpp"

#include "hoody/core/error.hpp"

#include <gtest/gtest.h>

namespace {

using hoody::api_error;
using nlohmann::json;
using namespace hoody::ops;

TEST(json_path, parses_dots_brackets_and_escapes) {
  auto p = parse_json_path("a.b[0].c");
  ASSERT_EQ(p.segments.size(), 4U);
  EXPECT_EQ(p.segments[0].name, "a");
  EXPECT_FALSE(p.segments[0].index);
  EXPECT_TRUE(p.segments[2].bracket);
  EXPECT_EQ(*p.segments[2].index, 0);
  p = parse_json_path("$.items.-1");
  ASSERT_EQ(p.segments.size(), 2U);
  EXPECT_EQ(*p.segments[1].index, -1);
  p = parse_json_path("a\\.b.c");
  ASSERT_EQ(p.segments.size(), 2U);
  EXPECT_EQ(p.segments[0].name, "a.b");
  p = parse_json_path("[1][2]");
  ASSERT_EQ(p.segments.size(), 2U);
}

TEST(json_path, literal_root_keeps_a_leading_dollar_as_a_member) {
  auto p = parse_json_path("$.items", json_path_root::literal);
  ASSERT_EQ(p.segments.size(), 2U);
  EXPECT_EQ(p.segments[0].name, "$");
  EXPECT_EQ(p.segments[1].name, "items");
  p = parse_json_path("$", json_path_root::literal);
  ASSERT_EQ(p.segments.size(), 1U);
  EXPECT_EQ(p.segments[0].name, "$");
  p = parse_json_path("addr.items", json_path_root::literal);
  ASSERT_EQ(p.segments.size(), 2U);
  EXPECT_EQ(p.segments[0].name, "addr");
  EXPECT_EQ(parse_json_path("$.items").segments.size(), 1U) << "the default: $ is the root";
}

TEST(json_path, rejects_malformed_paths) {
  for (const char* bad : {"", "$", "a..b", "a.", ".a", "a[x]", "a[1", "a]b", "a[1]b"}) {
    EXPECT_THROW((void)parse_json_path(bad), api_error) << bad;
  }
}

TEST(json_path, finds_leaves) {
  const json doc = json::parse(R"({"theme":{"mode":"dark"},"items":[1,{"n":2}],"0":"zero"})");
  EXPECT_EQ(*json_path_find(doc, parse_json_path("theme.mode")), "dark");
  EXPECT_EQ(*json_path_find(doc, parse_json_path("items[1].n")), 2);
  EXPECT_EQ(*json_path_find(doc, parse_json_path("items.1.n")), 2);
  EXPECT_EQ(*json_path_find(doc, parse_json_path("items[-1].n")), 2);
  EXPECT_EQ(*json_path_find(doc, parse_json_path("0")), "zero");
  EXPECT_EQ(json_path_find(doc, parse_json_path("theme.size")), nullptr);
  EXPECT_EQ(json_path_find(doc, parse_json_path("items[5]")), nullptr);
}

TEST(json_path, through_scalar_is_an_error) {
  const json doc = json::parse(R"({"a":{"b":5},"arr":[1]})");
  EXPECT_THROW((void)json_path_find(doc, parse_json_path("a.b.c")), api_error);
  EXPECT_THROW((void)json_path_find(doc, parse_json_path("arr.x")), api_error);
  EXPECT_THROW((void)json_path_find(doc, parse_json_path("a[0]")), api_error);
  json d2 = doc;
  EXPECT_THROW(json_path_assign(d2, parse_json_path("a.b.c"), 1), api_error);
  EXPECT_EQ(d2, doc);
}

TEST(json_path, assign_creates_missing_members) {
  json doc = json::object();
  json_path_assign(doc, parse_json_path("a.b.c"), "x");
  EXPECT_EQ(doc, json::parse(R"({"a":{"b":{"c":"x"}}})"));
  json_path_assign(doc, parse_json_path("list[0]"), 1);
  json_path_assign(doc, parse_json_path("list[1]"), 2);
  json_path_assign(doc, parse_json_path("list[0]"), 9);
  EXPECT_EQ(doc["list"], json::parse("[9,2]"));
  EXPECT_THROW(json_path_assign(doc, parse_json_path("list[5]"), 1), api_error);
}

TEST(json_path, resolve_initialises_leaf) {
  json doc = json::object();
  json& leaf = json_path_resolve(doc, parse_json_path("cart.items"), json::array());
  leaf.push_back(1);
  EXPECT_EQ(doc, json::parse(R"({"cart":{"items":[1]}})"));
  json& again = json_path_resolve(doc, parse_json_path("cart.items"), json::array());
  EXPECT_EQ(again.size(), 1U);
}

}  // namespace
