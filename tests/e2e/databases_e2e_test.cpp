// GET /databases against the real binary: which files of the data directory are listed (SQLite
// header, -wal/-shm/-journal, hidden entries, subdirectories, symbolic links in and out), that
// every listed name opens with db=, the limit and `truncated`, and tokens (read-only, scoped).
#include "hoody/core/clock.hpp"
#include "hoody/http/tokens.hpp"

#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <set>

namespace {

namespace fs = std::filesystem;
using hoody::test::http_client;
using hoody::test::server_process;
using hoody::test::temp_dir;
using hoody::test::url_encode;
using nlohmann::json;

using hoody::test::api;

// A real SQLite database with one table.
void write_sqlite_file(const fs::path& file) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(
      sqlite3_exec(db, "CREATE TABLE t(a); INSERT INTO t VALUES (1)", nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(db);
}

void write_text(const fs::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary) << text;
}

std::set<std::string> names_of(const json& listing) {
  std::set<std::string> out;
  for (const auto& d : listing["databases"]) {
    out.insert(d["name"].get<std::string>());
  }
  return out;
}

class databases_e2e : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path d = data_.path();
    write_sqlite_file(d / "notes.db");
    write_sqlite_file(d / "data.sqlite");
    write_sqlite_file(d / "noext");
    fs::create_directories(d / "sub" / "deeper");
    write_sqlite_file(d / "sub" / "inner.db");
    write_sqlite_file(d / "sub" / "deeper" / "deep.db");
    fs::create_directories(d / ".hidden");
    write_sqlite_file(d / ".hidden" / "h.db");
    write_sqlite_file(d / ".dot.db");
    write_text(d / "fake.db", "not an SQLite file, only text that is long enough");
    write_text(d / "short.db", "SQLite");
    // Side files, even with an SQLite header (of a database that does not exist).
    const std::string header("SQLite format 3\0 and more bytes", 32);
    write_text(d / "ghost.db-wal", header);
    write_text(d / "ghost.db-shm", header);
    write_text(d / "old.db-journal", header);
    // Outside the data directory: an SQLite file and a directory holding one.
    write_sqlite_file(outside_.path() / "secret.db");
    fs::create_directories(outside_.path() / "dir");
    write_sqlite_file(outside_.path() / "dir" / "hidden_away.db");
    fs::create_symlink(outside_.path() / "secret.db", d / "escape.db");
    fs::create_symlink(outside_.path() / "dir", d / "escape_dir");
    fs::create_symlink("notes.db", d / "alias.db");  // inside: listed under its own name
    fs::create_symlink(d / "sub", d / "loop");       // a directory link: never followed
  }

  temp_dir data_;
  temp_dir outside_;
};

TEST_F(databases_e2e, lists_sqlite_files_by_the_name_db_takes_and_nothing_outside) {
  server_process srv({}, data_.path());
  http_client c(srv.port());
  const auto r = c.get(api + "/databases");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/json");
  const json listing = r.json();
  const std::string root = fs::canonical(data_.path()).string();
  const std::set<std::string> expected = {
      "alias",         "data.sqlite",          "notes",
      root + "/noext", root + "/sub/inner.db", root + "/sub/deeper/deep.db"};
  EXPECT_EQ(names_of(listing), expected) << r.body;
  EXPECT_EQ(listing["count"], expected.size());
  EXPECT_EQ(listing["truncated"], false);
  // Nothing about the outside directory, the hidden files or the side files.
  for (const char* absent : {"secret", "hidden_away", "escape", ".hidden", ".dot", "fake", "short",
                             "-wal", "-shm", "journal", "loop"}) {
    EXPECT_EQ(r.body.find(absent), std::string::npos) << absent << " in " << r.body;
  }
  EXPECT_EQ(r.body.find(outside_.path().string()), std::string::npos);
  // Sorted by file; each entry: file relative to the data directory, size, modified time.
  std::string previous;
  for (const auto& d : listing["databases"]) {
    const auto file = d["file"].get<std::string>();
    EXPECT_LT(previous, file);
    previous = file;
    EXPECT_EQ(d["size"], fs::file_size(data_.path() / file)) << file;
    EXPECT_TRUE(d["modified"].is_string());
    EXPECT_EQ(d["modified"].get<std::string>().back(), 'Z');
    EXPECT_GT(d["modified_ms"].get<std::int64_t>(), hoody::unix_now_ms() - 3600 * 1000);
    EXPECT_LE(d["modified_ms"].get<std::int64_t>(), hoody::unix_now_ms() + 1000);
  }
  EXPECT_EQ(listing["databases"][0]["file"], "alias.db");
  // Every listed name opens as db=.
  for (const auto& name : expected) {
    const auto q = c.get(api + "/query?db=" + url_encode(name) + "&sql=SELECT+1+AS+one");
    EXPECT_EQ(q.status, 200) << name << " → " << q.body;
  }
  // HEAD works like GET, without a body.
  EXPECT_EQ(c.request("HEAD", api + "/databases").status, 200);
}

