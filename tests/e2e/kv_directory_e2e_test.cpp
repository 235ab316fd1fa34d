// End-to-end tests of directory mode (docs/kv.md, "Directory mode") against the real binary: a
// tree of 10,000 files in nested folders listed by prefix, changes made by another process
// (this test process) seen on the next read or after `rebuild`, atomic writes, traversal
// attempts that touch nothing outside, routes without directory semantics answering 400.
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using hoody::test::api;
using hoody::test::http_client;
using hoody::test::http_response;
using hoody::test::server_process;
using hoody::test::temp_dir;
using hoody::test::url_encode;
using nlohmann::json;

void write_file(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << text;
}

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Sets a file's mtime to a fixed moment in the past (out of the racy window).
void age(const fs::path& file) {
  const timespec times[2] = {{1'700'000'000, 0}, {1'700'000'000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, file.c_str(), times, 0), 0);
}

// Every regular file below `root`, as keys, sorted bytewise (no symbolic links followed).
std::vector<std::string> tree_keys(const fs::path& root) {
  std::vector<std::string> keys;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file() && !e.is_symlink()) {
      keys.push_back(fs::relative(e.path(), root).generic_string());
    }
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

// A snapshot of everything below `root`: path → contents (symlinks as "-> target").
std::map<std::string, std::string> snapshot(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    const auto rel = fs::relative(e.path(), root).generic_string();
    if (e.is_symlink()) {
      out[rel] = "-> " + fs::read_symlink(e.path()).string();
    } else if (e.is_regular_file()) {
      out[rel] = read_file(e.path());
    } else {
      out[rel] = "<dir>";
    }
  }
  return out;
}

class kv_directory_e2e : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    srv_ = new server_process();
    // The big tree: 10 × 10 folders of 100 files, aged out of the racy window.
    big_ = new fs::path(srv_->data_dir() / "big");
    for (int i = 0; i < 10; ++i) {
      for (int j = 0; j < 10; ++j) {
        for (int k = 0; k < 100; ++k) {
          const auto file = *big_ / ("d" + std::to_string(i)) / ("s" + std::to_string(j)) /
                            ("f" + std::to_string(k) + (k % 2 == 0 ? ".txt" : ".json"));
          write_file(file, k % 2 == 0 ? "v-" + std::to_string(i * 1000 + j * 100 + k)
                                      : "{\"n\":" + std::to_string(k) + "}");
        }
      }
    }
  }
  static void TearDownTestSuite() {
    delete srv_;
    delete big_;
    srv_ = nullptr;
    big_ = nullptr;
  }
  void SetUp() override {
    c_ = std::make_unique<http_client>(srv_->port());
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    tree_ = srv_->data_dir() / ("tree_" + name);
    fs::create_directories(tree_);
  }

  static std::string db_of(const fs::path& dir) { return url_encode(dir.string()); }
  std::string kv(std::string_view key, const std::string& query = "") const {
    return api + "/kv/" + url_encode(key) + "?db=" + db_of(tree_) +
           (query.empty() ? "" : "&" + query);
  }
  std::string list(const fs::path& dir, const std::string& query = "") const {
    return api + "/kv?db=" + db_of(dir) + (query.empty() ? "" : "&" + query);
  }
  std::vector<std::string> listed_keys(const fs::path& dir, const std::string& query = "") {
    const auto r = c_->get(list(dir, query));
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> keys;
    const json j = r.json();
    for (const auto& item : j["items"]) {
      keys.push_back(item["key"].get<std::string>());
    }
    return keys;
  }
  static void expect_error(const http_response& r, int status, const std::string& text = {}) {
    EXPECT_EQ(r.status, status) << r.body;
    const json j = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object() && j.contains("error")) << r.body;
    if (!text.empty()) {
      EXPECT_EQ(j["error"], text) << r.body;
    }
  }

  static inline server_process* srv_ = nullptr;
  static inline fs::path* big_ = nullptr;
  std::unique_ptr<http_client> c_;
  fs::path tree_;
};

