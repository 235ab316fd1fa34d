// Unit tests for hoody/handlers/kv_params.hpp on requests built from raw targets: the KV table
// (`table`, alias `kv_table`, the identifier rule), the JSON `path` (only when `db` is given,
// else `path` names the database) and comma-separated key lists.
#include "hoody/handlers/kv_params.hpp"

#include "hoody/core/error.hpp"
#include "hoody/http/request.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using hoody::api_error;
using hoody::errc;
using hoody::handlers::kv_json_path_param;
using hoody::handlers::kv_table_param;
using hoody::handlers::split_key_list;
using hoody::http::request;
using hoody::http::verb;
using hoody::ops::json_path_root;

request get(const std::string& target) {
  return request::from_target(verb::get, target);
}

/// The api_error `fn` throws (fails the test when none).
template <typename Fn>
api_error error_of(Fn&& fn) {
  try {
    fn();
  } catch (const api_error& e) {
    return e;
  }
  ADD_FAILURE() << "no error";
  return api_error(errc::internal, "none");
}

TEST(kv_table_param, defaults_to_kv_store) {
  EXPECT_EQ(kv_table_param(get("/kv/k?db=d")), "kv_store");
  EXPECT_EQ(kv_table_param(get("/kv/k?db=d&table=")), "kv_store") << "empty means the default";
  EXPECT_EQ(kv_table_param(get("/kv/k?db=d&kv_table=")), "kv_store");
}

TEST(kv_table_param, table_and_its_alias_kv_table) {
  EXPECT_EQ(kv_table_param(get("/kv/k?db=d&table=users")), "users");
  EXPECT_EQ(kv_table_param(get("/kv/k?db=d&kv_table=users")), "users");
  EXPECT_EQ(kv_table_param(get("/kv/k?db=d&table=users&kv_table=users")), "users");
  const auto e = error_of([] { (void)kv_table_param(get("/kv/k?db=d&table=a&kv_table=b")); });
  EXPECT_EQ(e.code(), errc::bad_request);
  EXPECT_STREQ(e.what(), "conflicting parameters: table and kv_table must match");
}

TEST(kv_table_param, accepts_identifiers_up_to_64_characters) {
  // Only "sqlite_" (any case) is SQLite's reserved prefix.
  for (const std::string ok : {"a", "_", "_x", "T1", "kv_store2", "Sqlite", "sqlitex_t"}) {
    EXPECT_EQ(kv_table_param(get("/kv/k?db=d&table=" + ok)), ok);
  }
  const std::string longest(64, 'a');
  EXPECT_EQ(kv_table_param(get("/kv/k?db=d&kv_table=" + longest)), longest);
}

TEST(kv_table_param, rejects_what_is_not_an_identifier_and_sqlite_names) {
  const auto rejected = [](const std::string& query) {
    const auto e = error_of([&] { (void)kv_table_param(get("/kv/k?db=d&" + query)); });
    EXPECT_EQ(e.code(), errc::bad_request) << query;
    EXPECT_NE(std::string(e.what()).find("Invalid table name"), std::string::npos) << e.what();
  };
  for (const std::string bad : {"1abc", "a-b", "a.b", "a%20b", "a%22b", "%C3%A9", "a%00",
                                "sqlite_master", "SQLITE_x", "Sqlite_"}) {
    rejected("table=" + bad);
    rejected("kv_table=" + bad);
  }
  rejected("table=" + std::string(65, 'a'));
}

TEST(kv_json_path_param, path_is_the_database_alias_without_db) {
  EXPECT_FALSE(kv_json_path_param(get("/kv/k?path=a.b")));
  EXPECT_FALSE(kv_json_path_param(get("/kv/k?path=a..b"))) << "not parsed as a JSON path";
  EXPECT_FALSE(kv_json_path_param(get("/kv/k?db=d")));
  EXPECT_FALSE(kv_json_path_param(get("/kv/k?db=d&path="))) << "empty: no path";
}

TEST(kv_json_path_param, parsed_when_db_is_given) {
  const auto p = kv_json_path_param(get("/kv/k?db=d&path=a.b%5B2%5D"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->text, "a.b[2]");
  ASSERT_EQ(p->segments.size(), 3U);
  EXPECT_EQ(p->segments[0].name, "a");
  EXPECT_EQ(p->segments[1].name, "b");
  ASSERT_TRUE(p->segments[2].index);
  EXPECT_EQ(*p->segments[2].index, 2);
  EXPECT_TRUE(p->segments[2].bracket);
  EXPECT_TRUE(kv_json_path_param(get("/kv/k?path=x.db&db=d"))) << "order does not matter";
}

TEST(kv_json_path_param, root_decides_what_a_leading_dollar_is) {
  const auto req = get("/kv/k?db=d&path=%24.items");
  const auto root = kv_json_path_param(req);
  ASSERT_TRUE(root);
  ASSERT_EQ(root->segments.size(), 1U);
  EXPECT_EQ(root->segments[0].name, "items");
  const auto literal = kv_json_path_param(req, json_path_root::literal);
  ASSERT_TRUE(literal);
  ASSERT_EQ(literal->segments.size(), 2U);
  EXPECT_EQ(literal->segments[0].name, "$");
  EXPECT_EQ(literal->segments[1].name, "items");
}

TEST(kv_json_path_param, malformed_paths_are_bad_requests) {
  for (const char* bad : {"a..b", "a.", ".a", "a%5Bx%5D", "%24"}) {
    const auto e =
        error_of([&] { (void)kv_json_path_param(get(std::string("/kv/k?db=d&path=") + bad)); });
    EXPECT_EQ(e.code(), errc::bad_request) << bad;
    EXPECT_NE(std::string(e.what()).find("Invalid path"), std::string::npos) << e.what();
  }
}

TEST(split_key_list, splits_on_commas_and_skips_empty_items) {
  using keys = std::vector<std::string>;
  EXPECT_EQ(split_key_list("a,b,c"), (keys{"a", "b", "c"}));
  EXPECT_EQ(split_key_list("a"), (keys{"a"}));
  EXPECT_EQ(split_key_list(""), keys{});
  EXPECT_EQ(split_key_list(","), keys{});
  EXPECT_EQ(split_key_list(",a,,b,"), (keys{"a", "b"}));
  EXPECT_EQ(split_key_list("a,a"), (keys{"a", "a"})) << "duplicates are kept, in order";
  EXPECT_EQ(split_key_list(" a , b"), (keys{" a ", " b"})) << "no trimming: spaces are key bytes";
  EXPECT_EQ(split_key_list("x:1,y/2,\xc3\xa9"), (keys{"x:1", "y/2", "\xc3\xa9"}));
}

}  // namespace
