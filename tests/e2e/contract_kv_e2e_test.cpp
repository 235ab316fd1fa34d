// The published KV contract, exactly (issue 13, items 7-10 and 12's paths), against the real
// binary on a real port: list rows under `items`, keys with a literal `/`, batch texts and
// defaults, push/remove bodies, absolute database paths inside the data directory.
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <set>

namespace {

namespace fs = std::filesystem;
using hoody::test::api;
using hoody::test::http_response;
using hoody::test::url_encode;
using nlohmann::json;

class contract_kv : public hoody::test::per_test_database {
 protected:
  /// A KV target whose key is sent as written: slashes stay path separators.
  std::string raw(const std::string& tail, const std::string& query = "") const {
    return api + "/kv/" + tail + "?db=" + db_ + (query.empty() ? "" : "&" + query);
  }
  std::string kv(std::string_view key, const std::string& query = "") const {
    return raw(url_encode(key), query);
  }
  std::string list(const std::string& query = "") const {
    return api + "/kv?db=" + db_ + (query.empty() ? "" : "&" + query);
  }
  http_response post(const std::string& target, const std::string& body) {
    return c_->request("POST", target, body);
  }
  static void expect_error(const http_response& r, int status, const std::string& text) {
    EXPECT_EQ(r.status, status) << r.body;
    const json j = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.body;
    ASSERT_TRUE(j.contains("error")) << r.body;
    EXPECT_EQ(j["error"], text) << r.body;
  }
  std::set<std::string> listed_keys() {
    std::set<std::string> out;
    const auto r = c_->get(list("limit=1000"));
    EXPECT_EQ(r.status, 200) << r.body;
    const json page = r.json();
    for (const auto& row : page["items"]) {
      out.insert(row["key"].get<std::string>());
    }
    return out;
  }
};

// ---- 9. GET /kv: rows under `items`, each with a truncated value -------------------------------

TEST_F(contract_kv, list_rows_are_items_with_value_preview) {
  ASSERT_EQ(c_->put(kv("a:json"), R"({"theme":"dark"})").status, 200);
  ASSERT_EQ(c_->put(kv("b:long"), std::string(300, 'x'), {{"Content-Type", "text/plain"}}).status,
            200);
  // 255 ASCII bytes, then "é" (2 bytes): the 256-byte preview would cut the character.
  ASSERT_EQ(
      c_->put(kv("c:cut"), std::string(255, 'y') + "\xc3\xa9", {{"Content-Type", "text/plain"}})
          .status,
      200);
  ASSERT_EQ(c_->put(kv("d:bin"), std::string("\xff\xfe\x00\x01", 4),
                    {{"Content-Type", "application/octet-stream"}})
                .status,
            200);
  ASSERT_EQ(c_->put(kv("e:ttl", "ttl=3600"), "1").status, 200);

  const auto r = c_->get(list());
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = r.json();
  EXPECT_FALSE(j.contains("keys")) << "rows are under items";
  ASSERT_TRUE(j["items"].is_array()) << r.body;
  ASSERT_EQ(j["items"].size(), 5U);
  EXPECT_EQ(j["count"], 5);
  EXPECT_EQ(j["total"], 5);
  EXPECT_EQ(j["has_more"], false);
  for (const auto& row : j["items"]) {
    for (const char* field :
         {"key", "value", "content_type", "size", "updated_at", "expires_at", "truncated"}) {
      EXPECT_TRUE(row.contains(field)) << field << " in " << row.dump();
    }
    EXPECT_TRUE(row["updated_at"].is_number_integer());
  }
  const json& a = j["items"][0];
  EXPECT_EQ(a["key"], "a:json");
  EXPECT_EQ(a["value"], R"({"theme":"dark"})");
  EXPECT_EQ(a["truncated"], false);
  EXPECT_EQ(a["content_type"], "application/json");
  EXPECT_EQ(a["size"], 16);
  EXPECT_TRUE(a["expires_at"].is_null());
  const json& b = j["items"][1];
  EXPECT_EQ(b["value"], std::string(256, 'x'));
  EXPECT_EQ(b["truncated"], true);
  EXPECT_EQ(b["size"], 300);
  const json& cut = j["items"][2];
  EXPECT_EQ(cut["value"], std::string(255, 'y')) << "a cut character is dropped whole";
  EXPECT_EQ(cut["truncated"], true);
  EXPECT_EQ(cut["size"], 257);
  const json& bin = j["items"][3];
  EXPECT_EQ(bin["encoding"], "base64");
  EXPECT_EQ(bin["value"], "//4AAQ==");
  EXPECT_EQ(bin["truncated"], false);
  EXPECT_EQ(bin["size"], 4);
  const json& ttl = j["items"][4];
  EXPECT_TRUE(ttl["expires_at"].is_number_integer());
  EXPECT_GT(ttl["expires_at"].get<std::int64_t>(), ttl["updated_at"].get<std::int64_t>());
}

TEST_F(contract_kv, list_offset_is_a_row_offset_and_pages_cover_every_key_once) {
  std::set<std::string> all;
  for (int i = 0; i < 7; ++i) {
    const std::string key = std::string("k").append(std::to_string(i));
    ASSERT_EQ(c_->put(kv(key), std::to_string(i)).status, 200);
    all.insert(key);
  }
  auto r = c_->get(list("limit=2&offset=1"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["items"][0]["key"], "k1");
  EXPECT_EQ(r.json()["items"][1]["key"], "k2");
  EXPECT_EQ(r.json()["offset"], 1);
  EXPECT_EQ(r.json()["has_more"], true);
  r = c_->get(list("limit=2&offset=6"));
  EXPECT_EQ(r.json()["items"].size(), 1U);
  EXPECT_EQ(r.json()["has_more"], false);
  // How docs/api.md says to page with the SDK: `list` with an explicit row offset.
  std::multiset<std::string> seen;
  for (int offset = 0;;) {
    const auto page = c_->get(list("limit=3&offset=" + std::to_string(offset))).json();
    for (const auto& row : page["items"]) {
      seen.insert(row["key"].get<std::string>());
    }
    offset += static_cast<int>(page["items"].size());
    if (!page["has_more"].get<bool>()) {
      break;
    }
  }
  EXPECT_EQ(seen, std::multiset<std::string>(all.begin(), all.end()));
}

// ---- 10. keys with a literal `/` ---------------------------------------------------------------

TEST_F(contract_kv, slashes_in_the_path_are_part_of_the_key) {
  auto r = c_->put(raw("users/1/name"), "\"Alice\"");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["key"], "users/1/name");
  EXPECT_EQ(c_->get(raw("users/1/name")).body, "\"Alice\"");
  EXPECT_EQ(c_->get(kv("users/1/name")).body, "\"Alice\"") << "%2F names the same key";
  EXPECT_EQ(c_->request("HEAD", raw("users/1/name")).status, 200);
  EXPECT_EQ(listed_keys(), std::set<std::string>{"users/1/name"});

  // A last segment that names a sub-route of the verb is the sub-route.
  r = post(raw("users/1/visits/incr"), "");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["key"], "users/1/visits");
  EXPECT_EQ(post(raw("users/1/visits/incr", "delta=4"), "").json()["value"], 5);
  EXPECT_EQ(post(raw("users/1/visits/decr"), "").json()["value"], 4);
  EXPECT_EQ(c_->get(raw("users/1/visits")).body, "4");
  r = c_->get(raw("users/1/visits/history"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["operations"].size(), 3U);
  r = c_->get(raw("users/1/visits/snapshot", "op_number=1"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["value"], "1") << "a counter is text/plain";
  r = post(raw("users/1/visits/rollback"), "");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(c_->get(raw("users/1/visits")).body, "5");

  EXPECT_EQ(post(raw("q/a/push"), "\"job\"").status, 200);
  r = post(raw("q/a/pop"), "");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["value"], "job");
  EXPECT_EQ(r.json()["key"], "q/a");
  EXPECT_EQ(post(raw("q/a/push"), "1").status, 200);
  EXPECT_EQ(post(raw("q/a/remove", "index=0"), "null").json()["value"], 1);

  // ... but only for that verb: for PUT, GET and DELETE "history" or "incr" is part of the key.
  ASSERT_EQ(c_->put(raw("notes/history"), "\"a note\"").status, 200);
  EXPECT_EQ(c_->get(kv("notes/history")).body, "\"a note\"");
  r = c_->get(raw("notes/history"));  // GET: the history of key "notes" (which has none)
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["operations"], json::array());
  ASSERT_EQ(c_->put(raw("x/incr"), "\"text\"").status, 200);
  EXPECT_EQ(c_->get(raw("x/incr")).body, "\"text\"");
  EXPECT_EQ(c_->del(raw("x/incr")).status, 200);
  expect_error(c_->get(raw("x/incr")), 404, "Key not found");
  EXPECT_EQ(c_->del(raw("users/1/name")).json(), json({{"success", true}, {"deleted", true}}));
  expect_error(c_->get(raw("users/1/name")), 404, "Key not found");
  // A verb with no route there still lists what is allowed.
  r = c_->request("PATCH", raw("users/1/name"));
  EXPECT_EQ(r.status, 405);
  r = c_->request("POST", raw("notes/history"));
  EXPECT_EQ(r.status, 405) << r.body;
}

