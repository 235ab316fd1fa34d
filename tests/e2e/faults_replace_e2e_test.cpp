// Issue 14, item 1: a database file deleted or replaced under the running server (another file
// renamed over it, rm + recreate). The server notices (device/inode of the open file vs the
// path's, whenever a name is resolved and before acknowledging a write), closes the old file and
// opens the one now at the path; a write is never acknowledged into an unlinked file, and
// create_db_if_missing=true after an rm really creates the file.
#include "fault_support.hpp"
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {
namespace fs = std::filesystem;
using hoody::test::http_client;
using hoody::test::server_process;
using hoody::test::sqlite_file;
using json = nlohmann::json;
using steady = std::chrono::steady_clock;

using hoody::test::api;
using hoody::test::text_plain;

// A KV database made by another program (same schema as the server's KV tables).
void make_replacement(const fs::path& file, const std::string& k0_value) {
  sqlite_file db(file);
  db.exec(
      "CREATE TABLE kv_store (key TEXT PRIMARY KEY NOT NULL, value, content_type TEXT NOT "
      "NULL, expires_at INTEGER, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, "
      "version INTEGER NOT NULL)");
  db.exec(
      "CREATE TABLE kv_store__history (seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT "
      "NULL, op_number INTEGER NOT NULL, op TEXT NOT NULL, old_value, old_content_type TEXT, "
      "old_expires_at INTEGER, new_value, new_content_type TEXT, new_expires_at INTEGER, ts "
      "INTEGER NOT NULL)");
  db.exec("INSERT INTO kv_store VALUES ('k0', '" + k0_value + "', 'text/plain', NULL, 1, 1, 1)");
  db.exec("CREATE TABLE marker (x TEXT)");
  db.exec("INSERT INTO marker VALUES ('replacement')");
}

TEST(file_replaced, rename_over_an_open_database_switches_to_the_new_file) {
  server_process srv({"--access-log", "false"});
  const fs::path file = srv.data_dir() / "swap.db";
  http_client c(srv.port());
  ASSERT_EQ(c.post(api + "/db/create?path=swap", json::object()).status, 201);
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(c.put(api + "/kv/k" + std::to_string(i) + "?db=swap", "old", text_plain).status, 200);
  }
  EXPECT_EQ(c.get(api + "/kv/k0?db=swap").body, "old");
  EXPECT_EQ(c.get(api + "/kv/k0?db=swap").body, "old");  // now in the read cache

  // A writer keeps writing while the file is replaced.
  std::atomic<bool> stop{false};
  std::mutex acks_mutex;
  std::vector<std::pair<std::string, steady::time_point>> acks;  // key, when it was sent
  std::atomic<int> unexpected{0};
  std::thread writer([&] {
    http_client w(srv.port());
    for (int i = 0; !stop; ++i) {
      const std::string key = "c" + std::to_string(i);
      const auto sent = steady::now();
      const auto r = w.put(api + "/kv/" + key + "?db=swap", "v" + std::to_string(i), text_plain);
      if (r.status == 200) {
        std::lock_guard lock(acks_mutex);
        acks.emplace_back(key, sent);
      } else if (r.status != 503) {  // 503 UNAVAILABLE (retryable) is allowed, nothing else
        ++unexpected;
      }
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  make_replacement(srv.data_dir() / "incoming.db", "from-replacement");
  fs::rename(srv.data_dir() / "incoming.db", file);
  const auto renamed_at = steady::now();

  // At once (the name was resolved less than a second ago): a write lands in the new file.
  const auto r = c.put(api + "/kv/after0?db=swap", "new", text_plain);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto marker = c.get(api + "/query?db=swap&sql=SELECT%20x%20FROM%20marker");
  ASSERT_EQ(marker.status, 200) << marker.body;
  EXPECT_NE(marker.body.find("replacement"), std::string::npos) << marker.body;
  EXPECT_EQ(c.get(api + "/kv/k0?db=swap").body, "from-replacement") << "no stale cached read";
  EXPECT_EQ(c.get(api + "/kv/k5?db=swap").status, 404) << "the old file's keys are gone";
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stop = true;
  writer.join();
  EXPECT_EQ(unexpected.load(), 0);
  EXPECT_EQ(srv.stop(), 0) << srv.output();

  sqlite_file check(file);
  EXPECT_EQ(check.integrity(), "ok");
  EXPECT_EQ(check.text("SELECT x FROM marker").value_or(""), "replacement");
  EXPECT_EQ(check.kv("after0").value_or(""), "new");
  std::size_t after = 0;
  for (const auto& [key, sent] : acks) {
    if (sent > renamed_at) {
      ++after;
      EXPECT_TRUE(check.kv(key).has_value()) << "acknowledged after the rename but lost: " << key;
    }
  }
  EXPECT_GT(after, 0U) << "the writer made no request after the rename";
}

TEST(file_replaced, cached_reads_follow_a_replacement_within_a_second) {
  server_process srv({"--access-log", "false"});
  http_client c(srv.port());
  ASSERT_EQ(c.post(api + "/db/create?path=cached", json::object()).status, 201);
  ASSERT_EQ(c.put(api + "/kv/k0?db=cached", "old", text_plain).status, 200);
  EXPECT_EQ(c.get(api + "/kv/k0?db=cached").body, "old");
  EXPECT_EQ(c.get(api + "/kv/k0?db=cached").body, "old");
  make_replacement(srv.data_dir() / "incoming.db", "restored");
  fs::rename(srv.data_dir() / "incoming.db", srv.data_dir() / "cached.db");
  // No write in between: only the name resolution (at most a second old) notices it.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(c.get(api + "/kv/k0?db=cached").body, "restored");
  EXPECT_EQ(srv.stop(), 0);
}

TEST(file_replaced, rm_then_create_db_if_missing_really_creates) {
  server_process srv({"--access-log", "false"});
  const fs::path file = srv.data_dir() / "gone.db";
  http_client c(srv.port());
  ASSERT_EQ(c.post(api + "/db/create?path=gone", json::object()).status, 201);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(c.put(api + "/kv/k" + std::to_string(i) + "?db=gone", "x", text_plain).status, 200);
  }

  // rm of the database file alone (its -wal and -shm stay, as with a plain `rm gone.db`).
  fs::remove(file);
  auto r = c.put(api + "/kv/lost?db=gone", "x", text_plain);
  EXPECT_EQ(r.status, 404) << "a write into a deleted file must not be acknowledged: " << r.body;
  EXPECT_EQ(r.json()["code"], "DATABASE_NOT_FOUND") << r.body;
  EXPECT_FALSE(fs::exists(file));
  r = c.put(api + "/kv/y?db=gone&create_db_if_missing=true", "yes", text_plain);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json()["created"].get<bool>()) << r.body;
  EXPECT_TRUE(fs::exists(file)) << "create_db_if_missing=true answered 200 but created nothing";
  EXPECT_EQ(c.get(api + "/kv/y?db=gone").body, "yes");
  EXPECT_EQ(c.get(api + "/kv/k0?db=gone").status, 404);

  // rm of all three files, then a write with the flag.
  for (const char* suffix : {"", "-wal", "-shm"}) {
    fs::remove(file.string() + suffix);
  }
  r = c.put(api + "/kv/z?db=gone&create_db_if_missing=true", "zed", text_plain);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(fs::exists(file));
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(c.put(api + "/kv/z" + std::to_string(i) + "?db=gone", "z", text_plain).status, 200);
  }
  EXPECT_EQ(srv.stop(), 0) << srv.output();

  sqlite_file check(file);
  EXPECT_EQ(check.integrity(), "ok");
  EXPECT_EQ(check.kv("z").value_or(""), "zed");
  for (int i = 0; i < 20; ++i) {
    EXPECT_TRUE(check.kv("z" + std::to_string(i)).has_value()) << i;
  }
  EXPECT_FALSE(check.kv("lost").has_value());
}

}  // namespace
