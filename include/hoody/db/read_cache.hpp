// hoody/db/read_cache.hpp — answers to hot point reads, kept in memory per database and valid
// only while the database has not changed.
//
// Validity: every entry is tagged with the database's `data_version` read BEFORE the read job
// that produced it started its transaction. A lookup hits only when the current version is the
// same, i.e. no transaction committed since then — by this server's writer, by SQL, or by any
// other process. The version is SQLite's WAL-index header (the `-shm` file: change counter,
// last frame, salts), read with one pread and checked the way SQLite checks it (both header
// copies equal, initialised). No SQLite call is made, so lookups may run on an I/O thread.
// Unknown version (no -shm yet, not WAL, torn read) → no hit and no store.
//
// Entries may also carry an expiry (KV TTL); an expired entry never hits. The cache is bounded
// by bytes (first in, first out); a budget of 0 disables it.
// Thread-safety: every member function may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace hoody::db {

/// A snapshot of the WAL-index header fields that change with every commit.
struct data_version {
  std::uint32_t change = 0;             ///< iChange: incremented by every transaction
  std::uint32_t max_frame = 0;          ///< mxFrame: last valid frame in the WAL
  std::array<std::uint32_t, 2> salt{};  ///< change when the WAL restarts
  friend bool operator==(const data_version&, const data_version&) = default;
};

/// Reads the WAL-index header of `<db>-shm`. Returns nullopt when it cannot be read
/// consistently. `header` is the first 96 bytes of the file (two 48-byte copies).
[[nodiscard]] std::optional<data_version> parse_wal_index_header(
    const std::array<unsigned char, 96>& header) noexcept;

/// Process-wide read cache counters (for /metrics).
struct read_cache_totals {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;  ///< cacheable lookups that went to SQLite
  std::uint64_t stores = 0;
};
[[nodiscard]] read_cache_totals global_read_cache_totals() noexcept;

class read_cache {
 public:
  struct value {
    std::string body;
    std::string content_type;
    std::optional<std::int64_t> expires_at_ms;  ///< Unix ms; the entry never hits at/after it
  };

  /// `database_file`: its `<file>-shm` is probed. `budget_bytes` 0 disables the cache.
  read_cache(std::filesystem::path database_file, std::size_t budget_bytes);
  read_cache(const read_cache&) = delete;
  read_cache& operator=(const read_cache&) = delete;
  ~read_cache();

  [[nodiscard]] bool enabled() const noexcept { return budget_ > 0; }
  /// The current data version, or nullopt when unknown (then nothing may be cached).
  [[nodiscard]] std::optional<data_version> version() const;
  /// The value stored under `key` at `at`, if not expired at `now_ms`.
  [[nodiscard]] std::optional<value> find(const std::string& key, const data_version& at,
                                          std::int64_t now_ms) const;
  /// Stores `v` as the state at version `at` (read before the producing transaction began).
  void store(const std::string& key, const data_version& at, value v);
  /// Counts a cacheable lookup that had to go to SQLite.
  static void count_miss() noexcept;

 private:
  struct entry {
    value v;
    data_version at;
  };
  [[nodiscard]] int shm_fd() const;

  std::filesystem::path shm_path_;
  std::size_t budget_;
  mutable std::mutex fd_mutex_;                    ///< guards opening only
  mutable std::atomic<int> fd_{-1};                ///< set once, closed by the destructor
  mutable std::int64_t last_open_attempt_ms_ = 0;  ///< steady ms; retries at most every 100 ms

  mutable std::mutex mutex_;
  std::unordered_map<std::string, entry> entries_;
  std::deque<std::string> order_;  ///< insertion order, for eviction
  std::size_t bytes_ = 0;
};

}  // namespace hoody::db
