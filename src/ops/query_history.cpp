// In-memory query history (see hoody/ops/query_history.hpp and docs/sql.md).
#include "hoody/ops/query_history.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace hoody::ops {
namespace {

nlohmann::json entry_json(std::size_t index, std::uint64_t id, const query_record& rec) {
  return {{"index", index},
          {"id", id},
          {"sql", rec.sql},
          {"timestamp", rec.timestamp_ms},
          {"duration_ms", rec.duration_ms},
          {"success", rec.success},
          {"error", rec.error ? nlohmann::json(*rec.error) : nlohmann::json(nullptr)},
          {"rows", rec.rows},
          {"statements", rec.statements},
          {"source", rec.source}};
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) {
    return 0;
  }
  // Nearest-rank percentile.
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

void query_history_store::record(const std::string& db_key, query_record entry) {
  if (entry.sql.size() > max_sql_bytes) {
    std::size_t cut = max_sql_bytes;
    // Do not split a UTF-8 sequence.
    while (cut > 0 && (static_cast<unsigned char>(entry.sql[cut]) & 0xc0U) == 0x80U) {
      --cut;
    }
    entry.sql.resize(cut);
    entry.sql += "…";
  }
  const std::lock_guard lock(mutex_);
  auto found = dbs_.find(db_key);
  if (found == dbs_.end()) {
    if (dbs_.size() >= max_databases) {
      // Forget the database that recorded least recently.
      auto oldest = dbs_.begin();
      for (auto it = dbs_.begin(); it != dbs_.end(); ++it) {
        if (it->second.last_record < oldest->second.last_record) {
          oldest = it;
        }
      }
      dbs_.erase(oldest);
    }
    found = dbs_.emplace(db_key, per_db{}).first;
  }
  per_db& db = found->second;
  db.last_record = ++clock_;
  db.entries.push_back({db.next_id++, std::move(entry)});
  while (db.entries.size() > std::max<std::size_t>(limit_, 1)) {
    db.entries.pop_front();
  }
}

nlohmann::json query_history_store::list(const std::string& db_key, std::size_t limit) const {
  const std::lock_guard lock(mutex_);
  nlohmann::json entries = nlohmann::json::array();
  std::size_t total = 0;
  if (const auto found = dbs_.find(db_key); found != dbs_.end()) {
    const auto& all = found->second.entries;
    total = all.size();
    std::size_t index = 0;
    for (auto it = all.rbegin(); it != all.rend() && index < limit; ++it, ++index) {
      entries.push_back(entry_json(index, it->id, it->rec));
    }
  }
  const std::size_t count = entries.size();
  return {{"entries", std::move(entries)}, {"count", count}, {"total", total}};
}

std::size_t query_history_store::clear(const std::string& db_key) {
  const std::lock_guard lock(mutex_);
  const auto found = dbs_.find(db_key);
  if (found == dbs_.end()) {
    return 0;
  }
  const std::size_t n = found->second.entries.size();
  found->second.entries.clear();
  return n;
}

bool query_history_store::remove(const std::string& db_key, std::size_t index) {
  const std::lock_guard lock(mutex_);
  const auto found = dbs_.find(db_key);
  if (found == dbs_.end()) {
    return false;
  }
  auto& all = found->second.entries;
  if (index >= all.size()) {
    return false;
  }
  all.erase(all.end() - static_cast<std::ptrdiff_t>(index) - 1);
  return true;
}

nlohmann::json query_history_store::stats(const std::string& db_key) const {
  std::vector<double> durations;
  std::size_t successes = 0;
  std::size_t errors = 0;
  std::int64_t rows = 0;
  double total_ms = 0;
  nlohmann::json by_source = {{"db", {{"count", 0}, {"errors", 0}}},
                              {"query", {{"count", 0}, {"errors", 0}}}};
  std::int64_t oldest = 0;
  std::int64_t newest = 0;
  {
    const std::lock_guard lock(mutex_);
    if (const auto found = dbs_.find(db_key); found != dbs_.end()) {
      const auto& all = found->second.entries;
      durations.reserve(all.size());
      for (const auto& e : all) {
        durations.push_back(e.rec.duration_ms);
        total_ms += e.rec.duration_ms;
        rows += e.rec.rows;
        auto& src = by_source[e.rec.source.empty() ? std::string("db") : e.rec.source];
        if (!src.is_object()) {
          src = {{"count", 0}, {"errors", 0}};
        }
        src["count"] = src["count"].get<std::int64_t>() + 1;
        if (e.rec.success) {
          ++successes;
        } else {
          ++errors;
          src["errors"] = src["errors"].get<std::int64_t>() + 1;
        }
      }
      if (!all.empty()) {
        oldest = all.front().rec.timestamp_ms;
        newest = all.back().rec.timestamp_ms;
      }
    }
  }
  const std::size_t count = durations.size();
  std::sort(durations.begin(), durations.end());
  const double avg = count == 0 ? 0.0 : total_ms / static_cast<double>(count);
  return {
      {"count", count},
      {"success_count", successes},
      {"error_count", errors},
      {"error_rate", count == 0 ? 0.0 : static_cast<double>(errors) / static_cast<double>(count)},
      {"total_rows", rows},
      {"avg_duration_ms", avg},
      {"max_duration_ms", durations.empty() ? 0.0 : durations.back()},
      {"p50_duration_ms", percentile(durations, 0.50)},
      {"p95_duration_ms", percentile(durations, 0.95)},
      {"by_source", std::move(by_source)},
      {"oldest_timestamp", count == 0 ? nlohmann::json(nullptr) : nlohmann::json(oldest)},
      {"newest_timestamp", count == 0 ? nlohmann::json(nullptr) : nlohmann::json(newest)},
      {"limit", limit_}};
}

}  // namespace hoody::ops
