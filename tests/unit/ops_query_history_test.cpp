// Unit tests for the query history (hoody/ops/query_history.hpp): the `_query_history` table
// and the in-memory stand-in for databases the server cannot write.
#include "hoody/ops/query_history.hpp"

#include "support/temp_db.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace {

using hoody::ops::memory_query_history;
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

TEST(query_history, memory_list_newest_first_with_limit) {
  memory_query_history s(100);
  for (int i = 0; i < 5; ++i) {
    s.record("a", rec("q" + std::to_string(i), i, true));
  }
  s.record("b", rec("other", 1, true));
  const auto l = s.list("a", 3);
  ASSERT_EQ(l.entries.size(), 3U);
  EXPECT_EQ(l.total, 5);
  EXPECT_EQ(l.entries[0].rec.sql, "q4");
  EXPECT_EQ(l.entries[0].id, 5);
  EXPECT_EQ(l.entries[2].rec.sql, "q2");
  EXPECT_FALSE(l.entries[0].rec.error);
  EXPECT_EQ(s.list("missing", 10).total, 0);
}

TEST(query_history, memory_cap_drops_oldest) {
  memory_query_history s(3);
  for (int i = 0; i < 10; ++i) {
    s.record("a", rec("q" + std::to_string(i), 1, true));
  }
  const auto l = s.list("a", 100);
  EXPECT_EQ(l.total, 3);
  EXPECT_EQ(l.entries[2].rec.sql, "q7");
}

TEST(query_history, long_sql_is_cut_on_a_utf8_boundary) {
  std::string sql(hoody::ops::max_history_sql_bytes - 1, 'x');
  sql += "é and more";  // the cut falls inside "é"
  const std::string cut = hoody::ops::clip_history_sql(sql);
  EXPECT_EQ(cut, std::string(hoody::ops::max_history_sql_bytes - 1, 'x') + "…");
  EXPECT_EQ(hoody::ops::clip_history_sql("short"), "short");
}

TEST(query_history, memory_remove_by_id_and_clear) {
  memory_query_history s(100);
  for (int i = 0; i < 4; ++i) {
    s.record("a", rec("q" + std::to_string(i), 1, true));  // ids 1..4
  }
  EXPECT_TRUE(s.remove("a", 2));  // q1, by id
  const auto l = s.list("a", 10);
  EXPECT_EQ(l.total, 3);
  EXPECT_EQ(l.entries[0].rec.sql, "q3");
  EXPECT_EQ(l.entries[1].rec.sql, "q2");
  EXPECT_EQ(l.entries[2].rec.sql, "q0");
  EXPECT_FALSE(s.remove("a", 2));  // gone
  EXPECT_FALSE(s.remove("a", 99));
  EXPECT_FALSE(s.remove("zzz", 1));
  EXPECT_EQ(s.clear("a"), 3);
  EXPECT_EQ(s.clear("a"), 0);
  EXPECT_EQ(s.list("a", 10).total, 0);
}

TEST(query_history, summary) {
  std::vector<hoody::ops::query_history_entry> entries;
  for (int i = 1; i <= 20; ++i) {
    entries.push_back({i, rec("q", i, i % 5 != 0, i % 2 == 0 ? "query" : "db")});
  }
  const auto st = hoody::ops::summarize(entries);
  EXPECT_EQ(st.count, 20);
  EXPECT_EQ(st.error_count, 4);
  EXPECT_EQ(st.success_count, 16);
  EXPECT_DOUBLE_EQ(st.avg_duration_ms, 10.5);
  EXPECT_DOUBLE_EQ(st.max_duration_ms, 20);
  EXPECT_DOUBLE_EQ(st.p50_duration_ms, 10);
  EXPECT_DOUBLE_EQ(st.p95_duration_ms, 19);
  EXPECT_EQ(st.db.count, 10);
  EXPECT_EQ(st.query.count, 10);
  EXPECT_EQ(st.query.errors, 2);
  EXPECT_EQ(st.total_rows, 40);
  const auto empty = hoody::ops::summarize({});
  EXPECT_EQ(empty.count, 0);
  EXPECT_DOUBLE_EQ(empty.p95_duration_ms, 0);
  EXPECT_FALSE(empty.oldest_timestamp_ms);
}