TEST_F(contract_kv, fixed_routes_keep_their_paths) {
  auto r = post(raw("batch/set"), R"({"items":[{"key":"snapshot","value":"s"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(
      post(raw("batch/get"), R"({"keys":["snapshot"]})").json()["results"]["snapshot"]["value"],
      "s");
  const std::string now = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
  r = c_->get(raw("snapshot", "timestamp=" + now));
  ASSERT_EQ(r.status, 200) << r.body;
  r = c_->get(raw("diff", "from=0&to=" + now));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["stats"]["created"], 1);
  r = post(raw("rollback", "to_timestamp=" + now), "{}");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(c_->request("PUT", raw("batch/set"), "x").status, 405) << "never the key batch/set";
  EXPECT_EQ(c_->request("PUT", raw("snapshot"), "x").status, 405);
  // Those keys need an encoded character: %2F for the slash, any escape for a single segment.
  ASSERT_EQ(c_->put(raw("batch%2Fset"), "\"b\"").status, 200);
  EXPECT_EQ(c_->get(raw("batch%2Fset")).body, "\"b\"");
  EXPECT_EQ(c_->get(raw("%73napshot")).body, "s") << "the key named snapshot";
  EXPECT_EQ(listed_keys(), (std::set<std::string>{"batch/set", "snapshot"}));
}

