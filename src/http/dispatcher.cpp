#include "hoody/http/dispatcher.hpp"

#include "hoody/core/clock.hpp"
#include "hoody/core/error.hpp"
#include "hoody/core/services.hpp"
#include "hoody/db/database.hpp"
#include "hoody/db/database_cache.hpp"
#include "hoody/db/db_path.hpp"
#include "hoody/db/executors.hpp"
#include "hoody/http/metrics.hpp"
#include "hoody/http/response_render.hpp"
#include "hoody/ops/kv_dir.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

namespace hoody::http {
namespace {

std::string allow_header(const std::vector<verb>& allowed) {
  std::string out;
  for (const verb v : allowed) {
    if (!out.empty()) {
      out += ", ";
    }
    out += to_string(v);
  }
  return out;
}

// create_db_if_missing / auto_create: either one may be given; both given must agree.
bool create_requested(const request& req) {
  const bool has_create = req.has_query_param("create_db_if_missing");
  const bool has_auto = req.has_query_param("auto_create");
  const bool create = req.flag("create_db_if_missing", false);
  const bool autoc = req.flag("auto_create", false);
  if (has_create && has_auto && create != autoc) {
    throw api_error(errc::bad_request,
                    "conflicting flags: create_db_if_missing and auto_create must match");
  }
  return create || autoc;
}

std::string database_param(const request& req) {
  if (auto name = req.database_param()) {
    return std::move(*name);
  }
  throw api_error(errc::bad_request, "missing db parameter");
}

// Errors raised before the handler ran carry the route's request-level fields.
response pre_handler_error(const route& r, std::exception_ptr error) {
  if (!r.error_fields.empty()) {
    try {
      std::rethrow_exception(error);
    } catch (api_error& e) {
      for (const auto& [key, value] : r.error_fields.items()) {
        e.details().emplace(key, value);
      }
      return error_response(e);
    } catch (...) {  // NOLINT(bugprone-empty-catch): rendered below like any other exception
    }
  }
  return response_for(error);
}

// Errors raised by the handler: the route may render them itself (route::render_error).
response handler_error(const route& r, std::exception_ptr error) {
  if (r.render_error) {
    try {
      std::rethrow_exception(error);
    } catch (const api_error& e) {
      if (auto res = r.render_error(e)) {
        return std::move(*res);
      }
    } catch (...) {  // NOLINT(bugprone-empty-catch): rendered below like any other exception
    }
  }
  return response_for(error);
}

// The one refusal of work that would write but may not: a --read-only replica (403
// READ_ONLY_REPLICA, whatever the token), a scoped token without write access (403,
// access_decision::may_write), or a standby (--primary-file missing: 503 NOT_PRIMARY, whatever
// the token). Used before a write or exclusive route runs, before a database file would be
// created and when a read_then_write handler hands over to the writer.
std::optional<response> write_refusal(const services& svc, bool may_write) {
  const node_role role = svc.role();
  if (role == node_role::replica) {
    return error_response(api_error(errc::read_only_replica,
                                    "this node is a read-only replica (--read-only): it serves "
                                    "reads only; send writes to the primary"));
  }
  if (!may_write) {
    return write_refused_response();
  }
  if (role == node_role::standby) {
    return error_response(api_error(errc::not_primary,
                                    "this node is not the primary (its --primary-file is "
                                    "missing): it serves reads only; send writes to the primary"));
  }
  return std::nullopt;
}

}  // namespace

// The handler's output survives until the write commits; only then is it sent.
struct dispatcher::pending {
  std::shared_ptr<const request> req;
  const route* r = nullptr;
  services* svc = nullptr;
  std::filesystem::path file;
  std::shared_ptr<db::database> database;  ///< set by submit
  std::any carry;                          ///< context::carry, kept from reader to writer run
  response result;
  dispatcher::completion complete;
  bool may_write = true;  ///< false: a requires_writer hand-over is refused 403 (write_refusal)
  std::string cache_key;  ///< set when the answer may be cached
  std::optional<db::data_version> cache_at;  ///< version read before the read job was queued
  bool retried = false;                      ///< re-resolved once after db::file_replaced
  std::optional<std::chrono::steady_clock::time_point> slot_deadline;  ///< waiting for a slot
};

namespace {

using pending = dispatcher::pending;

bool is_file_replaced(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const db::file_replaced&) {
    return true;
  } catch (...) {
    return false;
  }
}

bool abandoned(const request& req) noexcept {
  return req.abandoned && req.abandoned->load(std::memory_order_relaxed);
}

[[noreturn]] void throw_abandoned() {
  throw api_error(errc::client_closed,
                  "the client closed its connection before the answer: the request was "
                  "cancelled and nothing it wrote was committed");
}

// Runs the route's handler on `conn`. A request whose client has gone away (request::abandoned)
// does not start, SQL running for it is interrupted (connection::set_cancel_flag), and once the
// client is gone its work fails as a whole: a write job's savepoint is rolled back, so a
// cancelled write never commits, also when its SQL finished or an error was caught (noFail).
void run_handler(pending& p, db::connection* conn) {
  const request& req = *p.req;
  if (abandoned(req)) {
    throw_abandoned();
  }
  struct cancel_scope {
    db::connection& conn;
    ~cancel_scope() { conn.set_cancel_flag(nullptr); }
  } scope{*conn};
  conn->set_cancel_flag(req.abandoned.get());
  context ctx{req, *p.svc, conn, p.file, p.database.get(), &p.carry};
  try {
    p.result = p.r->handler(ctx);
  } catch (...) {
    if (abandoned(req)) {
      throw_abandoned();
    }
    throw;
  }
  if (abandoned(req)) {
    throw_abandoned();
  }
}

// A read route with a cache key: answers from the database's read cache when the entry is
// still valid (no SQLite call: safe on the I/O thread). On a miss, notes the key and the
// version so that the reader's answer can be stored.
bool answer_from_cache(pending& p, db::database& database) {
  if (p.r->mode != access::read || !p.r->read_cache_key) {
    return false;
  }
  auto& cache = database.cache();
  if (!cache.enabled()) {
    return false;
  }
  auto key = p.r->read_cache_key(*p.req);
  if (!key) {
    return false;
  }
  const auto version = cache.version();
  if (!version) {
    db::read_cache::count_miss();
    return false;
  }
  if (auto hit = cache.find(*key, *version, unix_now_ms())) {
    p.complete(response::raw(std::move(hit->body), std::move(hit->content_type)));
    return true;
  }
  p.cache_key = std::move(*key);
  p.cache_at = version;
  return false;
}

void store_in_cache(const pending& p, db::database& database) {
  const response& res = p.result;
  if (!p.cache_at || res.status != 200 || !res.cacheable || !res.headers.empty()) {
    return;
  }
  database.cache().store(p.cache_key, *p.cache_at,
                         {res.body, res.content_type, res.cache_expires_at_ms});
}

}  // namespace

