#include "hoody/db/connection.hpp"

#include "hoody/core/clock.hpp"
#include "hoody/core/error.hpp"
#include "hoody/db/executors.hpp"
#include "hoody/db/sqlite_errc.hpp"

#include <cassert>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <limits>
#include <string>

namespace hoody::db {
namespace {

void check(int rc, sqlite3* handle) {
  if (rc != SQLITE_OK) {
    throw_sqlite(rc, handle);
  }
}

// `file:` URI of an absolute path with the query `?immutable=1` (sqlite.org/uri.html): every
// byte but unreserved ones and '/' percent-encoded, so '?', '#' and '%' in a name stay literal.
std::string immutable_uri(const std::filesystem::path& file) {
  static constexpr std::string_view hex = "0123456789ABCDEF";
  std::string uri = "file:";
  for (const char c : file.native()) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) != 0 || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
      uri += c;
    } else {
      uri += '%';
      uri += hex[byte >> 4U];
      uri += hex[byte & 0xFU];
    }
  }
  return uri + "?immutable=1";
}

int int_size(std::size_t size) {
  if (size > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw api_error(errc::payload_too_large, "value too large");
  }
  return static_cast<int>(size);
}

/// The fault seam (fault_plan): counts one SQLite call and throws when it is the armed one.
/// countdown < 0 afterwards records that it fired.
void count_call(fault_plan* plan, sqlite3* handle) {
  if (plan == nullptr || plan->countdown <= 0 || --plan->countdown > 0) {
    return;
  }
  plan->countdown = -1;
  if (plan->lose_transaction && handle != nullptr && sqlite3_get_autocommit(handle) == 0) {
    sqlite3_exec(handle, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  throw api_error(to_errc(plan->rc), std::string("injected fault: ") + sqlite3_errstr(plan->rc),
                  {{"sqlite_code", plan->rc}});
}

}  // namespace

bool configure_sqlite_library() noexcept {
  return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
}

void throw_sqlite(int rc, sqlite3* handle, std::string_view context) {
  int extended = rc;
  int sys_errno = 0;
  std::string message;
  if (handle != nullptr && sqlite3_errcode(handle) != SQLITE_OK) {
    extended = sqlite3_extended_errcode(handle);
    message = sqlite3_errmsg(handle);
    sys_errno = sqlite3_system_errno(handle);
  } else {
    message = sqlite3_errstr(rc);
  }
  if ((extended & 0xff) == SQLITE_INTERRUPT) {
    message = "query time limit exceeded";
  }
  const errc code = to_errc(extended, sys_errno);
  if (code == errc::disk_full) {
    message = disk_full_message;
  }
  if (!context.empty()) {
    message = std::string(context) + ": " + message;
  }
  throw api_error(code, std::move(message), {{"sqlite_code", extended}});
}

// --- statement ----------------------------------------------------------------------------

statement::statement(statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), db_(other.db_), faults_(other.faults_) {}

statement& statement::operator=(statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_ = other.db_;
    faults_ = other.faults_;
  }
  return *this;
}

statement::~statement() {
  sqlite3_finalize(stmt_);
}

bool statement::step() {
  assert(on_db_thread());
  count_call(faults_, db_);
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  throw_sqlite(rc, db_);
}

void statement::run() {
  while (step()) {
  }
}

void statement::reset() noexcept {
  sqlite3_reset(stmt_);
}
void statement::clear_bindings() noexcept {
  sqlite3_clear_bindings(stmt_);
}

void statement::bind_null(int index) {
  check(sqlite3_bind_null(stmt_, index), db_);
}
void statement::bind_int64(int index, std::int64_t value) {
  check(sqlite3_bind_int64(stmt_, index, value), db_);
}
void statement::bind_double(int index, double value) {
  check(sqlite3_bind_double(stmt_, index, value), db_);
}
void statement::bind_text(int index, std::string_view value) {
  check(sqlite3_bind_text(stmt_, index, value.data(), int_size(value.size()), SQLITE_TRANSIENT),
        db_);
}
void statement::bind_blob(int index, std::span<const std::byte> value) {
  check(sqlite3_bind_blob(stmt_, index, value.data(), int_size(value.size()), SQLITE_TRANSIENT),
        db_);
}
void statement::bind_blob(int index, std::string_view bytes) {
  // A zero-length blob must still be a BLOB, not NULL: SQLite binds NULL for a null pointer.
  static const char empty = 0;
  const char* data = bytes.empty() ? &empty : bytes.data();
  check(sqlite3_bind_blob(stmt_, index, data, int_size(bytes.size()), SQLITE_TRANSIENT), db_);
}
void statement::bind_optional_text(int index, const std::optional<std::string>& value) {
  if (value) {
    bind_text(index, *value);
  } else {
    bind_null(index);
  }
}
void statement::bind_optional_int64(int index, const std::optional<std::int64_t>& value) {
  if (value) {
    bind_int64(index, *value);
  } else {
    bind_null(index);
  }
}

