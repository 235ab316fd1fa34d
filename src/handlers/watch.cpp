// GET /kv/watch: the change feed of a KV table, as Server-Sent Events or (with `wait`) as a long
// poll. Thin: parse, check the cursor against the log on this reader, hand over to the hub
// (handlers/watch_hub.hpp), which streams from there. Shapes: docs/watch.md.
#include "hoody/core/error.hpp"
#include "hoody/core/services.hpp"
#include "hoody/db/database.hpp"
#include "hoody/handlers/kv_params.hpp"
#include "hoody/handlers/routes.hpp"
#include "hoody/handlers/watch_hub.hpp"
#include "hoody/ops/kv_watch.hpp"

#include <charconv>
#include <limits>

namespace hoody::handlers {
namespace {

constexpr std::size_t max_watched_keys = 1000;
constexpr std::int64_t max_wait_s = 60;
constexpr std::int64_t default_poll_limit = 100;
constexpr std::int64_t max_poll_limit = 1000;

// Where to resume: the `Last-Event-ID` an EventSource sends on reconnect wins over `since`
// (which the reconnect repeats from the original URL).
std::optional<std::int64_t> resume_point(const http::request& req) {
  if (auto id = req.header("last-event-id"); id && !id->empty()) {
    std::int64_t seq = 0;
    const auto [end, ec] = std::from_chars(id->data(), id->data() + id->size(), seq);
    if (ec != std::errc() || end != id->data() + id->size() || seq < 0) {
      throw api_error(errc::bad_request,
                      "Last-Event-ID must be a sequence number (an integer >= 0)");
    }
    return seq;
  }
  return req.int_param("since", 0, std::numeric_limits<std::int64_t>::max());
}

watch_filter filter_of(const http::request& req) {
  watch_filter f;
  f.prefix = req.query_param("prefix").value_or("");
  if (auto keys = req.query_param("keys")) {
    f.keys = split_key_list(*keys);
    if (f.keys.empty()) {
      throw api_error(errc::bad_request, "keys must name at least one key (keys=k1,k2)");
    }
    if (f.keys.size() > max_watched_keys) {
      throw api_error(errc::bad_request,
                      "keys may name at most " + std::to_string(max_watched_keys) + " keys");
    }
  }
  return f;
}

http::response watch(http::context& ctx) {
  const auto& req = ctx.req;
  if (ctx.svc.watch == nullptr) {
    throw api_error(errc::unavailable, "the change feed is not running");
  }
  watch_request w;
  w.table = kv_table_param(req);
  w.filter = filter_of(req);
  const auto wait_s = req.int_param("wait", 0, max_wait_s);
  const auto limit = req.int_param("limit", 1, max_poll_limit);
  if (limit && !wait_s) {
    throw api_error(errc::bad_request, "limit applies to the long poll only (add wait=SECONDS)");
  }
  const auto since = resume_point(req);
  const ops::kv_log_bounds bounds = ops::kv_log_bounds_of(*ctx.conn, w.table);
  if (since && *since < bounds.horizon) {
    throw api_error(errc::history_compacted,
                    "changes after seq " + std::to_string(*since) +
                        " were removed by history retention; the oldest resumable seq is " +
                        std::to_string(bounds.horizon),
                    {{"oldest_seq", bounds.horizon}, {"since", *since}, {"head", bounds.head}});
  }
  w.after = since.value_or(bounds.head);
  w.head = bounds.head;
  w.database = ctx.database->shared_from_this();
  w.abandoned = req.abandoned;

  http::response res;
  if (wait_s) {
    res.later = ctx.svc.watch->long_poll(
        std::move(w), *wait_s * 1000, static_cast<std::size_t>(limit.value_or(default_poll_limit)));
    return res;
  }
  res.content_type = "text/event-stream; charset=utf-8";
  res.headers.emplace_back("Cache-Control", "no-cache");
  res.headers.emplace_back("X-Accel-Buffering", "no");  // nginx: do not buffer the stream
  res.stream = ctx.svc.watch->stream(std::move(w));
  return res;
}

}  // namespace

void register_watch_routes(http::router& router) {
  router.add({http::verb::get, std::string(api_prefix) + "/kv/watch", http::access::read,
              http::db_use::existing,
              "Change feed of a KV table (SSE; since / Last-Event-ID resume; wait: long poll)",
              watch});
}

}  // namespace hoody::handlers
