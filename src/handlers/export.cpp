// GET /export: a whole table or view as CSV or JSON, streamed (docs/api.md, "Export").
//
// The first chunk is read by the request's own read job; the rest by one read job per chunk,
// each asked for only when the session has taken the previous one (http/body_stream.hpp): at
// most two chunks are in memory however large the table, a client that stops reading stops the
// reads (and is cut off by the write timeout), and no reader connection or read transaction
// is held while the client reads. A chunk that fails (the database closed or replaced, the
// table dropped) resets the connection: the export never ends as if it were complete.
#include "hoody/core/error.hpp"
#include "hoody/db/database.hpp"
#include "hoody/handlers/routes.hpp"
#include "hoody/handlers/sql_render.hpp"
#include "hoody/http/body_stream.hpp"
#include "hoody/ops/sql.hpp"

#include <cctype>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace hoody::handlers {
namespace {

constexpr std::size_t chunk_rows = 2000;
constexpr std::size_t chunk_bytes = std::size_t{256} * 1024;

enum class export_format { csv, json };

export_format format_param(const http::request& req) {
  const auto f = req.query_param("format").value_or("csv");
  if (f == "csv") {
    return export_format::csv;
  }
  if (f == "json") {
    return export_format::json;
  }
  throw api_error(errc::bad_request, "format must be csv or json");
}

// A file name for Content-Disposition: the table's name with anything but [A-Za-z0-9._-] as _.
std::string download_name(const std::string& table, export_format format) {
  std::string name;
  for (const char c : table) {
    const auto u = static_cast<unsigned char>(c);
    name += (std::isalnum(u) != 0 || c == '.' || c == '_' || c == '-') ? c : '_';
  }
  return (name.empty() ? std::string("export") : name) +
         (format == export_format::csv ? ".csv" : ".json");
}

// Renders one chunk: the CSV header or the JSON array's `[` before the first rows, `]` after
// the last.
std::string render_chunk(ops::sql_rows& rows, export_format format, bool first, bool last) {
  std::string out;
  if (format == export_format::csv) {
    if (first) {
      append_csv_header(out, rows.headers);
    }
    append_csv_rows(out, rows);
    return out;
  }
  if (first) {
    out += '[';
  }
  // A first chunk without rows is the whole (empty) export: "[]".
  const bool empty = first && rows.count == 0;
  append_json_rows(out, rows, first);
  if (last) {
    out += empty ? "]\n" : "\n]\n";
  }
  return out;
}

class export_stream final : public http::body_stream,
                            public std::enable_shared_from_this<export_stream> {
 public:
  export_stream(std::shared_ptr<db::database> database, ops::export_source source,
                export_format format, ops::export_cursor cursor, std::string first_chunk)
      : database_(std::move(database)),
        source_(std::move(source)),
        format_(format),
        cursor_(cursor),
        pending_(std::move(first_chunk)) {}

  void start(std::function<void()> wake) override {
    std::lock_guard lock(mutex_);
    wake_ = std::move(wake);
  }

  chunk pull() override {
    chunk out;
    std::optional<ops::export_cursor> next;
    {
      std::lock_guard lock(mutex_);
      out.bytes = std::move(pending_);
      pending_.clear();
      out.failed = failed_;
      out.last = !failed_ && cursor_.done && !in_flight_;
      // Read ahead one chunk while this one is written.
      if (!failed_ && !cursor_.done && !in_flight_ && !cancelled_) {
        in_flight_ = true;
        next = cursor_;
      }
    }
    if (next) {
      read_chunk(*next);
    }
    return out;
  }

  void cancel() noexcept override {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    wake_ = nullptr;
  }

 private:
  // One read job (database::post_read, on the read pool; one at a time: in_flight_): the rows
  // after `from`, rendered; then the cursor moves on and the session is woken.
  void read_chunk(ops::export_cursor from) {
    struct state {
      ops::export_cursor cursor;
      std::string text;
    };
    auto job = std::make_shared<state>(state{from, {}});
    auto self = shared_from_this();
    database_->post_read(
        [self, job](db::connection& conn) {
          auto rows =
              ops::read_export_chunk(conn, self->source_, job->cursor, chunk_rows, chunk_bytes);
          // Not the first chunk: the first one held at least one row, or ended the export.
          job->text = render_chunk(rows, self->format_, false, job->cursor.done);
        },
        [self, job](std::exception_ptr error) {
          std::function<void()> wake;
          {
            std::lock_guard lock(self->mutex_);
            self->in_flight_ = false;
            if (error) {
              self->failed_ = true;
            } else {
              self->cursor_ = job->cursor;
              self->pending_ += job->text;
            }
            wake = self->wake_;
          }
          if (wake) {
            wake();
          }
        });
  }

  std::shared_ptr<db::database> database_;
  const ops::export_source source_;
  const export_format format_;
  std::mutex mutex_;
  ops::export_cursor cursor_;   ///< where the next chunk starts; guarded by mutex_
  std::function<void()> wake_;  ///< guarded by mutex_
  std::string pending_;         ///< rendered, not yet pulled; guarded by mutex_
  bool in_flight_ = false;      ///< a read job is queued or running; guarded by mutex_
  bool failed_ = false;         ///< guarded by mutex_
  bool cancelled_ = false;      ///< guarded by mutex_
};

http::response export_table(http::context& ctx) {
  const auto table = ctx.req.query_param("table");
  if (!table || table->empty()) {
    throw api_error(errc::bad_request, "table is required (the table or view to export)");
  }
  const export_format format = format_param(ctx.req);
  auto source = ops::describe_export_source(*ctx.conn, *table);
  ops::export_cursor cursor;
  auto rows = ops::read_export_chunk(*ctx.conn, source, cursor, chunk_rows, chunk_bytes);
  std::string first = render_chunk(rows, format, true, cursor.done);
  http::response res;
  res.content_type =
      format == export_format::csv ? "text/csv; charset=utf-8" : "application/json; charset=utf-8";
  res.headers.emplace_back("Content-Disposition",
                           "attachment; filename=\"" + download_name(source.table, format) + "\"");
  res.headers.emplace_back("X-Accel-Buffering", "no");
  res.stream = std::make_shared<export_stream>(ctx.database->shared_from_this(), std::move(source),
                                               format, cursor, std::move(first));
  return res;
}

}  // namespace

void register_export_routes(http::router& router) {
  router.add({http::verb::get, std::string(api_prefix) + "/export", http::access::read,
              http::db_use::existing,
              "A whole table or view as CSV or JSON, streamed in chunks (table, format=csv|json)",
              export_table});
}

}  // namespace hoody::handlers
