#include "hoody/db/read_cache.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

namespace hoody::db {
namespace {

// Layout of one WAL-index header copy (sqlite.org/walformat.html, native byte order).
constexpr std::size_t header_size = 48;
constexpr std::uint32_t wal_index_version = 3007000;
constexpr std::size_t off_version = 0;
constexpr std::size_t off_change = 8;
constexpr std::size_t off_is_init = 12;
constexpr std::size_t off_max_frame = 16;
constexpr std::size_t off_salt = 32;

// Values larger than this are not worth a cache slot (and would evict many small ones).
constexpr std::size_t max_value_bytes = std::size_t{64} * 1024;
// Fixed overhead per entry counted against the budget (map node, key copy in `order_`).
constexpr std::size_t entry_overhead = 128;

std::uint32_t u32_at(const unsigned char* base, std::size_t offset) noexcept {
  std::uint32_t v = 0;
  std::memcpy(&v, base + offset, sizeof v);
  return v;
}

// Bytes an entry counts against the budget (the key is held twice: map and `order_`).
std::size_t cost(const std::string& key, const read_cache::value& v) noexcept {
  return key.size() * 2 + v.body.size() + v.content_type.size() + entry_overhead;
}

std::int64_t steady_ms() noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct counters {
  std::atomic<std::uint64_t> hits{0};
  std::atomic<std::uint64_t> misses{0};
  std::atomic<std::uint64_t> stores{0};
};
counters g_counters;  // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)

}  // namespace

std::optional<data_version> parse_wal_index_header(
    const std::array<unsigned char, 96>& header) noexcept {
  // SQLite writes the second copy first and the first copy last; a reader that finds both equal
  // has seen a complete header (the same check as walIndexTryHdr).
  if (std::memcmp(header.data(), header.data() + header_size, header_size) != 0) {
    return std::nullopt;
  }
  const unsigned char* h = header.data();
  if (u32_at(h, off_version) != wal_index_version || h[off_is_init] == 0) {
    return std::nullopt;
  }
  data_version v;
  v.change = u32_at(h, off_change);
  v.max_frame = u32_at(h, off_max_frame);
  v.salt = {u32_at(h, off_salt), u32_at(h, off_salt + 4)};
  return v;
}

read_cache_totals global_read_cache_totals() noexcept {
  return {g_counters.hits.load(std::memory_order_relaxed),
          g_counters.misses.load(std::memory_order_relaxed),
          g_counters.stores.load(std::memory_order_relaxed)};
}

read_cache::read_cache(std::filesystem::path database_file, std::size_t budget_bytes)
    : shm_path_(database_file += "-shm"), budget_(budget_bytes) {}

read_cache::~read_cache() {
  if (const int fd = fd_.load(); fd >= 0) {
    ::close(fd);
  }
}

int read_cache::shm_fd() const {
  int fd = fd_.load(std::memory_order_acquire);
  if (fd >= 0) {
    return fd;
  }
  std::lock_guard lock(fd_mutex_);
  fd = fd_.load(std::memory_order_relaxed);
  if (fd >= 0) {
    return fd;
  }
  // The -shm file appears with the database's first WAL transaction; until then try again
  // now and then rather than on every request.
  const std::int64_t now = steady_ms();
  if (now - last_open_attempt_ms_ < 100 && last_open_attempt_ms_ != 0) {
    return -1;
  }
  last_open_attempt_ms_ = now;
  fd =
      ::open(shm_path_.c_str(), O_RDONLY | O_CLOEXEC);  // NOLINT(cppcoreguidelines-pro-type-vararg)
  if (fd >= 0) {
    fd_.store(fd, std::memory_order_release);
  }
  return fd;
}

std::optional<data_version> read_cache::version() const {
  if (!enabled()) {
    return std::nullopt;
  }
  const int fd = shm_fd();
  if (fd < 0) {
    return std::nullopt;
  }
  std::array<unsigned char, 96> header{};
  if (::pread(fd, header.data(), header.size(), 0) != static_cast<ssize_t>(header.size())) {
    return std::nullopt;
  }
  return parse_wal_index_header(header);
}

std::optional<read_cache::value> read_cache::find(const std::string& key, const data_version& at,
                                                  std::int64_t now_ms) const {
  {
    std::lock_guard lock(mutex_);
    const auto found = entries_.find(key);
    if (found != entries_.end() && found->second.at == at &&
        (!found->second.v.expires_at_ms || now_ms < *found->second.v.expires_at_ms)) {
      g_counters.hits.fetch_add(1, std::memory_order_relaxed);
      return found->second.v;
    }
  }
  count_miss();
  return std::nullopt;
}

void read_cache::count_miss() noexcept {
  g_counters.misses.fetch_add(1, std::memory_order_relaxed);
}

void read_cache::store(const std::string& key, const data_version& at, value v) {
  const std::size_t size = cost(key, v);
  if (!enabled() || v.body.size() > max_value_bytes || size > budget_) {
    return;
  }
  g_counters.stores.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(mutex_);
  auto [it, inserted] = entries_.try_emplace(key);
  if (inserted) {
    order_.push_back(key);
  } else {
    bytes_ -= cost(key, it->second.v);
  }
  it->second = entry{std::move(v), at};
  bytes_ += size;
  while (bytes_ > budget_ && !order_.empty()) {
    const auto victim = entries_.find(order_.front());
    order_.pop_front();
    if (victim == entries_.end()) {
      continue;  // cannot happen: `order_` and `entries_` hold the same keys
    }
    bytes_ -= cost(victim->first, victim->second.v);
    entries_.erase(victim);
  }
}

}  // namespace hoody::db