int statement::parameter_count() const noexcept {
  return sqlite3_bind_parameter_count(stmt_);
}
std::string_view statement::parameter_name(int index) const noexcept {
  const char* name = sqlite3_bind_parameter_name(stmt_, index);
  return name == nullptr ? std::string_view{} : std::string_view{name};
}

int statement::column_count() const noexcept {
  return sqlite3_column_count(stmt_);
}
std::string_view statement::column_name(int column) const noexcept {
  const char* name = sqlite3_column_name(stmt_, column);
  return name == nullptr ? std::string_view{} : std::string_view{name};
}
int statement::column_type(int column) const noexcept {
  return sqlite3_column_type(stmt_, column);
}
bool statement::column_is_null(int column) const noexcept {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}
std::int64_t statement::column_int64(int column) const noexcept {
  return sqlite3_column_int64(stmt_, column);
}
double statement::column_double(int column) const noexcept {
  return sqlite3_column_double(stmt_, column);
}
std::string_view statement::column_text(int column) const noexcept {
  const auto* text = sqlite3_column_text(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  if (text == nullptr) {
    return {};
  }
  return {reinterpret_cast<const char*>(text), static_cast<std::size_t>(size)};
}
std::string_view statement::column_bytes(int column) const noexcept {
  const void* data = sqlite3_column_blob(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr) {
    return {};
  }
  return {static_cast<const char*>(data), static_cast<std::size_t>(size)};
}
std::optional<std::string> statement::column_optional_text(int column) const {
  if (column_is_null(column)) {
    return std::nullopt;
  }
  return std::string(column_text(column));
}
std::optional<std::int64_t> statement::column_optional_int64(int column) const noexcept {
  if (column_is_null(column)) {
    return std::nullopt;
  }
  return column_int64(column);
}
bool statement::readonly() const noexcept {
  return sqlite3_stmt_readonly(stmt_) != 0;
}

// --- connection ---------------------------------------------------------------------------

namespace {
bool is_transaction_control(std::string_view sql) {
  if (sql.size() > 80 || sql.find(';') != std::string_view::npos) {
    return false;
  }
  for (const std::string_view verb : {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT ", "RELEASE "}) {
    if (sql.starts_with(verb)) {
      return true;
    }
  }
  return false;
}
}  // namespace

connection::connection(const std::filesystem::path& file, const connection_options& options)
    : file_(file), read_only_(options.read_only), on_close_(options.on_close) {
  assert(on_db_thread());
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  flags |= options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (options.create && !options.read_only) {
    flags |= SQLITE_OPEN_CREATE;
  }
  const bool immutable = options.read_only && options.immutable;
  if (immutable) {
    flags |= SQLITE_OPEN_URI;
  }
  const int rc =
      sqlite3_open_v2(immutable ? immutable_uri(file).c_str() : file.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    const int sys_errno = db_ != nullptr ? sqlite3_system_errno(db_) : 0;
    sqlite3_close_v2(db_);
    db_ = nullptr;
    if (to_errc(rc, sys_errno) == errc::disk_full || sys_errno == ENOSPC) {
      throw api_error(errc::disk_full, std::string("cannot open database: ") + disk_full_message);
    }
    throw api_error(errc::internal, "cannot open database: " + message);
  }
  sqlite3_extended_result_codes(db_, 1);
  set_busy_timeout(options.busy_timeout_ms);
  // Extension loading stays off (the SQLite default); say so explicitly for the C API too.
  sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  sqlite3_db_config(db_, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  if (on_close_ == close_checkpoint::none) {
    // Not even SQLite's own checkpoint when the last connection to the file closes.
    sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  }
  sqlite3_progress_handler(db_, 1000, &connection::progress_callback, this);
  sqlite3_set_authorizer(db_, &connection::authorizer, this);
  try {
    if (options.read_only) {
      exec("PRAGMA query_only=1");
      exec("PRAGMA wal_autocheckpoint=0");  // readers never commit; reads it as the writer does
    } else {
      // A file that is not a database fails here, on first touch.
      exec("PRAGMA journal_mode=WAL");
      exec("PRAGMA synchronous=" +
           (options.synchronous == "FULL" ? std::string("FULL") : std::string("NORMAL")));
      exec("PRAGMA foreign_keys=ON");
      // Never checkpoint inside a commit (each checkpoint fsyncs): see database.hpp.
      exec("PRAGMA wal_autocheckpoint=0");
    }
  } catch (...) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw;
  }
}

connection::~connection() {
  cache_.clear();  // finalize statements before closing
  user_cache_.clear();
  if (db_ != nullptr) {
    if (!read_only_ && on_close_ != close_checkpoint::none) {
      // Without a busy handler TRUNCATE never waits: it truncates the WAL when nobody reads it
      // and otherwise checkpoints what it can, like PASSIVE (another process's read
      // transaction must not hold up a close or the shutdown).
      sqlite3_busy_timeout(db_, 0);
      sqlite3_wal_checkpoint_v2(db_, nullptr,
                                on_close_ == close_checkpoint::truncate ? SQLITE_CHECKPOINT_TRUNCATE
                                                                        : SQLITE_CHECKPOINT_PASSIVE,
                                nullptr, nullptr);
    }
    sqlite3_close_v2(db_);
  }
}

void connection::exec(std::string_view sql) {
  assert(on_db_thread());
  if (is_transaction_control(sql)) {
    // BEGIN/COMMIT/SAVEPOINT run several times per request: prepare each text once.
    auto& stmt = cached(std::string(sql));
    statement_reset_guard guard(stmt);
    stmt.run();
    return;
  }
  count_call(&faults_, db_);
  const std::string text(sql);
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error);
  sqlite3_free(error);
  if (rc != SQLITE_OK) {
    throw_sqlite(rc, db_);
  }
}

statement connection::prepare(std::string_view sql, std::string_view* tail) {
  assert(on_db_thread());
  count_call(&faults_, db_);
  sqlite3_stmt* stmt = nullptr;
  const char* rest = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), int_size(sql.size()), 0, &stmt, &rest);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    throw_sqlite(rc, db_);
  }
  if (tail != nullptr) {
    const auto used = static_cast<std::size_t>(rest - sql.data());
    *tail = sql.substr(used);
  }
  return statement{stmt, db_, &faults_};
}

