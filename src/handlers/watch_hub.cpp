// The change feed's fan-out (see hoody/handlers/watch_hub.hpp).
#include "hoody/handlers/watch_hub.hpp"

#include "hoody/core/clock.hpp"
#include "hoody/core/error.hpp"
#include "hoody/db/database.hpp"
#include "hoody/handlers/watch_render.hpp"
#include "hoody/http/response_render.hpp"
#include "hoody/ops/kv_watch.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

namespace hoody::handlers {

bool watch_filter::matches(std::string_view key) const {
  if (!key.starts_with(prefix)) {
    return false;
  }
  return keys.empty() || std::find(keys.begin(), keys.end(), key) != keys.end();
}

namespace {

// Counters shared by the hub and everything it made (which may outlive a feed).
struct counters {
  std::atomic<std::size_t> watchers{0};
  std::atomic<std::uint64_t> events_sent{0};
  std::atomic<std::uint64_t> dropped{0};
};

// An event on its way to the watchers of one page: rendered as SSE once, when first needed.
class outgoing {
 public:
  explicit outgoing(const ops::kv_event& e) : event(e) {}
  const ops::kv_event& event;
  const std::string& frame() {
    if (!frame_) {
      frame_ = sse_frame(event);
    }
    return *frame_;
  }

 private:
  std::optional<std::string> frame_;
};

// One watcher (an SSE stream or a long poll). `cursor`, `ready_read` and `parked` belong to its
// feed (guarded by the feed's mutex); the rest is the watcher's own (its mutex). Lock order:
// hub → feed → watcher.
class watcher {
 public:
  watcher(watch_filter f, std::int64_t after, std::shared_ptr<counters> c)
      : filter(std::move(f)), cursor(after), counts_(std::move(c)) {}
  watcher(const watcher&) = delete;
  watcher& operator=(const watcher&) = delete;
  virtual ~watcher() { mark_ended(); }

  const watch_filter filter;
  std::int64_t cursor;  ///< every change with seq <= cursor has been seen (feed's mutex)
  /// The first feed read that started after it joined: only that one says "nothing newer"
  /// (page_done) to a watcher that joined live without a read of its own (feed's mutex).
  std::uint64_t ready_read = 0;
  /// Replaying, but paused until its connection took what it has (feed's mutex).
  bool parked = false;

  /// A change it wants (seq > cursor, filter matched).
  virtual void offer(outgoing& change) = 0;
  /// A page was delivered (also an empty one, and on joining the live set).
  virtual void page_done() {}
  /// Ends the watch with a control event (shutdown, compacted, error); idempotent.
  virtual void end(std::string_view reason, const nlohmann::json& data) = 0;
  /// The clock's tick: heartbeats, deadlines.
  virtual void tick(std::int64_t now_ms) = 0;
  /// More than half of its buffer is not taken yet: a replay waits before its next page.
  [[nodiscard]] virtual bool backlogged() { return false; }

  [[nodiscard]] bool ended() const noexcept { return ended_.load(std::memory_order_acquire); }

 protected:
  /// True the first time: the watcher stops counting against --watch-max-watchers.
  bool mark_ended() noexcept {
    if (ended_.exchange(true, std::memory_order_acq_rel)) {
      return false;
    }
    counts_->watchers.fetch_sub(1, std::memory_order_relaxed);
    return true;
  }
  counters& counts() noexcept { return *counts_; }

 private:
  std::atomic<bool> ended_{false};
  std::shared_ptr<counters> counts_;
};

// GET /kv/watch as Server-Sent Events: a watcher whose output is a body_stream.
class sse_watcher final : public watcher, public http::body_stream {
 public:
  sse_watcher(watch_filter f, std::int64_t after, std::shared_ptr<counters> c,
              const watch_options& o, std::string_view table)
      : watcher(std::move(f), after, std::move(c)),
        limit_(o.buffer_bytes),
        heartbeat_ms_(o.heartbeat_ms),
        last_output_ms_(steady_now_ms()) {
    // The reconnect delay for EventSource, and a first line so that proxies pass the head on.
    pending_ = "retry: 1000\n: watching " + std::string(table) + " after seq " +
               std::to_string(after) + "\n\n";
  }

