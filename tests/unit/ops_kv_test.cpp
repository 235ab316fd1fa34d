// Unit tests for the KV operations on a temp-file database (hoody/ops/kv.hpp).
#include "hoody/ops/kv.hpp"

#include "hoody/core/error.hpp"
#include "hoody/db/connection.hpp"
#include "hoody/db/executors.hpp"
#include "hoody/handlers/kv_render.hpp"

#include "support/temp_db.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <thread>

namespace {

using namespace hoody;
using nlohmann::json;

class kv_ops_test : public ::testing::Test {
 protected:
  std::int64_t scalar(const std::string& sql) { return db_.scalar(sql); }
  ops::kv_write_result put(std::string_view key, std::string value,
                           std::string ct = "application/json",
                           std::optional<std::int64_t> ttl = std::nullopt) {
    ops::kv_put_request req;
    req.value = std::move(value);
    req.content_type = std::move(ct);
    req.ttl_s = ttl;
    return ops::kv_put(*conn_, scope_, key, req);
  }
  std::string get(std::string_view key) {
    auto e = ops::kv_get(*conn_, "kv_store", key);
    return e ? e->value.value : std::string("<missing>");
  }
  static errc code_of(const std::function<void()>& fn) {
    try {
      fn();
    } catch (const api_error& e) {
      return e.code();
    }
    ADD_FAILURE() << "no api_error thrown";
    return errc::internal;
  }

  test::temp_db db_{"kv_ops"};
  db::connection* conn_ = &db_.writer();
  ops::kv_scope scope_;
};

TEST_F(kv_ops_test, put_get_delete_roundtrip) {
  EXPECT_FALSE(ops::kv_get(*conn_, "kv_store", "a"));  // no table yet: empty, not created
  EXPECT_FALSE(conn_->table_exists("kv_store"));
  auto r = put("user:1/profile", R"({"theme":{"mode":"dark"}})");
  EXPECT_TRUE(r.created);
  EXPECT_EQ(r.op_number, 1);
  auto e = ops::kv_get(*conn_, "kv_store", "user:1/profile");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->value.content_type, "application/json");
  EXPECT_EQ(ops::kv_read_path(*e, ops::parse_json_path("theme.mode")), "dark");
  EXPECT_EQ(code_of([&] { (void)ops::kv_read_path(*e, ops::parse_json_path("theme.x")); }),
            errc::key_not_found);
  r = put("user:1/profile", "v2", "text/plain");
  EXPECT_FALSE(r.created);
  EXPECT_EQ(r.op_number, 2);
  EXPECT_EQ(get("user:1/profile"), "v2");
  ops::kv_delete(*conn_, scope_, "user:1/profile");
  EXPECT_EQ(get("user:1/profile"), "<missing>");
  EXPECT_EQ(code_of([&] { ops::kv_delete(*conn_, scope_, "user:1/profile"); }),
            errc::key_not_found);
  EXPECT_EQ(scalar("SELECT count(*) FROM kv_store__history"), 3);
}

TEST_F(kv_ops_test, values_are_text_or_blob) {
  put("j", R"({"a":1})");
  put("b", std::string("\x00\xff", 2), "application/octet-stream");
  EXPECT_EQ(scalar("SELECT typeof(value)='text' FROM kv_store WHERE key='j'"), 1);
  EXPECT_EQ(scalar("SELECT typeof(value)='blob' FROM kv_store WHERE key='b'"), 1);
  EXPECT_EQ(get("b"), std::string("\x00\xff", 2));
}

TEST_F(kv_ops_test, content_type_inference) {
  EXPECT_EQ(ops::infer_content_type("application/json", R"({"a":1})"), "application/json");
  EXPECT_EQ(ops::infer_content_type("application/json; charset=utf-8", "5"), "application/json");
  EXPECT_EQ(ops::infer_content_type("application/json", "hello"), "text/plain");
  EXPECT_EQ(ops::infer_content_type("text/html", "<b>"), "text/html");
  EXPECT_EQ(ops::infer_content_type("image/png", "x"), "image/png");
  EXPECT_EQ(ops::infer_content_type(std::nullopt, "[1]"), "application/json");
  EXPECT_EQ(ops::infer_content_type(std::nullopt, "hi"), "text/plain");
  EXPECT_EQ(ops::infer_content_type(std::nullopt, std::string("\xff\xfe", 2)),
            "application/octet-stream");
}

