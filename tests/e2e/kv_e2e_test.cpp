// End-to-end tests of the key-value store against the real binary: the spec's KV examples,
// TTL + sweeper, CAS, JSON paths, atomic ops under concurrency, batches, bad input.
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

namespace {

using hoody::test::http_client;
using hoody::test::http_response;
using hoody::test::server_process;
using hoody::test::url_encode;
using nlohmann::json;
using namespace std::chrono_literals;

using hoody::test::api;

class kv_e2e : public hoody::test::per_test_database {
 protected:
  std::string kv(std::string_view key, const std::string& query = "") const {
    return api + "/kv/" + url_encode(key) + "?db=" + db_ + (query.empty() ? "" : "&" + query);
  }
  std::string route(const std::string& tail, const std::string& query = "") const {
    return api + tail + "?db=" + db_ + (query.empty() ? "" : "&" + query);
  }
  json sql(const std::string& query) {
    const auto r = c_->post(api + "/db?db=" + db_, {{"transaction", {{{"query", query}}}}});
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json()["results"][0]["resultSet"];
  }
  std::int64_t count_rows(const std::string& where) {
    return sql("SELECT count(*) AS n FROM kv_store WHERE " + where)[0]["n"].get<std::int64_t>();
  }
  static void expect_error(const http_response& r, int status, const std::string& text = {}) {
    EXPECT_EQ(r.status, status) << r.body;
    const json j = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.body;
    ASSERT_TRUE(j.contains("error")) << r.body;
    if (!text.empty()) {
      EXPECT_EQ(j["error"], text) << r.body;
    }
  }
};

TEST_F(kv_e2e, config_document_with_paths) {
  const std::string key = "app:config/main";
  const std::string doc = R"({"theme":{"mode":"light"},"lang":"en"})";
  auto r = c_->put(kv(key), doc);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["success"], true);
  EXPECT_EQ(r.json()["op_number"], 1);
  r = c_->get(kv(key));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, doc);
  EXPECT_EQ(r.header("content-type"), "application/json");
  r = c_->get(kv(key, "path=theme.mode"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"("light")");
  r = c_->put(kv(key, "path=theme.mode"), R"("dark")");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(c_->get(kv(key, "path=theme.mode")).body, R"("dark")");
  EXPECT_EQ(c_->get(kv(key)).json(), json::parse(R"({"theme":{"mode":"dark"},"lang":"en"})"));
  expect_error(c_->get(kv(key, "path=theme.size")), 404);
  expect_error(c_->get(kv(key, "path=lang.x")), 400);  // through a scalar
  expect_error(c_->put(kv(key, "path=lang.x"), "1"), 400);
  expect_error(c_->put(kv(key, "path=theme.mode"), "not json"), 400, "Invalid JSON body");
  EXPECT_EQ(c_->get(kv(key, "path=theme.mode")).body, R"("dark")");

  r = c_->request("HEAD", kv(key));
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.empty());
  r = c_->del(kv(key));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json(), json::parse(R"({"success":true,"deleted":true})"));
  expect_error(c_->del(kv(key)), 404, "Key not found");
  expect_error(c_->get(kv(key)), 404, "Key not found");
  EXPECT_EQ(c_->request("HEAD", kv(key)).status, 404);
}

TEST_F(kv_e2e, content_types) {
  auto r = c_->put(kv("t"), "hello world", {{"Content-Type", "text/plain"}});
  ASSERT_EQ(r.status, 200) << r.body;
  r = c_->get(kv("t"));
  EXPECT_EQ(r.body, "hello world");
  EXPECT_EQ(r.header("content-type").rfind("text/plain", 0), 0U);
  // The SDK sends application/json on everything: a non-JSON body is stored as text.
  c_->put(kv("t2"), "plain words");
  EXPECT_EQ(c_->get(kv("t2")).header("content-type").rfind("text/plain", 0), 0U);
  const std::string bin("\x89PNG\x00\x01\xff", 7);
  c_->put(kv("img"), bin, {{"Content-Type", "image/png"}});
  r = c_->get(kv("img"));
  EXPECT_EQ(r.body, bin);
  EXPECT_EQ(r.header("content-type"), "image/png");
}

