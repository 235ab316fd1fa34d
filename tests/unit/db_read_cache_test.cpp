// The read cache: WAL-index header parsing, validity against real commits (this connection,
// another connection), expiry, the byte budget.
#include "hoody/db/read_cache.hpp"

#include "support/temp_db.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstring>

namespace {
using hoody::db::data_version;
using hoody::db::parse_wal_index_header;
using hoody::db::read_cache;

std::array<unsigned char, 96> header_with(std::uint32_t change, std::uint32_t max_frame) {
  std::array<unsigned char, 96> h{};
  const std::uint32_t version = 3007000;
  for (std::size_t copy = 0; copy < 2; ++copy) {
    unsigned char* base = h.data() + copy * 48;
    std::memcpy(base + 0, &version, 4);
    std::memcpy(base + 8, &change, 4);
    base[12] = 1;  // isInit
    std::memcpy(base + 16, &max_frame, 4);
  }
  return h;
}

TEST(read_cache_header, parses_a_consistent_initialised_header) {
  const auto v = parse_wal_index_header(header_with(7, 42));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->change, 7U);
  EXPECT_EQ(v->max_frame, 42U);
}

TEST(read_cache_header, refuses_torn_uninitialised_and_unknown_headers) {
  auto torn = header_with(7, 42);
  torn[8] = 8;  // the first copy was rewritten, the second not yet
  EXPECT_FALSE(parse_wal_index_header(torn));
  auto uninit = header_with(7, 42);
  uninit[12] = 0;
  uninit[48 + 12] = 0;
  EXPECT_FALSE(parse_wal_index_header(uninit));
  std::array<unsigned char, 96> zeros{};
  EXPECT_FALSE(parse_wal_index_header(zeros));
}

class read_cache_test : public ::testing::Test {
 protected:
  hoody::test::temp_db db;
  read_cache cache{db.file(), 64 * 1024};

  void SetUp() override { db.writer().exec("CREATE TABLE t (x)"); }

  data_version now() {
    const auto v = cache.version();
    EXPECT_TRUE(v) << "the -shm header should be readable";
    return v.value_or(data_version{});
  }
};

TEST_F(read_cache_test, version_changes_with_every_commit_of_any_connection) {
  const auto v1 = now();
  EXPECT_EQ(now(), v1) << "no commit, same version";
  db.writer().exec("INSERT INTO t VALUES (1)");
  const auto v2 = now();
  EXPECT_NE(v2, v1);
  // Another connection (as another process would) commits: the version moves too.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(db.file().c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "INSERT INTO t VALUES (2)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  EXPECT_NE(now(), v2);
  // A read does not.
  const auto v3 = now();
  db.reader().exec("SELECT count(*) FROM t");
  EXPECT_EQ(now(), v3);
}

TEST_F(read_cache_test, hits_only_at_the_stored_version_and_before_expiry) {
  const auto v1 = now();
  cache.store("k", v1, {"body", "text/plain", std::nullopt});
  auto hit = cache.find("k", v1, 0);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->body, "body");
  EXPECT_EQ(hit->content_type, "text/plain");
  EXPECT_FALSE(cache.find("other", v1, 0));

  db.writer().exec("INSERT INTO t VALUES (1)");
  EXPECT_FALSE(cache.find("k", now(), 0)) << "a commit invalidates every entry";

  const auto v2 = now();
  cache.store("ttl", v2, {"soon gone", "text/plain", 1000});
  EXPECT_TRUE(cache.find("ttl", v2, 999));
  EXPECT_FALSE(cache.find("ttl", v2, 1000));
}

TEST_F(read_cache_test, stays_within_its_budget_first_in_first_out) {
  read_cache small(db.file(), 4096);
  const auto v = now();
  for (int i = 0; i < 100; ++i) {
    small.store("key" + std::to_string(i), v, {std::string(100, 'x'), "text/plain", {}});
  }
  EXPECT_FALSE(small.find("key0", v, 0)) << "the oldest entries were evicted";
  EXPECT_TRUE(small.find("key99", v, 0));
  int kept = 0;
  for (int i = 0; i < 100; ++i) {
    kept += small.find("key" + std::to_string(i), v, 0) ? 1 : 0;
  }
  EXPECT_GT(kept, 5);
  EXPECT_LT(kept, 4096 / 100);
  small.store("huge", v, {std::string(5000, 'x'), "text/plain", {}});
  EXPECT_FALSE(small.find("huge", v, 0)) << "larger than the whole budget: not stored";
}

TEST_F(read_cache_test, a_zero_budget_disables_the_cache) {
  read_cache off(db.file(), 0);
  EXPECT_FALSE(off.enabled());
  EXPECT_FALSE(off.version());
  const auto v = now();
  off.store("k", v, {"b", "text/plain", {}});
  EXPECT_FALSE(off.find("k", v, 0));
}

TEST(read_cache_missing, no_shm_file_means_no_version) {
  hoody::test::temp_dir dir;
  read_cache cache(dir.path() / "absent.db", 4096);
  EXPECT_FALSE(cache.version());
}

}  // namespace
