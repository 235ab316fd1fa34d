// Issue 18 items 1 and 5, issue 15's first lever: --checkpoint-mode truncate|passive|external.
// Writers never checkpoint inside a commit; a background checkpoint (its own connection, never
// waiting) keeps the WAL bounded under sustained writes in truncate and passive modes;
// external leaves the WAL alone (a replicator owns it) and refuses the maintenance checkpoint.
// Another process holding a read transaction never holds up the shutdown or the writes, in
// every mode. /metrics shows the WAL sizes; --wal-warn-bytes logs a rate-limited warning.
#include "hoody/db/checkpointer.hpp"

#include "fault_support.hpp"
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/metrics_text.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <memory>
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
using hoody::test::seconds_since;
using hoody::test::text_plain;
const auto& value_of = hoody::test::metric_value;

std::uintmax_t size_or_zero(const fs::path& file) {
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  return ec ? 0 : size;
}

struct write_load {
  std::uintmax_t max_wal = 0;     ///< largest -wal size seen while writing
  std::uintmax_t bytes_sent = 0;  ///< value bytes acknowledged
};

// `threads` clients PUT `per_thread` values of `value_size` bytes each while a monitor samples
// the -wal file's size every 5 ms.
write_load sustained_writes(const server_process& srv, const std::string& db, int threads,
                            int per_thread, std::size_t value_size) {
  const fs::path wal = srv.data_dir() / (db + ".db-wal");
  std::atomic<bool> done{false};
  std::atomic<std::uintmax_t> max_wal{0};
  std::thread monitor([&] {
    while (!done) {
      const auto size = size_or_zero(wal);
      if (size > max_wal) {
        max_wal = size;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  std::atomic<std::uintmax_t> sent{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < threads; ++t) {
    writers.emplace_back([&, t] {
      http_client c(srv.port());
      const std::string value(value_size, static_cast<char>('a' + t));
      for (int i = 0; i < per_thread; ++i) {
        const auto key = "k" + std::to_string(t) + "_" + std::to_string(i % 50);
        const auto r = c.put(api + "/kv/" + key + "?db=" + db, value, text_plain);
        ASSERT_EQ(r.status, 200) << r.body;
        sent += value.size();
      }
    });
  }
  for (auto& w : writers) {
    w.join();
  }
  done = true;
  monitor.join();
  return {max_wal.load(), sent.load()};
}

class checkpoint_modes : public ::testing::TestWithParam<std::string> {};

// Sustained writes: about 60 MB of values (each also written to the history) go through the
// WAL; without a checkpoint the WAL would hold all of it (see external below).
TEST_P(checkpoint_modes, wal_stays_bounded_under_sustained_writes) {
  server_process srv({"--checkpoint-mode", GetParam(), "--access-log", "false"});
  http_client c(srv.port());
  ASSERT_EQ(c.post(api + "/db/create?path=w", json::object()).status, 201);
  const auto load = sustained_writes(srv, "w", 4, 1500, 16 * 1024);
  ASSERT_FALSE(::testing::Test::HasFailure());
  EXPECT_GE(load.bytes_sent, 90U * 1024 * 1024);
  // The bound: past 2 × checkpoint_writer_frames frames the writer waits for the background
  // checkpoint (database.cpp, checkpoint_if_far_behind), plus one group's frames (≈ 63 MiB
  // + 16 MiB). What went through the WAL is about twice the bytes sent (value and history).
  constexpr std::uintmax_t frame_bytes = 4096 + 24;
  constexpr std::uintmax_t bound =
      2 * hoody::db::checkpoint_writer_frames * frame_bytes + 16U * 1024 * 1024;
  EXPECT_LT(load.max_wal, bound) << "the WAL grew with the writes: " << load.max_wal
                                 << " bytes for " << load.bytes_sent;
  EXPECT_GT(size_or_zero(srv.data_dir() / "w.db"), 2 * load.max_wal)
      << "the data reached the database file through checkpoints";
  const auto metrics = c.get("/metrics").body;
  EXPECT_GE(value_of(metrics, "hoody_wal_checkpoints_total"), 3) << metrics;
  // Nothing acknowledged is lost; the server still stops cleanly.
  EXPECT_EQ(c.get(api + "/kv/k3_49?db=w").body, std::string(16 * 1024, 'd'));
  EXPECT_EQ(srv.stop(SIGTERM, 10000), 0) << srv.output();
  sqlite_file check(srv.data_dir() / "w.db");
  EXPECT_EQ(check.integrity(), "ok");
  EXPECT_EQ(check.integer("SELECT count(*) FROM kv_store"), 200);
}

INSTANTIATE_TEST_SUITE_P(bounded, checkpoint_modes, ::testing::Values("truncate", "passive"));

// The converse, so that the bound above means something: with the WAL left to a replicator,
// nothing checkpoints it while the server runs, nor at shutdown.
TEST(checkpoint_external, wal_is_left_alone_and_maintenance_refuses) {
  server_process srv({"--checkpoint-mode", "external", "--access-log", "false"});
  http_client c(srv.port());
  ASSERT_EQ(c.post(api + "/db/create?path=x", json::object()).status, 201);
  const auto load = sustained_writes(srv, "x", 2, 300, 16 * 1024);
  ASSERT_FALSE(::testing::Test::HasFailure());
  EXPECT_GT(load.max_wal, 16U * 1024 * 1024) << "something checkpointed the WAL";

  const auto r = c.post(api + "/maintenance?db=x", {{"op", "wal_checkpoint_truncate"}});
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.json()["code"], "CHECKPOINT_EXTERNAL") << r.body;
  // The other maintenance ops still work.
  EXPECT_EQ(c.post(api + "/maintenance?db=x", {{"op", "quick_check"}}).json()["ok"], true);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // idle: still no checkpoint
  const auto wal_before = size_or_zero(srv.data_dir() / "x.db-wal");
  EXPECT_GE(wal_before, load.max_wal);
  const auto metrics = c.get("/metrics").body;
  EXPECT_EQ(value_of(metrics, "hoody_wal_checkpoints_total"), 0) << metrics;

  EXPECT_EQ(srv.stop(SIGTERM, 10000), 0) << srv.output();
  EXPECT_EQ(size_or_zero(srv.data_dir() / "x.db-wal"), wal_before)
      << "the WAL was checkpointed or truncated at shutdown";
  EXPECT_LT(size_or_zero(srv.data_dir() / "x.db"), load.bytes_sent / 4)
      << "the data went into the database file";
  sqlite_file check(srv.data_dir() / "x.db");  // reads through the WAL
  EXPECT_EQ(check.integer("SELECT count(*) FROM kv_store"), 100);
}

// Writers (and readers) never checkpoint inside a commit, and user SQL may not turn that back on.
TEST(checkpoint_autocheckpoint, is_off_and_user_sql_cannot_set_it) {
  server_process srv({"--access-log", "false"});
  http_client c(srv.port());
  ASSERT_EQ(c.post(api + "/db/create?path=a", json::object()).status, 201);
  auto r = c.post(api + "/db?db=a", {{"transaction", {{{"query", "PRAGMA wal_autocheckpoint"}}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["results"][0]["resultSet"][0]["wal_autocheckpoint"], 0) << r.body;
  // (The SQL layer refuses assigning connection-state PRAGMAs; the envelope is the contract's.)
  r = c.post(api + "/db?db=a",
             {{"transaction", {{{"statement", "PRAGMA wal_autocheckpoint=1000"}}}}});
  EXPECT_EQ(r.json().value("code", ""), "BAD_REQUEST") << r.body;
  r = c.post(api + "/db?db=a", {{"transaction", {{{"query", "PRAGMA wal_autocheckpoint"}}}}});
  EXPECT_EQ(r.json()["results"][0]["resultSet"][0]["wal_autocheckpoint"], 0) << r.body;
}

// Truncate mode (the default): once writes stop, the background checkpoint truncates the WAL.
// Passive mode checkpoints it too but never truncates the file.
TEST(checkpoint_idle, truncate_mode_empties_the_wal_passive_keeps_its_size) {
  for (const std::string mode : {"truncate", "passive"}) {
    server_process srv({"--checkpoint-mode", mode, "--access-log", "false"});
    http_client c(srv.port());
    ASSERT_EQ(c.post(api + "/db/create?path=i", json::object()).status, 201);
    for (int i = 0; i < 20; ++i) {
      ASSERT_EQ(c.put(api + "/kv/k" + std::to_string(i) + "?db=i", "v", text_plain).status, 200);
    }
    const fs::path wal = srv.data_dir() / "i.db-wal";
    EXPECT_GT(size_or_zero(wal), 0U) << mode;
    double checkpoints = 0;
    for (int i = 0; i < 60 && checkpoints < 1; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      checkpoints = value_of(c.get("/metrics").body, "hoody_wal_checkpoints_total");
    }
    EXPECT_GE(checkpoints, 1) << mode << ": no idle checkpoint";
    if (mode == "truncate") {
      EXPECT_EQ(size_or_zero(wal), 0U);
    } else {
      EXPECT_GT(size_or_zero(wal), 0U) << "passive mode truncated the WAL";
    }
    // The maintenance op follows the mode.
    const auto r = c.post(api + "/maintenance?db=i", {{"op", "wal_checkpoint_truncate"}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["mode"], mode) << r.body;
    EXPECT_EQ(r.json()["complete"], true) << r.body;
    EXPECT_EQ(srv.stop(SIGTERM, 10000), 0) << srv.output();
  }
}

// Another process (this test) holds a read transaction on 3 open databases, as Litestream does.
// In every mode: the maintenance checkpoint (where allowed) answers at once while a writer sees
// no stall, and SIGTERM exits within 2 s with every acknowledged write kept.
TEST(checkpoint_foreign_reader, no_stall_and_quick_sigterm_in_every_mode) {
  for (const std::string mode : {"truncate", "passive", "external"}) {
    SCOPED_TRACE(mode);
    server_process srv({"--checkpoint-mode", mode, "--access-log", "false"});
    http_client c(srv.port());
    const std::vector<std::string> names{"r0", "r1", "r2"};
    for (const auto& name : names) {
      ASSERT_EQ(c.post(api + "/db/create?path=" + name, json::object()).status, 201);
      for (int i = 0; i < 10; ++i) {
        ASSERT_EQ(c.put(api + "/kv/b" + std::to_string(i) + "?db=" + name, "v", text_plain).status,
                  200);
      }
    }
    std::vector<std::unique_ptr<sqlite_file>> readers;
    for (const auto& name : names) {
      readers.push_back(
          std::make_unique<sqlite_file>(srv.data_dir() / (name + ".db"), SQLITE_OPEN_READONLY));
      readers.back()->exec("BEGIN");
      ASSERT_EQ(readers.back()->integer("SELECT count(*) FROM kv_store"), 10);
    }

    // A writer on r0 logs the longest gap between acknowledgements. Its 16 KiB values take the
    // WAL past the writer's own checkpoint threshold (16 MiB) while the reader pins it.
    std::atomic<bool> done{false};
    std::atomic<int> written{0};
    double longest_gap = 0;
    std::thread writer([&] {
      http_client w(srv.port());
      const std::string value(16 * 1024, 'w');
      auto last = steady::now();
      while (!done) {
        const auto r = w.put(api + "/kv/a" + std::to_string(written) + "?db=r0", value, text_plain);
        ASSERT_EQ(r.status, 200) << r.body;
        ++written;
        longest_gap = std::max(longest_gap, seconds_since(last));
        last = steady::now();
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    for (int i = 0; i < 3; ++i) {
      const auto started = steady::now();
      const auto r = c.post(api + "/maintenance?db=r0", {{"op", "wal_checkpoint_truncate"}});
      const double took = seconds_since(started);
      if (mode == "external") {
        EXPECT_EQ(r.status, 409) << r.body;
      } else {
        ASSERT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(r.json()["complete"], false) << r.body;  // the reader's snapshot is pinned
      }
      EXPECT_LT(took, 0.5) << r.body;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // background checkpoints too
    done = true;
    writer.join();
    EXPECT_GT(written.load(), 10);
    EXPECT_LT(longest_gap, 1.0) << "a write waited for the other process's reader";
    // The pinned WAL could not start over: it holds every write since the reader began.
    EXPECT_GT(size_or_zero(srv.data_dir() / "r0.db-wal"), 16U * 1024 * 1024);
    const auto metrics = c.get("/metrics").body;
    if (mode != "external") {
      EXPECT_GE(value_of(metrics, "hoody_wal_checkpoints_incomplete_total"), 1) << metrics;
    }

    const auto started = steady::now();
    EXPECT_EQ(srv.stop(SIGTERM, 10000), 0) << srv.output();
    EXPECT_LT(seconds_since(started), 2.0) << "shutdown waited for the other process's readers";
    for (auto& reader : readers) {
      EXPECT_EQ(reader->integer("SELECT count(*) FROM kv_store"), 10);  // its snapshot
      reader->exec("COMMIT");
    }
    readers.clear();
    sqlite_file check(srv.data_dir() / "r0.db");
    EXPECT_EQ(check.integrity(), "ok");
    EXPECT_EQ(check.integer("SELECT count(*) FROM kv_store"), 10 + written.load());
  }
}

// Item 5: WAL gauges in /metrics and the --wal-warn-bytes warning, at most once a minute per
// database.
TEST(wal_metrics, gauges_follow_the_wal_and_the_warning_is_rate_limited) {
  server_process srv({"--checkpoint-mode", "external", "--wal-warn-bytes", "100000",
                      "--ttl-sweep-interval", "1", "--access-log", "false"});
  http_client c(srv.port());
  ASSERT_EQ(c.post(api + "/db/create?path=small", json::object()).status, 201);
  ASSERT_EQ(c.post(api + "/db/create?path=big", json::object()).status, 201);
  ASSERT_EQ(c.put(api + "/kv/k?db=small", "v", text_plain).status, 200);
  for (int i = 0; i < 40; ++i) {
    ASSERT_EQ(
        c.put(api + "/kv/k" + std::to_string(i) + "?db=big", std::string(8000, 'x'), text_plain)
            .status,
        200);
  }
  const auto small = size_or_zero(srv.data_dir() / "small.db-wal");
  const auto big = size_or_zero(srv.data_dir() / "big.db-wal");
  ASSERT_GT(big, 300000U);
  std::string m;
  for (int i = 0; i < 40; ++i) {  // the sweep refreshes the sizes once a second
    m = c.get("/metrics").body;
    if (value_of(m, "hoody_wal_bytes_max") == static_cast<double>(big)) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(m.find("# TYPE hoody_wal_bytes_sum gauge"), std::string::npos);
  EXPECT_EQ(value_of(m, "hoody_wal_bytes_max"), static_cast<double>(big)) << m;
  EXPECT_EQ(value_of(m, "hoody_wal_bytes_sum"), static_cast<double>(big + small)) << m;

  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // several more sweeps
  const auto log = srv.output();
  std::size_t warnings = 0;
  for (auto at = log.find("over --wal-warn-bytes"); at != std::string::npos;
       at = log.find("over --wal-warn-bytes", at + 1)) {
    ++warnings;
  }
  EXPECT_EQ(warnings, 1U) << log;
  EXPECT_NE(log.find("big.db"), std::string::npos) << log;
  EXPECT_EQ(log.find("small.db is"), std::string::npos) << "small is under the threshold";
}

}  // namespace
