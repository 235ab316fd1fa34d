#include "hoody/db/database_cache.hpp"

#include "hoody/core/clock.hpp"
#include "hoody/core/error.hpp"

#include <algorithm>
#include <system_error>

namespace hoody::db {

database_cache::database_cache(executors& exec, database_options options, std::size_t max_open)
    : exec_(exec), options_(std::move(options)), max_open_(max_open == 0 ? 1 : max_open) {}

database_cache::~database_cache() {
  close_all();
}

std::shared_ptr<database> database_cache::open(const std::filesystem::path& file, bool create) {
  std::shared_ptr<database> evicted;
  std::shared_ptr<database> result;
  {
    std::lock_guard lock(mutex_);
    const std::string key = file.string();
    auto found = open_.find(key);
    if (found != open_.end()) {
      ++hits_;
      found->second.last_use = ++tick_;
      return found->second.db;
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
        throw api_error(errc::too_many_requests, "too many databases in use; retry later");
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
  if (found == open_.end()) {
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
  {
    std::lock_guard lock(mutex_);
    all.swap(open_);
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
