// Directory mode's pure parts (ops/kv_dir.hpp) and its path rule (db/db_path.hpp).
#include "hoody/ops/kv_dir.hpp"

#include "hoody/core/error.hpp"
#include "hoody/db/db_path.hpp"

#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace {
namespace fs = std::filesystem;
using hoody::api_error;
using hoody::errc;
using hoody::db::path_policy;
using hoody::db::resolve_kv_directory;
using hoody::ops::content_type_for_file;
using hoody::ops::split_directory_key;

TEST(kv_dir, keys_split_into_components_and_never_leave_the_directory) {
  EXPECT_EQ(split_directory_key("a"), (std::vector<std::string>{"a"}));
  EXPECT_EQ(split_directory_key("a/b.c/d.json"), (std::vector<std::string>{"a", "b.c", "d.json"}));
  EXPECT_EQ(split_directory_key("a..b/.hidden"), (std::vector<std::string>{"a..b", ".hidden"}));
  for (const std::string& bad :
       std::vector<std::string>{"/etc/passwd", "..", "../x", "a/../../x", "a/./b", ".", "a//b",
                                "a/", "x/.hoody-tmp-1234", std::string(256, 'x'), ""}) {
    try {
      (void)split_directory_key(bad);
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const api_error& e) {
      EXPECT_EQ(e.code(), errc::bad_request) << bad;
    }
  }
}

TEST(kv_dir, content_type_follows_the_extension) {
  EXPECT_EQ(content_type_for_file("a/b.json"), "application/json");
  EXPECT_EQ(content_type_for_file("B.JSON"), "application/json");
  EXPECT_EQ(content_type_for_file("notes.txt"), "text/plain; charset=utf-8");
  EXPECT_EQ(content_type_for_file("x/readme.md"), "text/markdown; charset=utf-8");
  EXPECT_EQ(content_type_for_file("img.png"), "application/octet-stream");
  EXPECT_EQ(content_type_for_file("noext"), "application/octet-stream");
  EXPECT_EQ(content_type_for_file("dir.json/file"), "application/octet-stream");
  EXPECT_EQ(content_type_for_file(".json"), "application/octet-stream") << "a hidden file";
}

TEST(kv_dir, only_directories_enter_directory_mode) {
  hoody::test::temp_dir data;
  hoody::test::temp_dir outside;
  const path_policy policy{data.path(), false};
  fs::create_directories(data.path() / "tree" / "sub");
  std::ofstream(data.path() / "notes.db") << "";
  fs::create_directory(data.path() / "both");
  std::ofstream(data.path() / "both.db") << "";
  EXPECT_EQ(resolve_kv_directory((data.path() / "tree").string(), policy), data.path() / "tree");
  EXPECT_EQ(resolve_kv_directory((data.path() / "tree" / "sub").string() + "/", policy),
            data.path() / "tree" / "sub");
  EXPECT_FALSE(resolve_kv_directory((data.path() / "notes.db").string(), policy));
  EXPECT_FALSE(resolve_kv_directory((data.path() / "missing").string(), policy));
  EXPECT_FALSE(resolve_kv_directory("notes", policy));
  EXPECT_FALSE(resolve_kv_directory("both", policy)) << "both.db exists: a database name";
  EXPECT_FALSE(resolve_kv_directory("../x", policy));
  EXPECT_FALSE(resolve_kv_directory(data.path().string(), policy))
      << "the data directory itself: resolve_db_path refuses it";
  for (const std::string& rel : std::vector<std::string>{"tree", "tree/", "./tree", "tree/sub"}) {
    try {
      (void)resolve_kv_directory(rel, policy);
      ADD_FAILURE() << "accepted: " << rel;
    } catch (const api_error& e) {
      EXPECT_EQ(std::string(e.what()), "directory-mode: invalid path input: path must be absolute")
          << rel;
    }
  }
  for (const auto& dir :
       {outside.path(), data.path() / "tree" / ".." / ".." / outside.path().filename()}) {
    try {
      (void)resolve_kv_directory(dir.string(), policy);
      ADD_FAILURE() << "accepted: " << dir;
    } catch (const api_error& e) {
      EXPECT_EQ(e.code(), errc::invalid_db_path) << dir;
    }
  }
  fs::create_directory_symlink(outside.path(), data.path() / "out");
  EXPECT_THROW((void)resolve_kv_directory((data.path() / "out").string(), policy), api_error);
  const path_policy open{data.path(), true};
  EXPECT_EQ(resolve_kv_directory(outside.path().string(), open), outside.path());
  EXPECT_THROW((void)resolve_kv_directory(data.path().string(), open), api_error);
}

}  // namespace
