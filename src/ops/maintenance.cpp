#include "hoody/ops/maintenance.hpp"

#include "hoody/core/error.hpp"
#include "hoody/db/sqlite_errc.hpp"
#include "hoody/ops/kv_schema.hpp"
#include "hoody/ops/time_travel.hpp"

#include <sqlite3.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace hoody::ops {

nlohmann::json wal_checkpoint_truncate(db::connection& conn, bool truncate) {
  // No busy handler while it runs: TRUNCATE would otherwise wait (up to --busy-timeout-ms, with
  // every write to this database queued behind it) for another process's read transaction or
  // write lock. Without one it checkpoints what it can at once and says whether it finished.
  struct busy_off {
    db::connection& c;
    int saved;
    explicit busy_off(db::connection& conn_ref) : c(conn_ref), saved(conn_ref.busy_timeout_ms()) {
      c.set_busy_timeout(0);
    }
    busy_off(const busy_off&) = delete;
    busy_off& operator=(const busy_off&) = delete;
    ~busy_off() { c.set_busy_timeout(saved); }
  } guard(conn);
  const int mode = truncate ? SQLITE_CHECKPOINT_TRUNCATE : SQLITE_CHECKPOINT_PASSIVE;
  int log = -1;
  int checkpointed = -1;
  int rc = SQLITE_OK;
  // The checkpoint lock is never waited for by SQLite; the background checkpoint holds it for
  // a few milliseconds at a time, so retry briefly (log -1: the lock was not obtained).
  for (int attempt = 0; attempt < 40; ++attempt) {
    log = -1;
    checkpointed = -1;
    rc = sqlite3_wal_checkpoint_v2(conn.handle(), "main", mode, &log, &checkpointed);
    if (rc != SQLITE_BUSY || log != -1) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
    db::throw_sqlite(rc, conn.handle(), "wal_checkpoint");
  }
  const bool busy = rc == SQLITE_BUSY || (!truncate && log != checkpointed);
  nlohmann::json out = {{"mode", truncate ? "truncate" : "passive"},
                        {"busy", busy ? 1 : 0},
                        {"log", log},
                        {"checkpointed", checkpointed}};
  out["complete"] = !busy;
  if (busy) {
    out["message"] =
        "checkpoint incomplete: another connection holds a read transaction or the write lock; "
        "the WAL was checkpointed as far as possible" +
        std::string(truncate ? " and not truncated" : "") + "; retry later";
  }
  return out;
}

nlohmann::json quick_check(db::connection& conn) {
  auto stmt = conn.prepare("PRAGMA main.quick_check(100)");
  auto result = nlohmann::json::array();
  while (stmt.step()) {
    result.push_back(std::string(stmt.column_text(0)));
  }
  const bool ok = result.size() == 1 && result[0] == "ok";
  // `result` is "ok" when the check passed (as published), else the list of problems found.
  return {{"ok", ok}, {"result", ok ? nlohmann::json("ok") : std::move(result)}};
}

namespace {

constexpr std::string_view vacuum_marker = ".hoody-vacuum-";

// The client-visible error for a failed system call on the backup (ENOSPC → 507).
[[noreturn]] void throw_errno(int err, const std::string& what) {
  if (err == ENOSPC || err == EDQUOT) {
    throw api_error(errc::disk_full, std::string(db::disk_full_message));
  }
  throw api_error(errc::internal, what + ": " + std::generic_category().message(err));
}

void remove_temporary(const std::filesystem::path& tmp) noexcept {
  for (const char* suffix : {"", "-journal", "-wal", "-shm"}) {
    ::unlink((tmp.string() + suffix).c_str());
  }
}

void fsync_path(const std::filesystem::path& path, int flags, const std::string& what) {
  const int fd =
      ::open(path.c_str(), flags | O_CLOEXEC);  // NOLINT(cppcoreguidelines-pro-type-vararg)
  if (fd < 0) {
    throw_errno(errno, what);
  }
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) {
    throw_errno(err, what);
  }
}