  void offer(outgoing& change) override {
    std::function<void()> wake;
    {
      std::lock_guard lock(mutex_);
      if (last_) {
        return;
      }
      pending_ += change.frame();
      counts().events_sent.fetch_add(1, std::memory_order_relaxed);
      last_output_ms_ = steady_now_ms();
      if (pending_.size() > limit_) {
        // Fallen behind: what it did not take is let go (its Last-Event-ID resumes before it).
        pending_ = sse_control("dropped", {{"reason",
                                            "the client does not keep up with the "
                                            "changes; reconnect with Last-Event-ID"},
                                           {"buffer_bytes", limit_}});
        last_ = true;
        if (mark_ended()) {
          counts().dropped.fetch_add(1, std::memory_order_relaxed);
        }
      }
      wake = wake_;
    }
    if (wake) {
      wake();
    }
  }

  void end(std::string_view reason, const nlohmann::json& data) override {
    std::function<void()> wake;
    {
      std::lock_guard lock(mutex_);
      if (last_) {
        return;
      }
      pending_ += sse_control(reason, data);
      last_ = true;
      mark_ended();
      wake = wake_;
    }
    if (wake) {
      wake();
    }
  }

  void tick(std::int64_t now_ms) override {
    std::function<void()> wake;
    {
      std::lock_guard lock(mutex_);
      if (last_ || now_ms - last_output_ms_ < heartbeat_ms_) {
        return;
      }
      pending_ += ": heartbeat\n\n";
      last_output_ms_ = now_ms;
      wake = wake_;
    }
    if (wake) {
      wake();
    }
  }

  bool backlogged() override {
    std::lock_guard lock(mutex_);
    return pending_.size() > limit_ / 2;
  }

  // body_stream (the session's side).
  void start(std::function<void()> wake) override {
    {
      std::lock_guard lock(mutex_);
      wake_ = std::move(wake);
    }
    wake_now();
  }

  chunk pull() override {
    std::lock_guard lock(mutex_);
    chunk c;
    c.bytes = std::move(pending_);
    pending_.clear();
    c.last = last_;
    return c;
  }

  void cancel() noexcept override {
    std::lock_guard lock(mutex_);
    last_ = true;
    pending_.clear();
    wake_ = nullptr;
    mark_ended();
  }

 private:
  void wake_now() {
    std::function<void()> wake;
    {
      std::lock_guard lock(mutex_);
      wake = wake_;
    }
    if (wake) {
      wake();
    }
  }

  const std::size_t limit_;
  const std::int64_t heartbeat_ms_;
  std::mutex mutex_;
  std::string pending_;  ///< bytes the session has not taken yet
  bool last_ = false;    ///< nothing follows `pending_`
  std::function<void()> wake_;
  std::int64_t last_output_ms_;
};

// GET /kv/watch?wait=…: the next changes as one JSON answer.
class poll_watcher final : public watcher {
 public:
  poll_watcher(watch_filter f, std::int64_t after, std::shared_ptr<counters> c,
               std::int64_t wait_ms, std::size_t limit,
               std::shared_ptr<const std::atomic<bool>> abandoned,
               std::function<void(http::response)> complete)
      : watcher(std::move(f), after, std::move(c)),
        deadline_ms_(steady_now_ms() + wait_ms),
        limit_(limit),
        abandoned_(std::move(abandoned)),
        complete_(std::move(complete)) {}

  void offer(outgoing& change) override {
    std::lock_guard lock(mutex_);
    if (done_) {
      return;
    }
    events_.push_back(to_json(change.event));
    last_seq_ = change.event.seq;
    counts().events_sent.fetch_add(1, std::memory_order_relaxed);
    if (events_.size() >= limit_) {
      finish_locked(last_seq_, /*timed_out=*/false);
    }
  }

  void page_done() override {
    std::lock_guard lock(mutex_);
    if (!done_ && (!events_.empty() || steady_now_ms() >= deadline_ms_)) {
      finish_locked(cursor, /*timed_out=*/events_.empty());
    }
  }