TEST_F(kv_directory_e2e, list_by_prefix_matches_a_tree_of_10000_files) {
  const auto expected = tree_keys(*big_);
  ASSERT_EQ(expected.size(), 10000U);
  const auto r = c_->get(list(*big_, "limit=10000"));
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
  const json j = r.json();
  EXPECT_EQ(j["total"], 10000);
  EXPECT_EQ(j["count"], 10000);
  EXPECT_EQ(j["has_more"], false);
  std::vector<std::string> keys;
  for (const auto& item : j["items"]) {
    keys.push_back(item["key"].get<std::string>());
  }
  EXPECT_EQ(keys, expected);
  // One item in full: preview, type by extension, size, no expiry.
  const auto& first = j["items"][0];
  EXPECT_EQ(first["key"], "d0/s0/f0.txt");
  EXPECT_EQ(first["value"], "v-0");
  EXPECT_EQ(first["content_type"], "text/plain; charset=utf-8");
  EXPECT_EQ(first["size"], 3);
  EXPECT_TRUE(first["expires_at"].is_null());
  EXPECT_EQ(j["items"][1]["content_type"], "application/json") << j["items"][1];

  for (const std::string& prefix :
       std::vector<std::string>{"d3/", "d3/s4/f1", "d9/s9/", "d1", "nothing/"}) {
    std::vector<std::string> want;
    std::copy_if(expected.begin(), expected.end(), std::back_inserter(want),
                 [&](const std::string& k) { return k.starts_with(prefix); });
    // Paged by 300: the pages put together are the tree's matching keys.
    std::vector<std::string> got;
    for (std::size_t offset = 0;; offset += 300) {
      const auto page = c_->get(list(
          *big_, "prefix=" + url_encode(prefix) + "&limit=300&offset=" + std::to_string(offset)));
      ASSERT_EQ(page.status, 200) << page.body.substr(0, 300);
      const json pj = page.json();
      EXPECT_EQ(pj["total"], want.size()) << prefix;
      for (const auto& item : pj["items"]) {
        got.push_back(item["key"].get<std::string>());
      }
      if (!pj["has_more"].get<bool>()) {
        break;
      }
    }
    EXPECT_EQ(got, want) << prefix;
  }
  // GET and HEAD of one file: its bytes and the type of its extension.
  const auto g = c_->get(api + "/kv/d4/s2/f7.json?db=" + db_of(*big_));
  EXPECT_EQ(g.status, 200) << g.body;
  EXPECT_EQ(g.body, "{\"n\":7}");
  EXPECT_EQ(g.header("content-type"), "application/json");
  const auto h = c_->request("HEAD", api + "/kv/d4/s2/f8.txt?db=" + db_of(*big_));
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body, "");
  EXPECT_EQ(c_->request("HEAD", api + "/kv/d4/s2/nope.txt?db=" + db_of(*big_)).status, 404);
  // A JSON path into a JSON file.
  const auto p = c_->get(api + "/kv/d4/s2/f7.json?db=" + db_of(*big_) + "&path=n");
  EXPECT_EQ(p.status, 200) << p.body;
}

TEST_F(kv_directory_e2e, changes_by_another_process_are_seen_on_the_next_read) {
  write_file(tree_ / "a.txt", "one");
  write_file(tree_ / "x" / "y" / "b.json", "{\"b\":1}");
  write_file(tree_ / "x" / "gone.txt", "bye");
  for (const auto& f : {tree_ / "a.txt", tree_ / "x" / "y" / "b.json", tree_ / "x" / "gone.txt"}) {
    age(f);
  }
  EXPECT_EQ(listed_keys(tree_), (std::vector<std::string>{"a.txt", "x/gone.txt", "x/y/b.json"}));
  EXPECT_EQ(c_->get(kv("a.txt")).body, "one");

  // Changed (new size), added in a known nested folder, added in a new folder, removed.
  write_file(tree_ / "a.txt", "changed");
  write_file(tree_ / "x" / "y" / "c.txt", "new");
  write_file(tree_ / "x" / "new" / "deep" / "d.txt", "deeper");
  fs::remove(tree_ / "x" / "gone.txt");
  const auto r = c_->get(list(tree_));
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<std::string> keys;
  std::map<std::string, std::string> values;
  const json j = r.json();
  for (const auto& item : j["items"]) {
    keys.push_back(item["key"]);
    values[item["key"]] = item["value"];
  }
  EXPECT_EQ(keys,
            (std::vector<std::string>{"a.txt", "x/new/deep/d.txt", "x/y/b.json", "x/y/c.txt"}));
  EXPECT_EQ(values["a.txt"], "changed");
  EXPECT_EQ(j["total"], 4);
  EXPECT_EQ(c_->get(kv("a.txt")).body, "changed");
  EXPECT_EQ(c_->get(kv("x/new/deep/d.txt")).body, "deeper");
  expect_error(c_->get(kv("x/gone.txt")), 404, "Key not found");

  // A folder removed whole.
  fs::remove_all(tree_ / "x" / "new");
  EXPECT_EQ(listed_keys(tree_), (std::vector<std::string>{"a.txt", "x/y/b.json", "x/y/c.txt"}));

  // Rewritten in place with the same size and the old mtime restored: no metadata changed, so
  // only a GET (which always reads the file) or `rebuild` sees it.
  age(tree_ / "x" / "y" / "c.txt");
  EXPECT_EQ(listed_keys(tree_, "prefix=x/y/c").size(), 1U);
  {
    std::fstream f(tree_ / "x" / "y" / "c.txt", std::ios::in | std::ios::out | std::ios::binary);
    f << "NEW";
  }
  age(tree_ / "x" / "y" / "c.txt");
  EXPECT_EQ(c_->get(list(tree_, "prefix=x/y/c")).json()["items"][0]["value"], "new")
      << "the index entry looks fresh: the preview is the cached one";
  EXPECT_EQ(c_->get(list(tree_, "prefix=x/y/c&rebuild=true")).json()["items"][0]["value"], "NEW");
  // rebuild on GET /kv/{key} rescans the whole tree too: another file changed the same way.
  {
    std::fstream f(tree_ / "x" / "y" / "b.json", std::ios::in | std::ios::out | std::ios::binary);
    f << "{\"b\":2}";
  }
  age(tree_ / "x" / "y" / "b.json");
  EXPECT_EQ(c_->get(list(tree_, "prefix=x/y/b")).json()["items"][0]["value"], "{\"b\":1}");
  EXPECT_EQ(c_->get(kv("x/y/c.txt", "rebuild=true")).body, "NEW");
  EXPECT_EQ(c_->get(list(tree_, "prefix=x/y/b")).json()["items"][0]["value"], "{\"b\":2}");
}