// rename(2) that never replaces an existing destination (renameat2 RENAME_NOREPLACE; link +
// unlink where the file system lacks it). false when `to` exists.
bool rename_no_replace(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
    return true;
  }
  if (errno == EEXIST) {
    return false;
  }
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) {
    throw_errno(errno, "cannot rename the backup into place");
  }
  if (::link(from.c_str(), to.c_str()) != 0) {
    if (errno == EEXIST) {
      return false;
    }
    throw_errno(errno, "cannot move the backup into place");
  }
  ::unlink(from.c_str());
  return true;
}

}  // namespace

bool is_vacuum_temporary(std::string_view file_name) noexcept {
  return !file_name.empty() && file_name.front() == '.' &&
         file_name.find(vacuum_marker) != std::string_view::npos &&
         file_name.find(".tmp") != std::string_view::npos;
}

std::size_t remove_stale_vacuum_temporaries(const std::filesystem::path& dir) {
  std::size_t removed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::error_code type_ec;
    if (is_vacuum_temporary(entry.path().filename().string()) && entry.is_regular_file(type_ec) &&
        std::filesystem::remove(entry.path(), type_ec)) {
      ++removed;
    }
  }
  return removed;
}

nlohmann::json vacuum_into(db::connection& conn, const std::filesystem::path& dest) {
  std::error_code ec;
  if (std::filesystem::equivalent(dest, conn.file(), ec) || dest == conn.file()) {
    throw api_error(errc::bad_request, "dest_path must name a different database than db");
  }
  if (std::filesystem::exists(dest, ec) || std::filesystem::is_symlink(dest, ec)) {
    throw api_error(errc::conflict, "destination database already exists");
  }
  // Written under a temporary name in the destination's directory, made durable, then renamed:
  // a crash or a full disk leaves either no destination or a complete one (a stale temporary
  // is removed at the next start-up).
  static std::atomic<std::uint64_t> counter{0};
  const auto tmp =
      dest.parent_path() / ("." + dest.filename().string() + std::string(vacuum_marker) +
                            std::to_string(::getpid()) + "-" + std::to_string(++counter) + ".tmp");
  try {
    {
      auto stmt = conn.prepare("VACUUM main INTO ?");
      stmt.bind_text(1, tmp.string());
      stmt.run();
    }
    fsync_path(tmp, O_RDONLY, "cannot sync the backup");
    if (!rename_no_replace(tmp, dest)) {
      throw api_error(errc::conflict, "destination database already exists");
    }
  } catch (...) {
    remove_temporary(tmp);
    throw;
  }
  remove_temporary(tmp);  // a -journal VACUUM INTO may have left behind
  try {
    fsync_path(dest.parent_path(), O_RDONLY | O_DIRECTORY, "cannot sync the backup's directory");
  } catch (const api_error&) {  // NOLINT(bugprone-empty-catch): the file itself is complete
  }
  const auto size = std::filesystem::file_size(dest, ec);
  return {{"size_bytes", ec ? 0 : static_cast<std::int64_t>(size)}};
}

std::int64_t prune_all_kv_history(db::connection& conn, std::int64_t max_age_ms,
                                  std::int64_t max_ops_per_key, std::int64_t now_ms) {
  if (max_age_ms <= 0 && max_ops_per_key <= 0) {
    return 0;
  }
  std::vector<std::string> tables;
  {
    auto stmt = conn.prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE '%\\_\\_history' "
        "ESCAPE '\\'");
    while (stmt.step()) {
      std::string name(stmt.column_text(0));
      name.resize(name.size() - std::string_view("__history").size());
      tables.push_back(std::move(name));
    }
  }
  std::int64_t total = 0;
  for (const auto& table : tables) {
    try {
      validate_kv_table_name(table);
      if (!kv_tables_exist(conn, table)) {
        continue;
      }
      db::savepoint sp(conn, "hoody_prune");
      total += prune_history(conn, table, max_age_ms, max_ops_per_key, now_ms).deleted_ops;
      sp.release();
    } catch (const api_error&) {  // NOLINT(bugprone-empty-catch): not a KV table; skip it
    }
  }
  return total;
}

}  // namespace hoody::ops
