// hoody/http/metrics.hpp — Prometheus counters for GET /metrics.
//
// The dispatcher calls `request_started` / `record` once per request (route = the matched
// route, or null); background tasks call the sweep/prune recorders. Every recorder is a few
// relaxed atomic increments (no locks, no allocation): callable from any thread. The slot
// layout is fixed by `bind(router)` at start-up (before traffic); `render` reads the atomics
// plus the database cache's statistics and produces the text exposition format 0.0.4.
#pragma once

#include "hoody/http/router.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace hoody::db {
class database_cache;
}

namespace hoody::http {

/// Upper bounds (seconds) of the request latency histogram; +Inf follows.
inline constexpr std::array<double, 14> latency_bounds_s{
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

class metrics {
 public:
  metrics();
  ~metrics();
  metrics(const metrics&) = delete;
  metrics& operator=(const metrics&) = delete;

  /// Allocates one slot per route of `routes` (call once, after every route was added).
  void bind(const router& routes);

  void request_started() noexcept;
  /// One finished request: `r` null for unmatched requests (404/405, preflight, 401 on them).
  void record(const route* r, int status, std::int64_t micros) noexcept;
  /// A request the HTTP layer answered before dispatch (413, 431, 400, 503 over the connection
  /// limit): counted as unmatched, never in flight.
  void record_refused(int status) noexcept;

  void record_ttl_sweep(std::uint64_t rows_deleted) noexcept;
  void record_history_prune(std::uint64_t ops_deleted) noexcept;

  /// Sums over every route, for GET /health's `counters`.
  struct request_summary {
    std::uint64_t requests = 0;       ///< finished requests
    std::uint64_t client_errors = 0;  ///< answered 4xx
    std::uint64_t server_errors = 0;  ///< answered 5xx
    std::int64_t in_flight = 0;
    std::uint64_t ttl_rows_deleted = 0;
    std::uint64_t history_ops_pruned = 0;
  };
  [[nodiscard]] request_summary request_totals() const noexcept;

  /// The change feed's gauges, read at each scrape from the source the server sets.
  struct watch_gauges {
    std::size_t watchers = 0;
    std::uint64_t events_sent = 0;
    std::uint64_t dropped = 0;
  };
  void set_watch_source(std::function<watch_gauges()> source) { watch_source_ = std::move(source); }

  /// The whole exposition text (`databases` may be null in tests).
  [[nodiscard]] std::string render(const db::database_cache* databases, double uptime_s) const;

 private:
  struct slot;
  /// Adds one finished request to `slots_[index]` (status and latency).
  void count(std::size_t index, int status, std::int64_t micros) noexcept;
  const router* routes_ = nullptr;
  std::vector<std::unique_ptr<slot>> slots_;  ///< one per route, then one for "unmatched"
  std::atomic<std::int64_t> in_flight_{0};
  std::atomic<std::uint64_t> ttl_sweeps_{0};
  std::atomic<std::uint64_t> ttl_rows_{0};
  std::atomic<std::uint64_t> prune_runs_{0};
  std::atomic<std::uint64_t> pruned_ops_{0};
  std::function<watch_gauges()> watch_source_;  ///< set once at start-up
};

}  // namespace hoody::http
