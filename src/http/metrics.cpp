#include "hoody/http/metrics.hpp"

#include "hoody/db/checkpointer.hpp"
#include "hoody/db/database_cache.hpp"
#include "hoody/db/read_cache.hpp"

#include <algorithm>
#include <cstdio>

namespace hoody::http {
namespace {

constexpr int min_status = 100;
constexpr int max_status = 599;
constexpr std::size_t status_slots = max_status - min_status + 1;

std::string escape_label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char ch : value) {
    if (ch == '\\' || ch == '"') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (ch == '\n') {
      out += "\\n";
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

std::string format_double(double value) {
  std::array<char, 32> buffer{};
  std::snprintf(buffer.data(), buffer.size(), "%.9g", value);
  return buffer.data();
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void sample(std::string& out, std::string_view name, std::string_view labels, double value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  out += format_double(value);
  out += '\n';
}

}  // namespace

struct metrics::slot {
  std::array<std::atomic<std::uint64_t>, status_slots> statuses{};
  std::array<std::atomic<std::uint64_t>, latency_bounds_s.size() + 1> buckets{};
  std::atomic<std::uint64_t> count{0};
  std::atomic<std::uint64_t> micros_sum{0};
};

metrics::metrics() {
  slots_.push_back(std::make_unique<slot>());
}
metrics::~metrics() = default;

void metrics::bind(const router& routes) {
  routes_ = &routes;
  slots_.clear();
  for (std::size_t i = 0; i <= routes.routes().size(); ++i) {
    slots_.push_back(std::make_unique<slot>());
  }
}

void metrics::request_started() noexcept {
  in_flight_.fetch_add(1, std::memory_order_relaxed);
}

void metrics::record(const route* r, int status, std::int64_t micros) noexcept {
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  std::size_t index = slots_.size() - 1;  // unmatched
  if (r != nullptr && routes_ != nullptr && !routes_->routes().empty()) {
    const auto* first = routes_->routes().data();
    if (r >= first && r < first + routes_->routes().size()) {
      index = static_cast<std::size_t>(r - first);
    }
  }
  count(index, status, micros);
}

void metrics::record_refused(int status) noexcept {
  count(slots_.size() - 1, status, 0);  // unmatched; never counted in flight
}

void metrics::count(std::size_t index, int status, std::int64_t micros) noexcept {
  slot& s = *slots_[index];
  if (status >= min_status && status <= max_status) {
    s.statuses[static_cast<std::size_t>(status - min_status)].fetch_add(1,
                                                                        std::memory_order_relaxed);
  }
  const double seconds = static_cast<double>(micros) / 1e6;
  std::size_t bucket = 0;
  while (bucket < latency_bounds_s.size() && seconds > latency_bounds_s[bucket]) {
    ++bucket;
  }
  s.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  s.count.fetch_add(1, std::memory_order_relaxed);
  s.micros_sum.fetch_add(static_cast<std::uint64_t>(micros < 0 ? 0 : micros),
                         std::memory_order_relaxed);
}

void metrics::record_ttl_sweep(std::uint64_t rows_deleted) noexcept {
  ttl_sweeps_.fetch_add(1, std::memory_order_relaxed);
  ttl_rows_.fetch_add(rows_deleted, std::memory_order_relaxed);
}

void metrics::record_history_prune(std::uint64_t ops_deleted) noexcept {
  prune_runs_.fetch_add(1, std::memory_order_relaxed);
  pruned_ops_.fetch_add(ops_deleted, std::memory_order_relaxed);
}

metrics::request_summary metrics::request_totals() const noexcept {
  request_summary out;
  for (const auto& s : slots_) {
    out.requests += s->count.load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < status_slots; ++i) {
      const auto status = static_cast<int>(i) + min_status;
      if (status >= 400) {
        const auto n = s->statuses[i].load(std::memory_order_relaxed);
        (status >= 500 ? out.server_errors : out.client_errors) += n;
      }
    }
  }
  out.in_flight = in_flight_.load(std::memory_order_relaxed);
  out.ttl_rows_deleted = ttl_rows_.load(std::memory_order_relaxed);
  out.history_ops_pruned = pruned_ops_.load(std::memory_order_relaxed);
  return out;
}

std::string metrics::render(const db::database_cache* databases, double uptime_s) const {
  std::string out;
  out.reserve(16384);
  header(out, "hoody_build_info", "gauge", "Build information.");
  sample(out, "hoody_build_info", "version=\"" HOODY_VERSION "\"", 1);
  header(out, "hoody_uptime_seconds", "gauge", "Seconds since the server started.");
  sample(out, "hoody_uptime_seconds", "", uptime_s);
  header(out, "hoody_http_requests_in_flight", "gauge", "Requests being processed.");
  sample(out, "hoody_http_requests_in_flight", "",
         static_cast<double>(in_flight_.load(std::memory_order_relaxed)));

  // Label sets per slot: method + route pattern; the last slot is "unmatched".
  std::vector<std::string> labels;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (routes_ != nullptr && i < routes_->routes().size()) {
      const auto& r = routes_->routes()[i];
      labels.push_back("method=\"" + std::string(to_string(r.method)) + "\",route=\"" +
                       escape_label(public_pattern(r.pattern)) + "\"");
    } else {
      labels.emplace_back("method=\"\",route=\"unmatched\"");
    }
  }

  header(out, "hoody_http_requests_total", "counter",
         "Finished HTTP requests by route pattern and status code.");
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    for (std::size_t st = 0; st < status_slots; ++st) {
      const auto n = slots_[i]->statuses[st].load(std::memory_order_relaxed);
      if (n != 0) {
        sample(out, "hoody_http_requests_total",
               labels[i] + ",status=\"" + std::to_string(st + min_status) + "\"",
               static_cast<double>(n));
      }
    }
  }

