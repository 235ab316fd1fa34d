// hoody/core/command_line.hpp — the command line and the environment → a validated `config`
// (or what `hoody-sqlite token` / `share` should mint), without running anything.
//
// Every server flag `--x-y` has the environment twin HOODY_SQLITE_X_Y; the flag wins when both
// are set. Values are range- and set-checked here (CLI11), for flags and environment alike;
// what needs the machine (does --data-dir exist, can the port be bound) is left to start-up.
// `parse_command_line` reads the process environment (std::getenv) and writes nothing: --help,
// --version and errors come back as text with the exit code the process should end with
// (0 after --help/--version, 2 for a bad command line). Not thread-safe against setenv.
#pragma once

#include "hoody/core/config.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace hoody {

/// The arguments of `hoody-sqlite token` (a JWT) or `hoody-sqlite share` (a share link),
/// docs/security.md. Validated: `databases` is non-empty with no empty name (exactly one for
/// share), `access` is read, write or admin, `ttl_s` > 0, and `cfg.jwt_key_file` or
/// `private_key_file` (token only) is set.
struct mint_request {
  bool share = false;  ///< share link (else a JWT)
  std::vector<std::string> databases;
  std::string access = "read";
  std::int64_t ttl_s = 0;
  std::string subject;                     ///< JWT `sub`; may be empty
  std::filesystem::path private_key_file;  ///< Ed25519 PEM: sign EdDSA instead of HS256
  std::string sql;                         ///< share: the read-only query
  std::string base_url;                    ///< share: link prefix; empty = http://127.0.0.1:<port>
};

struct command_line {
  enum class action {
    serve,  ///< run the server with `cfg`
    mint,   ///< print what `mint` asks for (with cfg.jwt_key_file, cfg.port), then exit
    exit,   ///< print `out` to stdout and `err` to stderr, then exit with `exit_code`
  };
  action what = action::serve;
  config cfg;
  mint_request mint;  ///< when what == mint
  int exit_code = 0;  ///< when what == exit
  std::string out;    ///< when what == exit: --help or --version text
  std::string err;    ///< when what == exit: the error, each line ending in '\n'
};

/// `defaults` with the thread counts that follow the machine (docs/performance.md): I/O threads
/// = cores, read threads = cores but at least 2, write threads = cores / 2 but at least 1
/// (`cores` 0 counts as 1).
[[nodiscard]] config with_machine_threads(config defaults, unsigned cores);

/// Parses argv (argv[0] is the program name) and the HOODY_SQLITE_* environment over
/// `defaults` (which --help shows as the defaults). `synchronous` comes back as NORMAL or FULL.
[[nodiscard]] command_line parse_command_line(int argc, const char* const* argv,
                                              const config& defaults = {});

}  // namespace hoody