TEST(query_history, memory_concurrent_records) {
  memory_query_history s(100000);
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
  EXPECT_EQ(s.list("a", 1).total, 8000);
  EXPECT_EQ(s.list("a", 1).entries[0].id, 8000);
}

TEST(query_history, table_append_list_delete_clear) {
  hoody::test::temp_db db;
  auto& conn = db.writer();
  EXPECT_EQ(hoody::ops::list_query_history(conn, 10).total, 0);  // no table yet
  EXPECT_FALSE(hoody::ops::delete_query_history_entry(conn, 1));
  for (int i = 0; i < 5; ++i) {
    hoody::ops::append_query_history(conn, {rec("q" + std::to_string(i), i, i != 3)}, 100);
  }
  auto page = hoody::ops::list_query_history(conn, 2);
  ASSERT_EQ(page.entries.size(), 2U);
  EXPECT_EQ(page.total, 5);
  EXPECT_EQ(page.entries[0].id, 5);
  EXPECT_EQ(page.entries[0].rec.sql, "q4");
  EXPECT_EQ(page.entries[1].rec.error.value_or(""), "boom");
  EXPECT_TRUE(hoody::ops::delete_query_history_entry(conn, 4));
  EXPECT_FALSE(hoody::ops::delete_query_history_entry(conn, 4));
  // Ids are never reused (AUTOINCREMENT): the next entry is 6, not 5 or 4.
  hoody::ops::delete_query_history_entry(conn, 5);
  hoody::ops::append_query_history(conn, {rec("next", 1, true)}, 100);
  EXPECT_EQ(hoody::ops::list_query_history(conn, 1).entries[0].id, 6);
  EXPECT_EQ(hoody::ops::summarize_query_history(conn).count, 4);
  EXPECT_EQ(hoody::ops::clear_query_history(conn), 4);
  EXPECT_EQ(hoody::ops::list_query_history(conn, 10).total, 0);
}

TEST(query_history, staged_entries_are_bounded_by_the_cap_and_taken_once) {
  memory_query_history s(3);
  EXPECT_TRUE(s.stage("a", rec("q0", 1, true)));  // first: the caller arranges a flush
  for (int i = 1; i < 10; ++i) {
    EXPECT_FALSE(s.stage("a", rec("q" + std::to_string(i), 1, true)));
  }
  const auto staged = s.take_staged("a");
  ASSERT_EQ(staged.size(), 3U);  // older ones would be trimmed by the table's cap anyway
  EXPECT_EQ(staged.front().sql, "q7");
  EXPECT_EQ(staged.back().sql, "q9");
  EXPECT_TRUE(s.take_staged("a").empty());
  EXPECT_TRUE(s.stage("a", rec("again", 1, true)));
  EXPECT_EQ(s.list("a", 10).total, 0);  // staged entries are not the in-memory history
}

TEST(query_history, table_keeps_the_newest_cap_entries) {
  hoody::test::temp_db db;
  auto& conn = db.writer();
  for (int i = 0; i < 50; ++i) {
    hoody::ops::append_query_history(conn, {rec("q" + std::to_string(i), 1, true)}, 10);
  }
  const auto page = hoody::ops::list_query_history(conn, 100);
  EXPECT_EQ(page.total, 10);
  EXPECT_EQ(page.entries.back().rec.sql, "q40");
  EXPECT_EQ(page.entries.front().rec.sql, "q49");
}

TEST(query_history, table_recreated_after_a_user_drops_it) {
  hoody::test::temp_db db;
  auto& conn = db.writer();
  hoody::ops::append_query_history(conn, {rec("a", 1, true)}, 10);
  conn.exec("DROP TABLE _query_history");
  conn.forget_schema();  // what the server does after user SQL wrote
  hoody::ops::append_query_history(conn, {rec("b", 1, true)}, 10);
  EXPECT_EQ(hoody::ops::list_query_history(conn, 10).total, 1);
}

}  // namespace
