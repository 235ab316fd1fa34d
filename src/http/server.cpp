// The only translation unit that includes Beast: listener, session and the server lifecycle.
#include "hoody/http/server.hpp"

#include "hoody/core/clock.hpp"
#include "hoody/core/error.hpp"
#include "hoody/core/services.hpp"
#include "hoody/db/checkpointer.hpp"
#include "hoody/db/database_cache.hpp"
#include "hoody/db/executors.hpp"
#include "hoody/handlers/routes.hpp"
#include "hoody/handlers/watch_hub.hpp"
#include "hoody/http/dispatcher.hpp"
#include "hoody/http/metrics.hpp"
#include "hoody/http/response_render.hpp"
#include "hoody/ops/kv.hpp"           // ops::sweep_expired
#include "hoody/ops/maintenance.hpp"  // ops::prune_all_kv_history
#include "hoody/ops/query_history.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace hoody::http {
namespace beast = boost::beast;  // from <boost/beast.hpp>
namespace bhttp = beast::http;   // from <boost/beast/http.hpp>
namespace net = boost::asio;     // from <boost/asio.hpp>
using tcp = net::ip::tcp;        // from <boost/asio/ip/tcp.hpp>

namespace {

std::string_view server_name() {
  return "hoody-sqlite/" HOODY_VERSION;
}

verb to_verb(bhttp::verb v) {
  switch (v) {
  case bhttp::verb::get:
    return verb::get;
  case bhttp::verb::head:
    return verb::head;
  case bhttp::verb::post:
    return verb::post;
  case bhttp::verb::put:
    return verb::put;
  case bhttp::verb::delete_:
    return verb::delete_;
  case bhttp::verb::options:
    return verb::options;
  case bhttp::verb::patch:
    return verb::patch;
  default:
    return verb::other;
  }
}

// A header line may not break the framing: names are tokens, values have no CR/LF.
bool safe_header(std::string_view name, std::string_view value) {
  const auto token = [](char ch) {
    return ch > 0x20 && ch < 0x7f && ch != ':' && ch != '(' && ch != ')' && ch != ',' &&
           ch != '/' && ch != ';' && ch != '<' && ch != '=' && ch != '>' && ch != '?' &&
           ch != '@' && ch != '[' && ch != '\\' && ch != ']' && ch != '{' && ch != '}' && ch != '"';
  };
  return !name.empty() && std::all_of(name.begin(), name.end(), token) &&
         value.find_first_of("\r\n") == std::string_view::npos &&
         value.find('\0') == std::string_view::npos;
}

// 1xx, 204 and 304 responses carry no body and no Content-Length.
bool bodiless(int status) {
  return status < 200 || status == 204 || status == 304;
}

// Writes the status line and the headers into `out` (cleared first; its capacity is reused).
// Content-Length is that of `res.body`, also for HEAD, which then sends no body.
// A streamed body (`streaming`) has no Content-Length: the connection's close ends it.
void serialize_head(const response& res, unsigned version, bool closing, std::string& out,
                    bool streaming = false) {
  out.clear();
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(res.status);
  out += ' ';
  const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(res.status));
  out.append(reason.data(), reason.size());
  out += "\r\nServer: ";
  out += server_name();
  if (!res.content_type.empty() && safe_header("Content-Type", res.content_type)) {
    out += "\r\nContent-Type: ";
    out += res.content_type;
  }
  for (const auto& [name, value] : res.headers) {
    if (safe_header(name, value)) {
      out += "\r\n";
      out += name;
      out += ": ";
      out += value;
    }
  }
  if (!bodiless(res.status) && !streaming) {
    out += "\r\nContent-Length: ";
    out += std::to_string(res.body.size());
  }
  if (closing) {
    out += "\r\nConnection: close";
  } else if (version == 10) {
    out += "\r\nConnection: keep-alive";
  }
  out += "\r\n\r\n";
}

}  // namespace

