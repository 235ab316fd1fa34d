// docs/architecture.md states where every route runs (its `access` mode) in one table; this
// test keeps that table and the route table (src/handlers/routes.cpp) in step, and checks that
// every source file a header or doc names exists.
#include "hoody/handlers/routes.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace {
namespace fs = std::filesystem;

const fs::path source_dir = HOODY_SOURCE_DIR;

std::string read(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const char* mode_name(hoody::http::access mode) {
  switch (mode) {
  case hoody::http::access::none:
    return "none";
  case hoody::http::access::blocking:
    return "blocking";
  case hoody::http::access::read:
    return "read";
  case hoody::http::access::write:
    return "write";
  case hoody::http::access::read_then_write:
    return "read_then_write";
  case hoody::http::access::exclusive:
    return "exclusive";
  }
  return "?";
}

TEST(architecture_doc, the_access_table_matches_the_route_table) {
  hoody::http::router router;
  hoody::handlers::register_all_routes(router);
  std::map<std::string, std::string> code;  // "VERB pattern" → access mode
  for (const auto& r : router.routes()) {
    code[std::string(hoody::http::to_string(r.method)) + " " +
         hoody::http::public_pattern(r.pattern)] = mode_name(r.mode);
  }
  // Rows of the table: | `mode` | `VERB /pattern` |
  const std::string doc = read(source_dir / "docs" / "architecture.md");
  const std::regex row(R"(\| `([a-z_]+)` \| `([A-Z]+ [^`]+)` \|)");
  std::map<std::string, std::string> documented;
  for (std::sregex_iterator it(doc.begin(), doc.end(), row), end; it != end; ++it) {
    documented[(*it)[2].str()] = (*it)[1].str();
  }
  ASSERT_FALSE(documented.empty()) << "no access table in docs/architecture.md";
  for (const auto& [route, mode] : code) {
    const auto found = documented.find(route);
    if (found == documented.end()) {
      ADD_FAILURE() << "docs/architecture.md does not list " << route << " (" << mode << ")";
    } else {
      EXPECT_EQ(found->second, mode) << route;
    }
  }
  for (const auto& [route, mode] : documented) {
    EXPECT_TRUE(code.contains(route))
        << "docs/architecture.md lists " << route << ", which is not a route";
  }
}

TEST(architecture_doc, named_source_files_exist) {
  // Paths like src/http/server.cpp or `hoody/db/database.hpp` in headers and docs.
  // Also a layer-relative name (`http/response_render.cpp`): it must exist in src/ or include/.
  const std::regex named(
      R"((?:^|[\s`(])((?:src|include|tests|web|bench|cmake)/[A-Za-z0-9_./-]+\.(?:cpp|hpp|js|mjs|sh|cmake)|(?:hoody/)?(?:core|db|http|ops|handlers)/[a-z_]+\.(?:cpp|hpp))(?![A-Za-z0-9_]))");
  std::set<std::string> missing;
  auto scan = [&](const fs::path& file) {
    const std::string text = read(file);
    for (std::sregex_iterator it(text.begin(), text.end(), named), end; it != end; ++it) {
      std::string path = (*it)[1].str();
      bool exists = fs::exists(source_dir / path);
      if (path.rfind("hoody/", 0) == 0) {
        exists = fs::exists(source_dir / "include" / path);
      } else if (!exists && path.find('/') == path.rfind('/')) {  // layer-relative
        exists = fs::exists(source_dir / "src" / path) ||
                 fs::exists(source_dir / "include" / "hoody" / path);
      }
      if (!exists) {
        missing.insert(fs::relative(file, source_dir).string() + " names " + path);
      }
    }
  };
  for (const char* dir : {"include", "src"}) {
    for (const auto& entry : fs::recursive_directory_iterator(source_dir / dir)) {
      if (entry.is_regular_file()) {
        scan(entry.path());
      }
    }
  }
  for (const auto& entry : fs::directory_iterator(source_dir / "docs")) {
    if (entry.path().extension() == ".md") {
      scan(entry.path());
    }
  }
  for (const auto& m : missing) {
    ADD_FAILURE() << m;
  }
}

}  // namespace