TEST_F(kv_e2e, missing_table_and_database_read_as_missing) {
  expect_error(c_->get(kv("nope")), 404, "Key not found");
  auto r = c_->get(route("/kv"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["count"], 0);
  r = c_->post(route("/kv/batch/get"), {{"keys", {"a"}}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json()["results"]["a"].is_null());
  EXPECT_EQ(c_->get(api + "/kv/x?db=no_such_db").status, 404);
  // PUT creates a missing database only when asked.
  EXPECT_EQ(c_->put(api + "/kv/x?db=fresh_db", "1").status, 404);
  EXPECT_EQ(c_->put(api + "/kv/x?db=fresh_db&create_db_if_missing=true", "1").status, 200);
  EXPECT_EQ(c_->get(api + "/kv/x?db=fresh_db").body, "1");
}

TEST_F(kv_e2e, cas) {
  expect_error(c_->put(kv("c", "if_match=1"), "2"), 412, "Key does not exist for CAS");
  EXPECT_EQ(c_->get(kv("c")).status, 404);
  c_->put(kv("c"), "1");
  expect_error(c_->put(kv("c", "if_match=0"), "2"), 412, "Value mismatch for CAS");
  EXPECT_EQ(c_->get(kv("c")).body, "1");
  EXPECT_EQ(c_->put(kv("c", "if_match=1"), "2").status, 200);
  EXPECT_EQ(c_->get(kv("c")).body, "2");
  const std::string doc = R"({"a": 1})";
  c_->put(kv("d"), doc);
  EXPECT_EQ(c_->put(kv("d", "if_match=" + url_encode(doc)), "3").status, 200);
}

TEST_F(kv_e2e, counters) {
  auto r = c_->request("POST", api + "/kv/views/incr?db=" + db_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["value"], 1);
  r = c_->request("POST", api + "/kv/views/incr?db=" + db_ + "&delta=5");
  EXPECT_EQ(r.json()["value"], 6);
  r = c_->request("POST", api + "/kv/views/incr?db=" + db_ + "&delta=4");
  r = c_->request("POST", api + "/kv/views/decr?db=" + db_ + "&delta=2");
  EXPECT_EQ(r.json()["value"], 8);
  r = c_->get(kv("views"));
  EXPECT_EQ(r.body, "8");
  EXPECT_EQ(r.header("content-type").rfind("text/plain", 0), 0U);
  for (const char* bad : {"0", "-1", "abc", "1.5", ""}) {
    expect_error(c_->request("POST", api + "/kv/views/incr?db=" + db_ + "&delta=" + bad), 400,
                 "delta must be a positive integer");
  }
  EXPECT_EQ(c_->get(kv("views")).body, "8");
  c_->put(kv("name"), "bob", {{"Content-Type", "text/plain"}});
  expect_error(c_->request("POST", api + "/kv/name/incr?db=" + db_), 400);
  EXPECT_EQ(c_->get(kv("name")).body, "bob");
  c_->put(kv("max"), "9223372036854775807");
  expect_error(c_->request("POST", api + "/kv/max/incr?db=" + db_), 400);
  EXPECT_EQ(c_->get(kv("max")).body, "9223372036854775807");
  // path-aware
  c_->put(kv("stats"), R"({"page":{"hits":1}})");
  r = c_->request("POST", api + "/kv/stats/incr?db=" + db_ + "&path=page.hits&delta=2");
  EXPECT_EQ(r.json()["value"], 3);
  EXPECT_EQ(c_->get(kv("stats", "path=page.hits")).body, "3");
}

TEST_F(kv_e2e, sessions_with_ttl_and_sweeper) {
  const auto t0 = std::chrono::steady_clock::now();
  auto r = c_->put(kv("session:abc", "ttl=1"), R"({"user":42})");
  ASSERT_EQ(r.status, 200) << r.body;
  c_->put(kv("session:keep", "ttl=0"), R"({"user":1})");
  EXPECT_EQ(c_->get(kv("session:abc")).status, 200);
  std::this_thread::sleep_until(t0 + 1100ms);
  EXPECT_EQ(c_->get(kv("session:abc")).status, 404);
  EXPECT_EQ(c_->request("HEAD", kv("session:abc")).status, 404);
  r = c_->get(route("/kv", "prefix=session%3A"));
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.json()["count"], 1) << r.body;
  EXPECT_EQ(r.json()["items"][0]["key"], "session:keep");
  r = c_->post(route("/kv/batch/get"), {{"keys", {"session:abc", "session:keep"}}});
  EXPECT_TRUE(r.json()["results"]["session:abc"].is_null()) << r.body;
  EXPECT_FALSE(r.json()["results"]["session:keep"].is_null());
  // The sweeper (default every 1 s) deletes the row itself.
  bool swept = false;
  for (int i = 0; i < 40 && !swept; ++i) {
    swept = count_rows("key = 'session:abc'") == 0;
    if (!swept) {
      std::this_thread::sleep_for(100ms);
    }
  }
  EXPECT_TRUE(swept) << "expired row not removed by the sweeper";
  EXPECT_EQ(count_rows("key = 'session:keep'"), 1);
}

TEST_F(kv_e2e, bad_ttl_changes_nothing) {
  for (const char* bad : {"-1", "1.5", "abc", ""}) {
    expect_error(c_->put(kv("t", std::string("ttl=") + bad), "1"), 400);
  }
  EXPECT_EQ(c_->get(kv("t")).status, 404);
}

TEST_F(kv_e2e, shopping_cart) {
  const auto op = [&](const std::string& what, const json& body = nullptr,
                      const std::string& q = "") {
    return c_->request("POST", api + "/kv/cart%3A1/" + what + "?db=" + db_ + q,
                       body.is_null() ? std::string() : body.dump());
  };
  auto r = op("push", {{"value", {{"sku", "apple"}, {"qty", 2}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["length"], 1);
  op("push", {{"value", {{"sku", "pear"}, {"qty", 1}}}});
  op("push", {{"value", "gift-card"}});
  op("push", {{"value", 7}});
  EXPECT_EQ(c_->get(kv("cart:1")).json().size(), 4U);
  r = op("remove", {{"value", {{"sku", "pear"}, {"qty", 1}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["length"], 3);
  expect_error(op("remove", {{"value", "nothing"}}), 404);
  r = op("remove", nullptr, "&index=0");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["value"]["sku"], "apple");
  r = op("pop");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["value"], 7);
  EXPECT_EQ(c_->get(kv("cart:1")).json(), json::parse(R"(["gift-card"])"));
  op("pop");
  expect_error(op("pop"), 400);  // empty
  expect_error(c_->request("POST", api + "/kv/nocart/pop?db=" + db_), 404, "Key not found");
  // push onto a non-array, invalid JSON body
  c_->put(kv("scalar"), "5");
  expect_error(c_->request("POST", api + "/kv/scalar/push?db=" + db_, R"({"value":1})"), 400);
  EXPECT_EQ(c_->get(kv("scalar")).body, "5");
  expect_error(c_->request("POST", api + "/kv/cart%3A1/push?db=" + db_, "{oops"), 400,
               "Invalid JSON body");
  // path-aware
  c_->put(kv("user"), R"({"name":"a","tags":[]})");
  c_->request("POST", api + "/kv/user/push?db=" + db_ + "&path=tags", R"({"value":"x"})");
  expect_error(
      c_->request("POST", api + "/kv/user/push?db=" + db_ + "&path=name.y", R"({"value":"x"})"),
      400);
  EXPECT_EQ(c_->get(kv("user")).json(), json::parse(R"({"name":"a","tags":["x"]})"));
}

TEST_F(kv_e2e, feature_flags_via_batch) {
  json items = json::array();
  items.push_back({{"key", "flag:dark"}, {"value", "true"}, {"content_type", "application/json"}});
  items.push_back({{"key", "flag:beta"}, {"value", R"({"pct":10})"}});
  items.push_back({{"key", "flag:tmp"}, {"value", "x"}, {"ttl", 60}});
  auto r = c_->post(route("/kv/batch/set"), {{"items", items}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["success"], true);
  r = c_->post(route("/kv/batch/get"), {{"keys", {"flag:dark", "flag:beta", "flag:none"}}});
  ASSERT_EQ(r.status, 200) << r.body;
  const json res = r.json()["results"];
  EXPECT_EQ(res["flag:dark"]["value"], "true");
  EXPECT_EQ(res["flag:dark"]["content_type"], "application/json");
  EXPECT_EQ(res["flag:beta"]["value"], R"({"pct":10})");
  EXPECT_EQ(res["flag:beta"]["content_type"], "application/octet-stream");
  EXPECT_TRUE(res["flag:none"].is_null());
  EXPECT_EQ(c_->get(kv("flag:dark")).body, "true");
  // The product page's raw form.
  r = c_->post(route("/kv/batch/set"),
               json::parse(R"({"batch":[{"key":"flag:raw","value":{"on":true}}]})"));
  ASSERT_EQ(r.status, 200) << r.body;
  r = c_->get(kv("flag:raw"));
  EXPECT_EQ(r.json(), json::parse(R"({"on":true})"));
  EXPECT_EQ(r.header("content-type"), "application/json");
  r = c_->post(route("/kv/batch/delete"), {{"keys", {"flag:dark", "flag:none", "flag:raw"}}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json(), json::parse(R"({"deleted":2,"success":true})"));
}

// POST /kv/batch/expire (an extension): a TTL change alone keeps every byte and the content
// type, is one recorded op `expire` per key, skips missing keys, and 0 removes the expiry.
TEST_F(kv_e2e, batch_expire_changes_only_the_ttl) {
  const std::string bytes("\x00\x01\xff\xfe binary", 11);
  ASSERT_EQ(c_->put(kv("bin"), bytes, {{"Content-Type", "image/x-test; q=1"}}).status, 200);
  ASSERT_EQ(c_->put(kv("doc"), R"({"a":1})", {{"Content-Type", "application/json"}}).status, 200);
  ASSERT_EQ(c_->put(kv("tmp", "ttl=3600"), "t", hoody::test::text_plain).status, 200);
  auto r = c_->post(route("/kv/batch/expire"), {{"keys", {"bin", "doc", "none"}}, {"ttl", 2}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json(), json::parse(R"({"updated":2,"success":true})"));
  r = c_->get(kv("bin"));
  EXPECT_EQ(r.body, bytes);
  EXPECT_EQ(r.header("content-type"), "image/x-test; q=1");
  const auto expires = [&](const std::string& key) {
    return sql("SELECT expires_at FROM kv_store WHERE key = '" + key + "'")[0]["expires_at"];
  };
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  EXPECT_NEAR(expires("bin").get<double>(), static_cast<double>(now_ms + 2000), 1500.0);
  // Recorded: op expire, the same value before and after, the new expiry.
  r = c_->get(route("/kv/doc/history"));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto newest = r.json()["operations"][0]["operation"];
  EXPECT_EQ(newest["op"], "expire") << newest;
  EXPECT_EQ(newest["old_value"], newest["new_value"]) << newest;
  // 0 removes the expiry of tmp (it had one); the expired ones are skipped after 2 s.
  r = c_->post(route("/kv/batch/expire"), {{"keys", {"tmp"}}, {"ttl", 0}});
  EXPECT_EQ(r.json()["updated"], 1);
  EXPECT_TRUE(expires("tmp").is_null());
  std::this_thread::sleep_for(2500ms);
  EXPECT_EQ(c_->get(kv("bin")).status, 404);
  EXPECT_EQ(c_->post(route("/kv/batch/expire"), {{"keys", {"bin", "doc"}}, {"ttl", 60}}).json(),
            json::parse(R"({"updated":0,"success":true})"));
  EXPECT_EQ(c_->get(kv("tmp")).body, "t");
  // Bad input: 400, nothing changed.
  expect_error(c_->post(route("/kv/batch/expire"), {{"keys", {"tmp"}}}), 400);
  expect_error(c_->post(route("/kv/batch/expire"), {{"keys", {"tmp"}}, {"ttl", -1}}), 400);
  expect_error(c_->post(route("/kv/batch/expire"), {{"keys", {"tmp"}}, {"ttl", "60"}}), 400);
  expect_error(c_->post(route("/kv/batch/expire"), {{"keys", {"tmp", "tmp"}}, {"ttl", 5}}), 400);
  expect_error(c_->post(route("/kv/batch/expire"), {{"ttl", 5}}), 400, "No keys provided");
  EXPECT_TRUE(expires("tmp").is_null());
}

TEST_F(kv_e2e, batch_bad_input_changes_nothing) {
  json items = json::array();
  for (int i = 0; i < 100; ++i) {
    items.push_back({{"key", "k" + std::to_string(i)}, {"value", "v"}});
  }
  items[57] = {{"key", "k57"}, {"value", {{"raw", "object"}}}};
  expect_error(c_->post(route("/kv/batch/set"), {{"items", items}}), 400, "Invalid JSON body");
  items[57] = {{"key", "   "}, {"value", "v"}};
  expect_error(c_->post(route("/kv/batch/set"), {{"items", items}}), 400, "items[57].key is empty");
  items[57] = {{"key", "k0"}, {"value", "v"}};  // duplicate
  expect_error(c_->post(route("/kv/batch/set"), {{"items", items}}), 400);
  items[57] = {{"key", "k57"}, {"value", "v"}, {"ttl", -1}};
  expect_error(c_->post(route("/kv/batch/set"), {{"items", items}}), 400);
  items[57] = {{"key", "k57"}, {"value", "v"}};
  items.push_back({{"key", "k100"}, {"value", "v"}});  // 101 items
  expect_error(c_->post(route("/kv/batch/set"), {{"items", items}}), 400,
               "Maximum 100 items per request");
  expect_error(c_->post(route("/kv/batch/set"), {{"items", json::array()}}), 400,
               "No items provided");
  EXPECT_EQ(c_->get(route("/kv")).json()["count"], 0);
  json keys = json::array();
  for (int i = 0; i < 101; ++i) {
    keys.push_back("k" + std::to_string(i));
  }
  expect_error(c_->post(route("/kv/batch/get"), {{"keys", keys}}), 400,
               "Maximum 100 keys per request");
  expect_error(c_->post(route("/kv/batch/delete"), {{"keys", keys}}), 400,
               "Maximum 100 keys per request");
  expect_error(c_->post(route("/kv/batch/delete"), {{"keys", {"a", "a"}}}), 400);
  expect_error(c_->post(route("/kv/batch/get"), {{"keys", {""}}}), 400);
  // A valid batch of 100 then works.
  items.erase(items.end() - 1);
  ASSERT_EQ(c_->post(route("/kv/batch/set"), {{"items", items}}).status, 200);
  EXPECT_EQ(c_->get(route("/kv", "limit=1000")).json()["count"], 100);
}

TEST_F(kv_e2e, bad_keys_and_tables) {
  expect_error(c_->put(api + "/kv/%20%20?db=" + db_, "1"), 400);
  expect_error(c_->put(kv(std::string(1025, 'k')), "1"), 400);
  EXPECT_EQ(c_->put(kv(std::string(1024, 'k')), "1").status, 200);
  expect_error(c_->put(kv("x", "table=bad-name"), "1"), 400);
  expect_error(c_->put(kv("x", "table=sqlite_master"), "1"), 400);
  // Another table keeps its own keys.
  EXPECT_EQ(c_->put(kv("x", "table=sessions"), "1").status, 200);
  EXPECT_EQ(c_->get(kv("x", "table=sessions")).body, "1");
  EXPECT_EQ(c_->get(kv("x")).status, 404);
}

TEST_F(kv_e2e, list_prefix_limit_offset) {
  for (const char* k : {"a%1", "a%2", "a_1", "ab", "b/1", "b/2", "b/3"}) {
    ASSERT_EQ(c_->put(kv(k), "1").status, 200);
  }
  auto r = c_->get(route("/kv", "prefix=" + url_encode("a%")));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["count"], 2);
  r = c_->get(route("/kv", "prefix=" + url_encode("a_")));
  EXPECT_EQ(r.json()["count"], 1);
  r = c_->get(route("/kv", "prefix=b%2F&limit=2&offset=1"));
  const json j = r.json();
  ASSERT_EQ(j["count"], 2) << r.body;
  EXPECT_EQ(j["items"][0]["key"], "b/2");
  EXPECT_EQ(j["items"][0]["value"], "1");
  EXPECT_EQ(j["items"][0]["content_type"], "application/json");
  EXPECT_EQ(j["items"][0]["size"], 1);
  EXPECT_TRUE(j["items"][0].contains("expires_at"));
  EXPECT_TRUE(j["items"][0].contains("updated_at"));
}

TEST_F(kv_e2e, rows_readable_with_plain_sql) {
  c_->put(kv("user:1"), R"({"name":"Alice"})");
  c_->request("POST", api + "/kv/hits/incr?db=" + db_);
  const json rows = sql("SELECT key, value FROM kv_store ORDER BY key");
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0]["key"], "hits");
  EXPECT_EQ(rows[0]["value"], "1");
  EXPECT_EQ(rows[1]["key"], "user:1");
  EXPECT_EQ(rows[1]["value"], R"({"name":"Alice"})");
  EXPECT_EQ(
      sql("SELECT json_extract(value, '$.name') AS n FROM kv_store WHERE key='user:1'")[0]["n"],
      "Alice");
}

TEST_F(kv_e2e, history_flag) {
  c_->put(kv("h"), "1");
  c_->put(kv("h", "history=false"), "2");
  c_->put(kv("h", "history=false"), "3");
  const json rows = sql("SELECT op FROM kv_store__history WHERE key='h' ORDER BY op_number");
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0]["op"], "set");
  EXPECT_EQ(rows[1]["op"], "untracked");
  EXPECT_EQ(c_->get(kv("h")).body, "3");
}

TEST_F(kv_e2e, at_timestamp_is_routed_to_time_travel) {
  c_->put(kv("tt"), R"({"mode":"light"})");
  const auto t = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  std::this_thread::sleep_for(1100ms);
  c_->put(kv("tt"), R"({"mode":"dark"})");
  auto r = c_->get(kv("tt", "at_timestamp=" + std::to_string(t)));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["value"]["mode"], "light");
  r = c_->get(route("/kv", "at_timestamp=" + std::to_string(t)));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["keys"].size(), 1U);
  EXPECT_EQ(c_->get(kv("tt", "path=mode")).body, R"("dark")");
}

TEST_F(kv_e2e, concurrent_incr_is_exact) {
  constexpr int threads = 64;
  constexpr int total = 1000;
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      http_client c(srv_->port());
      while (next.fetch_add(1) < total) {
        if (c.request("POST", api + "/kv/counter/incr?db=" + db_).status != 200) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : pool) {
    th.join();
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(c_->get(kv("counter")).body, "1000");
}

TEST_F(kv_e2e, concurrent_push_loses_nothing) {
  constexpr int threads = 64;
  constexpr int total = 1000;
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      http_client c(srv_->port());
      for (int i = next.fetch_add(1); i < total; i = next.fetch_add(1)) {
        const auto r =
            c.request("POST", api + "/kv/list/push?db=" + db_, json{{"value", i}}.dump());
        if (r.status != 200) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : pool) {
    th.join();
  }
  EXPECT_EQ(failures.load(), 0);
  const json arr = c_->get(kv("list")).json();
  ASSERT_EQ(arr.size(), static_cast<std::size_t>(total));
  std::set<int> seen;
  for (const auto& v : arr) {
    seen.insert(v.get<int>());
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(total));
  EXPECT_EQ(*seen.begin(), 0);
  EXPECT_EQ(*seen.rbegin(), total - 1);
}

}  // namespace

namespace {

TEST(kv_e2e_limits, values_over_max_body_bytes_change_nothing) {
  server_process srv({"--max-body-bytes", "1024"});
  http_client c(srv.port());
  const std::string base = api + "/kv/";
  ASSERT_EQ(c.put(base + "big?db=lim&create_db_if_missing=true", "small").status, 200);
  auto r = c.put(base + "big?db=lim", std::string(2000, 'x'));
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_EQ(c.get(base + "big?db=lim").body, "small");
  // A value that grows past the limit through push is refused too.
  const json item = {{"value", std::string(300, 'y')}};
  int status = 200;
  int pushes = 0;
  while (status == 200 && pushes < 10) {
    status = c.request("POST", base + "list/push?db=lim", item.dump()).status;
    ++pushes;
  }
  EXPECT_EQ(status, 413);
  EXPECT_LE(c.get(base + "list?db=lim").body.size(), 1024U);
}

}  // namespace