// State shared by the listener, every session and the shutdown logic.
struct server::impl {
  explicit impl(config c)
      : cfg(std::move(c)),
        exec(cfg.read_threads, cfg.write_threads),
        history(cfg.query_history_limit),
        databases(exec, database_options_from(cfg, &checkpoints), cfg.max_open_dbs,
                  cfg.db_slot_waiters),
        svc{cfg, db::path_policy{canonical_data_dir(cfg), cfg.allow_any_absolute_db_path},
            databases, history},
        watch(watch_options_from(cfg)),
        dispatch(routes, svc, exec),
        acceptor(ioc),
        signals(ioc, SIGINT, SIGTERM),
        sweep_timer(ioc),
        drain_timer(ioc) {
    handlers::register_all_routes(routes);
    request_metrics.bind(routes);
    svc.metrics = &request_metrics;
    svc.phase = &phase;
    svc.primary = &primary;
    svc.watch = &watch;
    request_metrics.set_watch_source([this] {
      const auto s = watch.stats();
      return metrics::watch_gauges{s.watchers, s.events_sent, s.dropped};
    });
    for (unsigned i = 1; i < std::max(1U, cfg.io_threads); ++i) {
      more_contexts.push_back(std::make_unique<net::io_context>(1));
    }
  }

  static db::database_options database_options_from(const config& c, db::checkpointer* runner) {
    db::database_options o;
    o.checkpoints = db::parse_checkpoint_mode(c.checkpoint_mode);
    o.checkpoint_runner = runner;
    o.conn.busy_timeout_ms = c.busy_timeout_ms;
    o.conn.synchronous = c.synchronous;
    o.query_timeout_ms = c.query_timeout_ms;
    o.read_cache_bytes = c.read_cache_kib * 1024U;
    o.replica = c.read_only;
    return o;
  }

  static handlers::watch_options watch_options_from(const config& c) {
    handlers::watch_options o;
    o.heartbeat_ms = c.watch_heartbeat_ms;
    o.poll_ms = c.watch_poll_ms;
    o.buffer_bytes = c.watch_buffer_bytes;
    o.max_watchers = c.watch_max_watchers;
    return o;
  }

  static std::filesystem::path canonical_data_dir(const config& c) {
    return std::filesystem::canonical(c.data_dir);
  }

  config cfg;
  primary_file primary{cfg.primary_file};  // --primary-file (svc.primary)
  db::executors exec;
  ops::memory_query_history history;  // outlives `databases`: their deferred jobs use it
  db::checkpointer checkpoints;       // stopped before `databases` close (run())
  db::database_cache databases;
  router routes;
  metrics request_metrics;
  services svc;
  handlers::watch_hub watch;  // after `databases`: gone first, releasing the ones it watches
  dispatcher dispatch;

  // One io_context per I/O thread: a connection lives on one thread, so its handlers need no
  // strand and no other I/O thread is woken for it. `ioc` (the first thread's) also runs the
  // acceptor, the signals and the timers; connections are spread round-robin over all of them.
  // `more_contexts` is declared first so that it is destroyed last: an accept still queued on
  // `ioc` when run() stopped it (aborted by the shutdown, its handler not run yet) holds the
  // socket it was accepting into, which belongs to one of these contexts; destroying `ioc`
  // destroys that socket (ASan saw a use-after-free in server_test when they went first).
  std::vector<std::unique_ptr<net::io_context>> more_contexts;
  net::io_context ioc{1};
  std::size_t next_context = 0;  // used by the accept handler only
  tcp::acceptor acceptor;
  net::signal_set signals;
  net::steady_timer sweep_timer;
  net::steady_timer drain_timer;  // --drain-delay-ms after SIGTERM
  std::uint16_t bound_port = 0;
  std::atomic<server_phase> phase{server_phase::starting};
  // --wal-warn-bytes: last warning (steady ms) per database file; used by the sweep only.
  std::mutex wal_warn_mutex;
  std::unordered_map<std::string, std::int64_t> last_wal_warn_ms;
  // Time-travel retention: last run (steady ms) per database file; used by the sweep only.
  std::mutex prune_mutex;
  std::unordered_map<std::string, std::int64_t> last_prune_ms;