statement& connection::cached(const std::string& sql) {
  auto found = cache_.find(sql);
  if (found != cache_.end()) {
    found->second.reset();
    return found->second;
  }
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.c_str(), int_size(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    throw_sqlite(rc, db_);
  }
  return cache_.emplace(sql, statement{stmt, db_, &faults_}).first->second;
}

std::int64_t connection::schema_version() {
  auto& stmt = cached("PRAGMA schema_version");
  statement_reset_guard guard(stmt);
  return stmt.step() ? stmt.column_int64(0) : -1;
}

statement connection::take_user_statement(std::string_view sql) {
  if (user_cache_.empty()) {
    return {};
  }
  auto found = user_cache_.find(std::string(sql));
  if (found == user_cache_.end()) {
    return {};
  }
  idle_user_statement idle = std::move(found->second);
  user_cache_.erase(found);
  if (idle.schema_version != schema_version()) {
    return {};  // finalized here; the caller prepares afresh
  }
  return std::move(idle.stmt);
}

void connection::give_back_user_statement(std::string_view sql, statement stmt) noexcept {
  if (!stmt) {
    return;
  }
  // Kept only for a text seen before (a direct-mapped table of recent texts' hashes): a client
  // that sends a new literal every time (GET /query links) pays no schema-version read and no
  // map churn for statements that would never be taken again.
  const std::size_t hash = std::hash<std::string_view>{}(sql);
  std::size_t& seen = seen_user_texts_[hash % seen_user_texts_.size()];
  if (seen != hash) {
    seen = hash;
    return;  // finalized here
  }
  try {
    stmt.reset();
    stmt.clear_bindings();
    const std::int64_t version = schema_version();
    if (user_cache_.size() >= 64) {
      user_cache_.clear();  // many distinct texts: start over (finalizes them)
    }
    user_cache_.try_emplace(std::string(sql), idle_user_statement{std::move(stmt), version});
  } catch (...) {  // NOLINT(bugprone-empty-catch): the statement is finalized, nothing is lost
  }
}