TEST_F(kv_ops_test, cas) {
  ops::kv_put_request req;
  req.value = "2";
  req.content_type = "text/plain";
  req.if_match = "1";
  const auto status = [](errc c) { return status_of(c); };
  EXPECT_EQ(status(code_of([&] { ops::kv_put(*conn_, scope_, "c", req); })), 412);
  put("c", "1", "text/plain");
  req.if_match = "0";
  try {
    ops::kv_put(*conn_, scope_, "c", req);
    FAIL();
  } catch (const api_error& e) {
    EXPECT_STREQ(e.what(), "Value mismatch for CAS");
  }
  EXPECT_EQ(get("c"), "1");
  req.if_match = "1";
  ops::kv_put(*conn_, scope_, "c", req);
  EXPECT_EQ(get("c"), "2");
}

TEST_F(kv_ops_test, path_updates) {
  put("cfg", R"({"theme":{"mode":"light"},"n":1})");
  ops::kv_put_request req;
  req.value = R"("dark")";
  req.path = ops::parse_json_path("theme.mode");
  ops::kv_put(*conn_, scope_, "cfg", req);
  EXPECT_EQ(json::parse(get("cfg")), json::parse(R"({"theme":{"mode":"dark"},"n":1})"));
  req.path = ops::parse_json_path("n.x");
  EXPECT_EQ(code_of([&] { ops::kv_put(*conn_, scope_, "cfg", req); }), errc::bad_request);
  req.value = "not json";
  req.path = ops::parse_json_path("theme.mode");
  EXPECT_EQ(code_of([&] { ops::kv_put(*conn_, scope_, "cfg", req); }), errc::invalid_json);
  EXPECT_EQ(json::parse(get("cfg")), json::parse(R"({"theme":{"mode":"dark"},"n":1})"));
  // A path write on a missing key creates a document.
  req.value = "true";
  req.path = ops::parse_json_path("flags.beta");
  ops::kv_put(*conn_, scope_, "new", req);
  EXPECT_EQ(json::parse(get("new")), json::parse(R"({"flags":{"beta":true}})"));
}