  std::atomic<bool> stopping{false};
  // Requests read but whose response is not yet written: shutdown waits for these only.
  std::atomic<std::int64_t> active_requests{0};
  // Streaming responses (GET /kv/watch) still writing: shutdown ends them (watch.shutdown) and
  // waits for their last bytes, within the same deadline.
  std::atomic<std::int64_t> active_streams{0};
  std::mutex sessions_mutex;
  std::unordered_map<void*, std::function<void()>> session_closers;  // close-if-idle hooks

  // Open sessions, for --max-connections; a retry timer for accept errors such as EMFILE.
  std::atomic<std::size_t> open_sessions{0};
  net::steady_timer accept_retry{ioc};

  net::io_context& context_for_next_connection() {
    const std::size_t i = next_context++ % (more_contexts.size() + 1);
    return i == 0 ? ioc : *more_contexts[i - 1];
  }
  void do_accept();
  void wait_for_signal();
  void start_drain();
  void start_shutdown();
  void watch_wal(const std::shared_ptr<db::database>& database);
  void schedule_sweep();
  void schedule_prune(const std::shared_ptr<db::database>& database);
};

//------------------------------------------------------------------------------------------
// One HTTP/1.1 connection: read → dispatch → write, sequentially (pipelined requests wait in
// the read buffer, which bounds them). Timeouts: idle_timeout while waiting for a request,
// read_timeout for the rest of a request once its first byte arrived.

