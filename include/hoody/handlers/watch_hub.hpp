// hoody/handlers/watch_hub.hpp — the change feed's fan-out (GET /kv/watch, SSE and long poll).
//
// One `feed` per watched (open database, KV table) reads the op log after its cursor on a
// reader connection (never on an I/O thread) whenever the database commits a group
// (database::set_commit_observer), and every poll interval (changes written by other
// processes), one read at a time; each page is handed to the feed's live watchers, filtered by
// key prefix / key list. A watcher that starts behind the feed (`since`) first replays the log
// at its client's pace (the next page only once less than half of its buffer waits)
// with reads of its own and joins the live set under the feed's lock once its cursor reached
// the feed's: with seqs ascending in commit order (ops/kv_watch.hpp) and each watcher dropping
// what its cursor already passed, it sees every change once, in order, only after its commit.
// Bounded: a watcher buffers at most `buffer_bytes` not yet taken by its connection; beyond
// that it is dropped (a `dropped` event, then the stream ends) and never slows a writer. At most
// `max_watchers` at once (SSE and long polls). `shutdown` ends every stream with a `shutdown`
// event and answers every long poll. One clock thread drives polls, heartbeats and long-poll
// deadlines. Thread-safety: every member may be called from any thread.
#pragma once

#include "hoody/http/request.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hoody::db {
class database;
}
namespace hoody::http {
class metrics;
}

namespace hoody::handlers {

struct watch_options {
  std::int64_t heartbeat_ms = 15'000;               ///< SSE comment after this long without output
  std::int64_t poll_ms = 250;                       ///< op-log read for other processes' writes
  std::size_t buffer_bytes = std::size_t{1} << 20;  ///< per watcher, not yet sent; then dropped
  std::size_t max_watchers = 1000;                  ///< SSE streams + long polls; more → 429
  std::size_t page_events = 1000;                   ///< changes per op-log read
  std::size_t page_bytes = std::size_t{4} << 20;    ///< value bytes per read (≤ buffer_bytes / 4)
};

/// Which keys a watcher wants: all of them, those starting with `prefix`, and/or those in `keys`.
struct watch_filter {
  std::string prefix;
  std::vector<std::string> keys;  ///< empty: any key (with `prefix`)

  [[nodiscard]] bool matches(std::string_view key) const;
};

/// What one watch request asks for.
struct watch_request {
  std::shared_ptr<db::database> database;
  std::string table;
  watch_filter filter;
  std::int64_t after = 0;  ///< deliver changes with seq > after
  std::int64_t head = 0;   ///< the log's newest seq as the caller read it (a new feed starts there)
  /// The request's http::request::abandoned: a long poll whose client hung up ends at the next
  /// clock tick (499) instead of holding its place until `wait` runs out. May be null.
  std::shared_ptr<const std::atomic<bool>> abandoned;
};

struct watch_stats {
  std::size_t watchers = 0;  ///< open SSE streams and waiting long polls
  std::uint64_t events_sent = 0;
  std::uint64_t dropped = 0;  ///< watchers dropped for falling behind
};

class watch_hub {
 public:
  explicit watch_hub(watch_options options);
  ~watch_hub();
  watch_hub(const watch_hub&) = delete;
  watch_hub& operator=(const watch_hub&) = delete;

  /// An SSE stream of the changes after `request.after`. Throws api_error: too_many_requests
  /// past max_watchers, unavailable once shut down.
  [[nodiscard]] std::shared_ptr<http::body_stream> stream(watch_request request);

  /// A long poll: completes with {"events": [...], "count", "last_seq", "timed_out"} once changes
  /// after `request.after` exist (at most `limit`), or after `wait_ms` with none.
  [[nodiscard]] http::deferred_response long_poll(watch_request request, std::int64_t wait_ms,
                                                  std::size_t limit);

  /// Ends every stream (`shutdown` event) and answers every long poll; later calls refuse.
  void shutdown();

  [[nodiscard]] watch_stats stats() const;

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace hoody::handlers
