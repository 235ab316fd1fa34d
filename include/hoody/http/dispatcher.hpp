// hoody/http/dispatcher.hpp — runs a parsed request through the route table on the right thread.
//
// `dispatch` matches the route (404 / 405 with Allow), resolves the database parameter off the
// I/O thread (path rules, cache open; a name resolved < 1 s ago whose database is open skips
// that hop: no disk access), then runs the handler where the route's `access` says:
// inline (none), on a reader, or on the database's writer (group-committed). A `read` route with
// a `read_cache_key` is first looked up in the database's read cache (db/read_cache.hpp: no
// SQLite call, so possibly on the I/O thread); a reader's `cacheable` answer is stored there.
// A `db` naming a directory (db::resolve_kv_directory) runs the route's `on_directory` handler
// on the read pool instead (directory mode, ops/kv_dir.hpp; other routes answer 400).
// Work that would write (a write or exclusive route, a new database file, a read_then_write
// hand-over) is refused in one place: 403 for a token without write access, 503 NOT_PRIMARY on a
// standby (--primary-file missing; services::is_primary, a cached stat at most every 100 ms).
// A request whose client hangs up (request::abandoned, set by the session) is not started, or its
// SQL is interrupted, and it fails 499 CLIENT_CLOSED_REQUEST; a write of it is rolled back.
// `complete` is called exactly once, on a database or I/O thread; the caller hops back to its own
// executor. Every exception becomes a JSON error response here (through response_render), never
// a crash.
#pragma once

#include "hoody/http/access_control.hpp"
#include "hoody/http/request.hpp"
#include "hoody/http/router.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace hoody {
struct services;
}
namespace hoody::db {
class database;
class executors;
}  // namespace hoody::db
namespace hoody::ops {
class kv_directory_registry;
}

namespace hoody::http {

class dispatcher {
 public:
  dispatcher(const router& routes, services& svc, db::executors& exec);
  ~dispatcher();
  dispatcher(const dispatcher&) = delete;
  dispatcher& operator=(const dispatcher&) = delete;

  using completion = std::function<void(response)>;

  void dispatch(request req, completion complete);

  /// Requests currently being processed (for graceful shutdown and metrics).
  [[nodiscard]] std::int64_t in_flight() const noexcept { return in_flight_.load(); }

  /// Bytes of the bodies of completed responses not yet written to their clients. Every
  /// response `dispatch` completes is counted (body size); its connection gives the bytes back
  /// with release_buffered once written. A response of 64 KiB or more that would take the total
  /// over --max-buffered-response-bytes is replaced by 503 UNAVAILABLE (Retry-After: 1).
  void release_buffered(std::size_t bytes) noexcept { buffered_.fetch_sub(bytes); }
  [[nodiscard]] std::size_t buffered_bytes() const noexcept { return buffered_.load(); }

  struct pending;  ///< one request on its way through a database (dispatcher.cpp)

 private:
  void run_on_database(std::shared_ptr<const request> req, const route& r, completion complete,
                       bool may_write);
  /// The slow path: resolves the name and opens the database on a pool thread, then submits.
  void resolve_and_submit(const std::shared_ptr<pending>& p);
  /// Every open database is in use: resumes resolve_and_submit once a slot frees, or 503.
  void wait_for_slot(const std::shared_ptr<pending>& p);
  /// The open database of a recently resolved name, or null (then the slow path resolves it).
  std::shared_ptr<db::database> find_open(pending& p);
  void remember_name(const std::string& name, const std::filesystem::path& file);
  /// Directory mode: runs the route's on_directory handler (on the calling pool thread).
  void run_on_directory(const std::shared_ptr<pending>& p, const std::filesystem::path& dir);
  /// Runs the handler on the database; a db::file_replaced failure is retried once through
  /// resolve_and_submit.
  void submit(const std::shared_ptr<pending>& p, std::shared_ptr<db::database> database);

  const router& routes_;
  services& svc_;
  db::executors& exec_;
  cors_policy cors_;    ///< from config.cors_origin
  auth::key_set keys_;  ///< from config.jwt_key_file (loaded once; std::runtime_error if bad)
  std::unique_ptr<ops::kv_directory_registry> directories_;  ///< directory mode (docs/kv.md)
  std::atomic<std::int64_t> in_flight_{0};
  std::atomic<std::size_t> buffered_{0};
  void admit(response& res);
  /// Every response passes here once: buffered-bytes admission, CORS headers, metrics (by route
  /// pattern), then `complete`.
  void finish(const route* found, std::chrono::steady_clock::time_point started,
              const std::optional<std::string>& origin, response res, const completion& complete);

  struct resolved_name {
    std::filesystem::path file;
    std::chrono::steady_clock::time_point resolved;
  };
  std::mutex names_mutex_;
  std::unordered_map<std::string, resolved_name> names_;  ///< db parameter → file, ≤ 1 s old
};

}  // namespace hoody::http