// Counts the body against --max-buffered-response-bytes (released by the connection once
// written); a large body over the budget becomes a 503 instead, so that clients that do not
// read cannot make the server hold unbounded memory.
void dispatcher::admit(response& res) {
  constexpr std::size_t large = std::size_t{64} * 1024;
  const std::size_t limit = svc_.cfg.max_buffered_response_bytes;
  const std::size_t size = res.body.size();
  const std::size_t before = buffered_.fetch_add(size);
  if (limit == 0 || size < large || before + size <= limit) {
    return;
  }
  buffered_.fetch_sub(size);
  spdlog::warn("a {}-byte response was refused: {} bytes of responses wait for slow clients", size,
               before);
  res = error_response(api_error(errc::unavailable,
                                 "too many large responses are waiting for slow clients "
                                 "(--max-buffered-response-bytes " +
                                     std::to_string(limit) + "); retry later"));
  buffered_.fetch_add(res.body.size());
}

dispatcher::dispatcher(const router& routes, services& svc, db::executors& exec)
    : routes_(routes),
      svc_(svc),
      exec_(exec),
      cors_(cors_policy::parse(svc.cfg.cors_origin)),
      keys_(svc.cfg.jwt_key_file.empty() ? auth::key_set{}
                                         : auth::key_set::load(svc.cfg.jwt_key_file)),
      directories_(std::make_unique<ops::kv_directory_registry>(svc.paths.data_dir)) {
  svc_.auth_keys = &keys_;
}

dispatcher::~dispatcher() = default;

void dispatcher::finish(const route* found, std::chrono::steady_clock::time_point started,
                        const std::optional<std::string>& origin, response res,
                        const completion& complete) {
  admit(res);
  cors_.decorate(origin, res);
  if (svc_.metrics != nullptr) {
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count();
    svc_.metrics->record(found, res.status, micros);
  }
  in_flight_.fetch_sub(1);
  complete(std::move(res));
}

