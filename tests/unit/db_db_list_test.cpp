// db::list_databases on a real directory: which names it gives (bare when that opens the very
// file, else absolute), the SQLite header check, and its bounds (limit, scan limit, depth).
#include "hoody/db/db_list.hpp"

#include "support/server_process.hpp"  // temp_dir

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using hoody::db::list_databases;
using hoody::db::listing_limits;
using hoody::db::path_policy;

void sqlite_like(const fs::path& file) {
  std::string bytes("SQLite format 3\0", 16);
  bytes.append(100, '\0');
  std::ofstream(file, std::ios::binary) << bytes;
}

std::vector<std::string> names(const hoody::db::database_listing& l) {
  std::vector<std::string> out;
  for (const auto& d : l.databases) {
    out.push_back(d.name);
  }
  return out;
}

TEST(db_list, sqlite_header) {
  EXPECT_TRUE(hoody::db::is_sqlite_header(std::string("SQLite format 3\0xyz", 19)));
  EXPECT_FALSE(hoody::db::is_sqlite_header("SQLite format 3"));  // 15 bytes, no NUL
  EXPECT_FALSE(hoody::db::is_sqlite_header(std::string("SQLite format 4\0", 16)));
  EXPECT_FALSE(hoody::db::is_sqlite_header(""));
}

TEST(db_list, names_are_what_db_takes) {
  hoody::test::temp_dir dir;
  const fs::path root = fs::canonical(dir.path());
  for (const char* f : {"a.db", "b.sqlite", "x.db.db", "noext", "dot.", ".db"}) {
    sqlite_like(root / f);
  }
  std::ofstream(root / "text.db") << "SQLite format 3 but no NUL byte after it";
  const auto l = list_databases(path_policy{root, false}, {});
  // a.db → "a"; b.sqlite, "dot." (its extension is ".") and x.db.db by their file names
  // ("x.db" would open x.db); a file without an extension, which a bare name cannot reach (it
  // would get ".db"), by its absolute path; .db is hidden.
  EXPECT_EQ(names(l), (std::vector<std::string>{"a", "b.sqlite", "dot.", (root / "noext").string(),
                                                "x.db.db"}));
  EXPECT_FALSE(l.truncated);
  for (const auto& d : l.databases) {
    EXPECT_EQ(d.size_bytes, 116U) << d.name;
  }
}

TEST(db_list, bounded_by_limit_scan_limit_and_depth) {
  hoody::test::temp_dir dir;
  const fs::path root = fs::canonical(dir.path());
  for (int i = 0; i < 5; ++i) {
    sqlite_like(root / ("db" + std::to_string(i) + ".db"));
  }
  fs::create_directories(root / "d1" / "d2");
  sqlite_like(root / "d1" / "one.db");
  sqlite_like(root / "d1" / "d2" / "two.db");
  listing_limits limits;
  EXPECT_EQ(list_databases({root, false}, limits).databases.size(), 7U);
  limits.limit = 5;
  auto l = list_databases({root, false}, limits);
  EXPECT_EQ(l.databases.size(), 5U);
  EXPECT_TRUE(l.truncated);
  limits.limit = 7;
  EXPECT_FALSE(list_databases({root, false}, limits).truncated);
  limits.max_depth = 1;  // d1/d2 is not entered
  l = list_databases({root, false}, limits);
  EXPECT_EQ(l.databases.size(), 6U);
  EXPECT_FALSE(l.truncated);
  limits.max_depth = 0;
  EXPECT_EQ(list_databases({root, false}, limits).databases.size(), 5U);
  limits = {};
  limits.scan_limit = 3;  // stops visiting: says so
  l = list_databases({root, false}, limits);
  EXPECT_LE(l.databases.size(), 3U);
  EXPECT_TRUE(l.truncated);
  // A filter (a scoped token) hides names without counting them toward the limit.
  limits = {};
  limits.limit = 2;
  l = list_databases({root, false}, limits,
                     [](std::string_view name) { return name == "db3" || name == "db4"; });
  EXPECT_EQ(names(l), (std::vector<std::string>{"db3", "db4"}));
  EXPECT_FALSE(l.truncated);
}

}  // namespace
