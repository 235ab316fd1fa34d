#include "hoody/db/db_path.hpp"

#include "hoody/core/error.hpp"

#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace {
namespace fs = std::filesystem;
using hoody::api_error;
using hoody::errc;
using hoody::db::path_policy;
using hoody::db::resolve_db_path;

class db_path : public ::testing::Test {
 protected:
  hoody::test::temp_dir dir;
  hoody::test::temp_dir outside;
  path_policy policy{dir.path(), false};

  errc error_of(std::string_view name, const path_policy& p) {
    try {
      (void)resolve_db_path(name, p);
    } catch (const api_error& e) {
      return e.code();
    }
    ADD_FAILURE() << "expected '" << name << "' to be rejected";
    return errc::internal;
  }
};

TEST_F(db_path, bare_name_gets_db_extension_in_data_dir) {
  EXPECT_EQ(resolve_db_path("notes", policy), dir.path() / "notes.db");
  EXPECT_EQ(resolve_db_path("./notes", policy), dir.path() / "notes.db");
  EXPECT_EQ(resolve_db_path("notes.sqlite", policy), dir.path() / "notes.sqlite");
  EXPECT_EQ(resolve_db_path("a..b", policy), dir.path() / "a..b");
}

TEST_F(db_path, rejects_what_the_spec_rejects) {
  struct row {
    const char* name;
    errc expected;
  };
  const row rows[] = {
      {"", errc::bad_request},
      {":memory:", errc::bad_request},
      {"file:x.db?mode=memory", errc::bad_request},
      {"/abs/x.db", errc::invalid_db_path},
      {"../x", errc::invalid_db_path},
      {"..", errc::invalid_db_path},
      {".", errc::invalid_db_path},
      {"./", errc::invalid_db_path},
      {"a/b", errc::invalid_db_path},
      {"a\\b", errc::invalid_db_path},
      {"./../x", errc::invalid_db_path},
      {"sub/../../x", errc::invalid_db_path},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(error_of(r.name, policy), r.expected) << r.name;
  }
  EXPECT_EQ(error_of(std::string_view("a\0b", 3), policy), errc::invalid_db_path);
  EXPECT_EQ(error_of(std::string(300, 'x'), policy), errc::invalid_db_path);
}

TEST_F(db_path, in_memory_message_is_the_spec_text) {
  try {
    (void)resolve_db_path(":memory:", policy);
    FAIL();
  } catch (const api_error& e) {
    EXPECT_STREQ(e.what(), "in-memory databases are not supported");
  }
}

TEST_F(db_path, absolute_paths_need_the_flag) {
  const path_policy open{dir.path(), true};
  const auto file = outside.path() / "x.db";
  EXPECT_EQ(error_of(file.string(), policy), errc::invalid_db_path);
  EXPECT_EQ(resolve_db_path(file.string(), open), file);
}

TEST_F(db_path, absolute_paths_inside_the_data_dir_need_no_flag) {
  EXPECT_EQ(resolve_db_path((dir.path() / "notes.db").string(), policy),
            resolve_db_path("notes", policy));
  EXPECT_EQ(resolve_db_path(dir.path().string() + "/./notes.db", policy), dir.path() / "notes.db");
  EXPECT_EQ(resolve_db_path(dir.path().string() + "//notes.db", policy), dir.path() / "notes.db");
  // Verbatim: no ".db" is appended to an absolute path.
  EXPECT_EQ(resolve_db_path((dir.path() / "notes").string(), policy), dir.path() / "notes");
  EXPECT_EQ(error_of((dir.path() / "nosub" / "x.db").string(), policy), errc::invalid_db_path);
  EXPECT_EQ(error_of((outside.path() / "nosub" / "x.db").string(), path_policy{dir.path(), true}),
            errc::invalid_db_path)
      << "also with the flag: a missing directory is a bad path, not a failed open";
  fs::create_directory(dir.path() / "sub");
  EXPECT_EQ(resolve_db_path((dir.path() / "sub" / "x.db").string(), policy),
            dir.path() / "sub" / "x.db");
}

TEST_F(db_path, absolute_paths_outside_the_data_dir_name_it_in_the_error) {
  const std::string expected =
      "absolute database paths outside " + dir.path().string() + " are disallowed";
  const std::string cases[] = {
      (outside.path() / "x.db").string(),
      dir.path().string() + "/../x.db",  // lexically outside
      dir.path().string(),               // the data directory itself
      dir.path().string() + "x/y.db",    // a sibling that shares the prefix
      dir.path().parent_path().string() + "/other.db",
  };
  for (const auto& name : cases) {
    try {
      (void)resolve_db_path(name, policy);
      ADD_FAILURE() << name << " accepted";
    } catch (const api_error& e) {
      EXPECT_EQ(e.code(), errc::invalid_db_path) << name;
      EXPECT_EQ(std::string(e.what()), expected) << name;
    }
  }
  // A symbolic link inside that leads out, named by its absolute path.
  std::ofstream(outside.path() / "target.db") << "";
  fs::create_symlink(outside.path() / "target.db", dir.path() / "escape.db");
  fs::create_symlink(outside.path(), dir.path() / "outdir");
  EXPECT_EQ(error_of((dir.path() / "escape.db").string(), policy), errc::invalid_db_path);
  EXPECT_EQ(error_of((dir.path() / "outdir" / "x.db").string(), policy), errc::invalid_db_path);
}

TEST_F(db_path, symlinks_out_of_the_data_dir_are_rejected) {
  std::ofstream(outside.path() / "target.db") << "";
  fs::create_symlink(outside.path() / "target.db", dir.path() / "escape.db");
  fs::create_symlink(outside.path() / "missing.db", dir.path() / "dangling.db");
  fs::create_symlink("../", dir.path() / "up.db");
  EXPECT_EQ(error_of("escape", policy), errc::invalid_db_path);
  EXPECT_EQ(error_of("dangling", policy), errc::invalid_db_path);
  EXPECT_EQ(error_of("up", policy), errc::invalid_db_path);
}

TEST_F(db_path, symlinks_inside_the_data_dir_resolve_to_their_target) {
  std::ofstream(dir.path() / "real.db") << "";
  fs::create_symlink(dir.path() / "real.db", dir.path() / "alias.db");
  EXPECT_EQ(resolve_db_path("alias", policy), dir.path() / "real.db");
}

}  // namespace