  void end(std::string_view reason, const nlohmann::json& data) override {
    std::lock_guard lock(mutex_);
    if (done_) {
      return;
    }
    if (reason == "shutdown") {
      finish_locked(events_.empty() ? cursor : last_seq_, /*timed_out=*/false);
      return;
    }
    done_ = true;
    mark_ended();
    const bool compacted = reason == "compacted";
    auto details = data;
    complete_(http::error_response(
        api_error(compacted ? errc::history_compacted : errc::unavailable,
                  data.value("message", std::string(reason)), std::move(details))));
  }

  void tick(std::int64_t now_ms) override {
    std::lock_guard lock(mutex_);
    if (done_) {
      return;
    }
    if (abandoned_ && abandoned_->load(std::memory_order_relaxed)) {
      done_ = true;  // the client hung up: nobody reads the answer, free the place now
      mark_ended();
      complete_(http::error_response(
          api_error(errc::client_closed, "the client closed its connection during the long poll")));
      return;
    }
    if (now_ms >= deadline_ms_) {
      finish_locked(events_.empty() ? cursor : last_seq_, events_.empty());
    }
  }

 private:
  // `through`: the client's next `since` (every change up to it was delivered or filtered out).
  void finish_locked(std::int64_t through, bool timed_out) {
    done_ = true;
    mark_ended();
    nlohmann::json body = {{"success", true},
                           {"count", events_.size()},
                           {"last_seq", through},
                           {"timed_out", timed_out}};
    body["events"] = std::move(events_);
    complete_(http::response::json(body));
  }

  const std::int64_t deadline_ms_;
  const std::size_t limit_;
  const std::shared_ptr<const std::atomic<bool>> abandoned_;
  std::mutex mutex_;
  bool done_ = false;
  nlohmann::json events_ = nlohmann::json::array();
  std::int64_t last_seq_ = 0;
  std::function<void(http::response)> complete_;
};

}  // namespace

// One watched (database, table): reads the op log after `cursor` for its live watchers, one
// read at a time, and replays it for watchers that start behind.
class watch_feed : public std::enable_shared_from_this<watch_feed> {
 public:
  watch_feed(std::shared_ptr<db::database> database, std::string table, std::int64_t cursor,
             const watch_options& options)
      : database_(std::move(database)),
        table_(std::move(table)),
        options_(options),
        cursor_(cursor) {}

  [[nodiscard]] const std::shared_ptr<db::database>& database() const { return database_; }

  /// Adds `w` (live at once when it is not behind the feed, else it first replays).
  void attach(const std::shared_ptr<watcher>& w) {
    bool behind = false;
    {
      std::lock_guard lock(mutex_);
      members_.push_back(w);
      if (w->cursor >= cursor_) {
        // The feed may not have read the newest commits yet: the next read tells.
        w->ready_read = reads_ + 1;
        live_.push_back(w);
      } else {
        behind = true;
      }
    }
    if (behind) {
      catch_up(w);
    } else {
      poll();  // (while a read runs, this asks for the one after it)
    }
  }

  /// Schedules a read of the log (coalesced: one at a time, another after it when asked).
  void poll() {
    std::int64_t from = 0;
    std::uint64_t read = 0;
    {
      std::lock_guard lock(mutex_);
      if (closed_) {
        return;
      }
      if (reading_) {
        dirty_ = true;
        return;
      }
      reading_ = true;
      read = ++reads_;
      from = cursor_;
      last_read_ms_ = steady_now_ms();
    }
    auto self = shared_from_this();
    auto page = std::make_shared<ops::kv_event_page>();
    database_->post_read(
        [self, page, from](db::connection& conn) {
          *page = ops::read_kv_events(conn, self->table_, from, self->options_.page_events,
                                      self->options_.page_bytes);
        },
        [self, page, from, read](std::exception_ptr error) {
          self->on_page(error, *page, from, read);
        });
  }

