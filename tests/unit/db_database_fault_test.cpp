// The fault-injection matrix over group commit (db::fault_plan): a group of three write jobs
// runs once per SQLite call it makes, with exactly that call failing — as a plain error and as
// one that also ends the transaction (SQLITE_FULL / IOERR style). Every branch of
// database.cpp's run_group is reached this way: a failing job statement, savepoint and release,
// BEGIN, COMMIT, and the re-run after a lost transaction. After each run: a job that was
// acknowledged has its row, a job that failed left nothing, and the file is intact.
#include "hoody/db/database.hpp"

#include "hoody/core/error.hpp"
#include "hoody/db/executors.hpp"

#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <future>
#include <string>
#include <vector>

namespace {
using namespace hoody::db;

struct matrix_run {
  bool fired = false;
  int acknowledged = 0;
  int failed = 0;
};

class database_fault_test : public ::testing::TestWithParam<bool> {
 protected:
  hoody::test::temp_dir dir;
  executors exec{2, 1};
  std::shared_ptr<database> db;

  void SetUp() override {
    database_options options;
    options.conn.create = true;
    std::promise<void> opened;
    exec.post_blocking([&] {
      db = std::make_shared<database>(dir.path() / "f.db", exec, options);
      opened.set_value();
    });
    opened.get_future().get();
    write([](connection& c) { c.exec("CREATE TABLE t (id INTEGER PRIMARY KEY)"); });
  }
  void TearDown() override {
    db->close();
    db.reset();
  }

  void write(job_fn fn) {
    std::promise<std::exception_ptr> p;
    db->post_write(std::move(fn), [&](std::exception_ptr e) { p.set_value(e); });
    if (auto e = p.get_future().get()) {
      std::rethrow_exception(e);
    }
  }

  std::vector<std::int64_t> ids() {
    std::vector<std::int64_t> out;
    std::promise<void> p;
    db->post_read(
        [&](connection& c) {
          auto st = c.prepare("SELECT id FROM t ORDER BY id");
          while (st.step()) {
            out.push_back(st.column_int64(0));
          }
        },
        [&](std::exception_ptr) { p.set_value(); });
    p.get_future().get();
    return out;
  }

  /// One group of three jobs (ids base+0..2); the fault is armed by the first job and fails
  /// the `countdown`-th call from there on.
  matrix_run run_once(int countdown, bool lose, std::int64_t base) {
    std::promise<void> release;
    auto released = release.get_future().share();
    std::promise<void> blocked;
    // A blocker holds the strand so that the three jobs queue up and run as one group.
    db->post_write(
        [&](connection&) {
          blocked.set_value();
          released.wait();
        },
        [](std::exception_ptr) {});
    blocked.get_future().wait();
    connection* writer = nullptr;
    bool armed = false;  // job 0 runs again when a lost transaction is re-run: arm only once
    std::vector<std::promise<std::exception_ptr>> done(3);
    for (int i = 0; i < 3; ++i) {
      db->post_write(
          [&, i](connection& c) {
            if (i == 0 && !armed) {
              armed = true;
              writer = &c;
              c.inject_faults({countdown, SQLITE_IOERR, lose});
            }
            auto st = c.prepare("INSERT INTO t (id) VALUES (?1)");
            st.bind_int64(1, base + i);
            st.run();
          },
          [&, i](std::exception_ptr e) { done[static_cast<std::size_t>(i)].set_value(e); });
    }
    release.set_value();
    matrix_run out;
    std::vector<bool> ok(3);
    for (int i = 0; i < 3; ++i) {
      ok[static_cast<std::size_t>(i)] = !done[static_cast<std::size_t>(i)].get_future().get();
      (ok[static_cast<std::size_t>(i)] ? out.acknowledged : out.failed) += 1;
    }
    // Every completion came after the strand's last use of the connection for this group.
    out.fired = writer->fault_fired();
    writer->inject_faults({});
    const auto present = ids();
    for (int i = 0; i < 3; ++i) {
      const bool stored = std::find(present.begin(), present.end(), base + i) != present.end();
      EXPECT_EQ(stored, ok[static_cast<std::size_t>(i)])
          << "countdown " << countdown << (lose ? " (transaction lost)" : "") << ": job " << i
          << (stored ? " failed but left its row" : " was acknowledged but its row is gone");
    }
    return out;
  }
};

TEST_P(database_fault_test, every_call_of_a_group_commit_fails_once) {
  const bool lose = GetParam();
  int runs_with_a_fault = 0;
  int failures = 0;
  for (int countdown = 1; countdown <= 200; ++countdown) {
    const matrix_run r = run_once(countdown, lose, countdown * 10);
    if (!r.fired) {
      EXPECT_EQ(r.acknowledged, 3) << "no fault, yet a job failed";
      break;  // the countdown outlived the group: every call has had its turn
    }
    ++runs_with_a_fault;
    failures += r.failed;
    EXPECT_GE(r.failed, 1) << "countdown " << countdown << ": a fault fired, nothing failed";
  }
  std::printf("fault matrix%s: %d calls failed in turn\n", lose ? " (transaction lost)" : "",
              runs_with_a_fault);
  // prepare + step + savepoint + release for 3 jobs, BEGIN and COMMIT: well over 10 calls.
  EXPECT_GE(runs_with_a_fault, 10);
  EXPECT_LT(runs_with_a_fault, 200) << "the matrix never ran out of calls";
  EXPECT_GE(failures, runs_with_a_fault);
  // The file is intact and still writable.
  write([](connection& c) {
    auto st = c.prepare("PRAGMA integrity_check");
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.column_text(0), "ok");
  });
  write([](connection& c) { c.exec("INSERT INTO t (id) VALUES (-1)"); });
  EXPECT_EQ(ids().front(), -1);
}

INSTANTIATE_TEST_SUITE_P(plain_and_lost_transaction, database_fault_test, ::testing::Bool());

}  // namespace
