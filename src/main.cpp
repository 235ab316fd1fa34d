// hoody-sqlite: command line → config → server.run(). Every flag --x-y has the environment
// twin HOODY_SQLITE_X_Y. Exit codes: 0 clean stop, 1 start-up failure, 2 bad command line.
// Subcommands `token` and `share` print a JWT / a share link made with --jwt-key-file and exit.
#include "hoody/core/config.hpp"
#include "hoody/http/server.hpp"
#include "hoody/http/tokens.hpp"
#include "hoody/ops/maintenance.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <mutex>
#include <system_error>
#include <thread>

namespace {

// spdlog's stdout sinks flush every line; this one leaves the writes to the stdio buffer (the
// logger's flush policy says when it is emptied).
class buffered_stdout_sink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  void flush_() override { std::fflush(stdout); }
};

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

// The one start-up check users hit most in containers: the volume's owner does not match the
// process's UID/GID. Say it in one line instead of failing at the first request. A read
// replica (--read-only) writes nothing: a read-only directory is fine for it.
bool check_data_dir(const std::filesystem::path& dir, bool read_only) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    std::cerr << "hoody-sqlite: data directory " << dir
              << " does not exist or is not a directory\n";
    return false;
  }
  if (::access(dir.c_str(), read_only ? X_OK : W_OK | X_OK) != 0) {
    const int err = errno;  // before any other call can change it
    std::cerr << "hoody-sqlite: data directory " << dir
              << (read_only ? " is not searchable" : " is not writable") << " by uid " << ::getuid()
              << " gid " << ::getgid() << " (" << std::generic_category().message(err)
              << "); fix the volume's owner or run as its owner\n";
    return false;
  }
  return true;
}

// Each connection holds a descriptor: raise the soft limit to the hard one (often 1024 → much
// more), so many idle keep-alive clients do not exhaust it.
void raise_open_files_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

