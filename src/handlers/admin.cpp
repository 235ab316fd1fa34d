// Health and cache health. Both run on the I/O thread: they read counters and /proc, never a
// database.
#include "hoody/core/services.hpp"
#include "hoody/db/database.hpp"
#include "hoody/db/database_cache.hpp"
#include "hoody/db/read_cache.hpp"
#include "hoody/handlers/routes.hpp"
#include "hoody/http/metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>

#ifndef HOODY_BUILT
#define HOODY_BUILT "unknown"
#endif

namespace hoody::handlers {
namespace {

/// A `VmRSS:`-style line of /proc/self/status in bytes (the kernel writes kB), or null.
nlohmann::json proc_status_bytes(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, field.size(), field) == 0 && line.size() > field.size() &&
        line[field.size()] == ':') {
      return std::stoll(line.substr(field.size() + 1)) * 1024;
    }
  }
  return nullptr;
}

nlohmann::json open_fds() {
  std::error_code ec;
  std::int64_t n = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++n;
  }
  if (ec) {
    return nullptr;
  }
  return n - 1;  // the iterator's own descriptor
}

std::string iso8601_utc(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::array<char, 32> buf{};
  std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf.data();
}

http::response health(http::context& ctx) {
  const auto now = std::chrono::steady_clock::now();
  const auto uptime = now - ctx.svc.started;
  const auto started_at = std::chrono::system_clock::now() -
                          std::chrono::duration_cast<std::chrono::system_clock::duration>(uptime);
  rlimit fd_limit{};
  const bool has_limit = ::getrlimit(RLIMIT_NOFILE, &fd_limit) == 0;
  nlohmann::json counters = nlohmann::json::object();
  if (ctx.svc.metrics != nullptr) {
    const auto t = ctx.svc.metrics->request_totals();
    counters = {{"requests", t.requests},
                {"client_errors", t.client_errors},
                {"server_errors", t.server_errors},
                {"errors", t.client_errors + t.server_errors},
                {"in_flight", t.in_flight},
                {"ttl_rows_deleted", t.ttl_rows_deleted},
                {"history_ops_pruned", t.history_ops_pruned}};
  }
  const auto writes = db::global_write_totals();
  counters["writes"] = writes.grouped_jobs;
  counters["group_commits"] = writes.group_commits;
  counters["exclusive_jobs"] = writes.exclusive_jobs;
  const auto reads = db::global_read_cache_totals();
  counters["read_cache_hits"] = reads.hits;
  counters["read_cache_misses"] = reads.misses;
  return http::response::json(
      {{"status", "ok"},
       {"service", "hoody-sqlite"},
       {"version", HOODY_VERSION},
       {"built", HOODY_BUILT},
       {"started", iso8601_utc(started_at)},
       {"uptime_seconds", std::chrono::duration<double>(uptime).count()},
       {"pid", ::getpid()},
       {"memory",
        {{"rss_bytes", proc_status_bytes("VmRSS")},
         {"peak_rss_bytes", proc_status_bytes("VmHWM")}}},
       {"fds",
        {{"open", open_fds()},
         {"limit", has_limit && fd_limit.rlim_cur != RLIM_INFINITY
                       ? nlohmann::json(static_cast<std::uint64_t>(fd_limit.rlim_cur))
                       : nlohmann::json(nullptr)}}},
       {"cache", ctx.svc.databases.stats_json()},
       {"counters", std::move(counters)}});
}

// GET /readyz: whether a load balancer should send traffic here. 503 while starting, from
// SIGTERM on (during --drain-delay-ms requests are still served; /health stays 200) and while
// a standby (--primary-file missing: role "standby"). A --read-only replica is ready (role
// "replica"): it serves reads, and refuses writes with 403 READ_ONLY_REPLICA.
http::response readyz(http::context& ctx) {
  const auto phase = ctx.svc.phase != nullptr ? ctx.svc.phase->load(std::memory_order_relaxed)
                                              : server_phase::ready;
  const node_role node = ctx.svc.role();
  const char* role = node == node_role::primary   ? "primary"
                     : node == node_role::replica ? "replica"
                                                  : "standby";
  if (phase == server_phase::ready && node != node_role::standby) {
    return http::response::json({{"status", "ready"}, {"ready", true}, {"role", role}});
  }
  const char* reason = phase == server_phase::starting   ? "starting"
                       : phase == server_phase::draining ? "draining"
                                                         : "standby";
  auto res = http::response::json(
      {{"status", reason}, {"ready", false}, {"role", role}, {"reason", reason}}, 503);
  res.headers.emplace_back("Retry-After", "1");
  return res;
}

http::response cache_health(http::context& ctx) {
  return http::response::json(ctx.svc.databases.stats_json());
}

}  // namespace

void register_admin_routes(http::router& router) {
  const std::string p = api_prefix;
  router.add({http::verb::get, p + "/health", http::access::none, http::db_use::none,
              "Server health: identity (status, service, built, started), process (pid, memory, "
              "fds), database cache and request counters",
              health, /*open=*/true});
  router.add({http::verb::get, p + "/readyz", http::access::none, http::db_use::none,
              "Readiness for load balancers: 200 while serving (role primary, or replica under "
              "--read-only); 503 while starting, draining (from SIGTERM on, during "
              "--drain-delay-ms) and while a standby (--primary-file missing)",
              readyz, /*open=*/true});
  router.add({http::verb::get, p + "/health/cache", http::access::none, http::db_use::none,
              "Database cache statistics: open databases, hits, misses, evictions", cache_health,
              /*open=*/true});
}

}  // namespace hoody::handlers