TEST_F(kv_directory_e2e, writes_are_atomic_files_and_deletes_remove_them) {
  const auto put = c_->put(kv("new/nested/a.json"), "{\"a\":1}");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.json()["created"], true);
  EXPECT_EQ(put.json()["content_type"], "application/json");
  EXPECT_EQ(put.json()["size"], 7);
  EXPECT_EQ(read_file(tree_ / "new" / "nested" / "a.json"), "{\"a\":1}");
  const auto again = c_->put(kv("new/nested/a.json"), "{\"a\":2}");
  EXPECT_EQ(again.json()["created"], false) << again.body;
  EXPECT_EQ(read_file(tree_ / "new" / "nested" / "a.json"), "{\"a\":2}");
  const auto g = c_->get(kv("new/nested/a.json"));
  EXPECT_EQ(g.body, "{\"a\":2}");
  EXPECT_EQ(g.header("content-type"), "application/json");
  EXPECT_EQ(c_->put(kv("bin"), std::string("\x00\xff", 2)).status, 200);
  EXPECT_EQ(c_->get(kv("bin")).header("content-type"), "application/octet-stream");
  // No temporary file is left behind, and the listing shows exactly the files.
  EXPECT_EQ(tree_keys(tree_), (std::vector<std::string>{"bin", "new/nested/a.json"}));
  EXPECT_EQ(listed_keys(tree_), (std::vector<std::string>{"bin", "new/nested/a.json"}));
  // Options with no file-system meaning are refused, and nothing is written.
  expect_error(c_->put(kv("t.txt", "ttl=60"), "x"), 400);
  expect_error(c_->put(kv("t.txt", "if_match=x"), "x"), 400);
  EXPECT_FALSE(fs::exists(tree_ / "t.txt"));
  // A key over a directory, a key below a file.
  expect_error(c_->put(kv("new/nested"), "x"), 409);
  expect_error(c_->put(kv("bin/child"), "x"), 409);

  const auto d = c_->del(kv("new/nested/a.json"));
  EXPECT_EQ(d.status, 200) << d.body;
  EXPECT_FALSE(fs::exists(tree_ / "new" / "nested" / "a.json"));
  expect_error(c_->get(kv("new/nested/a.json")), 404, "Key not found");
  expect_error(c_->del(kv("new/nested/a.json")), 404, "Key not found");
  expect_error(c_->del(kv("new/nested")), 404, "Key not found");
  EXPECT_EQ(listed_keys(tree_), (std::vector<std::string>{"bin"}));
}

