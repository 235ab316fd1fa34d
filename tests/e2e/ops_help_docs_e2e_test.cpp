// docs/operations.md holds the --help text of the binary: the same flags, each with its
// environment twin (defaults of the thread flags follow the machine, so only flags and env
// names are compared), and every resource-bound flag is in the "Resource bounds" table.
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

namespace {

// flag → env twin ("" when the line has none), from --help formatted text.
std::map<std::string, std::string> flags_in(const std::string& text) {
  std::map<std::string, std::string> out;
  const std::regex line(R"(^\s+(--[a-z0-9-]+)[^\n]*?(\(Env:([A-Z0-9_]+)\))?\s*$)");
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    std::smatch m;
    if (std::regex_match(l, m, line) && m[1] != "--help" && m[1] != "--version") {
      out[m[1]] = m[3];
    }
  }
  return out;
}

std::string help_block_of_docs(std::string& whole) {
  std::ifstream in(std::string(HOODY_SOURCE_DIR) + "/docs/operations.md");
  std::stringstream ss;
  ss << in.rdbuf();
  whole = ss.str();
  const auto start = whole.find("```text\nhoody-sqlite:");
  const auto end = whole.find("```", start + 8);
  return start == std::string::npos ? std::string() : whole.substr(start, end - start);
}

TEST(ops_help_docs, operations_md_lists_every_flag_of_help_with_its_env_twin) {
  const std::string cmd = hoody::test::server_binary().string() + " --help 2>&1";
  std::string help;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), buf.size(), pipe) != nullptr) {
    help += buf.data();
  }
  ::pclose(pipe);
  std::string docs;
  const auto block = help_block_of_docs(docs);
  ASSERT_FALSE(block.empty()) << "docs/operations.md has no --help block";
  const auto from_binary = flags_in(help);
  const auto from_docs = flags_in(block);
  ASSERT_GT(from_binary.size(), 20U);
  EXPECT_EQ(from_docs, from_binary) << "regenerate the block with build/hoody-sqlite --help";
  for (const auto& [flag, env] : from_binary) {
    std::string expected = "HOODY_SQLITE_";
    for (const char ch : flag.substr(2)) {
      expected += ch == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    }
    EXPECT_EQ(env, expected) << flag << " lacks its environment twin";
  }
  for (const char* bound :
       {"--max-body-bytes", "--max-header-bytes", "--max-connections", "--read-timeout",
        "--idle-timeout", "--query-timeout-ms", "--busy-timeout-ms", "--max-open-dbs",
        "--db-slot-wait-ms", "--db-slot-waiters", "--max-buffered-response-bytes",
        "--read-cache-kib"}) {
    EXPECT_NE(docs.find(std::string("| `") + bound + "` |"), std::string::npos)
        << bound << " is missing from the resource bounds table of docs/operations.md";
  }
}

}  // namespace
