// hoody/http/server.hpp — the daemon: listener, HTTP sessions, signals, background tasks.
//
// Construction binds the listening socket (so `port()` is known, also for --port 0) and builds
// the services (database executors, cache, query history, route table). `run()` serves on
// config.io_threads I/O threads until SIGINT/SIGTERM or `stop()`: then it stops accepting,
// lets in-flight requests finish within config.shutdown_timeout_s, closes idle keep-alive
// connections, drains database writers, checkpoints and closes every database, and returns.
// `stop()` is safe from any thread (and from a signal handler context via the signal_set).
#pragma once

#include "hoody/core/config.hpp"

#include <cstdint>
#include <memory>

namespace hoody::http {

class server {
 public:
  explicit server(config cfg);
  server(const server&) = delete;
  server& operator=(const server&) = delete;
  ~server();

  [[nodiscard]] std::uint16_t port() const noexcept;
  /// Serves until stopped; returns after a clean shutdown.
  void run();
  void stop();

  struct impl;  // opaque; defined in server.cpp (also used by its sessions)

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace hoody::http
