#include "hoody/http/request.hpp"

#include "hoody/core/error.hpp"

#include <gtest/gtest.h>

namespace {
using hoody::api_error;
using hoody::http::percent_decode;
using hoody::http::request;
using hoody::http::verb;

TEST(request, query_is_decoded_with_plus_as_space) {
  const auto req = request::from_target(verb::get, "/p?db=my+db&sql=a%2Bb%3D&flag&x=");
  EXPECT_EQ(req.path, "/p");
  EXPECT_EQ(req.query_param("db"), "my db");
  EXPECT_EQ(req.query_param("sql"), "a+b=");
  EXPECT_TRUE(req.has_query_param("flag"));
  EXPECT_EQ(req.query_param("x"), "");
  EXPECT_FALSE(req.query_param("missing"));
}

TEST(request, path_decoding_keeps_plus) {
  EXPECT_EQ(percent_decode("a+b%3Ac%2Fd", false), "a+b:c/d");
  EXPECT_THROW((void)percent_decode("%4", false), api_error);
  EXPECT_THROW((void)percent_decode("%g0", false), api_error);
}

TEST(request, typed_getters_reject_bad_values) {
  const auto req = request::from_target(verb::get,
                                        "/p?limit=10&bad=1x&big=99999999999999999999&"
                                        "yes=TRUE&no=0&odd=maybe&t=1.5");
  EXPECT_EQ(req.int_param("limit", 0, 100), 10);
  EXPECT_THROW((void)req.int_param("limit", 0, 5), api_error);
  EXPECT_THROW((void)req.int_param("bad", 0, 5), api_error);
  EXPECT_THROW((void)req.int_param("big", 0, 5), api_error);
  EXPECT_FALSE(req.int_param("missing", 0, 5));
  EXPECT_TRUE(req.flag("yes", false));
  EXPECT_FALSE(req.flag("no", true));
  EXPECT_TRUE(req.flag("missing", true));
  EXPECT_THROW((void)req.flag("odd", false), api_error);
  EXPECT_DOUBLE_EQ(*req.number_param("t"), 1.5);
}

TEST(request, json_body_errors_are_invalid_json) {
  request req;
  req.body = "{not json";
  try {
    (void)req.json_body();
    FAIL();
  } catch (const api_error& e) {
    EXPECT_EQ(e.code(), hoody::errc::invalid_json);
    EXPECT_STREQ(e.what(), "Invalid JSON body");
  }
}

}  // namespace
