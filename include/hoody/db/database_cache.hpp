// hoody/db/database_cache.hpp — canonical path → open `database`, bounded and LRU.
//
// `open` may be called from any thread (it takes an internal mutex) but opens SQLite files, so
// the dispatcher calls it from a pool thread, never from an I/O thread. At most `max_open`
// databases stay open; the least recently used idle one is closed (after draining its writes)
// when a new one is opened, and `evict_idle` closes those unused for longer than a limit.
#pragma once

#include "hoody/db/database.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
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

/// Thrown by database_cache::open when `max_open` databases are open and every one of them is in
/// use: the caller waits for a slot (wait_for_slot) instead of failing.
class no_free_slot : public api_error {
 public:
  no_free_slot()
      : api_error(errc::unavailable, "every open database is in use (--max-open-dbs); retry") {}
};

class database_cache {
 public:
  database_cache(executors& exec, database_options options, std::size_t max_open,
                 std::size_t max_slot_waiters = 1000);
  database_cache(const database_cache&) = delete;
  database_cache& operator=(const database_cache&) = delete;
  ~database_cache();

  /// Returns the open database for `file` (canonical path), opening it if needed.
  /// `create`: create the file when missing. Missing without `create` → db_not_found.
  /// An open database whose file was deleted or replaced (database::file_replaced) is closed
  /// first and the path opened afresh.
  std::shared_ptr<database> open(const std::filesystem::path& file, bool create);
  /// The database for `file` if it is open, else null. Never touches the disk (I/O threads may
  /// call it).
  std::shared_ptr<database> find_open(const std::filesystem::path& file);

  /// Calls `resume(true)` on a blocking-pool thread as soon as a slot may be free (a database
  /// can be opened or an idle one closed), or `resume(false)` at `deadline`, when more than
  /// `max_slot_waiters` already wait, or at close_all. First come, first resumed.
  void wait_for_slot(std::chrono::steady_clock::time_point deadline,
                     std::function<void(bool)> resume);
  /// Requests waiting for a slot right now.
  [[nodiscard]] std::size_t slot_waiters() const;

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

  struct slot_waiter {
    std::chrono::steady_clock::time_point deadline;
    std::function<void(bool)> resume;
  };
  [[nodiscard]] std::size_t free_slots_locked() const;
  void run_slot_waiters();

  executors& exec_;
  database_options options_;
  std::size_t max_open_;
  std::size_t max_slot_waiters_;
  mutable std::mutex mutex_;
  std::deque<slot_waiter> waiters_;  ///< guarded by mutex_
  std::condition_variable waiters_cv_;
  bool stopping_ = false;      ///< guarded by mutex_
  std::thread waiter_thread_;  ///< resumes waiters (polls while any wait); started on demand
  std::unordered_map<std::string, entry> open_;
  std::uint64_t tick_ = 0;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
  std::uint64_t evictions_ = 0;
};

}  // namespace hoody::db
