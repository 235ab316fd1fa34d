// hoody-sqlite: process start-up. The command line and environment become a config
// (hoody/core/command_line.hpp), then logging, limits and the data directory are set up and
// server.run() serves. Exit codes: 0 clean stop, 1 start-up failure, 2 bad command line.
// Subcommands `token` and `share` print a JWT / a share link made with --jwt-key-file and exit.
#include "hoody/core/command_line.hpp"
#include "hoody/core/config.hpp"
#include "hoody/db/connection.hpp"
#include "hoody/http/server.hpp"
#include "hoody/http/tokens.hpp"
#include "hoody/ops/maintenance.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

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

#if defined(HOODY_JEMALLOC)
// jemalloc's options, read at its first allocation (docs/operations.md "Memory"): blocks of
// 1 MiB and more (result bodies) come from an arena that returns them to the system as soon as
// they are freed, as glibc's mmap threshold below does; other freed pages within 0.2 s, purged
// by jemalloc's background thread, also while the server is idle. `MALLOC_CONF` overrides.
extern "C" {
// NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables): jemalloc's interface
const char* malloc_conf =
    "background_thread:true,max_background_threads:1,"
    "oversize_threshold:1048576,dirty_decay_ms:200,muzzy_decay_ms:0";
}
#endif

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

std::int64_t unix_now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// `hoody-sqlite token` and `hoody-sqlite share` (docs/security.md), arguments already checked.
int mint(const hoody::config& cfg, const hoody::mint_request& o) {
  namespace auth = hoody::http::auth;
  try {
    const std::int64_t now = unix_now_s();
    if (o.share) {
      const auto keys = auth::key_set::load(cfg.jwt_key_file);
      const std::string base =
          o.base_url.empty() ? "http://127.0.0.1:" + std::to_string(cfg.port) : o.base_url;
      std::cout << base
                << auth::share_link(keys, "/api/v1/sqlite/query", o.databases.front(), o.sql,
                                    now + o.ttl_s)
                << "\n";
      return 0;
    }
    const auto level = auth::parse_level(o.access);
    if (!level) {
      throw std::logic_error("unchecked --access " + o.access);
    }
    const auto payload = auth::token_payload(o.databases, *level, now, o.ttl_s, o.subject);
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
  // Thread defaults follow the machine: more threads than cores only add wake-ups and context
  // switches (docs/performance.md).
  const auto parsed = hoody::parse_command_line(
      argc, argv, hoody::with_machine_threads({}, std::thread::hardware_concurrency()));
  switch (parsed.what) {
  case hoody::command_line::action::exit:
    std::cout << parsed.out << std::flush;
    std::cerr << parsed.err;
    return parsed.exit_code;
  case hoody::command_line::action::mint:
    return mint(parsed.cfg, parsed.mint);
  case hoody::command_line::action::serve:
    break;
  }
  const hoody::config& cfg = parsed.cfg;

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

#if !defined(HOODY_JEMALLOC)
  // Large buffers (result bodies) always come from mmap and go back to the system when freed:
  // glibc's adaptive threshold would otherwise keep tens of MB per freed result in the heap.
  ::mallopt(M_MMAP_THRESHOLD, 1024 * 1024);  // NOLINT(concurrency-mt-unsafe): no thread yet
#endif
  if (!hoody::db::configure_sqlite_library()) {
    spdlog::warn(
        "SQLite was initialized before its options could be set; running with its defaults");
  }
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