class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket&& socket, server::impl& srv) : stream_(std::move(socket)), srv_(srv) {
    srv_.open_sessions.fetch_add(1);
  }

  ~session() {
    end_stream();
    release_buffer();
    srv_.open_sessions.fetch_sub(1);
    std::lock_guard lock(srv_.sessions_mutex);
    srv_.session_closers.erase(this);
  }

  void run() {
    {
      std::lock_guard lock(srv_.sessions_mutex);
      std::weak_ptr<session> weak = shared_from_this();
      srv_.session_closers.emplace(this, [weak] {
        if (auto self = weak.lock()) {
          net::post(self->stream_.get_executor(), [self] { self->close_if_idle(); });
        }
      });
    }
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&session::do_read, shared_from_this()));
  }

 private:
  void do_read() {
    if (srv_.stopping) {
      do_close();
      return;
    }
    parser_.emplace();
    parser_->body_limit(srv_.cfg.max_body_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(srv_.cfg.max_header_bytes));
    idle_ = true;
    stream_.expires_after(std::chrono::seconds(srv_.cfg.idle_timeout_s));
    if (buffer_.size() > 0) {
      read_header();  // a pipelined request already started
      return;
    }
    // Wait for the first byte with the idle timeout; the rest of the request then has to
    // arrive within the read timeout (a client trickling bytes is cut off by it).
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->buffer_.commit(n);
                              if (ec) {
                                self->idle_ = false;
                                self->on_read_error(ec);
                                return;
                              }
                              self->read_header();
                            });
  }

  void read_header() {
    idle_ = false;
    stream_.expires_after(std::chrono::seconds(srv_.cfg.read_timeout_s));
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t /*bytes*/) {
    idle_ = false;
    if (ec) {
      on_read_error(ec);
      return;
    }
    started_ = std::chrono::steady_clock::now();
    const auto& header = parser_->get();
    if (beast::iequals(header[bhttp::field::expect], "100-continue")) {
      // curl waits for this before sending a body; answer at once instead of making it time out.
      auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_,
                                                                       header.version());
      bhttp::async_write(stream_, *cont,
                         [self = shared_from_this(), cont](beast::error_code wec, std::size_t) {
                           if (wec) {
                             self->do_close();
                             return;
                           }
                           self->read_body();
                         });
      return;
    }
    read_body();
  }

  void read_body() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&session::on_read, shared_from_this()));
  }

  void on_read_error(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == net::error::operation_aborted ||
        ec == beast::error::timeout || ec == net::error::connection_reset ||
        ec == net::error::eof) {
      do_close();
      return;
    }
    keep_alive_ = false;
    response res;
    if (ec == bhttp::error::body_limit) {
      res = error_response(api_error(errc::payload_too_large,
                                     "request body exceeds the limit of " +
                                         std::to_string(srv_.cfg.max_body_bytes) + " bytes"));
    } else if (ec == bhttp::error::header_limit) {
      res = error_response(api_error(errc::bad_request, "request headers are too large"));
      res.status = 431;
    } else {
      res = error_response(api_error(errc::bad_request, "malformed HTTP request: " + ec.message()));
    }
    srv_.request_metrics.record_refused(res.status);  // the dispatcher never saw it
    send(std::move(res));
  }

  void on_read(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec) {
      on_read_error(ec);
      return;
    }
    srv_.active_requests.fetch_add(1);
    counted_ = true;
    auto& message = parser_->get();
    keep_alive_ = message.keep_alive();
    method_ = message.method();
    request req;
    try {
      req = request::from_target(to_verb(message.method()), message.target());
    } catch (...) {
      send(response_for(std::current_exception()));
      return;
    }
    target_ = req.path;
    req.headers.reserve(8);
    for (const auto& field : message) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      req.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    req.body = std::move(message.body());
    if (!hung_up_) {
      hung_up_ = std::make_shared<std::atomic<bool>>(false);
    }
    hung_up_->store(false);
    req.abandoned = hung_up_;
    answered_ = false;
    ++request_number_;
    stream_.expires_never();  // the handler's own limits apply while it runs
    // Answers computed on this thread (cache hits, routes without a database) are sent at
    // once; answers from a database thread hop back to this connection's thread.
    srv_.dispatch.dispatch(std::move(req), [self = shared_from_this()](response res) {
      net::dispatch(self->stream_.get_executor(), [self, res = std::move(res)]() mutable {
        self->answered_ = true;
        if (self->watching_) {
          self->watching_ = false;
          self->stop_watch_.emit(net::cancellation_type::all);
        }
        self->charged_ = res.body.size();
        self->send(std::move(res));
      });
    });
    if (!answered_) {
      watch_for_hang_up();
    }
  }

  // While a request runs on a database thread, a wait for the socket to turn readable notices a
  // client that hangs up (EOF or reset: a browser's aborted fetch, a killed curl); its request
  // is then cancelled (request::abandoned: queued work is skipped, running SQL interrupted,
  // nothing committed). A shutdown of the client's sending side counts as hanging up, as in Go's
  // net/http. The first bytes of a pipelined next request end the watch (they stay unread).
  void watch_for_hang_up() {
    watching_ = true;
    stream_.socket().async_wait(
        tcp::socket::wait_read,
        net::bind_cancellation_slot(
            stop_watch_.slot(),
            [self = shared_from_this(), number = request_number_](beast::error_code ec) {
              if (ec || self->answered_ || number != self->request_number_) {
                return;  // stopped, or a late wake-up for an answered request
              }
              char byte = 0;
              const ssize_t n =
                  ::recv(self->stream_.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
              if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
                self->watch_for_hang_up();  // woken without data: keep watching
                return;
              }
              self->watching_ = false;
              if (n <= 0) {
                self->hung_up_->store(true);
              }
            }));
  }

  void send(response res) {
    if (res.stream) {
      if (method_ != bhttp::verb::head) {
        send_stream(std::move(res));
        return;
      }
      res.stream->cancel();  // HEAD: the head alone
      res.stream.reset();
    }
    const bool closing = !keep_alive_ || srv_.stopping;
    const unsigned version = parser_ ? parser_->get().version() : 11;
    const bool send_body = method_ != bhttp::verb::head && !bodiless(res.status);
    bytes_ = res.body.size();
    status_ = res.status;
    serialize_head(res, version, closing, out_);
    body_ = send_body ? std::move(res.body) : std::string();
    stream_.expires_after(std::chrono::seconds(srv_.cfg.read_timeout_s));
    // Head and body in one gathered write (one sendmsg for small responses); the body is not
    // copied.
    const std::array<net::const_buffer, 2> buffers{net::buffer(out_), net::buffer(body_)};
    net::async_write(stream_, buffers,
                     [self = shared_from_this(), closing](beast::error_code ec, std::size_t) {
                       self->on_write(ec, closing);
                     });
  }

  // The dispatcher counted the body of each response it completed against
  // --max-buffered-response-bytes; given back once written (or the connection is gone).
  void release_buffer() noexcept {
    if (charged_ > 0) {
      srv_.dispatch.release_buffered(charged_);
      charged_ = 0;
    }
  }

  void on_write(beast::error_code ec, bool closing) {
    body_ = std::string();  // a large result is not kept alive by an idle keep-alive connection
    release_buffer();
    if (counted_) {
      counted_ = false;
      srv_.active_requests.fetch_sub(1);
    }
    if (srv_.cfg.access_log) {
      const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::steady_clock::now() - started_)
                              .count();
      spdlog::info("{} {} {} {}B {}us", std::string_view(bhttp::to_string(method_)), target_,
                   status_, bytes_, micros);
    }
    if (ec || closing) {
      do_close();
      return;
    }
    do_read();
  }

  // A streamed response: the head now, then the stream's bytes as it wakes us, one write at a
  // time, until it ends or the client goes away. Not an in-flight request: shutdown ends the
  // stream (the watch hub's `shutdown` event) instead of waiting for it.
  void send_stream(response res) {
    stream_src_ = std::move(res.stream);
    srv_.active_streams.fetch_add(1);
    status_ = res.status;
    bytes_ = 0;
    const unsigned version = parser_ ? parser_->get().version() : 11;
    serialize_head(res, version, /*closing=*/true, out_, /*streaming=*/true);
    release_buffer();
    if (counted_) {
      counted_ = false;
      srv_.active_requests.fetch_sub(1);
    }
    stream_.expires_after(std::chrono::seconds(srv_.cfg.read_timeout_s));
    net::async_write(stream_, net::buffer(out_),
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) {
                         self->end_stream();
                         return;
                       }
                       self->begin_stream();
                     });
  }

  void begin_stream() {
    if (!stream_src_) {
      return;
    }
    std::weak_ptr<session> weak = shared_from_this();
    stream_src_->start([weak] {
      if (auto self = weak.lock()) {
        net::post(self->stream_.get_executor(), [self] { self->pump(); });
      }
    });
    watch_client();
    pump();
  }

  // SSE clients send nothing after the request: EOF or an error means the client is gone.
  void watch_client() {
    stream_.socket().async_read_some(
        net::buffer(scratch_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
          if (ec) {
            self->end_stream();
            return;
          }
          self->watch_client();  // ignore what it sends
        });
  }

  void pump() {
    if (!stream_src_ || stream_writing_) {
      return;
    }
    auto chunk = stream_src_->pull();
    if (chunk.failed) {
      // Never a clean end after a broken stream: RST (linger 0, no FIN first), so the client
      // sees an error instead of a complete-looking short body.
      beast::error_code ec;
      stream_.socket().set_option(net::socket_base::linger(true, 0), ec);
      stream_.socket().close(ec);
      end_stream();
      return;
    }
    if (chunk.bytes.empty()) {
      if (chunk.last) {
        end_stream();
      }
      return;
    }
    stream_writing_ = true;
    stream_last_ = chunk.last;
    stream_body_ = std::move(chunk.bytes);
    bytes_ += stream_body_.size();
    // A client that stops reading is cut off by the write timeout (its watcher is dropped
    // sooner, by its buffer limit); after a shutdown the last words get a second.
    stream_.expires_after(srv_.stopping ? std::chrono::seconds(1)
                                        : std::chrono::seconds(srv_.cfg.read_timeout_s));
    net::async_write(stream_, net::buffer(stream_body_),
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->stream_writing_ = false;
                       self->stream_body_.clear();
                       if (ec || self->stream_last_) {
                         self->end_stream();
                         return;
                       }
                       self->pump();
                     });
  }

  void end_stream() noexcept {
    if (!stream_src_) {
      return;
    }
    stream_src_->cancel();
    stream_src_.reset();
    srv_.active_streams.fetch_sub(1);
    if (srv_.cfg.access_log) {
      const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::steady_clock::now() - started_)
                              .count();
      spdlog::info("{} {} {} {}B {}us (stream)", std::string_view(bhttp::to_string(method_)),
                   target_, status_, bytes_, micros);
    }
    do_close();
  }

  void close_if_idle() {
    if (idle_) {
      do_close();
    }
  }

  void do_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();  // also cancels the stream's timer
  }

  beast::tcp_stream stream_;
  server::impl& srv_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string out_;   // status line and headers being written; capacity reused by the next one
  std::string body_;  // the body being written (moved from the response, released after)
  std::size_t charged_ = 0;  // bytes of body_ counted in srv_.buffered_bytes
  bool idle_ = false;
  // The client's hang-up while a request runs (watch_for_hang_up); one flag per connection,
  // cleared for each request.
  std::shared_ptr<std::atomic<bool>> hung_up_;
  net::cancellation_signal stop_watch_;
  bool watching_ = false;
  bool answered_ = true;
  std::uint64_t request_number_ = 0;  // requests read on this connection
  bool counted_ = false;  // this request is in srv_.active_requests until its response is out
  bool keep_alive_ = true;
  bhttp::verb method_ = bhttp::verb::unknown;
  std::string target_;
  int status_ = 0;
  std::size_t bytes_ = 0;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  // A streamed response (send_stream): its source, the chunk being written.
  std::shared_ptr<body_stream> stream_src_;
  std::string stream_body_;
  bool stream_writing_ = false;
  bool stream_last_ = false;
  std::array<char, 512> scratch_{};  // what a streaming client sends is read and dropped here
};

