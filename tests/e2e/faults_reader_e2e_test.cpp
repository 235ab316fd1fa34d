// Issue 14, item 6: another process holding a read transaction (a backup, a replicator) must not
// hold up the maintenance checkpoint (it returns at once, saying it could not finish), the
// writes queued behind it, or the shutdown (SIGTERM exits 0 within 2 s with such a reader on 3
// open databases). The "other process" is this test process, with its own SQLite connections.
#include "fault_support.hpp"
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {
namespace fs = std::filesystem;
using hoody::test::http_client;
using hoody::test::server_process;
using hoody::test::sqlite_file;
using json = nlohmann::json;
using steady = std::chrono::steady_clock;

using hoody::test::api;
using hoody::test::seconds_since;
using hoody::test::text_plain;

TEST(foreign_reader, checkpoint_returns_at_once_and_sigterm_exits_within_two_seconds) {
  // The default --busy-timeout-ms (5 s) is what used to be waited for, per database.
  server_process srv({"--access-log", "false"});
  http_client c(srv.port());
  const std::vector<std::string> names{"r0", "r1", "r2"};
  std::map<std::string, std::vector<std::string>> acknowledged;
  for (const auto& name : names) {
    ASSERT_EQ(c.post(api + "/db/create?path=" + name, json::object()).status, 201);
    for (int i = 0; i < 20; ++i) {
      const std::string key = "before" + std::to_string(i);
      ASSERT_EQ(c.put(api + "/kv/" + key + "?db=" + name, "v", text_plain).status, 200);
      acknowledged[name].push_back(key);
    }
  }

  // Another process opens a read transaction on each database (an old snapshot)...
  std::vector<std::unique_ptr<sqlite_file>> readers;
  for (const auto& name : names) {
    readers.push_back(
        std::make_unique<sqlite_file>(srv.data_dir() / (name + ".db"), SQLITE_OPEN_READONLY));
    readers.back()->exec("BEGIN");
    EXPECT_EQ(readers.back()->integer("SELECT count(*) FROM kv_store"), 20);
  }
  // ... while the server keeps writing after it.
  for (const auto& name : names) {
    for (int i = 0; i < 20; ++i) {
      const std::string key = "after" + std::to_string(i);
      ASSERT_EQ(c.put(api + "/kv/" + key + "?db=" + name, "w", text_plain).status, 200);
      acknowledged[name].push_back(key);
    }
  }

  // The maintenance checkpoint cannot complete: it says so at once instead of waiting 5 s.
  auto started = steady::now();
  const auto cp = c.post(api + "/maintenance?db=r0", {{"op", "wal_checkpoint_truncate"}});
  const double checkpoint_s = seconds_since(started);
  ASSERT_EQ(cp.status, 200) << cp.body;
  EXPECT_EQ(cp.json()["complete"], false) << cp.body;
  EXPECT_EQ(cp.json()["busy"], 1) << cp.body;
  EXPECT_TRUE(cp.json().contains("message")) << cp.body;
  EXPECT_LT(checkpoint_s, 1.0) << "the checkpoint waited for the other process's reader";
  // Writes to that database are not held up either.
  started = steady::now();
  ASSERT_EQ(c.put(api + "/kv/late?db=r0", "l", text_plain).status, 200);
  acknowledged["r0"].push_back("late");
  EXPECT_LT(seconds_since(started), 1.0);

  // SIGTERM with the three read transactions still open.
  started = steady::now();
  const int code = srv.stop(SIGTERM, 10000);
  const double stop_s = seconds_since(started);
  EXPECT_EQ(code, 0) << srv.output();
  EXPECT_LT(stop_s, 2.0) << "shutdown waited for the other process's readers";

  // The other process still sees its snapshot; after it ends, every acknowledged write is there.
  for (auto& reader : readers) {
    EXPECT_EQ(reader->integer("SELECT count(*) FROM kv_store"), 20);
    reader->exec("COMMIT");
  }
  readers.clear();
  for (const auto& name : names) {
    sqlite_file check(srv.data_dir() / (name + ".db"));
    EXPECT_EQ(check.integrity(), "ok") << name;
    for (const auto& key : acknowledged[name]) {
      EXPECT_TRUE(check.kv(key).has_value()) << name << ": acknowledged write lost: " << key;
    }
  }
}

}  // namespace