TEST_F(kv_ops_test, ttl_expiry_and_sweep) {
  put("s", "x", "text/plain", 1);
  put("keep", "y", "text/plain", 0);
  EXPECT_EQ(get("s"), "x");
  EXPECT_EQ(scalar("SELECT expires_at IS NULL FROM kv_store WHERE key='keep'"), 1);
  // Expire it by moving the clock of the row back.
  conn_->exec("UPDATE kv_store SET expires_at = 1 WHERE key = 's'");
  EXPECT_EQ(get("s"), "<missing>");
  EXPECT_EQ(ops::kv_list(*conn_, "kv_store", {}).items.size(), 1U);
  const auto expired = ops::kv_batch_get(*conn_, "kv_store", {"s"});
  ASSERT_EQ(expired.results.size(), 1U);
  EXPECT_EQ(expired.results[0].key, "s");
  EXPECT_FALSE(expired.results[0].value);
  EXPECT_EQ(expired.found(), 0);
  EXPECT_EQ(code_of([&] { ops::kv_delete(*conn_, scope_, "s"); }), errc::key_not_found);
  EXPECT_EQ(ops::sweep_expired(*conn_), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM kv_store"), 1);
  EXPECT_EQ(ops::sweep_expired(*conn_), 0);
  EXPECT_EQ(code_of([] { (void)ops::parse_ttl("-1"); }), errc::bad_request);
  EXPECT_EQ(code_of([] { (void)ops::parse_ttl("1.5"); }), errc::bad_request);
  EXPECT_EQ(code_of([] { (void)ops::parse_ttl(""); }), errc::bad_request);
  EXPECT_EQ(ops::parse_ttl("60"), 60);
}

TEST(kv_value_preview, text_cut_binary_base64) {
  auto p = ops::value_preview("hello", 5);
  EXPECT_EQ(p.text, "hello");
  EXPECT_FALSE(p.truncated);
  EXPECT_FALSE(p.base64);
  p = ops::value_preview("hell", 9);
  EXPECT_EQ(p.text, "hell");
  EXPECT_TRUE(p.truncated);
  // "ab" + the first byte of "é" (C3 A9), cut: the partial character is dropped.
  p = ops::value_preview("ab\xc3", 4);
  EXPECT_EQ(p.text, "ab");
  EXPECT_TRUE(p.truncated);
  EXPECT_FALSE(p.base64);
  // The first 3 bytes of a 4-byte character (U+1F600).
  p = ops::value_preview("a\xf0\x9f\x98", 5);
  EXPECT_EQ(p.text, "a");
  // Invalid UTF-8 that is not a cut character: base64 of the bytes.
  p = ops::value_preview("\xff\xfe", 2);
  EXPECT_TRUE(p.base64);
  EXPECT_EQ(p.text, "//4=");
  p = ops::value_preview("\xc3", 2);  // complete value would be é, but nothing is left of it
  EXPECT_TRUE(p.base64);
}

TEST_F(kv_ops_test, list_prefix_is_literal) {
  for (const char* k : {"a%b", "a%c", "abc", "a_x", "ab", "b"}) {
    put(k, "1", "text/plain");
  }
  auto list = ops::kv_list(*conn_, "kv_store", {"a%", 100, 0});
  ASSERT_EQ(list.items.size(), 2U);
  EXPECT_EQ(list.items[0].key, "a%b");
  EXPECT_EQ(list.items[0].size, 1);
  EXPECT_EQ(list.items[0].preview.text, "1");
  list = ops::kv_list(*conn_, "kv_store", {"a_", 100, 0});
  EXPECT_EQ(list.items.size(), 1U);
  list = ops::kv_list(*conn_, "kv_store", {"", 2, 1});
  EXPECT_EQ(list.items.size(), 2U);
  EXPECT_EQ(list.total, 6);
  EXPECT_TRUE(list.has_more());
  // The wire envelope (handlers/kv_render.hpp).
  const auto wire = handlers::to_json(list);
  EXPECT_EQ(wire["count"], 2);
  EXPECT_EQ(wire["total"], 6);
  EXPECT_EQ(wire["limit"], 2);
  EXPECT_EQ(wire["offset"], 1);
  EXPECT_EQ(wire["has_more"], true);
  EXPECT_EQ(wire["items"][0]["expires_at"], nullptr);
  EXPECT_FALSE(wire["items"][0].contains("encoding"));
}

TEST_F(kv_ops_test, incr_decr) {
  EXPECT_EQ(ops::kv_incr(*conn_, scope_, "n", "incr", 5, std::nullopt).value, 5);
  EXPECT_EQ(ops::kv_incr(*conn_, scope_, "n", "incr", 3, std::nullopt).value, 8);
  auto e = ops::kv_get(*conn_, "kv_store", "n");
  EXPECT_EQ(e->value.value, "8");
  EXPECT_EQ(e->value.content_type, "text/plain");
  EXPECT_EQ(ops::kv_incr(*conn_, scope_, "n", "decr", 10, std::nullopt).value, -2);
  EXPECT_EQ(code_of([&] { ops::kv_incr(*conn_, scope_, "n", "incr", 0, std::nullopt); }),
            errc::bad_request);
  put("txt", "hello", "text/plain");
  EXPECT_EQ(code_of([&] { ops::kv_incr(*conn_, scope_, "txt", "incr", 1, std::nullopt); }),
            errc::bad_request);
  put("big", "9223372036854775807", "text/plain");
  EXPECT_EQ(code_of([&] { ops::kv_incr(*conn_, scope_, "big", "incr", 1, std::nullopt); }),
            errc::bad_request);
  EXPECT_EQ(get("big"), "9223372036854775807");
  put("doc", R"({"stats":{"views":1},"s":"x"})");
  EXPECT_EQ(
      ops::kv_incr(*conn_, scope_, "doc", "incr", 2, ops::parse_json_path("stats.views")).value, 3);
  EXPECT_EQ(
      ops::kv_incr(*conn_, scope_, "doc", "incr", 1, ops::parse_json_path("stats.likes")).value, 1);
  EXPECT_EQ(
      code_of([&] { ops::kv_incr(*conn_, scope_, "doc", "incr", 1, ops::parse_json_path("s")); }),
      errc::bad_request);
  EXPECT_EQ(json::parse(get("doc")), json::parse(R"({"stats":{"views":3,"likes":1},"s":"x"})"));
}

TEST_F(kv_ops_test, push_pop_remove) {
  EXPECT_EQ(ops::kv_push(*conn_, scope_, "cart", "apple", std::nullopt).length, 1U);
  EXPECT_EQ(ops::kv_push(*conn_, scope_, "cart", "pear", std::nullopt).length, 2U);
  EXPECT_EQ(ops::kv_push(*conn_, scope_, "cart", json{{"sku", 1}}, std::nullopt).length, 3U);
  EXPECT_EQ(json::parse(get("cart")), json::parse(R"(["apple","pear",{"sku":1}])"));
  auto r = ops::kv_remove(*conn_, scope_, "cart", json("apple"), std::nullopt, std::nullopt);
  EXPECT_EQ(r.item, "apple");
  EXPECT_EQ(r.length, 2U);
  EXPECT_EQ(code_of([&] {
              ops::kv_remove(*conn_, scope_, "cart", json("nope"), std::nullopt, std::nullopt);
            }),
            errc::key_not_found);
  r = ops::kv_pop(*conn_, scope_, "cart", std::nullopt);
  EXPECT_EQ(r.item, json({{"sku", 1}}));
  r = ops::kv_remove(*conn_, scope_, "cart", std::nullopt, 0, std::nullopt);
  EXPECT_EQ(r.item, "pear");
  EXPECT_EQ(code_of([&] { ops::kv_pop(*conn_, scope_, "cart", std::nullopt); }), errc::bad_request);
  EXPECT_EQ(code_of([&] { ops::kv_pop(*conn_, scope_, "missing", std::nullopt); }),
            errc::key_not_found);
  put("str", R"("x")");
  EXPECT_EQ(code_of([&] { ops::kv_push(*conn_, scope_, "str", 1, std::nullopt); }),
            errc::bad_request);
  put("txt", "plain words", "text/plain");
  EXPECT_EQ(code_of([&] { ops::kv_push(*conn_, scope_, "txt", 1, std::nullopt); }),
            errc::bad_request);
  // path-aware
  put("user", R"({"tags":["a"]})");
  ops::kv_push(*conn_, scope_, "user", "b", ops::parse_json_path("tags"));
  ops::kv_push(*conn_, scope_, "user", 1, ops::parse_json_path("more.list"));
  EXPECT_EQ(ops::kv_pop(*conn_, scope_, "user", ops::parse_json_path("tags")).item, "b");
  EXPECT_EQ(json::parse(get("user")), json::parse(R"({"tags":["a"],"more":{"list":[1]}})"));
}

TEST_F(kv_ops_test, batch_set_get_delete) {
  auto items = ops::parse_batch_set_body(json::parse(
      R"({"items":[{"key":"f:a","value":"true","content_type":"application/json"},{"key":"f:b","value":"{\"x\":1}","ttl":60}]})"));
  EXPECT_EQ(ops::kv_batch_set(*conn_, scope_, items), 2);
  auto got = ops::kv_batch_get(*conn_, "kv_store", {"f:a", "f:b", "f:c"});
  ASSERT_EQ(got.results.size(), 3U);
  EXPECT_EQ(got.results[0].key, "f:a");
  ASSERT_TRUE(got.results[0].value);
  EXPECT_EQ(got.results[0].value->value, "true");
  EXPECT_EQ(got.results[0].value->content_type, "application/json");
  EXPECT_FALSE(got.results[0].value->expires_at_ms);
  EXPECT_EQ(got.results[1].key, "f:b");
  ASSERT_TRUE(got.results[1].value);
  EXPECT_EQ(got.results[1].value->value, R"({"x":1})");
  EXPECT_EQ(got.results[1].value->content_type, "application/octet-stream");
  EXPECT_TRUE(got.results[1].value->expires_at_ms);  // ttl 60
  EXPECT_EQ(got.results[2].key, "f:c");
  EXPECT_FALSE(got.results[2].value);
  EXPECT_EQ(got.found(), 2);
  // The wire envelope (handlers/kv_render.hpp): a missing key is null, bytes that are not
  // UTF-8 come as base64.
  put("bin", std::string("\xff\xfe\x00\x01", 4), "application/octet-stream");
  const auto wire = handlers::to_json(ops::kv_batch_get(*conn_, "kv_store", {"f:a", "bin", "f:c"}));
  EXPECT_EQ(wire["count"], 3);
  EXPECT_EQ(wire["found"], 2);
  EXPECT_EQ(wire["success"], true);
  EXPECT_EQ(
      wire["results"]["f:a"],
      json({{"value", "true"}, {"content_type", "application/json"}, {"expires_at", nullptr}}));
  EXPECT_EQ(wire["results"]["bin"]["value"], "//4AAQ==");
  EXPECT_EQ(wire["results"]["bin"]["encoding"], "base64");
  EXPECT_EQ(wire["results"]["f:c"], nullptr);
  auto raw = ops::parse_batch_set_body(json::parse(R"({"batch":[{"key":"r","value":{"a":[1]}}]})"));
  ops::kv_batch_set(*conn_, scope_, raw);
  EXPECT_EQ(get("r"), R"({"a":[1]})");
  EXPECT_EQ(ops::kv_batch_delete(*conn_, scope_, {"f:a", "f:c", "r"}), 2);
  EXPECT_EQ(get("f:a"), "<missing>");
}