//------------------------------------------------------------------------------------------
// A connection beyond --max-connections: answered 503 JSON and closed, after reading what the
// client sent (closing with unread input would reset the connection and lose the answer).

class refusal : public std::enable_shared_from_this<refusal> {
 public:
  refusal(tcp::socket&& socket, std::size_t limit) : stream_(std::move(socket)) {
    auto res =
        error_response(api_error(errc::unavailable, "too many open connections (limit " +
                                                        std::to_string(limit) + "); retry later"));
    serialize_head(res, 11, /*closing=*/true, message_);
    message_ += res.body;
  }

  void run() {
    stream_.expires_after(std::chrono::seconds(2));
    net::async_write(stream_, net::buffer(message_),
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) {
                         self->stream_.close();
                         return;
                       }
                       beast::error_code sec;
                       self->stream_.socket().shutdown(tcp::socket::shutdown_send, sec);
                       self->drain();
                     });
  }

 private:
  void drain() {
    stream_.async_read_some(net::buffer(scratch_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) {
                                self->stream_.close();  // EOF, timeout or error
                                return;
                              }
                              self->drain();
                            });
  }

  beast::tcp_stream stream_;
  std::string message_;
  std::array<char, 4096> scratch_{};
};

void server::impl::do_accept() {
  acceptor.async_accept(
      context_for_next_connection(), [this](beast::error_code ec, tcp::socket socket) {
        if (ec) {
          if (ec == net::error::operation_aborted || !acceptor.is_open()) {
            return;
          }
          // Typically EMFILE: retry shortly instead of spinning on the same pending connection.
          spdlog::warn("accept failed: {}", ec.message());
          accept_retry.expires_after(std::chrono::milliseconds(100));
          accept_retry.async_wait([this](beast::error_code wec) {
            if (!wec && !stopping) {
              do_accept();
            }
          });
          return;
        }
        if (cfg.max_connections > 0 && open_sessions.load() >= cfg.max_connections) {
          request_metrics.record_refused(503);
          std::make_shared<refusal>(std::move(socket), cfg.max_connections)->run();
        } else {
          beast::error_code nd;
          socket.set_option(tcp::no_delay(true), nd);
          std::make_shared<session>(std::move(socket), *this)->run();
        }
        if (!stopping) {
          do_accept();
        }
      });
}