TEST_F(databases_e2e, links_out_stay_unlisted_with_any_absolute_path_allowed) {
  server_process srv({"--allow-any-absolute-db-path"}, data_.path());
  http_client c(srv.port());
  const auto r = c.get(api + "/databases");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["count"], 6) << r.body;
  EXPECT_EQ(r.body.find("escape"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find(outside_.path().string()), std::string::npos) << r.body;
}

TEST_F(databases_e2e, a_new_database_appears_and_limit_truncates) {
  server_process srv({}, data_.path());
  http_client c(srv.port());
  ASSERT_EQ(c.post(api + "/db/create?path=fresh", json::object()).status, 201);
  EXPECT_TRUE(names_of(c.get(api + "/databases").json()).contains("fresh"));
  const auto two = c.get(api + "/databases?limit=2").json();
  EXPECT_EQ(two["count"], 2);
  EXPECT_EQ(two["databases"].size(), 2U);
  EXPECT_EQ(two["truncated"], true);
  EXPECT_EQ(names_of(two), (std::set<std::string>{"alias", "data.sqlite"}));
  const auto all = c.get(api + "/databases?limit=7").json();
  EXPECT_EQ(all["count"], 7);
  EXPECT_EQ(all["truncated"], false);
  EXPECT_EQ(c.get(api + "/databases?limit=0").status, 400);
  EXPECT_EQ(c.get(api + "/databases?limit=10001").status, 400);
}

TEST_F(databases_e2e, tokens_read_only_and_scoped) {
  temp_dir keys;
  const std::string secret = "databases-e2e-secret-0123456789abcdef0123";
  std::ofstream(keys.path() / "keys") << "hs256 " << secret << "\n";
  server_process srv({"--auth-token", "full", "--read-only-token", "ro", "--jwt-key-file",
                      (keys.path() / "keys").string()},
                     data_.path());
  http_client c(srv.port());
  EXPECT_EQ(c.get(api + "/databases").status, 401);
  const auto ro = c.request("GET", api + "/databases", "", {{"Authorization", "Bearer ro"}});
  ASSERT_EQ(ro.status, 200) << ro.body;
  EXPECT_EQ(ro.json()["count"], 6);
  namespace auth = hoody::http::auth;
  const auto now = hoody::unix_now_ms() / 1000;
  const std::string scoped = auth::sign_jwt_hs256(
      auth::token_payload({"notes", "data*"}, auth::level::read, now, 600), secret);
  const auto s = c.request("GET", api + "/databases", "", {{"Authorization", "Bearer " + scoped}});
  ASSERT_EQ(s.status, 200) << s.body;
  EXPECT_EQ(names_of(s.json()), (std::set<std::string>{"notes", "data.sqlite"})) << s.body;
}

}  // namespace
