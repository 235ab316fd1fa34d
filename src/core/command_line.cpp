// The command line of hoody-sqlite (CLI11): see hoody/core/command_line.hpp.
#include "hoody/core/command_line.hpp"

#include "hoody/http/tokens.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace hoody {

namespace {

std::string env_name(const std::string& flag) {
  std::string out = "HOODY_SQLITE_";
  for (const char ch : flag.substr(2)) {
    out.push_back(ch == '-' ? '_'
                            : static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
  }
  return out;
}

template <class T>
CLI::Option* option(CLI::App& app, const std::string& flag, T& value, const std::string& help) {
  return app.add_option(flag, value, help)->envname(env_name(flag))->capture_default_str();
}

CLI::Option* flag(CLI::App& app, const std::string& name, bool& value, const std::string& help) {
  return app.add_flag(name, value, help)->envname(env_name(name));
}

// `token` and `share` as typed (--ttl is text until checked).
struct mint_options {
  std::vector<std::string> databases;
  std::string access = "read";
  std::string ttl = "1h";
  std::string subject;
  std::filesystem::path private_key_file;
  std::string sql;
  std::string base_url;
};

command_line exit_with(command_line result, int code, std::string out, std::string err) {
  result.what = command_line::action::exit;
  result.exit_code = code;
  result.out = std::move(out);
  result.err = std::move(err);
  return result;
}

command_line bad_command_line(command_line result, const std::string& message) {
  return exit_with(std::move(result), 2, {}, "hoody-sqlite: " + message + "\n");
}

}  // namespace

// More threads than cores only add wake-ups and context switches (docs/performance.md); readers
// stay at two or more so one slow query does not hold up every other read.
config with_machine_threads(config defaults, unsigned cores) {
  cores = std::max(1U, cores);
  defaults.io_threads = cores;
  defaults.read_threads = std::max(2U, cores);
  defaults.write_threads = std::max(1U, cores / 2);
  return defaults;
}

command_line parse_command_line(int argc, const char* const* argv, const config& defaults) {
  command_line result;
  result.cfg = defaults;
  config& cfg = result.cfg;
  mint_options mo;
  CLI::App app{"hoody-sqlite: SQLite databases over HTTP (SQL, key-value store, time travel)",
               "hoody-sqlite"};
  app.set_version_flag("--version", std::string("hoody-sqlite ") + HOODY_VERSION);
  app.get_formatter()->column_width(40);

  option(app, "--host", cfg.host, "Address to listen on");
  option(app, "--port", cfg.port, "Port to listen on (0 picks a free port)");
  option(app, "--port-file", cfg.port_file, "Write the bound port to this file once listening");
  option(app, "--data-dir", cfg.data_dir, "Directory where bare database names resolve");
  flag(app, "--allow-any-absolute-db-path", cfg.allow_any_absolute_db_path,
       "Accept absolute database paths anywhere on the file system");
  option(app, "--threads", cfg.io_threads, "HTTP I/O threads (default: the number of cores)")
      ->check(CLI::Range(1, 256));
  option(app, "--read-threads", cfg.read_threads,
         "Threads (and reader connections) for reads (default: cores, at least 2)")
      ->check(CLI::Range(1, 256));
  option(app, "--write-threads", cfg.write_threads,
         "Threads shared by the per-database writers (default: cores / 2, at least 1)")
      ->check(CLI::Range(1, 256));
  option(app, "--log-level", cfg.log_level, "Log level")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  option(app, "--access-log", cfg.access_log, "Log one line per request (true/false)");
  option(app, "--max-body-bytes", cfg.max_body_bytes, "Largest accepted request body (413 above)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 32U));
  option(app, "--max-header-bytes", cfg.max_header_bytes, "Largest accepted request header block")
      ->check(CLI::Range(std::size_t{512}, std::size_t{1} << 20U));
  option(app, "--max-buffered-response-bytes", cfg.max_buffered_response_bytes,
         "Bytes of response bodies waiting for slow clients, all connections together; a "
         "response of 64 KiB or more beyond it is answered 503 (0 = no limit)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1} << 40U));
  option(app, "--max-connections", cfg.max_connections,
         "Open connections served at once; more are answered 503 and closed (0 = no limit)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{10000000}));
  option(app, "--max-open-dbs", cfg.max_open_dbs, "Databases kept open at once (LRU)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}));
  option(app, "--db-slot-wait-ms", cfg.db_slot_wait_ms,
         "How long a request waits for a --max-open-dbs slot when every open database is busy "
         "(then 503)")
      ->check(CLI::Range(0, 600000));
  option(app, "--db-slot-waiters", cfg.db_slot_waiters,
         "Requests that may wait for a --max-open-dbs slot at once (more: 503)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1000000}));
  option(app, "--read-timeout", cfg.read_timeout_s,
         "Seconds a client has to send a whole request once it started")
      ->check(CLI::Range(1, 3600));
  option(app, "--idle-timeout", cfg.idle_timeout_s, "Seconds a keep-alive connection may idle")
      ->check(CLI::Range(1, 86400));
  option(app, "--shutdown-timeout", cfg.shutdown_timeout_s,
         "Seconds in-flight requests get to finish on SIGTERM")
      ->check(CLI::Range(0, 3600));
  option(app, "--db-idle-close", cfg.db_idle_close_s,
         "Close databases unused for this many seconds")
      ->check(CLI::Range(1, 86400 * 7));
  option(app, "--synchronous", cfg.synchronous,
         "SQLite synchronous: NORMAL (crash-safe) or FULL (power-loss safe)")
      ->transform(CLI::IsMember({"NORMAL", "FULL"}, CLI::ignore_case));
  option(app, "--busy-timeout-ms", cfg.busy_timeout_ms,
         "How long to wait for a lock held by another process")
      ->check(CLI::Range(0, 600000));
  option(app, "--query-timeout-ms", cfg.query_timeout_ms,
         "Time limit for the SQL of one request (0 = none)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{3600000}));
  option(app, "--ttl-sweep-interval", cfg.ttl_sweep_interval_s,
         "Seconds between deletions of expired KV rows")
      ->check(CLI::Range(1, 3600));
  option(app, "--query-history-limit", cfg.query_history_limit,
         "Query history entries kept per database")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}));
  option(app, "--read-cache-kib", cfg.read_cache_kib,
         "KiB per open database for answers to hot KV reads, valid until the next commit (0 = off)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1} << 22U));
  option(app, "--watch-max-watchers", cfg.watch_max_watchers,
         "Change-feed watchers (GET /kv/watch streams and long polls) at once; more → 429")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1000000}));
  option(app, "--watch-heartbeat-ms", cfg.watch_heartbeat_ms,
         "A change-feed stream without output this long gets a heartbeat comment")
      ->check(CLI::Range(std::int64_t{100}, std::int64_t{3600000}));
  option(app, "--watch-buffer-bytes", cfg.watch_buffer_bytes,
         "Change-feed bytes one client may leave unread; beyond, it is dropped (told so)")
      ->check(CLI::Range(std::size_t{4096}, std::size_t{1} << 30U));
  option(app, "--watch-poll-ms", cfg.watch_poll_ms,
         "How often watched tables are read for changes written by other processes")
      ->check(CLI::Range(std::int64_t{10}, std::int64_t{60000}));

  option(app, "--auth-token", cfg.auth_token,
         "Bearer token required for every request but /health and the web UI (empty = open)");
  option(app, "--read-only-token", cfg.read_only_token,
         "Bearer token allowed only GET/HEAD requests (reads)");
  option(app, "--jwt-key-file", cfg.jwt_key_file,
         "Keys for JWT bearer tokens and share links: hs256/share secret lines, Ed25519 PEM "
         "public keys (docs/security.md)");
  option(app, "--cors-origin", cfg.cors_origin,
         "Origins allowed by CORS: comma-separated list or * (empty = no CORS headers)");
  option(app, "--history-max-age", cfg.history_max_age_s,
         "Seconds of time-travel history kept (0 = forever)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 40U));
  option(app, "--history-max-ops-per-key", cfg.history_max_ops_per_key,
         "Time-travel operations kept per key (0 = unlimited)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 40U));
  option(app, "--history-prune-interval", cfg.history_prune_interval_s,
         "Seconds between time-travel retention runs per database")
      ->check(CLI::Range(1, 86400));
  option(app, "--checkpoint-mode", cfg.checkpoint_mode,
         "WAL checkpoints: truncate (background + at close, truncating the WAL), passive (never "
         "waits for readers, never truncates) or external (none: a replicator such as Litestream "
         "owns the WAL)")
      ->check(CLI::IsMember({"truncate", "passive", "external"}));
  option(app, "--wal-warn-bytes", cfg.wal_warn_bytes,
         "Log a warning (at most once a minute per database) when a WAL file grows past this "
         "size (0 = off)")
      ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{1} << 50U));
  option(app, "--drain-delay-ms", cfg.drain_delay_ms,
         "After SIGTERM, keep serving this long while /readyz answers 503, then shut down")
      ->check(CLI::Range(0, 3600000));
  option(app, "--primary-file", cfg.primary_file,
         "While this file is missing, requests that would write answer 503 NOT_PRIMARY and "
         "/readyz 503 (role standby); a lease watchdog creates and removes it (empty = always "
         "primary)");
  flag(app, "--read-only", cfg.read_only,
       "Serve as a read replica: reader connections only, never create or write a file; "
       "writes answer 403 READ_ONLY_REPLICA; a file replaced whole (restore, then rename) is "
       "reopened on the next request");

  // Subcommands: server flags (--jwt-key-file, --port) may come before or after their name.
  app.fallthrough();
  auto* token_cmd = app.add_subcommand(
      "token", "Print a JWT signed with the hs256 secret of --jwt-key-file (or an Ed25519 key)");
  token_cmd->add_option("--db", mo.databases, "Database names or prefixes (app*), repeatable")
      ->required();
  token_cmd->add_option("--access", mo.access, "read, write or admin")
      ->check(CLI::IsMember({"read", "write", "admin"}))
      ->capture_default_str();
  token_cmd->add_option("--ttl", mo.ttl, "Lifetime: seconds or 90s, 15m, 1h, 7d")
      ->capture_default_str();
  token_cmd->add_option("--sub", mo.subject, "Subject claim (who the token is for)");
  token_cmd->add_option("--jwt-private-key-file", mo.private_key_file,
                        "Sign EdDSA with this Ed25519 private key (PEM) instead of HS256");
  auto* share_cmd = app.add_subcommand(
      "share", "Print a share link for one read-only query, signed with --jwt-key-file");
  share_cmd->add_option("--db", mo.databases, "Database name")->required()->expected(1);
  share_cmd->add_option("--sql", mo.sql, "The read-only SELECT/WITH query")->required();
  share_cmd->add_option("--ttl", mo.ttl, "Lifetime: seconds or 90s, 15m, 1h, 7d")
      ->capture_default_str();
  share_cmd->add_option("--base-url", mo.base_url,
                        "Prefix of the printed link (default http://127.0.0.1:<--port>)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    std::ostringstream out;
    std::ostringstream err;
    const int code = app.exit(e, out, err);
    return exit_with(std::move(result), code, out.str(), err.str());
  } catch (const CLI::ParseError& e) {
    return bad_command_line(std::move(result),
                            std::string(e.what()) + "\nRun with --help for the list of flags.");
  }
  cfg.synchronous = cfg.synchronous == "FULL" || cfg.synchronous == "full" ? "FULL" : "NORMAL";
  if (!token_cmd->parsed() && !share_cmd->parsed()) {
    return result;
  }
  if (cfg.jwt_key_file.empty() && mo.private_key_file.empty()) {
    return bad_command_line(std::move(result),
                            "--jwt-key-file (or HOODY_SQLITE_JWT_KEY_FILE) is required");
  }
  const auto ttl = http::auth::parse_duration(mo.ttl);
  if (!ttl) {
    return bad_command_line(std::move(result),
                            "--ttl must be a positive duration (3600, 90s, 15m, 1h, 7d)");
  }
  if (std::any_of(mo.databases.begin(), mo.databases.end(),
                  [](const std::string& db) { return db.empty(); })) {
    return bad_command_line(std::move(result), "--db must not be empty");
  }
  result.what = command_line::action::mint;
  result.mint = mint_request{.share = share_cmd->parsed(),
                             .databases = std::move(mo.databases),
                             .access = std::move(mo.access),
                             .ttl_s = *ttl,
                             .subject = std::move(mo.subject),
                             .private_key_file = std::move(mo.private_key_file),
                             .sql = std::move(mo.sql),
                             .base_url = std::move(mo.base_url)};
  return result;
}

}  // namespace hoody
