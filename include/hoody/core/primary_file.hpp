// hoody/core/primary_file.hpp — --primary-file: whether this node is the primary (may write).
//
// With a path, the node is primary while that file exists (a lease watchdog creates and removes
// it: fencing, docs/scale-out.md); with none it is always primary. `is_primary` is lock-free and
// cheap enough for every request: the answer is cached and refreshed by one stat() at most every
// `refresh_ms` (the caller that finds it stale does the stat; the others read the cached value).
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>

namespace hoody {

class primary_file {
 public:
  static constexpr std::int64_t refresh_ms = 100;

  /// Stats `path` once (an empty path: always primary).
  explicit primary_file(const std::filesystem::path& path);

  [[nodiscard]] bool enabled() const noexcept { return !path_.empty(); }
  [[nodiscard]] bool is_primary() const noexcept;

 private:
  std::string path_;
  mutable std::atomic<bool> primary_{true};
  mutable std::atomic<std::int64_t> checked_ms_{0};  ///< steady ms of the last stat()
};

}  // namespace hoody