TEST_F(kv_directory_e2e, traversal_attempts_fail_without_touching_anything_outside) {
  temp_dir outside;
  write_file(outside.path() / "secret.txt", "secret");
  write_file(outside.path() / "sub" / "s.txt", "s");
  write_file(tree_ / "ok.txt", "ok");
  fs::create_directory_symlink(outside.path(), tree_ / "link");
  fs::create_symlink(outside.path() / "secret.txt", tree_ / "ln.txt");
  fs::create_symlink("../", tree_ / "up");
  // The served directory's sibling in the data directory, and the data directory's files.
  write_file(tree_.parent_path() / (tree_.filename().string() + "_sibling") / "x.txt", "x");
  const auto before = snapshot(outside.path());

  const std::vector<std::string> keys = {
      "../secret.txt",  "../../x.txt", "a/../../secret.txt",
      "/etc/passwd",    "./ok.txt",    "link/secret.txt",
      "link/sub/s.txt", "ln.txt",      "up/x.txt",
      "a//b",           "dir/",        "up/" + tree_.filename().string() + "_sibling/x.txt"};
  for (const auto& key : keys) {
    SCOPED_TRACE(key);
    expect_error(c_->get(kv(key)), 400);
    expect_error(c_->put(kv(key), "pwned"), 400);
    expect_error(c_->del(kv(key)), 400);
  }
  // Literally ".." segments in the URL (not percent-encoded) reach the same checks.
  expect_error(c_->get(api + "/kv/../secret.txt?db=" + db_of(tree_)), 400);
  expect_error(c_->get(api + "/kv/link/../ok.txt?db=" + db_of(tree_)), 400);
  EXPECT_EQ(snapshot(outside.path()), before);
  EXPECT_EQ(read_file(tree_.parent_path() / (tree_.filename().string() + "_sibling") / "x.txt"),
            "x");
  // Symbolic links are not listed: only the regular file.
  EXPECT_EQ(listed_keys(tree_), (std::vector<std::string>{"ok.txt"}));
  EXPECT_EQ(listed_keys(tree_, "rebuild=true"), (std::vector<std::string>{"ok.txt"}));

  // The directory itself: outside the data directory without the flag, relative, the data
  // directory itself, a symbolic link inside that leads out.
  expect_error(c_->get(list(outside.path())), 400,
               "absolute database paths outside " + srv_->data_dir().string() + " are disallowed");
  fs::create_directory_symlink(outside.path(), srv_->data_dir() / "outlink");
  expect_error(c_->get(list(srv_->data_dir() / "outlink")), 400,
               "absolute database paths outside " + srv_->data_dir().string() + " are disallowed");
  for (const std::string& rel :
       std::vector<std::string>{tree_.filename().string(), tree_.filename().string() + "/",
                                "./" + tree_.filename().string()}) {
    expect_error(c_->get(api + "/kv?db=" + url_encode(rel)), 400,
                 "directory-mode: invalid path input: path must be absolute");
  }
  expect_error(c_->get(api + "/kv?db=" + url_encode(srv_->data_dir().string())), 400);
  expect_error(
      c_->get(api + "/kv?db=" + url_encode((srv_->data_dir() / ".hoody-dirindex").string())), 400);
  EXPECT_EQ(snapshot(outside.path()), before);
}

TEST_F(kv_directory_e2e, routes_without_directory_semantics_answer_400) {
  write_file(tree_ / "n.json", "1");
  const std::string db = "?db=" + db_of(tree_);
  const std::string text = "is not supported when db names a directory";
  for (const auto& r :
       {c_->post(api + "/kv/n.json/incr" + db, json::object()),
        c_->get(api + "/kv/n.json/history" + db), c_->get(api + "/kv/snapshot" + db),
        c_->post(api + "/kv/batch/get" + db, {{"keys", {"n.json"}}}),
        c_->post(api + "/kv/batch/set" + db, {{"items", {{{"key", "z"}, {"value", "1"}}}}}),
        c_->get(api + "/query" + db + "&sql=" + url_encode("SELECT 1")),
        c_->post(api + "/db" + db, {{"transaction", {{{"query", "SELECT 1"}}}}}),
        c_->get(kv("n.json", "at_timestamp=1")), c_->get(list(tree_, "at_timestamp=1"))}) {
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find(text), std::string::npos) << r.body;
  }
  EXPECT_EQ(read_file(tree_ / "n.json"), "1");
  EXPECT_FALSE(fs::exists(tree_ / "z"));
  // The index lives outside the served tree.
  EXPECT_EQ(listed_keys(tree_), (std::vector<std::string>{"n.json"}));
  EXPECT_TRUE(fs::is_directory(srv_->data_dir() / ".hoody-dirindex"));
  EXPECT_EQ(tree_keys(tree_), (std::vector<std::string>{"n.json"}));
}

