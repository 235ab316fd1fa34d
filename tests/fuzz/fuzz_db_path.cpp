// libFuzzer: db path resolution. Whatever the name, the result is refused (api_error) or a
// file inside the data directory or one of its subdirectories (with
// --allow-any-absolute-db-path off).
#include "hoody/core/error.hpp"
#include "hoody/db/db_path.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string_view>

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const fs::path data_dir = [] {
    const auto dir = fs::temp_directory_path() / "hoody-fuzz-db-path";
    fs::create_directories(dir);
    return fs::canonical(dir);
  }();
  const std::string_view name(reinterpret_cast<const char*>(data), size);
  try {
    const auto file = hoody::db::resolve_db_path(name, hoody::db::path_policy{data_dir, false});
    const auto rel = file.lexically_relative(data_dir);
    if (rel.empty() || rel == "." || *rel.begin() == ".." || file.filename().empty()) {
      std::abort();  // escaped the data directory
    }
  } catch (const hoody::api_error&) {
  }
  return 0;
}
