// Perf measurement (disabled by default): 100,000 ops on one key, then time the history page,
// op snapshots, at_timestamp reads, a table snapshot, a diff and a deep rollback. Each read is
// timed with its wire JSON (handlers/time_travel_render.hpp), as a request builds it.
// Run: build-*/tests/hoody_unit_tests --gtest_also_run_disabled_tests --gtest_filter='*perf*'
#include "hoody/ops/time_travel.hpp"

#include "hoody/handlers/time_travel_render.hpp"

#include "time_travel_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace {

using namespace hoody;

/// Median wall time of `reps` calls, in microseconds.
template <typename Fn>
double median_us(int reps, Fn&& fn) {
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    const auto a = std::chrono::steady_clock::now();
    fn();
    t.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - a).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

TEST(time_travel_perf, DISABLED_perf_100k_ops_on_one_key) {
  test::tt_db db;
  auto& conn = db.conn();
  constexpr int n = 100'000;
  const std::int64_t t0 = 1'700'000'000'000;
  const auto fill_start = std::chrono::steady_clock::now();
  conn.exec("BEGIN");
  for (int i = 1; i <= n; ++i) {
    db.set("hot", std::to_string(i), t0 + i * 10);
    if (i % 1000 == 0) {
      db.set("k" + std::to_string(i / 1000), std::to_string(i), t0 + i * 10);
    }
  }
  conn.exec("COMMIT");
  const double fill_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - fill_start).count();
  const auto sec = [&](int i) { return static_cast<double>(t0 + i * 10) / 1000.0 + 0.0005; };

  const double history50 =
      median_us(50, [&] { (void)handlers::to_json(ops::kv_history(conn, "kv_store", "hot", 0)); });
  const double history1000 = median_us(
      20, [&] { (void)handlers::to_json(ops::kv_history(conn, "kv_store", "hot", 1000)); });
  const double history_deep = median_us(
      50, [&] { (void)handlers::to_json(ops::kv_history(conn, "kv_store", "hot", 50, 777)); });
  const double snap_op1 = median_us(
      50, [&] { (void)handlers::to_json(ops::kv_snapshot_op(conn, "kv_store", "hot", 1)); });
  const double snap_mid = median_us(
      50, [&] { (void)handlers::to_json(ops::kv_snapshot_op(conn, "kv_store", "hot", n / 2)); });
  int i = 0;
  const double at_ts = median_us(200, [&] {
    i = (i * 7919 + 13) % n + 1;
    const auto r = ops::kv_read_at(conn, "kv_store", "hot", sec(i), std::nullopt);
    ASSERT_EQ(r.value.value, std::to_string(i));
    ASSERT_EQ(r.op_number, i);
    ASSERT_EQ(handlers::to_json(r)["value"], i);
  });
  const double table_snap = median_us(20, [&] {
    (void)handlers::to_json(ops::kv_table_snapshot(conn, "kv_store", sec(n / 2), "", 0));
  });
  const double diff = median_us(10, [&] {
    (void)handlers::to_json(ops::kv_diff(conn, "kv_store", sec(10), sec(n - 10), {}));
  });
  const double list_at = median_us(
      20, [&] { (void)handlers::to_json(ops::kv_list_at(conn, "kv_store", sec(n / 2), "", 0)); });
  const double rollback = median_us(
      5, [&] { ops::kv_rollback_key(conn, "kv_store", "hot", 50'000, t0 + n * 10 + 1000); });

  std::printf("fill 100k ops: %.2f s\n", fill_s);
  std::printf("history limit=50:          %8.1f us\n", history50);
  std::printf("history limit=1000:        %8.1f us\n", history1000);
  std::printf("history before=777:        %8.1f us\n", history_deep);
  std::printf("snapshot op_number=1:      %8.1f us\n", snap_op1);
  std::printf("snapshot op_number=50000:  %8.1f us\n", snap_mid);
  std::printf("read at_timestamp (random):%8.1f us\n", at_ts);
  std::printf("table snapshot (101 keys): %8.1f us\n", table_snap);
  std::printf("list at (101 keys):        %8.1f us\n", list_at);
  std::printf("diff whole table:          %8.1f us\n", diff);
  std::printf("rollback steps=50000:      %8.1f us\n", rollback);
  EXPECT_LT(history50, 10'000);
  EXPECT_LT(snap_op1, 10'000);
  EXPECT_LT(at_ts, 10'000);
}

}  // namespace