void dispatcher::dispatch(request req, completion complete) {
  in_flight_.fetch_add(1);
  if (svc_.metrics != nullptr) {
    svc_.metrics->request_started();
  }
  const auto started = std::chrono::steady_clock::now();
  match_result m;
  std::exception_ptr match_error;
  try {
    m = routes_.match(req.method, req.path);
  } catch (...) {
    match_error = std::current_exception();
  }
  std::optional<std::string> origin;
  if (cors_.enabled()) {
    origin = req.header("origin");
  }
  // Every response passes `finish` once; a deferred one (res.later) when its real answer comes.
  completion done = [this, complete = std::move(complete), found = m.found, started,
                     origin = std::move(origin)](response res) mutable {
    if (res.later) {  // a long poll: this completion runs again with the real answer
      auto later = std::move(res.later);
      res.later = nullptr;
      later([this, complete = std::move(complete), found, started,
             origin = std::move(origin)](response real) mutable {
        finish(found, started, origin, std::move(real), complete);
      });
      return;
    }
    finish(found, started, origin, std::move(res), complete);
  };
  if (match_error) {
    done(response_for(match_error));
    return;
  }
  if (req.method == verb::options && cors_.enabled()) {
    done(cors_.preflight());  // before auth: browsers send no token here
    return;
  }
  auto decision = authorize(svc_.cfg, keys_, req, m.found, unix_now_ms() / 1000);
  if (decision.denied) {
    done(std::move(*decision.denied));
    return;
  }
  if (m.found == nullptr) {
    if (m.allowed.empty()) {
      done(error_response(api_error(errc::not_found, "no route for " + req.path)));
    } else {
      auto res = error_response(
          api_error(errc::method_not_allowed,
                    std::string(to_string(req.method)) + " is not allowed on this path",
                    {{"allowed", allow_header(m.allowed)}}));
      res.headers.emplace_back("Allow", allow_header(m.allowed));
      done(std::move(res));
    }
    return;
  }
  req.path_params = std::move(m.params);
  const route& r = *m.found;
  if (r.mode == access::write || r.mode == access::exclusive) {
    if (auto refused = write_refusal(svc_, decision.may_write)) {
      done(std::move(*refused));
      return;
    }
  }
  if (r.mode == access::blocking) {
    // No database, but disk work (listing the data directory): never on the I/O thread.
    exec_.post_blocking([this, &r, req = std::make_shared<const request>(std::move(req)),
                         scope = std::move(decision.scope), done = std::move(done)] {
      try {
        context ctx{*req, svc_, nullptr, {}};
        ctx.scope = scope ? &*scope : nullptr;
        done(r.handler(ctx));
      } catch (...) {
        done(response_for(std::current_exception()));
      }
    });
    return;
  }
  if (r.mode == access::none || r.db == db_use::none) {
    try {
      context ctx{req, svc_, nullptr, {}};
      done(r.handler(ctx));
    } catch (...) {
      done(response_for(std::current_exception()));
    }
    return;
  }
  run_on_database(std::make_shared<const request>(std::move(req)), r, std::move(done),
                  decision.may_write);
}

void dispatcher::run_on_database(std::shared_ptr<const request> req, const route& r,
                                 completion complete, bool may_write) {
  auto p = std::make_shared<pending>();
  p->may_write = may_write;
  p->req = std::move(req);
  p->r = &r;
  p->svc = &svc_;
  p->complete = std::move(complete);
  // Fast path, no disk access: the name was resolved less than a second ago and its database is
  // open, so neither the path rules nor an open can run here (see docs/performance.md).
  if (r.db != db_use::create_new) {
    if (auto database = find_open(*p)) {
      submit(p, std::move(database));
      return;
    }
  }
  resolve_and_submit(p);
}

void dispatcher::resolve_and_submit(const std::shared_ptr<pending>& p) {
  // Resolving the path and opening the database touch the disk: never on the I/O thread. Queued
  // by name: a flood of requests for one database does not delay another's.
  const std::size_t queue = std::hash<std::string>{}(p->req->database_param().value_or(""));
  exec_.post_blocking(
      [this, p] {
        std::shared_ptr<db::database> database;
        const route& rt = *p->r;
        try {
          const std::string name = database_param(*p->req);
          if (auto dir = db::resolve_kv_directory(name, svc_.paths)) {
            run_on_directory(p, *dir);
            return;
          }
          p->file = db::resolve_db_path(name, svc_.paths);
          bool create = false;
          if (rt.db == db_use::create_if_flagged) {
            create = create_requested(*p->req);
          } else if (rt.db == db_use::create_always) {
            create = true;
          } else if (rt.db == db_use::create_new) {
            std::error_code ec;
            if (std::filesystem::exists(p->file, ec)) {
              throw api_error(errc::conflict, "database already exists");
            }
            create = true;
          }
          if (create && (rt.precheck || !svc_.is_primary())) {
            std::error_code ec;
            if (!std::filesystem::exists(p->file, ec)) {
              if (auto refused = write_refusal(svc_, p->may_write)) {
                p->complete(std::move(*refused));  // a standby creates no file
                return;
              }
              if (rt.precheck) {
                rt.precheck(*p->req);  // a request that is bound to fail creates no file
              }
            }
          }
          database = svc_.databases.open(p->file, create);
          remember_name(name, p->file);
        } catch (const db::no_free_slot&) {
          wait_for_slot(p);
          return;
        } catch (...) {
          p->complete(pre_handler_error(rt, std::current_exception()));
          return;
        }
        submit(p, std::move(database));
      },
      queue);
}

