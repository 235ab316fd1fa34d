// hoody/db/connection.hpp — RAII wrappers over sqlite3 and sqlite3_stmt.
//
// A `connection` is used by one thread at a time: the owning database's write strand (the writer)
// or one read-pool thread (a reader). It is never touched from an HTTP I/O thread; every entry
// point asserts `db::on_db_thread()`, in every build type (CMakeLists.txt keeps assertions on).
// SQLite failures are thrown as
// `hoody::api_error`, mapped from the extended result code by `db::to_errc` (sqlite_errc.hpp).
#pragma once

#include <sqlite3.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace hoody::db {

/// Thrown by work on a reader connection that turns out to need the writer (before it changed
/// anything). The dispatcher re-runs `read_then_write` routes on the writer when it sees it.
struct requires_writer {};

/// Countdown fault injection, the test seam of this layer (after Beast's test::fail_count and
/// SQLite's faultsimConfig). Armed on a connection, its `countdown`-th SQLite call from then on
/// (a statement step, an exec or a prepare; counting from 1) fails with `rc` instead of running.
/// With `lose_transaction` the failing call first rolls the open transaction back, as SQLite
/// itself does for SQLITE_FULL, SQLITE_IOERR or SQLITE_NOMEM. Disarmed: one integer test per
/// call.
struct fault_plan {
  int countdown = 0;  ///< 0 = disarmed
  int rc = SQLITE_IOERR;
  bool lose_transaction = false;
};

/// Sets the process-wide SQLite options; call once, before any other SQLite call (main does).
/// Memory statistics go off: with them on, every sqlite3_malloc and sqlite3_free takes one
/// process-wide mutex, on which the read threads and the writers then queue (a prepare makes
/// dozens of allocations). Nothing reads those statistics. False if SQLite refused (it was
/// already initialized): it then runs with its defaults, only slower.
bool configure_sqlite_library() noexcept;

/// Throws the api_error for a failed SQLite call (`rc`) on `handle` (may be null).
[[noreturn]] void throw_sqlite(int rc, sqlite3* handle, std::string_view context = {});

/// A prepared statement. Movable, not copyable; finalizes on destruction.
class statement {
 public:
  statement() = default;
  statement(sqlite3_stmt* stmt, sqlite3* owner, fault_plan* faults = nullptr) noexcept
      : stmt_(stmt), db_(owner), faults_(faults) {}
  statement(statement&& other) noexcept;
  statement& operator=(statement&& other) noexcept;
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  ~statement();

  /// Advances; true when a row is available, false when done. Throws on error.
  bool step();
  /// Steps until done, discarding rows.
  void run();
  void reset() noexcept;
  void clear_bindings() noexcept;

  // Binding: 1-based parameter index, as in SQLite.
  void bind_null(int index);
  void bind_int64(int index, std::int64_t value);
  void bind_double(int index, double value);
  void bind_text(int index, std::string_view value);
  void bind_blob(int index, std::span<const std::byte> value);
  void bind_blob(int index, std::string_view bytes);
  void bind_optional_text(int index, const std::optional<std::string>& value);
  void bind_optional_int64(int index, const std::optional<std::int64_t>& value);

  [[nodiscard]] int parameter_count() const noexcept;
  /// The parameter's name including its prefix (":a", "@a", "$a") or empty for "?".
  [[nodiscard]] std::string_view parameter_name(int index) const noexcept;

  // Reading the current row: 0-based column index.
  [[nodiscard]] int column_count() const noexcept;
  [[nodiscard]] std::string_view column_name(int column) const noexcept;
  [[nodiscard]] int column_type(int column) const noexcept;  // SQLITE_INTEGER, ...
  [[nodiscard]] bool column_is_null(int column) const noexcept;
  [[nodiscard]] std::int64_t column_int64(int column) const noexcept;
  [[nodiscard]] double column_double(int column) const noexcept;
  [[nodiscard]] std::string_view column_text(int column) const noexcept;
  /// BLOB (or any value) as raw bytes.
  [[nodiscard]] std::string_view column_bytes(int column) const noexcept;
  [[nodiscard]] std::optional<std::string> column_optional_text(int column) const;
  [[nodiscard]] std::optional<std::int64_t> column_optional_int64(int column) const noexcept;