void server::impl::schedule_sweep() {
  sweep_timer.expires_after(std::chrono::seconds(std::max(1U, cfg.ttl_sweep_interval_s)));
  sweep_timer.async_wait([this](beast::error_code ec) {
    if (ec || stopping) {
      return;
    }
    // Delete expired KV rows on each open database's writer (not on a standby or a replica:
    // they write nothing); close databases idle too long.
    exec.post_blocking([this] {
      const bool may_write = svc.is_primary();
      for (const auto& database : databases.snapshot()) {
        auto* m = &request_metrics;
        if (may_write) {
          database->post_write(
              [m](db::connection& conn) {
                m->record_ttl_sweep(static_cast<std::uint64_t>(ops::sweep_expired(conn)));
              },
              [](std::exception_ptr) {}, false);
          schedule_prune(database);
        }
        database->request_checkpoint_if_due(/*idle_check=*/true);
        watch_wal(database);
      }
      databases.evict_idle(static_cast<std::int64_t>(cfg.db_idle_close_s) * 1000);
    });
    schedule_sweep();
  });
}

// Time-travel retention (--history-max-age / --history-max-ops-per-key) on the database's
// writer, at most once per --history-prune-interval per database.
void server::impl::schedule_prune(const std::shared_ptr<db::database>& database) {
  if (cfg.history_max_age_s <= 0 && cfg.history_max_ops_per_key <= 0) {
    return;
  }
  const auto now = steady_now_ms();
  {
    std::lock_guard lock(prune_mutex);
    auto& last = last_prune_ms[database->file().string()];
    if (last != 0 && now - last < static_cast<std::int64_t>(cfg.history_prune_interval_s) * 1000) {
      return;
    }
    last = now;
  }
  const std::int64_t max_age_ms = cfg.history_max_age_s * 1000;
  const std::int64_t max_ops = cfg.history_max_ops_per_key;
  auto* m = &request_metrics;
  database->post_write(
      [m, max_age_ms, max_ops](db::connection& conn) {
        m->record_history_prune(
            static_cast<std::uint64_t>(ops::prune_all_kv_history(conn, max_age_ms, max_ops)));
      },
      [](std::exception_ptr) {}, false);
}

