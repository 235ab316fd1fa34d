// Unit tests for the in-memory query history (hoody/ops/query_history.hpp).
#include "hoody/ops/query_history.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace {

using hoody::ops::query_history_store;
using hoody::ops::query_record;

query_record rec(std::string sql, double ms, bool ok, const char* source = "db") {
  query_record r;
  r.sql = std::move(sql);
  r.source = source;
  r.duration_ms = ms;
  r.success = ok;
  if (!ok) {
    r.error = "boom";
  }
  r.rows = 2;
  r.statements = 1;
  r.timestamp_ms = 1000;
  return r;
}

TEST(query_history, list_newest_first_with_limit) {
  query_history_store s(100);
  for (int i = 0; i < 5; ++i) {
    s.record("a", rec("q" + std::to_string(i), i, true));
  }
  s.record("b", rec("other", 1, true));
  auto l = s.list("a", 3);
  EXPECT_EQ(l["count"], 3);
  EXPECT_EQ(l["total"], 5);
  EXPECT_EQ(l["entries"][0]["sql"], "q4");
  EXPECT_EQ(l["entries"][0]["index"], 0);
  EXPECT_EQ(l["entries"][0]["id"], 5);
  EXPECT_EQ(l["entries"][2]["sql"], "q2");
  EXPECT_TRUE(l["entries"][0]["error"].is_null());
  EXPECT_EQ(l["entries"][0]["source"], "db");
  EXPECT_EQ(s.list("missing", 10)["total"], 0);
}

TEST(query_history, retention_cap_drops_oldest) {
  query_history_store s(3);
  for (int i = 0; i < 10; ++i) {
    s.record("a", rec("q" + std::to_string(i), 1, true));
  }
  auto l = s.list("a", 100);
  EXPECT_EQ(l["total"], 3);
  EXPECT_EQ(l["entries"][2]["sql"], "q7");
}

TEST(query_history, long_sql_is_cut) {
  query_history_store s(3);
  s.record("a", rec(std::string(100000, 'x'), 1, true));
  EXPECT_LE(s.list("a", 1)["entries"][0]["sql"].get<std::string>().size(),
            query_history_store::max_sql_bytes + 4);
}

TEST(query_history, remove_and_clear) {
  query_history_store s(100);
  for (int i = 0; i < 4; ++i) {
    s.record("a", rec("q" + std::to_string(i), 1, true));
  }
  EXPECT_TRUE(s.remove("a", 1));  // q2
  auto l = s.list("a", 10);
  EXPECT_EQ(l["total"], 3);
  EXPECT_EQ(l["entries"][0]["sql"], "q3");
  EXPECT_EQ(l["entries"][1]["sql"], "q1");
  EXPECT_FALSE(s.remove("a", 3));
  EXPECT_FALSE(s.remove("zzz", 0));
  EXPECT_EQ(s.clear("a"), 3U);
  EXPECT_EQ(s.clear("a"), 0U);
  EXPECT_EQ(s.list("a", 10)["total"], 0);
}

TEST(query_history, stats) {
  query_history_store s(100);
  for (int i = 1; i <= 20; ++i) {
    s.record("a", rec("q", i, i % 5 != 0, i % 2 == 0 ? "query" : "db"));
  }
  auto st = s.stats("a");
  EXPECT_EQ(st["count"], 20);
  EXPECT_EQ(st["error_count"], 4);
  EXPECT_EQ(st["success_count"], 16);
  EXPECT_DOUBLE_EQ(st["avg_duration_ms"].get<double>(), 10.5);
  EXPECT_DOUBLE_EQ(st["max_duration_ms"].get<double>(), 20);
  EXPECT_DOUBLE_EQ(st["p50_duration_ms"].get<double>(), 10);
  EXPECT_DOUBLE_EQ(st["p95_duration_ms"].get<double>(), 19);
  EXPECT_EQ(st["by_source"]["db"]["count"], 10);
  EXPECT_EQ(st["by_source"]["query"]["count"], 10);
  EXPECT_EQ(st["by_source"]["query"]["errors"], 2);
  EXPECT_EQ(st["total_rows"], 40);
  auto empty = s.stats("none");
  EXPECT_EQ(empty["count"], 0);
  EXPECT_DOUBLE_EQ(empty["p95_duration_ms"].get<double>(), 0);
}

TEST(query_history, concurrent_records) {
  query_history_store s(100000);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&s] {
      for (int i = 0; i < 1000; ++i) {
        s.record("a", rec("q", 1, true));
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(s.list("a", 1)["total"], 8000);
  EXPECT_EQ(s.list("a", 1)["entries"][0]["id"], 8000);
}

}  // namespace
