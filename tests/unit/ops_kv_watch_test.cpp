// Unit tests for the change feed's op-log reads (hoody/ops/kv_watch.hpp): paging by seq, the
// retention horizon, untracked markers moving to a new seq.
#include "hoody/ops/kv_watch.hpp"

#include "hoody/core/error.hpp"
#include "hoody/ops/kv_schema.hpp"
#include "hoody/ops/time_travel.hpp"

#include "support/temp_db.hpp"

#include <gtest/gtest.h>

namespace {

using namespace hoody;

class kv_watch_test : public ::testing::Test {
 protected:
  void SetUp() override { ops::ensure_kv_tables(*conn_, "kv_store"); }
  std::int64_t set(const std::string& key, const std::string& value, std::int64_t ts,
                   bool history = true) {
    ops::kv_value v{value, "text/plain", std::nullopt};
    return ops::record_change(*conn_, "kv_store", {key, "set", std::nullopt, v, ts}, history);
  }
  test::temp_db db_{"kv_watch"};
  db::connection* conn_ = &db_.writer();
};

TEST_F(kv_watch_test, a_missing_log_reads_as_empty) {
  EXPECT_EQ(ops::kv_log_bounds_of(*conn_, "other").head, 0);
  const auto page = ops::read_kv_events(*conn_, "other", 0, 10, 1 << 20);
  EXPECT_TRUE(page.events.empty());
  EXPECT_FALSE(page.more);
  EXPECT_THROW((void)ops::read_kv_events(*conn_, "bad-name", 0, 10, 1 << 20), api_error);
}

TEST_F(kv_watch_test, pages_follow_seq_and_stop_at_the_limits) {
  for (int i = 0; i < 25; ++i) {
    set("k" + std::to_string(i % 5), std::string(100, 'x'), 1000 + i);
  }
  EXPECT_EQ(ops::kv_log_bounds_of(*conn_, "kv_store").head, 25);
  std::int64_t cursor = 0;
  std::vector<std::int64_t> seen;
  int pages = 0;
  for (;;) {
    const auto page = ops::read_kv_events(*conn_, "kv_store", cursor, 10, 1 << 20);
    ++pages;
    for (const auto& e : page.events) {
      seen.push_back(e.seq);
      cursor = e.seq;
    }
    if (!page.more) {
      break;
    }
  }
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 25U);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i], static_cast<std::int64_t>(i) + 1);
  }
  // The byte budget stops a page early, but never before its first change.
  const auto small = ops::read_kv_events(*conn_, "kv_store", 0, 100, 1);
  EXPECT_EQ(small.events.size(), 1U);
  EXPECT_TRUE(small.more);
  const auto first = ops::read_kv_events(*conn_, "kv_store", 0, 1, 1 << 20).events.at(0);
  EXPECT_EQ(first.key, "k0");
  EXPECT_EQ(first.op, "set");
  EXPECT_EQ(first.op_number, 1);
  EXPECT_EQ(first.ts_ms, 1000);
  ASSERT_TRUE(first.after.has_value());
  EXPECT_EQ(first.after->value, std::string(100, 'x'));
}

TEST_F(kv_watch_test, deletions_and_untracked_writes) {
  set("a", "1", 10);
  ops::kv_value v{"1", "text/plain", std::nullopt};
  ops::record_change(*conn_, "kv_store", {"a", "delete", v, std::nullopt, 11}, true);
  set("b", "x", 12, /*history=*/false);
  const auto page = ops::read_kv_events(*conn_, "kv_store", 0, 100, 1 << 20);
  ASSERT_EQ(page.events.size(), 3U);
  EXPECT_FALSE(page.events[1].after.has_value());
  EXPECT_FALSE(page.events[1].gap());
  EXPECT_TRUE(page.events[2].gap());
  EXPECT_FALSE(page.events[2].after.has_value());
  // A repeated history=false write moves the one marker to a new seq: the feed sees it again.
  set("b", "y", 13, /*history=*/false);
  const auto later = ops::read_kv_events(*conn_, "kv_store", page.events[2].seq, 100, 1 << 20);
  ASSERT_EQ(later.events.size(), 1U);
  EXPECT_TRUE(later.events[0].gap());
  EXPECT_GT(later.events[0].seq, page.events[2].seq);
  EXPECT_EQ(later.events[0].op_number, page.events[2].op_number);
  EXPECT_EQ(later.events[0].ts_ms, 13);
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM kv_store__history WHERE key = 'b'"), 1);
}

TEST_F(kv_watch_test, retention_records_the_horizon) {
  for (int i = 0; i < 5; ++i) {
    set("k", std::to_string(i), 100 + i);  // seqs 1..5
  }
  set("other", "x", 106);  // seq 6
  EXPECT_EQ(ops::kv_log_bounds_of(*conn_, "kv_store").horizon, 0);
  const auto pruned = ops::prune_history(*conn_, "kv_store", 0, 2, 1000);
  EXPECT_EQ(pruned.deleted_ops, 3);
  auto bounds = ops::kv_log_bounds_of(*conn_, "kv_store");
  EXPECT_EQ(bounds.horizon, 3);  // seqs 1..3 went
  EXPECT_EQ(bounds.head, 6);
  EXPECT_EQ(ops::read_kv_events(*conn_, "kv_store", 3, 100, 1 << 20).horizon, 3);
  // The horizon never moves back; a prune deleting nothing leaves it.
  ops::record_log_horizon(*conn_, "kv_store", 1);
  EXPECT_EQ(ops::kv_log_bounds_of(*conn_, "kv_store").horizon, 3);
  EXPECT_EQ(ops::prune_history(*conn_, "kv_store", 0, 2, 1000).deleted_ops, 0);
  EXPECT_EQ(ops::kv_log_bounds_of(*conn_, "kv_store").horizon, 3);
  // Readable on a read-only connection.
  EXPECT_EQ(db_.in_read_transaction(
                [](db::connection& r) { return ops::kv_log_bounds_of(r, "kv_store").horizon; }),
            3);
}

}  // namespace
