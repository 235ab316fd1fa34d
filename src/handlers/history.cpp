// Query history: GET/DELETE /history, DELETE /history/{index}, GET /history/stats.
// `{index}` is the entry's `id` (as listed), never a list position.
#include "hoody/handlers/history.hpp"

#include "hoody/core/error.hpp"
#include "hoody/core/services.hpp"
#include "hoody/db/database.hpp"
#include "hoody/handlers/routes.hpp"

#include <charconv>
#include <limits>

namespace hoody::handlers {
namespace {

constexpr std::int64_t default_limit = 100;
constexpr std::int64_t max_limit = 1000;

// A standby (--primary-file missing) writes nothing: its history stays in memory, as for a
// read-only database file.
bool in_table(const http::context& ctx) {
  return ctx.database != nullptr && ctx.database->writable() && ctx.svc.is_primary();
}

/// History in the table is read and changed on the writer (after the deferred appends); the
/// reader run of these read_then_write routes hands over at once.
void require_writer(const http::context& ctx) {
  if (in_table(ctx) && ctx.conn->read_only()) {
    throw db::requires_writer{};
  }
}

nlohmann::json entry_json(const ops::query_history_entry& e) {
  const auto& r = e.rec;
  return {{"id", e.id},
          {"sql", r.sql},
          {"timestamp", r.timestamp_ms},
          {"duration_ms", r.duration_ms},
          {"success", r.success},
          {"error", r.error ? nlohmann::json(*r.error) : nlohmann::json(nullptr)},
          {"rows", r.rows},
          {"statements", r.statements},
          {"source", r.source}};
}

nlohmann::json summary_json(const ops::query_history_summary& s, std::size_t cap) {
  auto source = [](const ops::query_history_summary::by_source& b) {
    return nlohmann::json{{"count", b.count}, {"errors", b.errors}};
  };
  auto ms = [](const std::optional<std::int64_t>& t) {
    return t ? nlohmann::json(*t) : nlohmann::json(nullptr);
  };
  return {{"count", s.count},
          {"success_count", s.success_count},
          {"error_count", s.error_count},
          {"error_rate",
           s.count == 0 ? 0.0 : static_cast<double>(s.error_count) / static_cast<double>(s.count)},
          {"total_rows", s.total_rows},
          {"avg_duration_ms", s.avg_duration_ms},
          {"max_duration_ms", s.max_duration_ms},
          {"p50_duration_ms", s.p50_duration_ms},
          {"p95_duration_ms", s.p95_duration_ms},
          {"by_source", {{"db", source(s.db)}, {"query", source(s.query)}}},
          {"oldest_timestamp", ms(s.oldest_timestamp_ms)},
          {"newest_timestamp", ms(s.newest_timestamp_ms)},
          {"limit", cap}};
}

http::response list_history(http::context& ctx) {
  std::int64_t limit =
      ctx.req.int_param("limit", 0, std::numeric_limits<std::int64_t>::max()).value_or(0);
  limit = std::min(limit == 0 ? default_limit : limit, max_limit);
  require_writer(ctx);
  const auto n = static_cast<std::size_t>(limit);
  const ops::query_history_page page = in_table(ctx)
                                           ? ops::list_query_history(*ctx.conn, n)
                                           : ctx.svc.query_history.list(ctx.db_file.string(), n);
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& e : page.entries) {
    entries.push_back(entry_json(e));
  }
  const std::size_t count = entries.size();
  return http::response::json(
      {{"entries", std::move(entries)}, {"count", count}, {"total", page.total}});
}

http::response clear_history(http::context& ctx) {
  require_writer(ctx);
  const std::int64_t n = in_table(ctx) ? ops::clear_query_history(*ctx.conn)
                                       : ctx.svc.query_history.clear(ctx.db_file.string());
  return http::response::json({{"success", true}, {"cleared", n}});
}

http::response delete_entry(http::context& ctx) {
  const std::string raw = ctx.req.path_param("index");
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), id);
  if (raw.empty() || ec != std::errc() || end != raw.data() + raw.size() || id < 0) {
    throw api_error(errc::bad_request, "history entry id must be a non-negative integer");
  }
  require_writer(ctx);
  const bool deleted = in_table(ctx) ? ops::delete_query_history_entry(*ctx.conn, id)
                                     : ctx.svc.query_history.remove(ctx.db_file.string(), id);
  if (!deleted) {
    throw api_error(errc::not_found, "History entry not found", {{"id", id}});
  }
  return http::response::json({{"success", true}, {"deleted", true}, {"id", id}});
}

http::response history_stats(http::context& ctx) {
  require_writer(ctx);
  const auto s = in_table(ctx) ? ops::summarize_query_history(*ctx.conn)
                               : ctx.svc.query_history.summary(ctx.db_file.string());
  return http::response::json(summary_json(s, ctx.svc.cfg.query_history_limit));
}

}  // namespace

void record_query(const http::context& ctx, ops::query_record rec) {
  rec.sql = ops::clip_history_sql(std::move(rec.sql));
  if (in_table(ctx)) {
    // One deferred job per batch: it takes whatever was staged by the time it runs.
    auto& store = ctx.svc.query_history;
    const std::string key = ctx.db_file.string();
    if (store.stage(key, std::move(rec)) &&
        !ctx.database->defer_write(
            [&store, key, cap = ctx.svc.cfg.query_history_limit](db::connection& conn) {
              ops::append_query_history(conn, store.take_staged(key), cap);
            })) {
      (void)store.take_staged(key);  // closing: dropped, as a crash would (docs/sql.md)
    }
  } else {
    ctx.svc.query_history.record(ctx.db_file.string(), std::move(rec));
  }
}

void register_history_routes(http::router& router) {
  const std::string p = std::string(api_prefix) + "/history";
  constexpr auto mode = http::access::read_then_write;  // see require_writer
  router.add({http::verb::get, p, mode, http::db_use::existing,
              "List the query history of a database, newest first (limit: default 100, max 1000)",
              list_history});
  http::route clear{
      http::verb::delete_, p, mode, http::db_use::existing, "Clear the query history of a database",
      clear_history};
  clear.admin = true;  // scoped tokens: history clearing needs `admin`
  router.add(std::move(clear));
  router.add({http::verb::get, p + "/stats", mode, http::db_use::existing,
              "Query history statistics: counts, errors, durations (avg, max, p50, p95)",
              history_stats});
  http::route remove{http::verb::delete_,
                     p + "/{index}",
                     mode,
                     http::db_use::existing,
                     "Delete one query history entry by its id (as listed)",
                     delete_entry};
  remove.admin = true;
  router.add(std::move(remove));
}

}  // namespace hoody::handlers