TEST(kv_directory_any_absolute_e2e, a_directory_outside_the_data_dir_needs_the_flag) {
  temp_dir outside;
  write_file(outside.path() / "k" / "v.txt", "hello");
  server_process srv({"--allow-any-absolute-db-path"});
  http_client c(srv.port());
  const auto r = c.get(api + "/kv/k/v.txt?db=" + url_encode(outside.path().string()));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "hello");
  const auto l = c.get(api + "/kv?db=" + url_encode(outside.path().string()));
  ASSERT_EQ(l.status, 200) << l.body;
  EXPECT_EQ(l.json()["items"][0]["key"], "k/v.txt");
  // The index is kept in the data directory, not in the served tree.
  EXPECT_EQ(tree_keys(outside.path()), (std::vector<std::string>{"k/v.txt"}));
  EXPECT_FALSE(fs::is_empty(srv.data_dir() / ".hoody-dirindex"));
}

}  // namespace

namespace {

TEST(kv_directory_index_e2e, the_index_is_never_listed_or_served_even_inside_the_tree) {
  // The served directory contains the data directory (and so the index folder).
  temp_dir top;
  fs::create_directories(top.path() / "data");
  write_file(top.path() / "file.txt", "f");
  server_process srv({"--allow-any-absolute-db-path"}, top.path() / "data");
  http_client c(srv.port());
  const std::string db = "?db=" + url_encode(fs::canonical(top.path()).string());
  const auto l = c.get(api + "/kv" + db + "&limit=1000");
  ASSERT_EQ(l.status, 200) << l.body;
  const json j = l.json();
  std::vector<std::string> keys;
  for (const auto& item : j["items"]) {
    keys.push_back(item["key"]);
  }
  // Everything in the tree (also the test server's own log and port files) but the index.
  std::vector<std::string> want;
  for (const auto& k : tree_keys(top.path())) {
    if (!k.starts_with("data/.hoody-dirindex/")) {
      want.push_back(k);
    }
  }
  EXPECT_TRUE(std::find(want.begin(), want.end(), "file.txt") != want.end());
  EXPECT_EQ(keys, want);
  std::vector<fs::path> index_files;
  for (const auto& e : fs::directory_iterator(srv.data_dir() / ".hoody-dirindex")) {
    index_files.push_back(e.path());
  }
  ASSERT_FALSE(index_files.empty());
  for (const auto& f : index_files) {
    const std::string key = "data/.hoody-dirindex/" + f.filename().string();
    EXPECT_EQ(c.get(api + "/kv/" + url_encode(key) + db).status, 400) << key;
    EXPECT_EQ(c.del(api + "/kv/" + url_encode(key) + db).status, 400) << key;
    EXPECT_EQ(c.put(api + "/kv/" + url_encode(key) + db, "x").status, 400) << key;
    EXPECT_TRUE(fs::exists(f));
  }
  EXPECT_EQ(c.put(api + "/kv/data/.hoody-dirindex/new" + db, "x").status, 400);
  EXPECT_FALSE(fs::exists(srv.data_dir() / ".hoody-dirindex" / "new"));
}

TEST(kv_directory_concurrency_e2e, concurrent_writers_and_listers_see_every_file) {
  server_process srv;
  const fs::path tree = srv.data_dir() / "tree";
  fs::create_directories(tree);
  const std::string db = "?db=" + url_encode(tree.string());
  constexpr int writers = 4;
  constexpr int per_writer = 50;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      http_client c(srv.port());
      for (int i = 0; i < per_writer; ++i) {
        const std::string key = "w" + std::to_string(w) + "/k" + std::to_string(i) + ".txt";
        if (c.put(api + "/kv/" + url_encode(key) + db, "v" + std::to_string(i)).status != 200) {
          ++failures;
        }
      }
    });
  }
  threads.emplace_back([&] {
    http_client c(srv.port());
    for (int i = 0; i < 40; ++i) {
      if (c.get(api + "/kv" + db + "&limit=1000").status != 200) {
        ++failures;
      }
    }
  });
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(failures.load(), 0);
  http_client c(srv.port());
  const auto l = c.get(api + "/kv" + db + "&limit=1000");
  ASSERT_EQ(l.status, 200);
  EXPECT_EQ(l.json()["total"], writers * per_writer);
  EXPECT_EQ(tree_keys(tree).size(), static_cast<std::size_t>(writers * per_writer))
      << "no temporary file left behind";
}

}  // namespace