// ---- 7. batches ----------------------------------------------------------------------------

TEST_F(contract_kv, batch_set_value_is_optional) {
  auto r = post(raw("batch/set"), R"({"items":[{"key":"feature:beta"},{"key":"feature:dark"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json(), json({{"success", true}, {"count", 2}}));
  r = c_->get(kv("feature:beta"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.header("content-type"), "application/octet-stream");
  r = post(
      raw("batch/set"),
      R"({"items":[{"key":"user:1","value":"{\"name\":\"alice\"}","content_type":"application/json"},{"key":"u1","value":"alice","ttl":3600}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(c_->get(kv("user:1", "path=name")).body, "\"alice\"");
  r = post(raw("batch/get"), R"({"keys":["u1","feature:dark","missing"]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["results"]["u1"]["value"], "alice");
  EXPECT_TRUE(r.json()["results"]["u1"]["expires_at"].is_number_integer());
  EXPECT_EQ(r.json()["results"]["feature:dark"]["value"], "");
  EXPECT_TRUE(r.json()["results"]["missing"].is_null());
  // The product page's form with raw JSON values still works.
  r = post(raw("batch/set"), R"({"batch":[{"key":"doc","value":{"a":[1,2]}}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(c_->get(kv("doc")).json(), json::parse(R"({"a":[1,2]})"));
}

TEST_F(contract_kv, batch_errors_have_the_published_texts_and_change_nothing) {
  ASSERT_EQ(c_->put(kv("keep"), "1").status, 200);
  const auto set = raw("batch/set");
  expect_error(post(set, R"({"items":[]})"), 400, "No items provided");
  expect_error(post(set, "{}"), 400, "No items provided");
  json many = json::array();
  json keys = json::array();
  for (int i = 0; i < 101; ++i) {
    const std::string key = std::string("m").append(std::to_string(i));
    many.push_back({{"key", key}, {"value", "1"}});
    keys.push_back(key);
  }
  expect_error(post(set, json{{"items", many}}.dump()), 400, "Maximum 100 items per request");
  expect_error(post(set, R"({"items":[{"key":"","value":"1"}]})"), 400, "items[0].key is empty");
  expect_error(post(set, R"({"items":[{"key":"ok","value":"1"},{"key":"  \t"}]})"), 400,
               "items[1].key is empty");
  expect_error(post(set, R"({"items":[{"key":"ok","value":{"raw":"object"}}]})"), 400,
               "Invalid JSON body");
  for (const auto* route : {"batch/get", "batch/delete"}) {
    expect_error(post(raw(route), R"({"keys":[]})"), 400, "No keys provided");
    expect_error(post(raw(route), "{}"), 400, "No keys provided");
    expect_error(post(raw(route), json{{"keys", keys}}.dump()), 400,
                 "Maximum 100 keys per request");
    expect_error(post(raw(route), R"({"keys":["keep",""]})"), 400, "keys[1] is empty");
  }
  EXPECT_EQ(listed_keys(), std::set<std::string>{"keep"});
  many.erase(many.end() - 1);
  EXPECT_EQ(post(set, json{{"items", many}}.dump()).json()["count"], 100);
  keys.erase(keys.end() - 1);
  EXPECT_EQ(post(raw("batch/delete"), json{{"keys", keys}}.dump()).json()["deleted"], 100);
}

TEST_F(contract_kv, batch_set_creates_a_missing_database) {
  const std::string fresh = db_ + "_fresh";
  const auto file = srv_->data_dir() / (fresh + ".db");
  ASSERT_FALSE(fs::exists(file));
  // A body that is bound to fail creates nothing.
  expect_error(c_->request("POST", api + "/kv/batch/set?db=" + fresh, R"({"items":[]})"), 400,
               "No items provided");
  EXPECT_FALSE(fs::exists(file));
  auto r = c_->request("POST", api + "/kv/batch/set?db=" + fresh,
                       R"({"items":[{"key":"b1","value":"v1"},{"key":"b2","value":"v2"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(fs::exists(file));
  EXPECT_EQ(c_->get(api + "/kv/b2?db=" + fresh).body, "v2");
  // batch/get and batch/delete still need the database.
  EXPECT_EQ(
      c_->request("POST", api + "/kv/batch/get?db=" + fresh + "_no", R"({"keys":["a"]})").status,
      404);
}

// ---- 8. push / remove bodies, array paths -------------------------------------------------------

TEST_F(contract_kv, push_appends_the_whole_body_as_one_element) {
  for (const char* body :
       {R"("urgent")", "42", "[1,2]", R"({"type":"login","ts":1})", R"({"value":"x"})",
        R"({"value":{"value":1}})", R"({"value":1,"other":2})", "null", "{}"}) {
    const auto r = post(raw("queue/push"), body);
    ASSERT_EQ(r.status, 200) << body << ": " << r.body;
  }
  EXPECT_EQ(c_->get(kv("queue")).json(),
            json::parse(R"(["urgent",42,[1,2],{"type":"login","ts":1},"x",{"value":1},)"
                        R"({"value":1,"other":2},null,{}])"));
  const auto r = post(raw("queue/push"), R"("last")");
  EXPECT_EQ(r.json()["length"], 10);
  expect_error(post(raw("queue/push"), ""), 400, "push needs a body: the JSON element to append");
  expect_error(post(raw("queue/push"), "not json"), 400, "Invalid JSON body");
  EXPECT_EQ(c_->get(kv("queue")).json().size(), 10U);
}

TEST_F(contract_kv, remove_takes_index_with_any_body) {
  ASSERT_EQ(c_->put(kv("tags"), R"(["a","b","c","d","e"])").status, 200);
  auto r = post(raw("tags/remove", "index=0"), "null");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["value"], "a");
  r = post(raw("tags/remove", "index=0"), "{}");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["value"], "b");
  r = post(raw("tags/remove", "index=-1"), R"({"value":"c"})");  // index wins over the body
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["value"], "e");
  r = post(raw("tags/remove", "index=0"), "");
  EXPECT_EQ(r.json()["value"], "c");
  // Without index the body names the element: raw, or in the {"value": x} envelope.
  ASSERT_EQ(c_->put(kv("tags"), R"(["a",{"id":1},"b"])").status, 200);
  r = post(raw("tags/remove"), R"("b")");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["length"], 2);
  r = post(raw("tags/remove"), R"({"value":{"id":1}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(c_->get(kv("tags")).json(), json::parse(R"(["a"])"));
  expect_error(post(raw("tags/remove"), R"("zzz")"), 404, "Value not found in array");
  expect_error(post(raw("tags/remove"), ""), 400,
               "remove needs an index query parameter or a body: the element to remove");
}

TEST_F(contract_kv, array_paths_are_bare_dotted_paths) {
  ASSERT_EQ(c_->put(kv("profile"), R"({"addr":{"city":"X"}})").status, 200);
  ASSERT_EQ(post(raw("profile/push", "path=addr.items"), "42").status, 200);
  ASSERT_EQ(post(raw("profile/push", "path=addr.items"), R"({"value":5})").status, 200);
  EXPECT_EQ(c_->get(kv("profile", "path=addr.items")).json(), json::parse("[42,5]"));
  // As the CLI documents: "$.items" is the member "$", then "items" (push, pop, remove alike).
  ASSERT_EQ(post(raw("profile/push", "path=" + url_encode("$.items")), "1").status, 200);
  ASSERT_EQ(post(raw("profile/push", "path=" + url_encode("$.items")), "2").status, 200);
  EXPECT_EQ(c_->get(kv("profile")).json(),
            json::parse(R"({"addr":{"city":"X","items":[42,5]},"$":{"items":[1,2]}})"));
  auto r = post(raw("profile/pop", "path=" + url_encode("$.items")), "");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["value"], 2);
  r = post(raw("profile/remove", "index=0&path=" + url_encode("$.items")), "{}");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["value"], 1);
  // Elsewhere (GET, PUT, incr, decr) a leading "$." is the document root.
  EXPECT_EQ(c_->get(kv("profile", "path=" + url_encode("$.addr.city"))).body, "\"X\"");
  EXPECT_EQ(c_->get(kv("profile", "path=" + url_encode("$.$.items"))).json(), json::array());
}

// ---- 12. absolute database paths ----------------------------------------------------------------

TEST_F(contract_kv, absolute_path_inside_the_data_dir_is_the_bare_name) {
  const std::string dir = fs::canonical(srv_->data_dir()).string();
  const std::string abs = dir + "/" + db_ + ".db";
  ASSERT_EQ(c_->put(api + "/kv/k?db=" + url_encode(abs), "\"same file\"").status, 200);
  EXPECT_EQ(c_->get(api + "/kv/k?db=" + db_).body, "\"same file\"");
  auto r = c_->post(api + "/db?db=" + abs,
                    json{{"transaction", {{{"query", "SELECT count(*) AS n FROM kv_store"}}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["results"][0]["resultSet"][0]["n"], 1);
  // A new file by absolute path, created on request.
  const std::string created = dir + "/" + db_ + "_abs.db";
  r = c_->put(api + "/kv/k?db=" + url_encode(created) + "&create_db_if_missing=true", "1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(fs::exists(created));
  EXPECT_EQ(c_->get(api + "/kv/k?db=" + db_ + "_abs").body, "1");
}

TEST_F(contract_kv, absolute_path_outside_the_data_dir_is_refused_with_its_name) {
  const std::string dir = fs::canonical(srv_->data_dir()).string();
  const std::string text = "absolute database paths outside " + dir + " are disallowed";
  hoody::test::temp_dir outside;
  const std::string elsewhere = (outside.path() / "x.db").string();
  for (const auto& name : {elsewhere, dir + "/../x.db", std::string("/etc/passwd")}) {
    auto r = c_->put(api + "/kv/k?db=" + url_encode(name) + "&create_db_if_missing=true", "1");
    expect_error(r, 400, text);
    EXPECT_EQ(r.json()["code"], "INVALID_DB_PATH");
    r = c_->post(api + "/db?db=" + url_encode(name) + "&create_db_if_missing=true",
                 json{{"transaction", {{{"statement", "CREATE TABLE t(x)"}}}}});
    expect_error(r, 400, text);
  }
  EXPECT_FALSE(fs::exists(elsewhere));
  EXPECT_FALSE(fs::exists(fs::path(dir).parent_path() / "x.db"));
  // Inside, but in a directory that does not exist: a bad path, not a failed open.
  auto r = c_->put(
      api + "/kv/k?db=" + url_encode(dir + "/nosub/x.db") + "&create_db_if_missing=true", "1");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json()["code"], "INVALID_DB_PATH");
}

}  // namespace

// ---- the CLI's examples (CLI-HELP-db-kv.md) for kv arrays, kv batch and kv list, replayed
// -------- What `hoody kv …` sends: the key in the path, --db/--table/--path/--index/--no-history
// as query parameters, --body as the raw JSON body. `/data/app.db` becomes `<data-dir>/app.db` (an
// absolute path inside the data directory, accepted without the flag).

TEST(contract_kv_cli, arrays_batch_and_list_examples_replay) {
  hoody::test::server_process srv;
  hoody::test::http_client c(srv.port());
  const std::string db = url_encode((fs::canonical(srv.data_dir()) / "app.db").string());
  ASSERT_EQ(c.request("POST", api + "/db/create?path=app&init_kv=true").status, 201);
  struct example {
    const char* cli;
    std::string method;
    std::string key;    ///< path tail after /kv/ (a key and sub-route, or batch/…)
    std::string query;  ///< beyond db
    std::string body;
    std::string seed;   ///< the key's value before (PUT), or empty: the key is deleted first
    std::string after;  ///< the key's value afterwards (JSON), or empty: not checked
  };
  const std::vector<example> examples{
      {"arrays push mykey --body '\"d\"'", "POST", "mykey/push", "", R"("d")", "", R"(["d"])"},
      {"arrays push mykey --body '{\"id\":7,\"name\":\"x\"}'", "POST", "mykey/push", "",
       R"({"id":7,"name":"x"})", "", R"([{"id":7,"name":"x"}])"},
      {"arrays push mykey --path addr.items --body '5'", "POST", "mykey/push", "path=addr.items",
       "5", "", R"({"addr":{"items":[5]}})"},
      {"arrays push mykey --table sessions --body '\"s1\"'", "POST", "mykey/push", "table=sessions",
       R"("s1")", "", R"(["s1"])"},
      {"arrays pop mykey", "POST", "mykey/pop", "", "", "[1,2]", "[1]"},
      {"arrays delete mykey --index 0 --body 'null'", "POST", "mykey/remove", "index=0", "null",
       R"(["a","b"])", R"(["b"])"},
      {"arrays delete mykey --index 0 --body '{}'", "POST", "mykey/remove", "index=0", "{}",
       "[1,2]", "[2]"},
      {"arrays delete mykey --index 2 --body '{}'", "POST", "mykey/remove", "index=2", "{}",
       "[0,1,2,3]", "[0,1,3]"},
      {"arrays delete mykey --path addr.items --index 0 --body '{}'", "POST", "mykey/remove",
       "path=addr.items&index=0", "{}", R"({"addr":{"items":[9,8]}})", R"({"addr":{"items":[8]}})"},
      {"arrays delete mykey --table sessions --index 1 --body '{}'", "POST", "mykey/remove",
       "table=sessions&index=1", "{}", R"(["a","b"])", R"(["a"])"},
      {"arrays delete mykey --index 0 --body '{}' --no-history", "POST", "mykey/remove",
       "index=0&history=false", "{}", "[1]", "[]"},
      {"arrays push tags --body '\"urgent\"'", "POST", "tags/push", "", R"("urgent")", "",
       R"(["urgent"])"},
      {"arrays push events --body '{\"type\":\"login\",\"ts\":1}'", "POST", "events/push", "",
       R"({"type":"login","ts":1})", "", R"([{"type":"login","ts":1}])"},
      {"arrays push profile --path addr.items --body '42'", "POST", "profile/push",
       "path=addr.items", "42", R"({"addr":{}})", R"({"addr":{"items":[42]}})"},
      {"arrays push queue --body '[1,2]'", "POST", "queue/push", "", "[1,2]", "", "[[1,2]]"},
      {"arrays push session:1 --table sessions --body '\"s1\"'", "POST", "session%3A1/push",
       "table=sessions", R"("s1")", "", R"(["s1"])"},
      {"arrays push audit --no-history --body '\"ev\"'", "POST", "audit/push", "history=false",
       R"("ev")", "", R"(["ev"])"},
      {"arrays pop tasks", "POST", "tasks/pop", "", "", "[1,2,3]", "[1,2]"},
      {"arrays pop tasks --table jobs", "POST", "tasks/pop", "table=jobs", "", R"(["j"])", "[]"},
      {"arrays pop config --path features", "POST", "config/pop", "path=features", "",
       R"({"features":["a","b"]})", R"({"features":["a"]})"},
      {"arrays pop queue --no-history", "POST", "queue/pop", "history=false", "", "[1]", "[]"},
      {"batch set b1,b2", "POST", "batch/set", "",
       R"({"items":[{"key":"b1","value":"v1"},{"key":"b2","value":"v2"}]})", "", ""},
      {"batch get b1,b2,missing", "POST", "batch/get", "", R"({"keys":["b1","b2","missing"]})", "",
       ""},
      {"batch delete b1,b2", "POST", "batch/delete", "", R"({"keys":["b1","b2"]})", "", ""},
      {"batch set user:1 (JSON string + content_type)", "POST", "batch/set", "",
       R"({"items":[{"key":"user:1","value":"{\"name\":\"alice\"}","content_type":"application/json"}]})",
       "", ""},
      {"batch set --table users u1 ttl 3600", "POST", "batch/set", "table=users",
       R"({"items":[{"key":"u1","value":"alice","ttl":3600}]})", "", ""},
      {"batch get --table users u1,u2", "POST", "batch/get", "table=users",
       R"({"keys":["u1","u2"]})", "", ""},
      {"batch set key-only items", "POST", "batch/set", "",
       R"({"items":[{"key":"feature:beta"},{"key":"feature:dark"}]})", "", ""},
      {"batch set --table sessions s1", "POST", "batch/set", "table=sessions",
       R"({"items":[{"key":"s1","value":"v1"}]})", "", ""},
      {"batch delete session:1..3", "POST", "batch/delete", "",
       R"({"keys":["session:1","session:2","session:3"]})", "", ""},
      {"batch delete --table sessions a,b", "POST", "batch/delete", "table=sessions",
       R"({"keys":["a","b"]})", "", ""},
      {"batch delete only:one", "POST", "batch/delete", "", R"({"keys":["only:one"]})", "", ""},
  };
  const auto target = [&](const std::string& tail, const std::string& query) {
    return api + "/kv/" + tail + "?db=" + db + (query.empty() ? "" : "&" + query);
  };
  for (const auto& ex : examples) {
    SCOPED_TRACE(ex.cli);
    std::string table_q;
    if (const auto t = ex.query.find("table="); t != std::string::npos) {
      table_q = ex.query.substr(t, ex.query.find('&', t) - t);
    }
    const std::string key = ex.key.substr(0, ex.key.rfind('/'));
    if (!ex.key.starts_with("batch/")) {
      if (ex.seed.empty()) {
        (void)c.request("DELETE", target(key, table_q));
      } else {
        ASSERT_EQ(c.request("PUT", target(key, table_q), ex.seed).status, 200);
      }
    }
    const auto r = c.request(ex.method, target(ex.key, ex.query), ex.body);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["success"], true) << r.body;
    if (!ex.after.empty()) {
      EXPECT_EQ(c.get(target(key, table_q)).json(), json::parse(ex.after));
    }
  }
  EXPECT_EQ(c.get(api + "/kv/user%3A1?db=app&path=name").body, R"("alice")");
  auto r = c.request("POST", target("batch/get", "table=users"), R"({"keys":["u1","u2"]})");
  EXPECT_EQ(r.json()["results"]["u1"]["value"], "alice");
  EXPECT_TRUE(r.json()["results"]["u2"].is_null());
  // kv batch set --db app.db (the shorthand name: the same file)
  r = c.request("POST", api + "/kv/batch/set?db=app.db",
                R"({"items":[{"key":"k1","value":"v1"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["count"], 1);
  EXPECT_EQ(c.get(target("k1", "")).body, "v1");

  // kv list: default, --prefix, --limit/--offset, --at-timestamp, --table.
  r = c.get(api + "/kv?db=" + db);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_GE(r.json()["items"].size(), 8U);
  r = c.get(api + "/kv?db=" + db + "&prefix=feature%3A");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["items"].size(), 2U);
  EXPECT_EQ(r.json()["items"][0]["key"], "feature:beta");
  r = c.get(api + "/kv?db=" + db + "&limit=50&offset=100");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["items"], json::array());
  EXPECT_EQ(r.json()["offset"], 100);
  r = c.get(api + "/kv?db=" + db + "&at_timestamp=1719000000");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(r.json().contains("items")) << "the time-travel envelope";
  r = c.get(api + "/kv?db=" + db + "&table=sessions");
  ASSERT_EQ(r.status, 200) << r.body;
  std::set<std::string> keys;
  const json page = r.json();
  for (const auto& row : page["items"]) {
    keys.insert(row["key"].get<std::string>());
  }
  EXPECT_EQ(keys, (std::set<std::string>{"mykey", "s1", "session:1"}));
}
