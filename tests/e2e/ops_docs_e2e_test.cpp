// Runs every curl example of docs/api.md, in document order, against the real binary: each must
// answer 2xx, or the status written after it (`# → 404`). Needs curl and /bin/sh.
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>

namespace {

using hoody::test::server_process;

struct example {
  int line = 0;
  std::string command;
  int expected = 0;  ///< 0: any 2xx
};

std::vector<example> curl_examples(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::vector<example> out;
  bool in_sh = false;
  std::string pending;
  int pending_line = 0;
  int number = 0;
  const std::regex status_comment(R"(\s+#\s*→\s*(\d{3})\s*$)");
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.rfind("```", 0) == 0) {
      in_sh = !in_sh && line == "```sh";
      continue;
    }
    if (!in_sh) {
      continue;
    }
    if (pending.empty()) {
      if (line.rfind("curl ", 0) != 0) {
        continue;
      }
      pending_line = number;
    }
    if (!line.empty() && line.back() == '\\') {
      pending += line.substr(0, line.size() - 1) + " ";
      continue;
    }
    pending += line;
    example ex;
    ex.line = pending_line;
    std::smatch m;
    if (std::regex_search(pending, m, status_comment)) {
      ex.expected = std::stoi(m[1].str());
      pending = pending.substr(0, static_cast<std::size_t>(m.position(0)));
    }
    ex.command = pending;
    out.push_back(ex);
    pending.clear();
  }
  return out;
}

int run_status(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return -1;
  }
  std::string output;
  std::array<char, 256> buffer{};
  while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) {
    output += buffer.data();
  }
  ::pclose(pipe);
  try {
    return std::stoi(output);
  } catch (...) {
    return -1;
  }
}

TEST(ops_docs_e2e, every_curl_example_in_docs_api_md_runs) {
  if (std::system("curl --version >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "curl is not installed";
  }
  const auto doc = std::filesystem::path(HOODY_SOURCE_DIR) / "docs" / "api.md";
  const auto examples = curl_examples(doc);
  ASSERT_GE(examples.size(), 40U) << "examples not found in " << doc;
  server_process srv;
  const std::string host = "127.0.0.1:" + std::to_string(srv.port());
  for (const auto& ex : examples) {
    std::string cmd = std::regex_replace(ex.command, std::regex("localhost:8080"), host);
    cmd = "curl -s -o /dev/null -w '%{http_code}' " + cmd.substr(5);
    const int status = run_status(cmd);
    if (ex.expected != 0) {
      EXPECT_EQ(status, ex.expected) << "docs/api.md:" << ex.line << ": " << ex.command;
    } else {
      EXPECT_TRUE(status >= 200 && status < 300)
          << "docs/api.md:" << ex.line << " answered " << status << ": " << ex.command;
    }
  }
}

}  // namespace