  /// The clock: drops ended watchers, ticks the others, polls for other processes' writes.
  /// Returns false once nothing watches (the caller forgets the feed; it is closed then).
  /// Called with the hub's mutex held.
  bool tick(std::int64_t now_ms) {
    bool due = false;
    std::vector<std::shared_ptr<watcher>> resume;
    {
      std::lock_guard lock(mutex_);
      drop_ended_locked();
      if (closed_ || members_.empty()) {
        closed_ = true;
        return false;
      }
      for (const auto& w : members_) {
        w->tick(now_ms);
        if (w->parked && !w->backlogged()) {
          w->parked = false;
          resume.push_back(w);
        }
      }
      due = !reading_ && now_ms - last_read_ms_ >= options_.poll_ms;
    }
    if (due) {
      poll();
    }
    for (const auto& w : resume) {
      catch_up(w);
    }
    return true;
  }

  /// Ends every watcher with `reason` and stops.
  void close(std::string_view reason, const nlohmann::json& data) {
    std::lock_guard lock(mutex_);
    close_locked(reason, data);
  }

 private:
  void join_live_locked(const std::shared_ptr<watcher>& w) {
    live_.push_back(w);
    w->page_done();
  }

  void close_locked(std::string_view reason, const nlohmann::json& data) {
    for (const auto& w : members_) {
      w->end(reason, data);
    }
    members_.clear();
    live_.clear();
    closed_ = true;
  }

  void drop_ended_locked() {
    const auto gone = [](const std::shared_ptr<watcher>& w) { return w->ended(); };
    members_.erase(std::remove_if(members_.begin(), members_.end(), gone), members_.end());
    live_.erase(std::remove_if(live_.begin(), live_.end(), gone), live_.end());
  }

  static nlohmann::json compacted(std::int64_t horizon, std::int64_t cursor) {
    return {{"message", "changes after seq " + std::to_string(cursor) +
                            " were removed by history retention; the oldest resumable seq is " +
                            std::to_string(horizon)},
            {"oldest_seq", horizon},
            {"last_seq", cursor}};
  }

  static nlohmann::json failure(std::exception_ptr error) {
    std::string message = "the database closed";
    try {
      std::rethrow_exception(std::move(error));
    } catch (const std::exception& e) {
      message = std::string("the watch ended: ") + e.what();
    } catch (...) {  // NOLINT(bugprone-empty-catch): keeps the generic message
    }
    return {{"message", message + "; reconnect with Last-Event-ID"}};
  }

  void on_page(std::exception_ptr error, const ops::kv_event_page& page, std::int64_t from,
               std::uint64_t read) {
    bool again = false;
    {
      std::lock_guard lock(mutex_);
      reading_ = false;
      if (closed_) {
        return;
      }
      if (error) {
        close_locked("error", failure(error));
        return;
      }
      if (page.horizon > from) {  // retention removed changes the live watchers had not read
        for (const auto& w : live_) {
          w->end("compacted", compacted(page.horizon, w->cursor));
        }
        cursor_ = std::max(cursor_, page.horizon);
      }
      for (const auto& e : page.events) {
        outgoing change(e);
        for (const auto& w : live_) {
          if (e.seq > w->cursor && !w->ended() && w->filter.matches(e.key)) {
            w->offer(change);
          }
          w->cursor = std::max(w->cursor, e.seq);
        }
        cursor_ = std::max(cursor_, e.seq);
      }
      for (const auto& w : live_) {
        w->cursor = std::max(w->cursor, cursor_);
        if (read >= w->ready_read) {
          w->page_done();
        }
      }
      drop_ended_locked();
      again = dirty_ || page.more;
      dirty_ = false;
    }
    if (again) {
      poll();
    }
  }