  header(out, "hoody_http_request_duration_seconds", "histogram",
         "Time from dispatch to response ready, by route pattern.");
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    const slot& s = *slots_[i];
    const auto count = s.count.load(std::memory_order_relaxed);
    if (count == 0) {
      continue;
    }
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < s.buckets.size(); ++b) {
      cumulative += s.buckets[b].load(std::memory_order_relaxed);
      const std::string le =
          b < latency_bounds_s.size() ? format_double(latency_bounds_s[b]) : "+Inf";
      sample(out, "hoody_http_request_duration_seconds_bucket", labels[i] + ",le=\"" + le + "\"",
             static_cast<double>(cumulative));
    }
    sample(out, "hoody_http_request_duration_seconds_sum", labels[i],
           static_cast<double>(s.micros_sum.load(std::memory_order_relaxed)) / 1e6);
    sample(out, "hoody_http_request_duration_seconds_count", labels[i], static_cast<double>(count));
  }

  if (databases != nullptr) {
    const auto stats = databases->stats();
    header(out, "hoody_open_databases", "gauge", "Databases open in the cache.");
    sample(out, "hoody_open_databases", "", static_cast<double>(stats.open));
    header(out, "hoody_open_databases_max", "gauge", "Cache capacity (--max-open-dbs).");
    sample(out, "hoody_open_databases_max", "", static_cast<double>(stats.max_open));
    header(out, "hoody_db_cache_hits_total", "counter", "Database opens served from the cache.");
    sample(out, "hoody_db_cache_hits_total", "", static_cast<double>(stats.hits));
    header(out, "hoody_db_cache_misses_total", "counter", "Database opens that opened a file.");
    sample(out, "hoody_db_cache_misses_total", "", static_cast<double>(stats.misses));
    header(out, "hoody_db_cache_evictions_total", "counter",
           "Databases closed by the cache (LRU or idle).");
    sample(out, "hoody_db_cache_evictions_total", "", static_cast<double>(stats.evictions));
    std::size_t depth = 0;
    std::uint64_t wal_sum = 0;
    std::uint64_t wal_max = 0;
    for (const auto& database : databases->snapshot()) {
      depth += database->write_queue_depth();
      const auto wal = database->wal_bytes();  // refreshed by the sweep (no disk access here)
      wal_sum += wal;
      wal_max = std::max(wal_max, wal);
    }
    header(out, "hoody_writer_queue_depth", "gauge",
           "Write jobs waiting, summed over the open databases.");
    sample(out, "hoody_writer_queue_depth", "", static_cast<double>(depth));
    header(out, "hoody_wal_bytes_sum", "gauge",
           "Size of the -wal files of the open databases, summed (as of the last sweep).");
    sample(out, "hoody_wal_bytes_sum", "", static_cast<double>(wal_sum));
    header(out, "hoody_wal_bytes_max", "gauge",
           "Size of the largest -wal file of an open database (as of the last sweep).");
    sample(out, "hoody_wal_bytes_max", "", static_cast<double>(wal_max));
  }
  const auto checkpoints = db::global_checkpoint_totals();
  header(
      out, "hoody_wal_checkpoints_total", "counter",
      "WAL checkpoints run by the server outside commits (--checkpoint-mode truncate or passive).");
  sample(out, "hoody_wal_checkpoints_total", "", static_cast<double>(checkpoints.runs));
  header(out, "hoody_wal_checkpoints_incomplete_total", "counter",
         "Of them, those that could not copy the whole WAL (a reader held an old snapshot).");
  sample(out, "hoody_wal_checkpoints_incomplete_total", "",
         static_cast<double>(checkpoints.incomplete));
  header(out, "hoody_wal_checkpoints_on_writer_total", "counter",
         "Of them, those a writer ran itself because the WAL outgrew the background checkpoint.");
  sample(out, "hoody_wal_checkpoints_on_writer_total", "",
         static_cast<double>(checkpoints.on_writer));

  const auto totals = db::global_write_totals();
  header(out, "hoody_group_commit_size", "histogram", "Write jobs per group-commit transaction.");
  std::uint64_t cumulative = 0;
  for (std::size_t b = 0; b < totals.group_sizes.size(); ++b) {
    cumulative += totals.group_sizes[b];
    const std::string le = b < db::group_size_bounds.size()
                               ? std::to_string(db::group_size_bounds[b])
                               : std::string("+Inf");
    sample(out, "hoody_group_commit_size_bucket", "le=\"" + le + "\"",
           static_cast<double>(cumulative));
  }
  sample(out, "hoody_group_commit_size_sum", "", static_cast<double>(totals.grouped_jobs));
  sample(out, "hoody_group_commit_size_count", "", static_cast<double>(totals.group_commits));
  header(out, "hoody_exclusive_jobs_total", "counter",
         "Writer jobs run outside a transaction (maintenance).");
  sample(out, "hoody_exclusive_jobs_total", "", static_cast<double>(totals.exclusive_jobs));

  const auto reads = db::global_read_cache_totals();
  header(out, "hoody_read_cache_hits_total", "counter",
         "KV reads answered from a database's read cache (no SQLite call).");
  sample(out, "hoody_read_cache_hits_total", "", static_cast<double>(reads.hits));
  header(out, "hoody_read_cache_misses_total", "counter",
         "Cacheable KV reads that ran on a reader (absent, stale or expired entry).");
  sample(out, "hoody_read_cache_misses_total", "", static_cast<double>(reads.misses));
  header(out, "hoody_read_cache_stores_total", "counter", "Answers stored in a read cache.");
  sample(out, "hoody_read_cache_stores_total", "", static_cast<double>(reads.stores));

  header(out, "hoody_ttl_sweeps_total", "counter", "TTL sweeps run (one per open database).");
  sample(out, "hoody_ttl_sweeps_total", "",
         static_cast<double>(ttl_sweeps_.load(std::memory_order_relaxed)));
  header(out, "hoody_ttl_rows_deleted_total", "counter", "Expired KV rows deleted by sweeps.");
  sample(out, "hoody_ttl_rows_deleted_total", "",
         static_cast<double>(ttl_rows_.load(std::memory_order_relaxed)));
  header(out, "hoody_history_prunes_total", "counter", "Time-travel retention runs.");
  sample(out, "hoody_history_prunes_total", "",
         static_cast<double>(prune_runs_.load(std::memory_order_relaxed)));
  header(out, "hoody_history_ops_pruned_total", "counter",
         "Time-travel history operations deleted by retention.");
  sample(out, "hoody_history_ops_pruned_total", "",
         static_cast<double>(pruned_ops_.load(std::memory_order_relaxed)));

  const watch_gauges watch = watch_source_ ? watch_source_() : watch_gauges{};
  header(out, "hoody_watchers", "gauge", "Open change-feed streams and waiting long polls.");
  sample(out, "hoody_watchers", "", static_cast<double>(watch.watchers));
  header(out, "hoody_watch_events_sent_total", "counter", "Change-feed events handed to clients.");
  sample(out, "hoody_watch_events_sent_total", "", static_cast<double>(watch.events_sent));
  header(out, "hoody_watch_dropped_total", "counter",
         "Change-feed clients dropped for falling behind (--watch-buffer-bytes).");
  sample(out, "hoody_watch_dropped_total", "", static_cast<double>(watch.dropped));
  return out;
}

}  // namespace hoody::http