TEST_F(kv_ops_test, batch_validation) {
  const auto bad = [&](const char* body) {
    return code_of([&] { (void)ops::parse_batch_set_body(json::parse(body)); });
  };
  EXPECT_EQ(bad(R"({"items":[{"key":"a","value":{"x":1}}]})"), errc::invalid_json);
  EXPECT_EQ(bad(R"({"items":[]})"), errc::bad_request);
  EXPECT_EQ(bad(R"({"items":[{"key":" ","value":"1"}]})"), errc::bad_request);
  EXPECT_EQ(bad(R"({"items":[{"key":"a","value":"1"},{"key":"a","value":"2"}]})"),
            errc::bad_request);
  EXPECT_EQ(bad(R"({"items":[{"key":"a","value":"1","ttl":-1}]})"), errc::bad_request);
  EXPECT_EQ(bad(R"({"items":[{"key":"a","value":"1","ttl":1.5}]})"), errc::bad_request);
  EXPECT_EQ(bad(R"({"nope":[]})"), errc::bad_request);
  json many = {{"items", json::array()}};
  for (int i = 0; i < 101; ++i) {
    many["items"].push_back({{"key", "k" + std::to_string(i)}, {"value", "v"}});
  }
  EXPECT_EQ(code_of([&] { (void)ops::parse_batch_set_body(many); }), errc::bad_request);
  EXPECT_EQ(
      code_of([&] { (void)ops::parse_batch_keys(json::parse(R"({"keys":["a","a"]})"), true); }),
      errc::bad_request);
  EXPECT_EQ(code_of([&] { (void)ops::parse_batch_keys(json::parse(R"({"keys":[""]})"), true); }),
            errc::bad_request);
}