  // A watcher behind the feed reads the log itself until its cursor reaches the feed's.
  void catch_up(const std::shared_ptr<watcher>& w) {
    std::int64_t from = 0;
    std::int64_t target = 0;
    {
      std::lock_guard lock(mutex_);
      if (closed_ || w->ended()) {
        return;
      }
      from = w->cursor;
      target = cursor_;  // the read starts after this: its snapshot holds every seq <= target
    }
    auto self = shared_from_this();
    auto page = std::make_shared<ops::kv_event_page>();
    database_->post_read(
        [self, page, from](db::connection& conn) {
          *page = ops::read_kv_events(conn, self->table_, from, self->options_.page_events,
                                      self->options_.page_bytes);
        },
        [self, w, page, from, target](std::exception_ptr error) {
          self->on_catch_up(w, error, *page, from, target);
        });
  }

  void on_catch_up(const std::shared_ptr<watcher>& w, std::exception_ptr error,
                   const ops::kv_event_page& page, std::int64_t from, std::int64_t target) {
    {
      std::lock_guard lock(mutex_);
      if (closed_ || w->ended()) {
        return;
      }
      if (error) {
        w->end("error", failure(error));
        return;
      }
      if (page.horizon > from) {
        w->end("compacted", compacted(page.horizon, from));
        return;
      }
      for (const auto& e : page.events) {
        outgoing change(e);
        if (!w->ended() && w->filter.matches(e.key)) {
          w->offer(change);
        }
        w->cursor = std::max(w->cursor, e.seq);
      }
      if (!page.more) {
        w->cursor = std::max(w->cursor, target);  // nothing else exists up to the target
      }
      if (w->ended()) {
        return;
      }
      if (w->cursor >= cursor_) {
        join_live_locked(w);
        return;
      }
      w->page_done();
      if (w->backlogged()) {  // a long replay goes at the pace of the client (the clock resumes it)
        w->parked = true;
        return;
      }
    }
    catch_up(w);
  }

  const std::shared_ptr<db::database> database_;
  const std::string table_;
  const watch_options& options_;
  std::mutex mutex_;
  std::int64_t cursor_;  ///< the live watchers have seen every change up to here
  std::vector<std::shared_ptr<watcher>> members_;  ///< every watcher of this feed
  std::vector<std::shared_ptr<watcher>> live_;     ///< those fed by poll()
  bool reading_ = false;
  std::uint64_t reads_ = 0;  ///< reads started
  bool dirty_ = false;       ///< a commit happened while reading: read again after
  bool closed_ = false;
  std::int64_t last_read_ms_ = steady_now_ms();
};

struct watch_hub::impl : std::enable_shared_from_this<watch_hub::impl> {
  explicit impl(watch_options o) : options(bounded(o)), counts(std::make_shared<counters>()) {}

  // One page lands in a watcher's buffer at once: keep it well below the buffer, so that only
  // a client that does not read is dropped, not one that got a burst of large values.
  static watch_options bounded(watch_options o) {
    o.page_bytes = std::max<std::size_t>(1, std::min(o.page_bytes, o.buffer_bytes / 4));
    return o;
  }

  const watch_options options;
  std::shared_ptr<counters> counts;

  std::mutex mutex;  // guards everything below
  bool stopping = false;
  struct watched_database {
    std::shared_ptr<db::database> database;
    std::map<std::string, std::shared_ptr<watch_feed>> feeds;  ///< by KV table
  };
  std::map<const db::database*, watched_database> databases;
  std::condition_variable clock_cv;
  std::thread clock;

  void admit() {
    std::lock_guard lock(mutex);
    if (stopping) {
      throw api_error(errc::unavailable, "the server is shutting down");
    }
    if (counts->watchers.load() >= options.max_watchers) {
      throw api_error(errc::too_many_requests, "too many watchers (--watch-max-watchers " +
                                                   std::to_string(options.max_watchers) +
                                                   "); retry later");
    }
    counts->watchers.fetch_add(1);
  }

  void attach(const watch_request& r, const std::shared_ptr<watcher>& w) {
    std::lock_guard lock(mutex);
    if (stopping) {
      w->end("shutdown", nlohmann::json::object());
      return;
    }
    auto& entry = databases[r.database.get()];
    if (!entry.database) {
      entry.database = r.database;
      std::weak_ptr<impl> weak = shared_from_this();
      const db::database* key = r.database.get();
      r.database->set_commit_observer([weak, key] {
        if (auto self = weak.lock()) {
          self->on_commit(key);
        }
      });
    }
    auto& feed = entry.feeds[r.table];
    if (!feed) {
      // At the head: a watcher behind it replays at its own pace (catch_up), not the feed's.
      feed = std::make_shared<watch_feed>(r.database, r.table, r.head, options);
    }
    feed->attach(w);
  }

