#include "hoody/core/primary_file.hpp"

#include "hoody/core/clock.hpp"

#include <sys/stat.h>

namespace hoody {
namespace {

bool file_exists(const std::string& path) noexcept {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

primary_file::primary_file(const std::filesystem::path& path) : path_(path.string()) {
  if (enabled()) {
    primary_.store(file_exists(path_));
    checked_ms_.store(steady_now_ms());
  }
}

bool primary_file::is_primary() const noexcept {
  if (!enabled()) {
    return true;
  }
  const std::int64_t now = steady_now_ms();
  std::int64_t last = checked_ms_.load(std::memory_order_relaxed);
  if (now - last >= refresh_ms &&
      checked_ms_.compare_exchange_strong(last, now, std::memory_order_relaxed)) {
    primary_.store(file_exists(path_), std::memory_order_relaxed);
  }
  return primary_.load(std::memory_order_relaxed);
}

}  // namespace hoody