TEST_F(kv_ops_test, batch_is_all_or_nothing) {
  ops::kv_scope small = scope_;
  small.max_value_bytes = 10;
  std::vector<ops::kv_batch_item> items;
  for (int i = 0; i < 100; ++i) {
    items.push_back({"k" + std::to_string(i), i == 99 ? std::string(50, 'x') : "v", "text/plain",
                     std::nullopt});
  }
  conn_->exec("BEGIN");
  EXPECT_EQ(code_of([&] { ops::kv_batch_set(*conn_, small, items); }), errc::payload_too_large);
  conn_->exec("COMMIT");
  EXPECT_EQ(scalar("SELECT count(*) FROM kv_store"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM kv_store__history"), 0);
}

TEST_F(kv_ops_test, history_false_records_untracked_marker) {
  ops::kv_scope untracked = scope_;
  untracked.history = false;
  put("h", "1", "text/plain");
  ops::kv_incr(*conn_, untracked, "h", "incr", 1, std::nullopt);
  ops::kv_incr(*conn_, untracked, "h", "incr", 1, std::nullopt);
  EXPECT_EQ(get("h"), "3");
  EXPECT_EQ(scalar("SELECT count(*) FROM kv_store__history WHERE key='h'"), 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM kv_store__history WHERE op='untracked'"), 1);
}

TEST_F(kv_ops_test, key_validation) {
  EXPECT_EQ(code_of([&] { put("", "1"); }), errc::bad_request);
  EXPECT_EQ(code_of([&] { put("  ", "1"); }), errc::bad_request);
  EXPECT_EQ(code_of([&] { put(std::string(ops::max_key_bytes + 1, 'k'), "1"); }),
            errc::bad_request);
  EXPECT_NO_THROW(put(std::string(ops::max_key_bytes, 'k'), "1"));
  EXPECT_EQ(code_of([&] { put(std::string("a\xff", 2), "1"); }), errc::bad_request);
  ops::kv_scope other = scope_;
  other.table = "bad-name";
  EXPECT_EQ(code_of([&] { ops::kv_incr(*conn_, other, "x", "incr", 1, std::nullopt); }),
            errc::bad_request);
}

TEST_F(kv_ops_test, custom_table) {
  ops::kv_scope other = scope_;
  other.table = "sessions";
  ops::kv_incr(*conn_, other, "x", "incr", 1, std::nullopt);
  EXPECT_TRUE(ops::kv_get(*conn_, "sessions", "x"));
  EXPECT_FALSE(ops::kv_get(*conn_, "kv_store", "x"));
  conn_->exec("UPDATE sessions SET expires_at = 1");
  EXPECT_EQ(ops::sweep_expired(*conn_), 1);
}

}  // namespace