  /// sqlite3_stmt_readonly: true when the statement makes no direct change to the database file.
  [[nodiscard]] bool readonly() const noexcept;
  [[nodiscard]] sqlite3_stmt* get() const noexcept { return stmt_; }
  [[nodiscard]] explicit operator bool() const noexcept { return stmt_ != nullptr; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
  fault_plan* faults_ = nullptr;  ///< the owning connection's (null for foreign statements)
};

/// Resets a cached statement (and clears its bindings) when a scope ends.
class statement_reset_guard {
 public:
  explicit statement_reset_guard(statement& stmt) noexcept : stmt_(stmt) {}
  statement_reset_guard(const statement_reset_guard&) = delete;
  statement_reset_guard& operator=(const statement_reset_guard&) = delete;
  ~statement_reset_guard() {
    stmt_.reset();
    stmt_.clear_bindings();
  }

 private:
  statement& stmt_;
};

/// The checkpoint a writable connection runs when it closes. None of them waits for another
/// connection (busy_timeout 0): what cannot be checkpointed stays in the (durable) WAL.
enum class close_checkpoint {
  truncate,  ///< wal_checkpoint(TRUNCATE): folds the WAL back and truncates it when nobody reads it
  passive,   ///< wal_checkpoint(PASSIVE): what can be copied without any lock, never truncates
  none,      ///< nothing, and SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE: the WAL is left to another process
};

struct connection_options {
  bool read_only = false;  ///< SQLITE_OPEN_READONLY + PRAGMA query_only
  /// With read_only: opens `file:PATH?immutable=1`. SQLite then takes no lock and creates no
  /// `-wal`/`-shm`: the file must not change while open (a --read-only replica's files are
  /// replaced whole, by rename; database.hpp).
  bool immutable = false;
  bool create = false;                 ///< SQLITE_OPEN_CREATE
  int busy_timeout_ms = 5000;          ///< PRAGMA busy_timeout
  std::string synchronous = "NORMAL";  ///< PRAGMA synchronous for the writer (NORMAL or FULL)
  /// At close (writable connections). Writable connections never checkpoint on commit:
  /// PRAGMA wal_autocheckpoint=0 (the database's background checkpoint does it, database.hpp).
  close_checkpoint on_close = close_checkpoint::truncate;
};

/// One SQLite connection. Not thread-safe: one thread at a time (see file comment).
class connection {
 public:
  connection(const std::filesystem::path& file, const connection_options& options);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection();

  /// Runs one or more statements with no parameters and no result (DDL, BEGIN, PRAGMA).
  void exec(std::string_view sql);

  /// Prepares `sql`; returns the statement and stores in `tail` the unparsed rest (if non-null).
  /// An empty statement (only whitespace/comments) returns a null statement.
  statement prepare(std::string_view sql, std::string_view* tail = nullptr);

  /// A prepared statement from this connection's cache (for server-owned SQL only, never for
  /// user SQL). The statement is reset before being returned; callers reset it when done
  /// (statement_reset_guard).
  statement& cached(const std::string& sql);

  /// User-SQL statement reuse (checkout/checkin, bounded): `take_user_statement` moves out a
  /// statement that an earlier `give_back_user_statement` stored for exactly this text, or
  /// returns a null statement. Only text that passed the user-SQL guard and the one-statement
  /// rule may be given back (ops::prepare_user does both); it is reset with bindings cleared.
  /// A text is kept from its second give-back on (the first is only remembered, by hash).
  /// A schema change since it was given back (PRAGMA schema_version) drops it: its column list
  /// (e.g. `SELECT *`) would be stale until its next step.
  statement take_user_statement(std::string_view sql);
  void give_back_user_statement(std::string_view sql, statement stmt) noexcept;

  [[nodiscard]] std::int64_t changes() const noexcept;
  [[nodiscard]] std::int64_t last_insert_rowid() const noexcept;
  [[nodiscard]] bool in_transaction() const noexcept;
  [[nodiscard]] bool read_only() const noexcept { return read_only_; }
  [[nodiscard]] sqlite3* handle() const noexcept { return db_; }
  [[nodiscard]] const std::filesystem::path& file() const noexcept { return file_; }

  /// True when a table (or view) named `name` exists in the main schema.
  [[nodiscard]] bool table_exists(std::string_view name);

