// hoody/core/config.hpp — every tunable of the server, filled from the command line and the
// environment (hoody/core/command_line.hpp: each flag `--x-y` has the twin HOODY_SQLITE_X_Y).
// Plain value type; built once at start-up and read-only afterwards.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace hoody {

struct config {
  std::string host = "0.0.0.0";
  std::uint16_t port = 8080;             ///< 0 picks a free port
  std::filesystem::path port_file;       ///< when set, the bound port is written there
  std::filesystem::path data_dir = ".";  ///< where bare database names resolve
  bool allow_any_absolute_db_path = false;
  unsigned io_threads = 2;     ///< HTTP I/O threads (main: the number of cores)
  unsigned read_threads = 2;   ///< shared read pool, reader connections (main: cores, ≥ 2)
  unsigned write_threads = 1;  ///< shared write pool, one strand per database (main: cores / 2)
  std::string log_level = "info";
  bool access_log = true;
  std::size_t max_body_bytes = std::size_t{16} * 1024 * 1024;
  std::size_t max_header_bytes = std::size_t{16} * 1024;
  std::size_t max_connections = 10000;  ///< open connections; beyond → 503 and close; 0 = no limit
  std::size_t max_open_dbs = 64;
  unsigned db_slot_wait_ms = 5000;     ///< a request waits this long for a --max-open-dbs slot
  std::size_t db_slot_waiters = 1000;  ///< requests waiting for a slot at once; more → 503
  std::size_t max_buffered_response_bytes =
      std::size_t{64} * 1024 * 1024;   ///< unsent bodies, all conns
  unsigned read_timeout_s = 30;        ///< a whole request must arrive within this
  unsigned idle_timeout_s = 60;        ///< keep-alive connection idle limit
  unsigned shutdown_timeout_s = 5;     ///< in-flight requests get this long on SIGTERM
  unsigned db_idle_close_s = 300;      ///< close databases unused this long
  std::string synchronous = "NORMAL";  ///< NORMAL (crash-safe) or FULL (power-loss safe)
  int busy_timeout_ms = 5000;
  std::int64_t query_timeout_ms = 30000;   ///< per request SQL time limit; 0 = none
  unsigned ttl_sweep_interval_s = 1;       ///< how often expired KV rows are deleted
  std::size_t query_history_limit = 1000;  ///< entries kept per database
  std::size_t read_cache_kib = 2048;       ///< per open database: hot KV reads; 0 = off
  // The change feed (GET /kv/watch, docs/watch.md).
  std::size_t watch_max_watchers = 1000;                   ///< streams + long polls at once
  std::int64_t watch_heartbeat_ms = 15000;                 ///< SSE comment when quiet this long
  std::size_t watch_buffer_bytes = std::size_t{1} << 20U;  ///< unread bytes per client; then drop
  std::int64_t watch_poll_ms = 250;                        ///< reads for other processes' writes
  // Operations (docs/operations.md).
  std::string auth_token;              ///< Bearer token for everything; empty = no auth
  std::string read_only_token;         ///< Bearer token for GET/HEAD only; empty = none
  std::filesystem::path jwt_key_file;  ///< JWT keys + share secret (http/tokens.hpp); empty = none
  std::string cors_origin;             ///< comma-separated allowed origins or "*"; empty = no CORS
  std::int64_t history_max_age_s = 0;  ///< time-travel retention by age; 0 = forever
  std::int64_t history_max_ops_per_key = 0;  ///< retention by count per key; 0 = unlimited
  unsigned history_prune_interval_s = 60;    ///< at most one retention run per db this often
  // WAL checkpoints and draining (docs/operations.md, "Checkpoints" and "Draining").
  std::string checkpoint_mode = "truncate";  ///< truncate | passive | external
  std::uint64_t wal_warn_bytes = 0;          ///< log a warning past this WAL size; 0 = off
  unsigned drain_delay_ms = 0;  ///< after SIGTERM: /readyz 503, still serving, this long
  /// While this file is missing, writes answer 503 NOT_PRIMARY (fencing); empty = always primary.
  std::filesystem::path primary_file;
  /// A read replica: reader connections only, never creates or writes a file; writes answer
  /// 403 READ_ONLY_REPLICA; files are served while they are replaced whole (restore-and-rename).
  bool read_only = false;

  bool operator==(const config&) const = default;
};

}  // namespace hoody
