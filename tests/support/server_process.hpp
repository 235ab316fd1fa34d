// tests/support/server_process.hpp — runs the real binary for e2e tests.
//
// Starts `$HOODY_BIN` (set by CTest to build/hoody-sqlite) with `--port 0 --port-file F
// --data-dir D` plus extra arguments, waits for the port file, and stops the process on
// destruction (SIGTERM, then SIGKILL after 10 s). Each instance gets its own temp data dir
// unless one is given. Set HOODY_E2E_PORT to run against an already running external server.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace hoody::test {

/// A unique temporary directory removed on destruction.
class temp_dir {
 public:
  temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir();
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

class server_process {
 public:
  explicit server_process(std::vector<std::string> extra_args = {},
                          std::filesystem::path data_dir = {});
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;
  ~server_process();

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] const std::filesystem::path& data_dir() const noexcept { return data_dir_; }
  [[nodiscard]] int pid() const noexcept { return pid_; }

  /// Sends `signal` and waits up to `timeout_ms` for the exit; returns the exit code
  /// (128+signal when killed by a signal, -1 on timeout).
  int stop(int signal = 15, int timeout_ms = 10000);
  /// SIGKILL without waiting for a clean exit (crash tests).
  void kill9();
  /// Everything the server printed (stdout and stderr).
  [[nodiscard]] std::string output() const;

 private:
  std::unique_ptr<temp_dir> own_dir_;
  std::filesystem::path data_dir_;
  std::filesystem::path log_file_;
  std::uint16_t port_ = 0;
  int pid_ = -1;
};

/// Path of the binary under test ($HOODY_BIN, else build/hoody-sqlite).
[[nodiscard]] std::filesystem::path server_binary();

}  // namespace hoody::test