  /// While enabled, preparing a statement that user SQL may never run (ATTACH, DETACH,
  /// transaction control, load_extension) fails with SQLITE_AUTH. Enable it around the
  /// preparation of user SQL only; server-owned SQL uses savepoints. See `user_sql_scope`.
  void set_user_sql_guard(bool enabled, bool allow_attach = false);

  /// Arms (countdown > 0) or disarms the fault seam; see fault_plan. Tests only.
  void inject_faults(const fault_plan& plan) noexcept { faults_ = plan; }
  /// True once an injected fault fired (until the next inject_faults).
  [[nodiscard]] bool fault_fired() const noexcept { return faults_.countdown < 0; }
  /// PRAGMA busy_timeout for this connection (how long a lock held by another process is
  /// waited for); `busy_timeout_ms()` is the current value.
  void set_busy_timeout(int ms) noexcept;
  [[nodiscard]] int busy_timeout_ms() const noexcept { return busy_timeout_ms_; }

  /// Aborts running statements once `deadline_ms` (steady clock, ms) passes; 0 disables.
  void set_deadline(std::int64_t deadline_ms) noexcept;
  /// Aborts running statements (SQLITE_INTERRUPT, checked with the deadline every 1,000 VM
  /// steps) while `*flag` is true; null disables. The flag must outlive its setting here.
  void set_cancel_flag(const std::atomic<bool>* flag) noexcept { cancel_ = flag; }
  [[nodiscard]] bool cancelled() const noexcept {
    return cancel_ != nullptr && cancel_->load(std::memory_order_relaxed);
  }

  /// Schema facts the server has verified on this connection (e.g. "kv:kv_store" = the KV tables
  /// exist), so hot paths skip `CREATE TABLE IF NOT EXISTS`. Forgotten after any user SQL write.
  [[nodiscard]] bool schema_known(const std::string& fact) const { return known_.contains(fact); }
  void mark_schema_known(std::string fact) { known_.insert(std::move(fact)); }
  void forget_schema() noexcept { known_.clear(); }

 private:
  static int progress_callback(void* self) noexcept;
  static int authorizer(void* self, int action, const char* a, const char* b, const char* c,
                        const char* d) noexcept;

  sqlite3* db_ = nullptr;
  std::filesystem::path file_;
  bool read_only_ = false;
  close_checkpoint on_close_ = close_checkpoint::truncate;
  bool guard_enabled_ = false;
  bool allow_attach_ = false;
  std::int64_t deadline_ms_ = 0;
  const std::atomic<bool>* cancel_ = nullptr;
  fault_plan faults_;
  int busy_timeout_ms_ = 0;
  std::unordered_map<std::string, statement> cache_;
  struct idle_user_statement {
    statement stmt;
    std::int64_t schema_version = 0;  ///< reused only while the schema is unchanged
  };
  std::unordered_map<std::string, idle_user_statement> user_cache_;  ///< ≤ 64, reset
  std::array<std::size_t, 256> seen_user_texts_{};  ///< hashes of texts given back (once)
  [[nodiscard]] std::int64_t schema_version();
  std::unordered_set<std::string> known_;
};

/// RAII savepoint: `release()` on success, rolled back and released on destruction otherwise.
class savepoint {
 public:
  savepoint(connection& conn, std::string_view name);
  savepoint(const savepoint&) = delete;
  savepoint& operator=(const savepoint&) = delete;
  ~savepoint();
  void release();
  /// Rolls back to the savepoint and releases it (no-op if already done).
  void rollback() noexcept;

 private:
  connection& conn_;
  std::string name_;
  bool done_ = false;
};

/// Enables the user-SQL guard for a scope.
class user_sql_scope {
 public:
  explicit user_sql_scope(connection& conn, bool allow_attach = false) : conn_(conn) {
    conn_.set_user_sql_guard(true, allow_attach);
  }
  user_sql_scope(const user_sql_scope&) = delete;
  user_sql_scope& operator=(const user_sql_scope&) = delete;
  ~user_sql_scope() { conn_.set_user_sql_guard(false); }

 private:
  connection& conn_;
};

/// Quotes an SQL identifier ("name" with doubled quotes).
[[nodiscard]] std::string quote_identifier(std::string_view name);

}  // namespace hoody::db
