// Issue 14, item 3: vacuum_into is atomic. kill -9 at random moments during a backup leaves
// either no destination or a complete one (temporaries are removed at the next start-up), a
// full disk answers 507 and leaves nothing under the destination name, and the retry after a
// failure is not refused with 409.
#include "fault_support.hpp"
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {
namespace fs = std::filesystem;
using hoody::test::http_client;
using hoody::test::server_process;
using hoody::test::sqlite_file;
using hoody::test::temp_dir;
using hoody::test::tmpfs_mount;
using json = nlohmann::json;
using steady = std::chrono::steady_clock;

using hoody::test::api;

// A database of about `rows` × 1 KiB, written by the test process.
std::int64_t make_source(const fs::path& file, int rows) {
  sqlite_file db(file);
  db.exec("PRAGMA journal_mode=WAL");
  db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB)");
  db.exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
          std::to_string(rows) + ") INSERT INTO t SELECT i, randomblob(1000) FROM n");
  return db.integer("SELECT count(*) FROM t");
}

std::vector<std::string> temporaries(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const auto name = entry.path().filename().string();
    if (name.find("hoody-vacuum") != std::string::npos) {
      out.push_back(name);
    }
  }
  return out;
}

json vacuum(http_client& c, const std::string& dest) {
  const auto r = c.post(api + "/maintenance?db=src", {{"op", "vacuum_into"}, {"dest_path", dest}});
  json out = r.json();
  out["status"] = r.status;
  return out;
}

TEST(vacuum_atomic, kill9_at_random_moments_leaves_no_destination_or_a_complete_one) {
  temp_dir dir;
  const std::int64_t rows = make_source(dir.path() / "src.db", 12000);  // ~12 MB
  // How long one backup takes here, to spread the kills over it.
  double full_ms = 0;
  {
    server_process srv({"--access-log", "false"}, dir.path());
    http_client c(srv.port());
    const auto started = steady::now();
    ASSERT_EQ(vacuum(c, "probe")["status"], 200);
    full_ms = std::chrono::duration<double, std::milli>(steady::now() - started).count();
    EXPECT_EQ(srv.stop(), 0);
  }
  std::mt19937 rng(std::random_device{}());
  std::uniform_real_distribution<double> when(0.0, full_ms * 1.2);
  int complete = 0;
  int absent = 0;
  const int trials = 8;
  for (int trial = 0; trial < trials; ++trial) {
    const std::string dest = "bk" + std::to_string(trial);
    {
      server_process srv({"--access-log", "false"}, dir.path());
      std::thread backup([port = srv.port(), dest] {
        http_client c(port, std::chrono::seconds(5));
        try {
          (void)c.post(api + "/maintenance?db=src", {{"op", "vacuum_into"}, {"dest_path", dest}});
        } catch (...) {  // NOLINT(bugprone-empty-catch): the server is killed under it
        }
      });
      std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int>(when(rng) * 1000)));
      srv.kill9();
      backup.join();
    }
    const fs::path file = dir.path() / (dest + ".db");
    // The next start removes whatever temporary the kill left behind.
    server_process srv({"--access-log", "false"}, dir.path());
    EXPECT_TRUE(temporaries(dir.path()).empty())
        << "stale temporary after restart: " << temporaries(dir.path()).front();
    http_client c(srv.port());
    if (fs::exists(file)) {
      ++complete;
      EXPECT_FALSE(fs::exists(file.string() + "-journal"));
      {
        sqlite_file copy(file, SQLITE_OPEN_READONLY);
        EXPECT_EQ(copy.integrity(), "ok") << dest;
        EXPECT_EQ(copy.integer("SELECT count(*) FROM t"), rows) << dest << " is incomplete";
      }
      EXPECT_EQ(vacuum(c, dest)["status"], 409) << "a complete backup exists";
    } else {
      ++absent;
      const auto retry = vacuum(c, dest);
      EXPECT_EQ(retry["status"], 200) << "the retry after a killed backup: " << retry.dump();
      sqlite_file copy(file, SQLITE_OPEN_READONLY);
      EXPECT_EQ(copy.integer("SELECT count(*) FROM t"), rows);
    }
    EXPECT_EQ(srv.stop(), 0);
  }
  std::cout << "vacuum kill -9 trials: " << complete << " complete, " << absent
            << " absent (backup takes " << full_ms << " ms)\n";
  sqlite_file source(dir.path() / "src.db");
  EXPECT_EQ(source.integrity(), "ok");
  EXPECT_EQ(source.integer("SELECT count(*) FROM t"), rows);
}

TEST(vacuum_atomic, full_disk_answers_507_leaves_nothing_and_the_retry_succeeds) {
  temp_dir base;
  tmpfs_mount fs_mount(base.path() / "fs", 6U * 1024U * 1024U);
  if (!fs_mount.ok()) {
    GTEST_SKIP() << "cannot mount a tmpfs for the full-disk test (" << fs_mount.error()
                 << "); run as root (CI does)";
  }
  const std::int64_t rows = make_source(fs_mount.path() / "src.db", 2500);  // ~2.6 MB
  {
    sqlite_file truncate(fs_mount.path() / "src.db");
    truncate.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  // Leave less free space than one copy needs.
  const fs::path ballast = fs_mount.path() / "ballast";
  {
    const auto space = fs::space(fs_mount.path());
    std::ofstream out(ballast, std::ios::binary);
    const std::string chunk(4096, 'b');
    for (std::uintmax_t n = 0; n + 1536U * 1024U < space.available; n += chunk.size()) {
      out << chunk;
    }
  }
  server_process srv({"--access-log", "false"}, fs_mount.path());
  http_client c(srv.port());
  const auto full = vacuum(c, "copy");
  EXPECT_EQ(full["status"], 507) << full.dump();
  EXPECT_EQ(full["code"], "DISK_FULL") << full.dump();
  EXPECT_FALSE(fs::exists(fs_mount.path() / "copy.db")) << "a partial backup was left behind";
  EXPECT_FALSE(fs::exists(fs_mount.path() / "copy.db-journal"));
  EXPECT_TRUE(temporaries(fs_mount.path()).empty());

  fs::remove(ballast);
  const auto retry = vacuum(c, "copy");
  ASSERT_EQ(retry["status"], 200) << "the retry after a full disk: " << retry.dump();
  EXPECT_EQ(srv.stop(), 0);
  sqlite_file copy(fs_mount.path() / "copy.db", SQLITE_OPEN_READONLY);
  EXPECT_EQ(copy.integrity(), "ok");
  EXPECT_EQ(copy.integer("SELECT count(*) FROM t"), rows);
}

}  // namespace