// WAL size for /metrics (one stat per open database and sweep) and --wal-warn-bytes: a
// warning at most once a minute per database.
void server::impl::watch_wal(const std::shared_ptr<db::database>& database) {
  const auto bytes = database->refresh_wal_bytes();
  if (cfg.wal_warn_bytes == 0 || bytes <= cfg.wal_warn_bytes) {
    return;
  }
  const auto now = steady_now_ms();
  {
    std::lock_guard lock(wal_warn_mutex);
    auto& last = last_wal_warn_ms[database->file().string()];
    if (last != 0 && now - last < 60000) {
      return;
    }
    last = now;
  }
  spdlog::warn(
      "WAL of {} is {} bytes, over --wal-warn-bytes {} (checkpoint mode {}): another process "
      "may hold a read transaction, or checkpoints cannot keep up with the writes",
      database->file().string(), bytes, cfg.wal_warn_bytes, cfg.checkpoint_mode);
}

void server::impl::wait_for_signal() {
  signals.async_wait([this](beast::error_code ec, int signal) {
    if (ec) {
      return;
    }
    spdlog::info("received signal {}", signal);
    if (phase.load() == server_phase::draining) {
      start_shutdown();  // a second signal ends the drain at once
      return;
    }
    start_drain();
  });
}

// SIGTERM: /readyz answers 503 at once; with --drain-delay-ms the server keeps accepting and
// serving that long (a load balancer's health check takes it out meanwhile), then shuts down.
void server::impl::start_drain() {
  phase = server_phase::draining;
  if (cfg.drain_delay_ms == 0) {
    start_shutdown();
    return;
  }
  spdlog::info("draining: /readyz answers 503; shutting down in {} ms", cfg.drain_delay_ms);
  wait_for_signal();
  drain_timer.expires_after(std::chrono::milliseconds(cfg.drain_delay_ms));
  drain_timer.async_wait([this](beast::error_code ec) {
    if (!ec) {
      start_shutdown();
    }
  });
}

