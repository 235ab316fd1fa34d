// hoody/http/dispatcher.hpp — runs a parsed request through the route table on the right thread.
//
// `dispatch` matches the route (404 / 405 with Allow), resolves the database parameter off the
// I/O thread (path rules, cache open), then runs the handler where the route's `access` says:
// inline (none), on a reader, or on the database's writer (group-committed). `complete` is called
// exactly once, on a database or I/O thread; the caller hops back to its own executor. Every
// exception becomes a JSON error response here (through response_render), never a crash.
#pragma once

#include "hoody/http/access_control.hpp"
#include "hoody/http/request.hpp"
#include "hoody/http/router.hpp"

#include <atomic>
#include <cstdint>
#include <functional>

namespace hoody {
struct services;
}
namespace hoody::db {
class executors;
}

namespace hoody::http {

class dispatcher {
 public:
  dispatcher(const router& routes, services& svc, db::executors& exec);

  using completion = std::function<void(response)>;

  void dispatch(request req, completion complete);

  /// Requests currently being processed (for graceful shutdown and metrics).
  [[nodiscard]] std::int64_t in_flight() const noexcept { return in_flight_.load(); }

 private:
  void run_on_database(std::shared_ptr<const request> req, const route& r, completion complete);

  const router& routes_;
  services& svc_;
  db::executors& exec_;
  cors_policy cors_;  ///< from config.cors_origin
  std::atomic<std::int64_t> in_flight_{0};
};

}  // namespace hoody::http
