// Maintenance ops (checkpoint, quick_check, vacuum_into, retention over every KV table) and the
// writer's exclusive jobs (outside any transaction, in queue order with group commits).
#include "hoody/ops/maintenance.hpp"

#include "hoody/core/error.hpp"
#include "hoody/db/database.hpp"
#include "hoody/db/executors.hpp"
#include "hoody/ops/kv.hpp"
#include "hoody/ops/kv_schema.hpp"
#include "hoody/ops/time_travel.hpp"

#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <mutex>
#include <vector>

namespace {
using namespace hoody;

class maintenance_test : public ::testing::Test {
 protected:
  void SetUp() override {
    db::mark_db_thread();
    db::connection_options o;
    o.create = true;
    conn = std::make_unique<db::connection>(dir.path() / "m.db", o);
    conn->exec("PRAGMA journal_mode=WAL");
    conn->exec("CREATE TABLE t(x INTEGER, y TEXT)");
    conn->exec("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')");
  }
  test::temp_dir dir;
  std::unique_ptr<db::connection> conn;
};

TEST_F(maintenance_test, quick_check_reports_ok) {
  const auto r = ops::quick_check(*conn);
  EXPECT_TRUE(r["ok"].get<bool>());
  EXPECT_EQ(r["result"], "ok");  // as published; a failed check lists the problems instead
}

TEST_F(maintenance_test, checkpoint_truncate_empties_the_wal) {
  const auto r = ops::wal_checkpoint_truncate(*conn);
  EXPECT_EQ(r["busy"], 0);
  EXPECT_TRUE(r["complete"].get<bool>());
  EXPECT_EQ(std::filesystem::file_size(dir.path() / "m.db-wal"), 0U);
}

TEST_F(maintenance_test, checkpoint_inside_a_transaction_fails) {
  conn->exec("BEGIN IMMEDIATE");
  EXPECT_THROW((void)ops::wal_checkpoint_truncate(*conn), api_error);
  conn->exec("ROLLBACK");
}

TEST_F(maintenance_test, vacuum_into_copies_and_refuses_existing_or_self) {
  const auto dest = dir.path() / "copy.db";
  const auto r = ops::vacuum_into(*conn, dest);
  EXPECT_GT(r["size_bytes"].get<std::int64_t>(), 0);
  db::connection_options o;
  db::connection copy(dest, o);
  auto st = copy.prepare("SELECT group_concat(y, '') FROM t ORDER BY x");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_text(0), "abc");
  try {
    (void)ops::vacuum_into(*conn, dest);
    FAIL() << "existing destination accepted";
  } catch (const api_error& e) {
    EXPECT_EQ(e.code(), errc::conflict);
  }
  try {
    (void)ops::vacuum_into(*conn, dir.path() / "m.db");
    FAIL() << "self accepted";
  } catch (const api_error& e) {
    EXPECT_EQ(e.code(), errc::bad_request);
  }
}

TEST_F(maintenance_test, prune_all_kv_history_covers_every_kv_table) {
  for (const char* table : {"kv_store", "other"}) {
    ops::ensure_kv_tables(*conn, table);
    ops::kv_scope scope;
    scope.table = table;
    for (int i = 0; i < 5; ++i) {
      ops::kv_put_request req;
      req.value = std::to_string(i);
      req.content_type = "text/plain";
      ops::kv_put(*conn, scope, "k", req);
    }
  }
  EXPECT_EQ(ops::prune_all_kv_history(*conn, 0, 0), 0);  // no limits: nothing to do
  EXPECT_EQ(ops::prune_all_kv_history(*conn, 0, 2), 6);  // 3 of 5 ops per table
  auto st = conn->prepare("SELECT count(*) FROM other__history");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_int64(0), 2);
}

TEST(exclusive_jobs, run_outside_a_transaction_in_queue_order) {
  test::temp_dir dir;
  db::executors exec{2, 2};
  db::database_options options;
  options.conn.create = true;
  std::shared_ptr<db::database> database;
  {
    std::promise<void> opened;
    exec.post_blocking([&] {
      database = std::make_shared<db::database>(dir.path() / "x.db", exec, options);
      opened.set_value();
    });
    opened.get_future().get();
  }
  std::mutex mutex;
  std::vector<std::string> order;
  std::vector<std::future<void>> waits;
  auto job = [&](const std::string& name, bool exclusive) {
    auto p = std::make_shared<std::promise<void>>();
    waits.push_back(p->get_future());
    auto fn = [&, name, exclusive](db::connection& c) {
      std::lock_guard lock(mutex);
      order.push_back(name + (c.in_transaction() ? ":tx" : ":auto"));
      if (exclusive) {
        c.exec("VACUUM");  // refuses to run inside a transaction
      } else {
        c.exec("CREATE TABLE IF NOT EXISTS t(x); INSERT INTO t VALUES (1)");
      }
    };
    auto done = [p](std::exception_ptr e) { e ? p->set_exception(e) : p->set_value(); };
    if (exclusive) {
      database->post_exclusive(fn, done);
    } else {
      database->post_write(fn, done);
    }
  };
  job("w1", false);
  job("w2", false);
  job("x", true);
  job("w3", false);
  for (auto& w : waits) {
    EXPECT_NO_THROW(w.get());
  }
  ASSERT_EQ(order.size(), 4U);
  EXPECT_EQ(order[2], "x:auto");
  EXPECT_EQ(order[3], "w3:tx");
  EXPECT_GE(db::global_write_totals().exclusive_jobs, 1U);
  database->close();
}

TEST_F(maintenance_test, vacuum_into_leaves_no_temporary_and_start_up_removes_stale_ones) {
  const auto dest = dir.path() / "copy2.db";
  (void)ops::vacuum_into(*conn, dest);
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    EXPECT_FALSE(ops::is_vacuum_temporary(entry.path().filename().string()))
        << entry.path().filename();
  }
  EXPECT_TRUE(ops::is_vacuum_temporary(".copy.db.hoody-vacuum-12-3.tmp"));
  EXPECT_TRUE(ops::is_vacuum_temporary(".copy.db.hoody-vacuum-12-3.tmp-journal"));
  EXPECT_FALSE(ops::is_vacuum_temporary("copy.db"));
  EXPECT_FALSE(ops::is_vacuum_temporary(".hidden.db"));
  for (const char* name : {".x.db.hoody-vacuum-1-1.tmp", ".x.db.hoody-vacuum-1-1.tmp-journal"}) {
    std::ofstream(dir.path() / name) << "partial";
  }
  EXPECT_EQ(ops::remove_stale_vacuum_temporaries(dir.path()), 2U);
  EXPECT_TRUE(std::filesystem::exists(dest));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "m.db"));
}

}  // namespace