void server::impl::start_shutdown() {
  phase = server_phase::draining;
  if (stopping.exchange(true)) {
    return;
  }
  spdlog::info("shutting down: no new connections, finishing in-flight requests");
  beast::error_code ec;
  acceptor.close(ec);
  accept_retry.cancel();
  signals.cancel(ec);
  sweep_timer.cancel();
  drain_timer.cancel();
  watch.shutdown();  // every change-feed stream ends with a `shutdown` event; long polls answer
  std::vector<std::function<void()>> closers;
  {
    std::lock_guard lock(sessions_mutex);
    for (auto& [key, closer] : session_closers) {
      closers.push_back(closer);
    }
  }
  for (auto& closer : closers) {
    closer();
  }
}

server::server(config cfg) : impl_(std::make_unique<impl>(std::move(cfg))) {
  auto& d = *impl_;
  const auto address = net::ip::make_address(d.cfg.host);
  const tcp::endpoint endpoint{address, d.cfg.port};
  d.acceptor.open(endpoint.protocol());
  d.acceptor.set_option(net::socket_base::reuse_address(true));
  d.acceptor.bind(endpoint);
  d.acceptor.listen(net::socket_base::max_listen_connections);
  d.bound_port = d.acceptor.local_endpoint().port();
}

server::~server() = default;

std::uint16_t server::port() const noexcept {
  return impl_->bound_port;
}

void server::stop() {
  net::post(impl_->ioc, [this] { impl_->start_shutdown(); });
}

void server::run() {
  auto& d = *impl_;
  d.wait_for_signal();
  d.do_accept();
  d.schedule_sweep();
  // Keeps the I/O threads running while a session waits on a database job with no I/O pending
  // (after shutdown closed the acceptor, nothing else would): its response must still be sent.
  std::vector<net::io_context*> contexts{&d.ioc};
  for (auto& context : d.more_contexts) {
    contexts.push_back(context.get());
  }
  // Ready before the first request can be answered (the I/O threads start below): a client
  // that saw the port file never gets "starting" from a running server.
  if (!d.stopping) {
    server_phase starting = server_phase::starting;
    d.phase.compare_exchange_strong(starting, server_phase::ready);
  }
  std::vector<net::executor_work_guard<net::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  for (auto* context : contexts) {
    work.push_back(net::make_work_guard(*context));
    threads.emplace_back([context] {
      pthread_setname_np(pthread_self(), "hoody-io");
      context->run();
    });
  }

  // Wait for a shutdown request, then for sessions to finish (bounded by the deadline).
  while (!d.stopping) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(d.cfg.shutdown_timeout_s);
  // Idle keep-alive connections were closed by start_shutdown; whatever remains open is
  // dropped when the I/O threads stop.
  while (d.active_requests > 0 || d.active_streams > 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      spdlog::warn(
          "shutdown deadline reached with {} request(s) unfinished ({} in handlers), "
          "{} stream(s) still writing",
          d.active_requests.load(), d.dispatch.in_flight(), d.active_streams.load());
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (auto* context : contexts) {
    context->stop();
  }
  for (auto& t : threads) {
    t.join();
  }
  db::mark_db_thread();  // this thread now closes databases
  d.checkpoints.stop();  // a background checkpoint running finishes first
  d.databases.close_all();
  d.exec.join();
  spdlog::info("stopped");
}

}  // namespace hoody::http
