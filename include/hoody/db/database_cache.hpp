// hoody/db/database_cache.hpp — canonical path → open `database`, bounded and LRU.
//
// `open` may be called from any thread (it takes an internal mutex) but opens SQLite files, so
// the dispatcher calls it from a pool thread, never from an I/O thread. At most `max_open`
// databases stay open; the least recently used idle one is closed (after draining its writes)
// when a new one is opened, and `evict_idle` closes those unused for longer than a limit.
#pragma once

#include "hoody/db/database.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace hoody::db {

struct cache_stats {
  std::size_t open = 0;
  std::size_t max_open = 0;
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t evictions = 0;
};

class database_cache {
 public:
  database_cache(executors& exec, database_options options, std::size_t max_open);
  database_cache(const database_cache&) = delete;
  database_cache& operator=(const database_cache&) = delete;
  ~database_cache();

  /// Returns the open database for `file` (canonical path), opening it if needed.
  /// `create`: create the file when missing. Missing without `create` → db_not_found.
  std::shared_ptr<database> open(const std::filesystem::path& file, bool create);
  /// The database for `file` if it is open, else null. Never touches the disk (I/O threads may
  /// call it).
  std::shared_ptr<database> find_open(const std::filesystem::path& file);

  /// Closes databases unused for at least `idle_ms`.
  void evict_idle(std::int64_t idle_ms);
  /// Closes every database (shutdown).
  void close_all();
  /// Snapshot of the open databases (for the TTL sweeper and metrics).
  [[nodiscard]] std::vector<std::shared_ptr<database>> snapshot() const;
  [[nodiscard]] cache_stats stats() const;
  [[nodiscard]] nlohmann::json stats_json() const;

 private:
  struct entry {
    std::shared_ptr<database> db;
    std::uint64_t last_use = 0;
  };

  executors& exec_;
  database_options options_;
  std::size_t max_open_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, entry> open_;
  std::uint64_t tick_ = 0;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
  std::uint64_t evictions_ = 0;
};

}  // namespace hoody::db