  void on_commit(const db::database* key) {
    std::vector<std::shared_ptr<watch_feed>> feeds;
    {
      std::lock_guard lock(mutex);
      auto it = databases.find(key);
      if (it == databases.end()) {
        return;
      }
      for (const auto& [table, feed] : it->second.feeds) {
        feeds.push_back(feed);
      }
    }
    for (const auto& feed : feeds) {
      feed->poll();
    }
  }

  // Heartbeats, long-poll deadlines and polls for other processes' writes; forgets idle feeds.
  void run_clock() {
    const auto period =
        std::chrono::milliseconds(std::clamp<std::int64_t>(options.poll_ms / 2, 10, 250));
    std::unique_lock lock(mutex);
    while (!stopping) {
      clock_cv.wait_for(lock, period);
      const std::int64_t now = steady_now_ms();
      for (auto it = databases.begin(); it != databases.end();) {
        auto& feeds = it->second.feeds;
        for (auto f = feeds.begin(); f != feeds.end();) {
          f = f->second->tick(now) ? std::next(f) : feeds.erase(f);
        }
        if (feeds.empty()) {
          it->second.database->set_commit_observer(nullptr);
          it = databases.erase(it);
        } else {
          ++it;
        }
      }
    }
  }

  void shutdown() {
    std::map<const db::database*, watched_database> gone;
    {
      std::lock_guard lock(mutex);
      stopping = true;
      gone.swap(databases);
      for (auto& [key, entry] : gone) {
        entry.database->set_commit_observer(nullptr);
        for (auto& [table, feed] : entry.feeds) {
          feed->close("shutdown", {{"message",
                                    "the server is shutting down; reconnect with "
                                    "Last-Event-ID"}});
        }
      }
    }
    clock_cv.notify_all();
  }
};

watch_hub::watch_hub(watch_options options) : impl_(std::make_shared<impl>(options)) {
  impl_->clock = std::thread([self = impl_.get()] { self->run_clock(); });
}

watch_hub::~watch_hub() {
  shutdown();
  if (impl_->clock.joinable()) {
    impl_->clock.join();
  }
}

std::shared_ptr<http::body_stream> watch_hub::stream(watch_request request) {
  impl_->admit();
  auto w = std::make_shared<sse_watcher>(std::move(request.filter), request.after, impl_->counts,
                                         impl_->options, request.table);
  impl_->attach(request, w);
  return w;
}

http::deferred_response watch_hub::long_poll(watch_request request, std::int64_t wait_ms,
                                             std::size_t limit) {
  impl_->admit();
  // Counted from now; attached once the dispatcher hands over the completion.
  std::weak_ptr<impl> weak = impl_;
  return [weak, request = std::move(request), wait_ms,
          limit](std::function<void(http::response)> complete) mutable {
    auto self = weak.lock();
    if (!self) {
      complete(http::error_response(api_error(errc::unavailable, "the server is shutting down")));
      return;
    }
    // The admission above counted this watcher; the watcher's own end releases it.
    auto w = std::make_shared<poll_watcher>(std::move(request.filter), request.after, self->counts,
                                            wait_ms, std::max<std::size_t>(limit, 1),
                                            request.abandoned, std::move(complete));
    self->attach(request, w);
  };
}

void watch_hub::shutdown() {
  impl_->shutdown();
}

watch_stats watch_hub::stats() const {
  watch_stats s;
  s.watchers = impl_->counts->watchers.load(std::memory_order_relaxed);
  s.events_sent = impl_->counts->events_sent.load(std::memory_order_relaxed);
  s.dropped = impl_->counts->dropped.load(std::memory_order_relaxed);
  return s;
}

}  // namespace hoody::handlers
