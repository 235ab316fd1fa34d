#include "hoody/http/router.hpp"

#include "hoody/core/error.hpp"
#include "hoody/handlers/routes.hpp"

#include <gtest/gtest.h>

#include <set>

namespace {
using namespace hoody::http;

route make(verb v, std::string pattern) {
  return {v, std::move(pattern), access::none, db_use::none, "test route", [](context&) {
            return response::empty(204);
          }};
}

router sample() {
  router r;
  r.add(make(verb::get, "/kv/{key}"));
  r.add(make(verb::put, "/kv/{key}"));
  r.add(make(verb::get, "/kv/snapshot"));
  r.add(make(verb::post, "/kv/{key}/incr"));
  r.add(make(verb::post, "/kv/batch/get"));
  r.add(make(verb::get, "/history/stats"));
  r.add(make(verb::delete_, "/history/{index}"));
  return r;
}

TEST(router, matches_and_decodes_captures) {
  const auto r = sample();
  const auto m = r.match(verb::get, "/kv/user%3A1%2Fprofile");
  ASSERT_NE(m.found, nullptr);
  EXPECT_EQ(m.found->pattern, "/kv/{key}");
  ASSERT_EQ(m.params.size(), 1U);
  EXPECT_EQ(m.params[0].second, "user:1/profile");
}

TEST(router, literal_segments_win_over_captures) {
  const auto r = sample();
  EXPECT_EQ(r.match(verb::get, "/kv/snapshot").found->pattern, "/kv/snapshot");
  EXPECT_EQ(r.match(verb::get, "/history/stats").found->pattern, "/history/stats");
  EXPECT_EQ(r.match(verb::post, "/kv/batch/get").found->pattern, "/kv/batch/get");
  EXPECT_EQ(r.match(verb::post, "/kv/x/incr").found->pattern, "/kv/{key}/incr");
}

TEST(router, unknown_path_is_404_and_wrong_verb_lists_allowed) {
  const auto r = sample();
  const auto none = r.match(verb::get, "/nope");
  EXPECT_EQ(none.found, nullptr);
  EXPECT_TRUE(none.allowed.empty());
  const auto wrong = r.match(verb::delete_, "/kv/x");
  EXPECT_EQ(wrong.found, nullptr);
  const std::set<verb> allowed(wrong.allowed.begin(), wrong.allowed.end());
  EXPECT_EQ(allowed, (std::set<verb>{verb::get, verb::put, verb::head}));
}

TEST(router, head_falls_back_to_get) {
  const auto r = sample();
  const auto m = r.match(verb::head, "/kv/a");
  ASSERT_NE(m.found, nullptr);
  EXPECT_EQ(m.found->method, verb::get);
}

TEST(router, empty_capture_does_not_match) {
  const auto r = sample();
  EXPECT_EQ(r.match(verb::post, "/kv//incr").found, nullptr);
}

TEST(router, bad_percent_encoding_throws_bad_request) {
  const auto r = sample();
  EXPECT_THROW((void)r.match(verb::get, "/kv/%zz"), hoody::api_error);
}

router with_rest() {
  router r;
  r.add(make(verb::get, "/kv/{key+}"));
  r.add(make(verb::put, "/kv/{key+}"));
  r.add(make(verb::delete_, "/kv/{key+}"));
  r.add(make(verb::post, "/kv/{key+}/incr"));
  r.add(make(verb::get, "/kv/{key+}/history"));
  r.add(make(verb::get, "/kv/snapshot"));
  r.add(make(verb::post, "/kv/batch/set"));
  r.add(make(verb::get, "/kv"));
  return r;
}

TEST(router, rest_capture_spans_segments_with_their_slashes) {
  const auto r = with_rest();
  auto m = r.match(verb::get, "/kv/users/1/name");
  ASSERT_NE(m.found, nullptr);
  EXPECT_EQ(m.found->pattern, "/kv/{key+}");
  ASSERT_EQ(m.params.size(), 1U);
  EXPECT_EQ(m.params[0], (std::pair<std::string, std::string>{"key", "users/1/name"}));
  m = r.match(verb::get, "/kv/a%2Fb/c%3Ad");  // %2F and a literal slash name the same key text
  EXPECT_EQ(m.params[0].second, "a/b/c:d");
  m = r.match(verb::get, "/kv/one");
  EXPECT_EQ(m.params[0].second, "one");
  m = r.match(verb::put, "/kv/a//b");  // inner empty segments are kept
  EXPECT_EQ(m.params[0].second, "a//b");
  EXPECT_EQ(r.match(verb::get, "/kv").found->pattern, "/kv");
}

TEST(router, trailing_sub_route_counts_only_for_its_verb) {
  const auto r = with_rest();
  auto m = r.match(verb::post, "/kv/users/1/visits/incr");
  ASSERT_NE(m.found, nullptr);
  EXPECT_EQ(m.found->pattern, "/kv/{key+}/incr");
  EXPECT_EQ(m.params[0].second, "users/1/visits");
  m = r.match(verb::get, "/kv/users/1/visits/incr");
  EXPECT_EQ(m.found->pattern, "/kv/{key+}");
  EXPECT_EQ(m.params[0].second, "users/1/visits/incr");
  m = r.match(verb::get, "/kv/a/history");
  EXPECT_EQ(m.found->pattern, "/kv/{key+}/history");
  EXPECT_EQ(m.params[0].second, "a");
  m = r.match(verb::head, "/kv/a/history");
  EXPECT_EQ(m.found->pattern, "/kv/{key+}/history");
  m = r.match(verb::put, "/kv/a/history");
  EXPECT_EQ(m.found->pattern, "/kv/{key+}");
  EXPECT_EQ(m.params[0].second, "a/history");
  m = r.match(verb::get, "/kv/history");  // a single segment is the key "history"
  EXPECT_EQ(m.found->pattern, "/kv/{key+}");
  m = r.match(verb::get, "/kv/a/history/history");
  EXPECT_EQ(m.params[0].second, "a/history");
  m = r.match(verb::post, "/kv/a/history");
  EXPECT_EQ(m.found, nullptr);
  const std::set<verb> allowed(m.allowed.begin(), m.allowed.end());
  EXPECT_EQ(allowed, (std::set<verb>{verb::get, verb::put, verb::delete_, verb::head}));
}

TEST(router, literal_routes_still_shadow_rest_captures_for_every_verb) {
  const auto r = with_rest();
  EXPECT_EQ(r.match(verb::post, "/kv/batch/set").found->pattern, "/kv/batch/set");
  auto m = r.match(verb::put, "/kv/batch/set");
  EXPECT_EQ(m.found, nullptr);
  EXPECT_EQ(m.allowed, std::vector<verb>{verb::post});
  m = r.match(verb::put, "/kv/snapshot");
  EXPECT_EQ(m.found, nullptr);
  // An escaped character makes the segment a key.
  m = r.match(verb::put, "/kv/batch%2Fset");
  ASSERT_NE(m.found, nullptr);
  EXPECT_EQ(m.params[0].second, "batch/set");
  m = r.match(verb::get, "/kv/%73napshot");
  EXPECT_EQ(m.found->pattern, "/kv/{key+}");
  EXPECT_EQ(m.params[0].second, "snapshot");
  m = r.match(verb::get, "/kv/snapshot/history");
  EXPECT_EQ(m.found->pattern, "/kv/{key+}/history");
  EXPECT_EQ(m.params[0].second, "snapshot");
}

TEST(router, public_pattern_drops_the_rest_marker) {
  EXPECT_EQ(public_pattern("/kv/{key+}/incr"), "/kv/{key}/incr");
  EXPECT_EQ(public_pattern("/history/{index}"), "/history/{index}");
  router r;
  EXPECT_THROW(r.add(make(verb::get, "/a/{x+}/{y+}")), std::invalid_argument);
}

// The real route table: every route has a summary, a handler and the API prefix (or is UI),
// and no two routes share verb + pattern.
TEST(route_table, every_route_is_documented_and_unique) {
  router r;
  hoody::handlers::register_all_routes(r);
  ASSERT_FALSE(r.routes().empty());
  std::set<std::pair<verb, std::string>> seen;
  for (const auto& rt : r.routes()) {
    EXPECT_FALSE(rt.summary.empty()) << rt.pattern;
    EXPECT_TRUE(static_cast<bool>(rt.handler)) << rt.pattern;
    const bool api = rt.pattern.starts_with(hoody::handlers::api_prefix);
    EXPECT_TRUE(api || rt.pattern == "/" || rt.pattern == "/{file}" || rt.pattern == "/js/{file}" ||
                rt.pattern == "/metrics")
        << rt.pattern;
    if (rt.db != db_use::none) {
      EXPECT_NE(rt.mode, access::none) << rt.pattern << " takes a database but runs on I/O";
    }
    EXPECT_TRUE(seen.emplace(rt.method, rt.pattern).second) << "duplicate " << rt.pattern;
  }
}

}  // namespace