bool write_port_file(const std::filesystem::path& file, std::uint16_t port) {
  const auto tmp = std::filesystem::path(file.string() + ".tmp");
  {
    std::ofstream out(tmp);
    out << port << '\n';
    if (!out) {
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);  // atomic: readers never see a partial file
  return !ec;
}

// `hoody-sqlite token` and `hoody-sqlite share` (docs/security.md).
struct mint_options {
  std::vector<std::string> databases;
  std::string access = "read";
  std::string ttl = "1h";
  std::string subject;
  std::filesystem::path private_key_file;
  std::string sql;
  std::string base_url;
};

std::int64_t unix_now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int mint(const hoody::config& cfg, const mint_options& o, bool share) {
  namespace auth = hoody::http::auth;
  try {
    const auto ttl = auth::parse_duration(o.ttl);
    if (!ttl) {
      std::cerr << "hoody-sqlite: --ttl must be a positive duration (3600, 90s, 15m, 1h, 7d)\n";
      return 2;
    }
    for (const auto& db : o.databases) {
      if (db.empty()) {
        std::cerr << "hoody-sqlite: --db must not be empty\n";
        return 2;
      }
    }
    const std::int64_t now = unix_now_s();
    if (share) {
      const auto keys = auth::key_set::load(cfg.jwt_key_file);
      const std::string base =
          o.base_url.empty() ? "http://127.0.0.1:" + std::to_string(cfg.port) : o.base_url;
      std::cout << base
                << auth::share_link(keys, "/api/v1/sqlite/query", o.databases.front(), o.sql,
                                    now + *ttl)
                << "\n";
      return 0;
    }
    const auto level = auth::parse_level(o.access);
    const auto payload = auth::token_payload(o.databases, *level, now, *ttl, o.subject);
    if (!o.private_key_file.empty()) {
      std::ifstream in(o.private_key_file, std::ios::binary);
      if (!in) {
        throw std::runtime_error("cannot read " + o.private_key_file.string());
      }
      const std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      std::cout << auth::sign_jwt_ed25519(payload, pem) << "\n";
      return 0;
    }
    const auto keys = auth::key_set::load(cfg.jwt_key_file);
    if (keys.hs256.empty()) {
      throw std::runtime_error("no hs256 secret in " + cfg.jwt_key_file.string() +
                               " (EdDSA tokens need --jwt-private-key-file)");
    }
    std::cout << auth::sign_jwt_hs256(payload, keys.hs256.front()) << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "hoody-sqlite: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  hoody::config cfg;
  // Thread defaults follow the machine: more threads than cores only add wake-ups and context
  // switches (docs/performance.md). Readers stay at two or more so one slow query does not
  // hold up every other read.
  const unsigned cores = std::max(1U, std::thread::hardware_concurrency());
  cfg.io_threads = cores;
  cfg.read_threads = std::max(2U, cores);
  cfg.write_threads = std::max(1U, cores / 2);
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
  mint_options mo;
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
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    std::cerr << "hoody-sqlite: " << e.what() << "\nRun with --help for the list of flags.\n";
    return 2;
  }
  cfg.synchronous = cfg.synchronous == "FULL" || cfg.synchronous == "full" ? "FULL" : "NORMAL";
  if (token_cmd->parsed() || share_cmd->parsed()) {
    if (cfg.jwt_key_file.empty() && mo.private_key_file.empty()) {
      std::cerr << "hoody-sqlite: --jwt-key-file (or HOODY_SQLITE_JWT_KEY_FILE) is required\n";
      return 2;
    }
    return mint(cfg, mo, share_cmd->parsed());
  }

  // A terminal gets coloured lines as they come; anything else (a file, a pipe, a container's
  // log driver) gets them through a 64 KiB stdio buffer, written out when full, once a second,
  // at once for warnings and errors, and at exit: the access log (a line per request) then
  // costs no write(2) per request. A kill -9 may lose the last second of info lines.
  if (::isatty(STDOUT_FILENO) == 0) {
    static std::array<char, std::size_t{64} * 1024> stdout_buffer{};
    std::setvbuf(stdout, stdout_buffer.data(), _IOFBF, stdout_buffer.size());
    spdlog::set_default_logger(
        std::make_shared<spdlog::logger>("hoody", std::make_shared<buffered_stdout_sink>()));
    spdlog::flush_every(std::chrono::seconds(1));
  }
  spdlog::flush_on(spdlog::level::warn);
  spdlog::set_level(spdlog::level::from_str(cfg.log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  struct flush_at_exit {
    flush_at_exit() = default;
    flush_at_exit(const flush_at_exit&) = delete;
    flush_at_exit& operator=(const flush_at_exit&) = delete;
    ~flush_at_exit() { spdlog::shutdown(); }
  } const flush_logs;

  // Large buffers (result bodies) always come from mmap and go back to the system when freed:
  // glibc's adaptive threshold would otherwise keep tens of MB per freed result in the heap.
  ::mallopt(M_MMAP_THRESHOLD, 1024 * 1024);  // NOLINT(concurrency-mt-unsafe): no thread yet
  raise_open_files_limit();
  if (!check_data_dir(cfg.data_dir, cfg.read_only)) {
    return 1;
  }
  // A vacuum_into interrupted by a crash leaves only its temporary (never a partial backup).
  if (const auto stale =
          cfg.read_only ? 0 : hoody::ops::remove_stale_vacuum_temporaries(cfg.data_dir);
      stale > 0) {
    spdlog::info("removed {} stale vacuum_into temporary file(s) from {}", stale,
                 cfg.data_dir.string());
  }
  try {
    hoody::http::server server(cfg);
    if (!cfg.port_file.empty() && !write_port_file(cfg.port_file, server.port())) {
      std::cerr << "hoody-sqlite: cannot write port file " << cfg.port_file << "\n";
      return 1;
    }
    spdlog::info("hoody-sqlite {} listening on {}:{} (data dir {})", HOODY_VERSION, cfg.host,
                 server.port(), std::filesystem::canonical(cfg.data_dir).string());
    server.run();
  } catch (const std::exception& e) {
    std::cerr << "hoody-sqlite: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
