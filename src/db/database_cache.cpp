#include "hoody/db/database_cache.hpp"

#include "hoody/core/clock.hpp"
#include "hoody/core/error.hpp"
#include "hoody/db/executors.hpp"

#include <pthread.h>

#include <algorithm>
#include <system_error>

namespace hoody::db {
namespace {
// How often waiters re-check for a slot: a database becomes idle when the last request using it
// lets go, which no callback reports.
constexpr auto slot_poll = std::chrono::milliseconds(2);
}  // namespace

database_cache::database_cache(executors& exec, database_options options, std::size_t max_open,
                               std::size_t max_slot_waiters)
    : exec_(exec),
      options_(std::move(options)),
      max_open_(max_open == 0 ? 1 : max_open),
      max_slot_waiters_(max_slot_waiters) {}

database_cache::~database_cache() {
  close_all();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  waiters_cv_.notify_all();
  if (waiter_thread_.joinable()) {
    waiter_thread_.join();
  }
}

std::size_t database_cache::free_slots_locked() const {
  std::size_t free = open_.size() < max_open_ ? max_open_ - open_.size() : 0;
  for (const auto& [key, e] : open_) {
    free += e.db.use_count() == 1 ? 1 : 0;  // idle: may be closed for another
  }
  return free;
}

void database_cache::wait_for_slot(std::chrono::steady_clock::time_point deadline,
                                   std::function<void(bool)> resume) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_ && waiters_.size() < max_slot_waiters_) {
      waiters_.push_back({deadline, std::move(resume)});
      if (!waiter_thread_.joinable()) {
        waiter_thread_ = std::thread([this] { run_slot_waiters(); });
      }
      waiters_cv_.notify_all();
      return;
    }
  }
  exec_.post_blocking([resume = std::move(resume)] { resume(false); });
}

std::size_t database_cache::slot_waiters() const {
  std::lock_guard lock(mutex_);
  return waiters_.size();
}

void database_cache::run_slot_waiters() {
  pthread_setname_np(pthread_self(), "hoody-slots");
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (waiters_.empty()) {
      waiters_cv_.wait(lock, [this] { return stopping_ || !waiters_.empty(); });
      continue;
    }
    std::vector<std::function<void(bool)>> expired;
    std::vector<std::function<void(bool)>> ready;
    const auto now = std::chrono::steady_clock::now();
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (it->deadline <= now) {
        expired.push_back(std::move(it->resume));
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
    // As many as there are free slots (each resumed request takes one), oldest first.
    for (std::size_t free = free_slots_locked(); free > 0 && !waiters_.empty(); --free) {
      ready.push_back(std::move(waiters_.front().resume));
      waiters_.pop_front();
    }
    lock.unlock();
    for (auto& resume : expired) {
      exec_.post_blocking([resume = std::move(resume)] { resume(false); });
    }
    for (auto& resume : ready) {
      exec_.post_blocking([resume = std::move(resume)] { resume(true); });
    }
    lock.lock();
    waiters_cv_.wait_for(lock, slot_poll);
  }
}

std::shared_ptr<database> database_cache::open(const std::filesystem::path& file, bool create) {
  create = create && !options_.replica;  // a replica creates no file
  std::shared_ptr<database> evicted;
  std::shared_ptr<database> result;
  {
    std::lock_guard lock(mutex_);
    const std::string key = file.string();
    auto found = open_.find(key);
    if (found != open_.end()) {
      if (!found->second.db->file_replaced()) {
        ++hits_;
        found->second.last_use = ++tick_;
        return found->second.db;
      }
      // Deleted or replaced under us: close the old inode before the path is opened again (its
      // WAL and -shm are deleted by name when its last connection closes). Queued writes fail
      // with file_replaced and are retried on the new file by the dispatcher.
      auto stale = std::move(found->second.db);
      open_.erase(found);
      ++evictions_;
      stale->close();
    }
    ++misses_;
    std::error_code ec;
    const bool exists = std::filesystem::exists(file, ec);
    if (!exists && !create) {
      throw api_error(errc::db_not_found, "database not found");
    }
    if (exists && !std::filesystem::is_regular_file(file, ec)) {
      throw api_error(errc::invalid_db_path, "database path is not a regular file");
    }
    if (open_.size() >= max_open_) {
      // Evict the least recently used database nobody is using right now.
      auto victim = open_.end();
      for (auto it = open_.begin(); it != open_.end(); ++it) {
        if (it->second.db.use_count() == 1 &&
            (victim == open_.end() || it->second.last_use < victim->second.last_use)) {
          victim = it;
        }
      }
      if (victim == open_.end()) {
        throw no_free_slot();
      }
      evicted = std::move(victim->second.db);
      open_.erase(victim);
      ++evictions_;
    }
    database_options options = options_;
    options.conn.create = create;
    result = std::make_shared<database>(file, exec_, options);
    open_.emplace(key, entry{result, ++tick_});
  }
  if (evicted) {
    evicted->close();
  }
  return result;
}

std::shared_ptr<database> database_cache::find_open(const std::filesystem::path& file) {
  std::lock_guard lock(mutex_);
  auto found = open_.find(file.native());
  if (found == open_.end() || found->second.db->known_replaced()) {
    return nullptr;
  }
  ++hits_;
  found->second.last_use = ++tick_;
  return found->second.db;
}

void database_cache::evict_idle(std::int64_t idle_ms) {
  std::vector<std::shared_ptr<database>> victims;
  {
    std::lock_guard lock(mutex_);
    const auto now = steady_now_ms();
    for (auto it = open_.begin(); it != open_.end();) {
      if (it->second.db.use_count() == 1 && now - it->second.db->last_used_ms() >= idle_ms) {
        victims.push_back(std::move(it->second.db));
        it = open_.erase(it);
        ++evictions_;
      } else {
        ++it;
      }
    }
  }
  for (auto& victim : victims) {
    victim->close();
  }
}

void database_cache::close_all() {
  std::unordered_map<std::string, entry> all;
  std::deque<slot_waiter> waiting;
  {
    std::lock_guard lock(mutex_);
    all.swap(open_);
    waiting.swap(waiters_);
  }
  for (auto& waiter : waiting) {
    waiter.resume(false);
  }
  for (auto& [key, e] : all) {
    e.db->close();
  }
}

std::vector<std::shared_ptr<database>> database_cache::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<database>> out;
  out.reserve(open_.size());
  for (const auto& [key, e] : open_) {
    out.push_back(e.db);
  }
  return out;
}

cache_stats database_cache::stats() const {
  std::lock_guard lock(mutex_);
  return {open_.size(), max_open_, hits_, misses_, evictions_};
}

nlohmann::json database_cache::stats_json() const {
  const auto s = stats();
  const auto lookups = s.hits + s.misses;
  return {{"open_databases", s.open},
          {"max_open_databases", s.max_open},
          {"hits", s.hits},
          {"misses", s.misses},
          {"evictions", s.evictions},
          {"hit_rate",
           lookups == 0 ? 0.0 : static_cast<double>(s.hits) / static_cast<double>(lookups)}};
}

}  // namespace hoody::db
