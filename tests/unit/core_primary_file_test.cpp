// core/primary_file: the cached answer to "does --primary-file exist" follows the file within
// one refresh interval; no path means always primary.
#include "hoody/core/primary_file.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace {
namespace fs = std::filesystem;

void wait_past_refresh() {
  std::this_thread::sleep_for(std::chrono::milliseconds(hoody::primary_file::refresh_ms + 50));
}

TEST(primary_file, no_path_is_always_primary) {
  const hoody::primary_file gate{fs::path{}};
  EXPECT_FALSE(gate.enabled());
  EXPECT_TRUE(gate.is_primary());
}

TEST(primary_file, follows_the_file_within_the_refresh_interval) {
  const fs::path file = fs::temp_directory_path() / ("hoody-primary-" + std::to_string(::getpid()));
  fs::remove(file);
  const hoody::primary_file gate{file};
  EXPECT_TRUE(gate.enabled());
  EXPECT_FALSE(gate.is_primary());  // missing at start: standby
  std::ofstream(file) << "lease\n";
  wait_past_refresh();
  EXPECT_TRUE(gate.is_primary());
  fs::remove(file);
  wait_past_refresh();
  EXPECT_FALSE(gate.is_primary());
}

}  // namespace
