// Bearer tokens (full and read-only), constant-time comparison and CORS decisions.
#include "hoody/http/access_control.hpp"

#include <gtest/gtest.h>

namespace {
using namespace hoody;
using namespace hoody::http;

request make(verb v, const std::string& auth = {}) {
  request r;
  r.method = v;
  r.path = "/api/v1/sqlite/db";
  if (!auth.empty()) {
    r.headers.emplace_back("authorization", auth);
  }
  return r;
}

std::string header(const response& res, const std::string& name) {
  for (const auto& [n, v] : res.headers) {
    if (n == name) {
      return v;
    }
  }
  return {};
}

TEST(constant_time_equals, compares_whole_strings) {
  EXPECT_TRUE(constant_time_equals("secret", "secret"));
  EXPECT_FALSE(constant_time_equals("secret", "secreT"));
  EXPECT_FALSE(constant_time_equals("secret", "secret2"));
  EXPECT_FALSE(constant_time_equals("", "x"));
  EXPECT_TRUE(constant_time_equals("", ""));
}

TEST(check_access, open_without_tokens) {
  config cfg;
  EXPECT_FALSE(check_access(cfg, make(verb::post), nullptr));
}

TEST(check_access, full_token_required_and_accepted) {
  config cfg;
  cfg.auth_token = "s3cret";
  route r;
  auto missing = check_access(cfg, make(verb::get), &r);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 401);
  EXPECT_EQ(header(*missing, "WWW-Authenticate").rfind("Bearer", 0), 0U);
  EXPECT_NE(missing->body.find("UNAUTHORIZED"), std::string::npos);
  EXPECT_EQ(check_access(cfg, make(verb::get, "Bearer nope"), &r)->status, 401);
  EXPECT_EQ(check_access(cfg, make(verb::get, "Basic czNjcmV0"), &r)->status, 401);
  EXPECT_FALSE(check_access(cfg, make(verb::post, "Bearer s3cret"), &r));
  EXPECT_FALSE(check_access(cfg, make(verb::post, "bearer   s3cret "), &r));
  r.open = true;
  EXPECT_FALSE(check_access(cfg, make(verb::get), &r));
}

TEST(check_access, read_only_token_reads_only) {
  config cfg;
  cfg.auth_token = "full";
  cfg.read_only_token = "ro";
  route r;
  EXPECT_FALSE(check_access(cfg, make(verb::get, "Bearer ro"), &r));
  EXPECT_FALSE(check_access(cfg, make(verb::head, "Bearer ro"), &r));
  for (const verb v : {verb::post, verb::put, verb::delete_, verb::patch, verb::options}) {
    const auto denied = check_access(cfg, make(v, "Bearer ro"), &r);
    ASSERT_TRUE(denied);
    EXPECT_EQ(denied->status, 403);
  }
  // Only a read-only token configured: still no writes without the (absent) full token.
  config ro_only;
  ro_only.read_only_token = "ro";
  EXPECT_FALSE(check_access(ro_only, make(verb::get, "Bearer ro"), &r));
  EXPECT_EQ(check_access(ro_only, make(verb::post, "Bearer ro"), &r)->status, 403);
  EXPECT_EQ(check_access(ro_only, make(verb::post), &r)->status, 401);
}

TEST(cors_policy, parses_lists_and_star) {
  EXPECT_FALSE(cors_policy::parse("").enabled());
  const auto any = cors_policy::parse("*");
  EXPECT_EQ(any.allow_origin("https://x.example"), "*");
  const auto list = cors_policy::parse(" https://a.example/ , http://b.example:8080");
  EXPECT_EQ(list.allow_origin("https://a.example"), "https://a.example");
  EXPECT_EQ(list.allow_origin("http://b.example:8080"), "http://b.example:8080");
  EXPECT_FALSE(list.allow_origin("https://evil.example"));
}

TEST(cors_policy, decorates_and_answers_preflight) {
  const auto list = cors_policy::parse("https://a.example");
  response res;
  list.decorate(std::string("https://a.example"), res);
  EXPECT_EQ(header(res, "Access-Control-Allow-Origin"), "https://a.example");
  EXPECT_EQ(header(res, "Vary"), "Origin");
  response other;
  list.decorate(std::string("https://evil.example"), other);
  EXPECT_EQ(header(other, "Access-Control-Allow-Origin"), "");
  const auto pre = list.preflight();
  EXPECT_EQ(pre.status, 204);
  EXPECT_NE(header(pre, "Access-Control-Allow-Headers").find("Authorization"), std::string::npos);
  EXPECT_NE(header(pre, "Access-Control-Allow-Methods").find("PUT"), std::string::npos);
  EXPECT_FALSE(header(pre, "Access-Control-Max-Age").empty());
}

}  // namespace
