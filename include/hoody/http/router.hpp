// hoody/http/router.hpp — the route table: verb + pattern + metadata → handler.
//
// Patterns are literal segments, `{name}` captures and at most one `{name+}` rest capture
// ("/api/v1/sqlite/kv/{key+}/incr"). A `{name}` capture matches one non-empty raw segment (a
// percent-encoded `/`, %2F, stays inside it); `{name+}` matches one or more segments and
// captures them with their inner slashes, so "/kv/users/1/name" is the key "users/1/name".
// Choosing among matches: a route without captures shadows every parameter route for every
// verb ("/kv/snapshot" is never the key "snapshot"); otherwise the request's verb takes its
// most specific route (more literal segments, then fewer captures), so "/kv/a/history" is the
// history of key "a" for GET and the key "a/history" for PUT. Literals compare raw segments:
// "/kv/%73napshot" is the key "snapshot".
// Route metadata (`access`, `db`) tells the dispatcher which executor runs the handler and how
// the database parameter is resolved; handlers never choose a thread.
// Thread-safety: built once at start-up, then read-only and shared by all threads.
#pragma once

#include "hoody/http/request.hpp"

#include <any>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace hoody::db {
class connection;
class database;
}  // namespace hoody::db

namespace hoody::ops {
class kv_directory;
}

namespace hoody::http::auth {
struct claims;
}

namespace hoody {
struct services;
class api_error;
}  // namespace hoody

namespace hoody::http {

/// Where a handler runs.
enum class access {
  none,             ///< no database: runs on the I/O thread (must not block)
  blocking,         ///< no database, but touches the disk: on the blocking pool (GET /databases)
  read,             ///< on a read-only connection from the read pool
  write,            ///< on the database's writer (one at a time, inside a transaction)
  read_then_write,  ///< on a reader; if the handler throws db::requires_writer, on the writer
  exclusive,        ///< on the database's writer strand, alone and OUTSIDE any transaction
                    ///< (VACUUM INTO, wal_checkpoint); in queue order with other writes
};

/// How the dispatcher resolves the database named by `db` (or `path`) for a route.
enum class db_use {
  none,               ///< the route takes no database
  existing,           ///< must exist: missing → 404 DATABASE_NOT_FOUND
  create_if_flagged,  ///< created when create_db_if_missing / auto_create is true
  create_always,      ///< created when missing (POST /kv/batch/set, as the official CLI says)
  create_new,         ///< must not exist (409), created (POST /db/create)
};

/// What a handler receives.
struct context {
  const request& req;
  services& svc;
  db::connection* conn = nullptr;    ///< set for read/write routes
  std::filesystem::path db_file;     ///< canonical database file, when the route takes one
  db::database* database = nullptr;  ///< the open database of `db_file` (deferred writes)
  /// What a `read_then_write` handler keeps from its reader run for its writer run (e.g. the
  /// parsed POST /db body); empty on the first run.
  std::any* carry = nullptr;
  /// Directory mode (docs/kv.md): set instead of conn/database when `db` names a directory;
  /// then the route's `on_directory` handler runs, on a pool thread.
  ops::kv_directory* directory = nullptr;
  /// The verified scoped token (JWT) of the request, for `blocking` routes that list databases
  /// (only the ones it allows); null without one.
  const auth::claims* scope = nullptr;
};

using handler_fn = std::function<response(context&)>;

struct route {
  verb method = verb::get;
  std::string pattern;
  access mode = access::none;
  db_use db = db_use::none;
  std::string summary;  ///< one line, also used by the OpenAPI document
  handler_fn handler;
  bool open = false;  ///< served without a token even when --auth-token is set (health, UI)
  /// Runs before the request would create a new database file (create_new, or a create flag on
  /// a missing file): throw to refuse the request without leaving an empty file behind.
  std::function<void(const request&)> precheck = {};
  /// Fields added to errors raised before the handler runs (database resolution, precheck),
  /// e.g. POST /db's request-level `{"reqIdx": -1}`.
  nlohmann::json error_fields = nlohmann::json::object();
  /// For `read` routes whose answers may come from the database's read cache: the cache key
  /// of a request, or nullopt when this request must run the handler (e.g. time travel). Runs
  /// on the I/O thread; must not throw. Only answers the handler marked `cacheable` are kept.
  std::function<std::optional<std::string>(const request&)> read_cache_key = {};
  /// Renders an error the handler raised in place of the standard error response when it
  /// returns one (POST /db: a statement that failed after the body parsed is data, answered
  /// 200 once the work rolled back). The handler's work is rolled back either way.
  std::function<std::optional<response>(const api_error&)> render_error = {};
  /// Access control (http/access_control.hpp): a scoped token needs the `admin` level here
  /// (history clearing, table rollback, minting share links) beyond what `mode` implies.
  bool admin = false;
  /// A signed share link (`exp` + `sig` over db, sql and exp) opens this route without a token.
  bool share_link = false;
  /// The handler when `db` names a directory (directory mode; blocking, run on the read pool).
  /// Routes without one answer 400 there.
  handler_fn on_directory = {};
};

/// A pattern as shown to users (OpenAPI paths, metrics labels, docs): `{key+}` → `{key}`.
[[nodiscard]] std::string public_pattern(std::string_view pattern);

/// A route pattern split into segments once, at router::add.
struct compiled_pattern {
  std::vector<std::string> segments;
  int rest = -1;  ///< index of the `{name+}` segment, or -1
};

struct match_result {
  const route* found = nullptr;  ///< null when nothing matched
  string_pairs params;           ///< decoded captures
  std::vector<verb> allowed;     ///< when the path matched but not the verb (→ 405)
};

class router {
 public:
  /// Throws std::invalid_argument for a pattern with two rest captures.
  void add(route r);
  /// Matches a raw (percent-encoded) path. HEAD falls back to the GET route.
  [[nodiscard]] match_result match(verb method, std::string_view raw_path) const;
  [[nodiscard]] const std::vector<route>& routes() const noexcept { return routes_; }

 private:
  std::vector<route> routes_;
  std::vector<compiled_pattern> patterns_;  ///< routes_[i].pattern compiled once at add()
};

}  // namespace hoody::http