// Every open database is busy: wait (off any thread) until one is free, then resolve again;
// at the deadline 503 UNAVAILABLE with Retry-After (--db-slot-wait-ms, --db-slot-waiters).
void dispatcher::wait_for_slot(const std::shared_ptr<pending>& p) {
  const auto now = std::chrono::steady_clock::now();
  if (!p->slot_deadline) {
    p->slot_deadline = now + std::chrono::milliseconds(svc_.cfg.db_slot_wait_ms);
  }
  if (*p->slot_deadline <= now) {
    p->complete(pre_handler_error(*p->r, std::make_exception_ptr(db::no_free_slot())));
    return;
  }
  svc_.databases.wait_for_slot(*p->slot_deadline, [this, p](bool resumed) {
    if (resumed) {
      resolve_and_submit(p);
    } else {
      p->complete(pre_handler_error(*p->r, std::make_exception_ptr(db::no_free_slot())));
    }
  });
}

void dispatcher::run_on_directory(const std::shared_ptr<pending>& p,
                                  const std::filesystem::path& dir) {
  const route& rt = *p->r;
  if (!rt.on_directory) {
    throw api_error(errc::bad_request, "directory mode: " + std::string(to_string(rt.method)) +
                                           " " + public_pattern(rt.pattern) +
                                           " is not supported when db names a directory");
  }
  auto store = directories_->open(dir);
  p->file = dir;
  try {
    context ctx{*p->req, svc_, nullptr, p->file};
    ctx.directory = store.get();
    p->result = rt.on_directory(ctx);
  } catch (...) {
    p->complete(handler_error(rt, std::current_exception()));
    return;
  }
  p->complete(std::move(p->result));
}

std::shared_ptr<db::database> dispatcher::find_open(pending& p) {
  const request& req = *p.req;
  const auto name = req.database_param();
  if (!name) {
    return nullptr;
  }
  {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(names_mutex_);
    const auto found = names_.find(*name);
    if (found == names_.end() || now - found->second.resolved > std::chrono::seconds(1)) {
      return nullptr;
    }
    p.file = found->second.file;
  }
  if (p.r->db == db_use::create_if_flagged) {
    try {
      create_requested(req);  // still answers 400 for conflicting flags
    } catch (...) {
      return nullptr;  // the slow path reports it
    }
  }
  return svc_.databases.find_open(p.file);
}

void dispatcher::remember_name(const std::string& name, const std::filesystem::path& file) {
  std::lock_guard lock(names_mutex_);
  if (names_.size() >= 4096) {
    names_.clear();  // many distinct names: start over rather than track recency
  }
  names_.insert_or_assign(name, resolved_name{file, std::chrono::steady_clock::now()});
}

void dispatcher::submit(const std::shared_ptr<pending>& p, std::shared_ptr<db::database> database) {
  if (!database->known_replaced() && answer_from_cache(*p, *database)) {
    return;
  }
  p->database = database;
  auto finish = [this, p](std::exception_ptr error) {
    if (error && !p->retried && is_file_replaced(error)) {
      // Nothing was acknowledged: run the request once more on the file now at the path
      // (opening it, or creating it with create_db_if_missing, or 404 when it is gone).
      p->retried = true;
      p->result = response{};
      p->cache_key.clear();
      p->cache_at.reset();
      resolve_and_submit(p);
      return;
    }
    p->complete(error ? handler_error(*p->r, error) : std::move(p->result));
  };
  auto write = [p, database, finish] {
    database->post_write([p](db::connection& conn) { run_handler(*p, &conn); }, finish);
  };
  switch (p->r->mode) {
  case access::write:
    write();
    break;
  case access::read:
    database->post_read([p](db::connection& conn) { run_handler(*p, &conn); },
                        [p, database, finish](std::exception_ptr error) {
                          if (!error) {
                            store_in_cache(*p, *database);
                          }
                          finish(error);
                        });
    break;
  case access::exclusive:
    database->post_exclusive([p](db::connection& conn) { run_handler(*p, &conn); }, finish);
    break;
  case access::read_then_write:
    database->post_read([p](db::connection& conn) { run_handler(*p, &conn); },
                        [p, finish, write](std::exception_ptr error) {
                          if (error) {
                            try {
                              std::rethrow_exception(error);
                            } catch (const db::requires_writer&) {
                              if (auto refused = write_refusal(*p->svc, p->may_write)) {
                                p->complete(std::move(*refused));
                                return;
                              }
                              write();
                              return;
                            } catch (...) {  // NOLINT(bugprone-empty-catch): reported below
                            }
                          }
                          finish(error);
                        });
    break;
  case access::none:
  case access::blocking:
    break;
  }
}

}  // namespace hoody::http