std::int64_t connection::changes() const noexcept {
  return sqlite3_changes64(db_);
}
std::int64_t connection::last_insert_rowid() const noexcept {
  return sqlite3_last_insert_rowid(db_);
}
bool connection::in_transaction() const noexcept {
  return sqlite3_get_autocommit(db_) == 0;
}

bool connection::table_exists(std::string_view name) {
  auto& stmt = cached("SELECT 1 FROM sqlite_schema WHERE type IN ('table','view') AND name = ?1");
  statement_reset_guard guard(stmt);
  stmt.bind_text(1, name);
  return stmt.step();
}

void connection::set_user_sql_guard(bool enabled, bool allow_attach) {
  // The authorizer is installed once at open (changing it would expire every cached
  // statement); this only flips what it enforces.
  guard_enabled_ = enabled;
  allow_attach_ = allow_attach;
}

void connection::set_busy_timeout(int ms) noexcept {
  busy_timeout_ms_ = ms;
  sqlite3_busy_timeout(db_, ms);
}

void connection::set_deadline(std::int64_t deadline_ms) noexcept {
  deadline_ms_ = deadline_ms;
}

int connection::progress_callback(void* self) noexcept {
  const auto* conn = static_cast<connection*>(self);
  if (conn->cancelled()) {
    return 1;
  }
  return (conn->deadline_ms_ != 0 && steady_now_ms() > conn->deadline_ms_) ? 1 : 0;
}

// The statements user SQL may never run, whatever the endpoint: the request already is a
// transaction (BEGIN/COMMIT/SAVEPOINT would break its atomicity), ATTACH would reach files
// outside the data directory, and extensions are native code.
int connection::authorizer(void* self, int action, const char* /*a*/, const char* b,
                           const char* /*c*/, const char* /*d*/) noexcept {
  const auto* conn = static_cast<connection*>(self);
  if (!conn->guard_enabled_) {
    return SQLITE_OK;
  }
  switch (action) {
  case SQLITE_TRANSACTION:
  case SQLITE_SAVEPOINT:
    return SQLITE_DENY;
  case SQLITE_ATTACH:
  case SQLITE_DETACH:
    return conn->allow_attach_ ? SQLITE_OK : SQLITE_DENY;
  case SQLITE_FUNCTION:
    // SQLITE_FUNCTION passes the function name as the second argument.
    return (b != nullptr && std::strcmp(b, "load_extension") == 0) ? SQLITE_DENY : SQLITE_OK;
  default:
    return SQLITE_OK;
  }
}

// --- savepoint ----------------------------------------------------------------------------

savepoint::savepoint(connection& conn, std::string_view name) : conn_(conn), name_(name) {
  conn_.exec("SAVEPOINT " + name_);
}

savepoint::~savepoint() {
  rollback();
}

void savepoint::release() {
  if (!done_) {
    conn_.exec("RELEASE " + name_);
    done_ = true;
  }
}

void savepoint::rollback() noexcept {
  if (done_) {
    return;
  }
  done_ = true;
  // After an error that already rolled back the whole transaction, the savepoint is gone.
  if (!conn_.in_transaction()) {
    return;
  }
  try {
    conn_.exec("ROLLBACK TO " + name_);
    conn_.exec("RELEASE " + name_);
  } catch (...) {  // NOLINT(bugprone-empty-catch): nothing more can be done in a destructor path
  }
}

std::string quote_identifier(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 2);
  out.push_back('"');
  for (const char ch : name) {
    if (ch == '"') {
      out.push_back('"');
    }
    out.push_back(ch);
  }
  out.push_back('"');
  return out;
}

}  // namespace hoody::db
