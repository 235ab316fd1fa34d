// hoody/db/database.hpp — one SQLite file: one writer connection, a pool of read-only readers.
//
// Threading contract: `post_read` jobs run on the shared read pool, each on a reader connection
// of its own (opened SQLITE_OPEN_READONLY + query_only) inside a read transaction. `post_write`
// jobs run one at a time on this database's write strand, on the single writer connection.
// Writes are group-committed: the strand drains every queued job into one BEGIN IMMEDIATE
// transaction, each job inside its own SAVEPOINT (a failing job rolls back alone), and completes
// each job only after COMMIT returned. Completions run on the pool thread that ran the job; the
// caller hops back to its own executor. No job ever runs on an HTTP I/O thread.
// Deferred writes (`defer_write`: bookkeeping such as the query history) ride along: each group
// runs them first, in savepoints of their own, so they cost no commit of their own while other
// writes flow; otherwise a no-op write is posted for them once they are 1 s old or 256 queue.
// Checkpoints (checkpointer.hpp): the writer never checkpoints in a commit; a WAL hook counts
// the WAL's frames after each commit and the strand asks the checkpointer for a background
// checkpoint, which runs on a third connection of the database's own (busy_timeout 0).
// A replica (database_options::replica, --read-only) has no writer and no checkpoints: its
// readers open the file immutable (no lock, no `-wal`/`-shm` created, nothing written), so the
// file must change only by being replaced whole (restore, then rename over it): every read
// checks the path's identity first and a replaced file is reopened (file_replaced). A file
// with a non-empty `-wal` (a writer works on it in place) is refused (503 UNAVAILABLE). Every
// write is refused with READ_ONLY_REPLICA; no read cache (its version lives in the `-shm`).
#pragma once

#include "hoody/core/error.hpp"
#include "hoody/db/checkpointer.hpp"
#include "hoody/db/connection.hpp"
#include "hoody/db/read_cache.hpp"

#include <array>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>

namespace hoody::db {

class executors;

/// Runs inside a transaction on a connection. Throwing rolls the job's work back.
using job_fn = std::function<void(connection&)>;
/// Called once the job's work is durable (committed) or failed; null `error` = success.
using done_fn = std::function<void(std::exception_ptr error)>;

struct database_options {
  connection_options conn;  ///< shared by writer and readers (read_only is set per role)
  std::int64_t query_timeout_ms = 0;
  std::size_t max_group = 256;       ///< write jobs per group commit
  std::size_t max_queue = 10000;     ///< waiting write jobs; more → too_many_requests
  std::size_t read_cache_bytes = 0;  ///< budget of the database's read cache; 0 = off
  checkpoint_mode checkpoints = checkpoint_mode::truncate;  ///< --checkpoint-mode
  /// Runs the background checkpoints; null = none (the WAL is checkpointed only at close).
  checkpointer* checkpoint_runner = nullptr;
  /// A --read-only replica's database (see the file comment): no writer, immutable readers.
  bool replica = false;
};

/// Upper bounds of the group-commit batch size histogram (an implicit +Inf bucket follows).
inline constexpr std::array<std::uint64_t, 9> group_size_bounds{1, 2, 4, 8, 16, 32, 64, 128, 256};

/// Process-wide write statistics over every database ever opened (for /metrics).
struct write_totals {
  std::uint64_t group_commits = 0;   ///< transactions run by the group committer
  std::uint64_t grouped_jobs = 0;    ///< write jobs they contained
  std::uint64_t exclusive_jobs = 0;  ///< post_exclusive jobs run
  /// Per bucket (not cumulative): groups with size <= bound[i] and > bound[i-1]; last = +Inf.
  std::array<std::uint64_t, group_size_bounds.size() + 1> group_sizes{};
};
[[nodiscard]] write_totals global_write_totals() noexcept;

/// The database's file was deleted or replaced (another inode now has its name) while it was
/// open: nothing was acknowledged; the dispatcher re-resolves the name and retries once, on the
/// file now at the path. Seen by a client only when that retry hits it again (503, retryable).
class file_replaced : public api_error {
 public:
  file_replaced()
      : api_error(errc::unavailable,
                  "the database file was deleted or replaced while open; retry the request") {}
};

class database : public std::enable_shared_from_this<database> {
 public:
  /// Opens the writer (creating the file when `options.conn.create`); sets WAL mode. A replica
  /// opens one reader instead (a file that is not a database fails here).
  database(std::filesystem::path file, executors& exec, database_options options);
  database(const database&) = delete;
  database& operator=(const database&) = delete;
  ~database();

  void post_read(job_fn job, done_fn done);
  /// `touch`: counts as use for idle eviction (false for background work such as TTL sweeps).
  void post_write(job_fn job, done_fn done, bool touch = true);
  /// Runs `job` alone on the writer strand, in queue order with other writes, OUTSIDE any
  /// transaction and never group-committed (VACUUM INTO, wal_checkpoint). The job manages its
  /// own statements; `done` gets its error. Uses the same queue bound as post_write.
  void post_exclusive(job_fn job, done_fn done);
  /// Queues `job` for a later write transaction (see the file comment): never alone on a
  /// request's path, never acknowledged. A failing deferred job is dropped; so are jobs queued
  /// past `max_queue` or after close (then false). `close()` runs those still queued.
  bool defer_write(job_fn job);
  /// Posts a write that runs the deferred jobs now, if any are queued.
  void flush_deferred();
  /// False when the file cannot be written (read-only file or file system): writes will fail.
  [[nodiscard]] bool writable() const noexcept;

  /// Waits for queued writes and for reads in progress, closes readers and the writer (with a
  /// WAL checkpoint that never waits for another process's readers).
  /// Must not be called from this database's own strand or while holding a reader.
  void close();

  /// Calls `observer` on the write strand after each transaction this object commits (group
  /// commits; not exclusive jobs), after the jobs were completed; replaces any previous one,
  /// null removes it. For the change feed (handlers/watch_hub.hpp); it must not block.
  void set_commit_observer(std::function<void()> observer);

  [[nodiscard]] const std::filesystem::path& file() const noexcept { return file_; }
  /// True when the path no longer names the file this database opened (deleted, or another
  /// file renamed over it: device/inode differ). One stat(2); once true, stays true.
  [[nodiscard]] bool file_replaced() const;
  /// What file_replaced() last found; no disk access (for the I/O threads).
  [[nodiscard]] bool known_replaced() const noexcept;
  /// Hot point-read answers, valid while the database is unchanged (see read_cache.hpp).
  [[nodiscard]] read_cache& cache() noexcept;
  [[nodiscard]] std::size_t write_queue_depth() const noexcept;
  [[nodiscard]] std::int64_t last_used_ms() const noexcept;
  [[nodiscard]] std::uint64_t group_commits() const noexcept;
  [[nodiscard]] std::uint64_t grouped_jobs() const noexcept;

  /// Asks the checkpointer for a background checkpoint when one is due: the WAL holds
  /// checkpoint_frames frames, or (`idle_check`) the last commit is checkpoint_idle_ms old and
  /// its frames were not checkpointed yet. No-op in checkpoint_mode::external or without a
  /// checkpointer. Any thread; no disk access.
  void request_checkpoint_if_due(bool idle_check);
  /// The background checkpoint (checkpointer thread only): PASSIVE, then, in truncate mode or
  /// when writes kept the PASSIVE one from finishing, TRUNCATE (truncate mode) or RESTART
  /// (passive mode), each tried a few times with busy_timeout 0, so the writer restarts the
  /// WAL from its start and the file stays bounded. Never waits for a reader.
  void run_background_checkpoint();
  /// Size of the `-wal` file: one stat(2), remembered for wal_bytes(). Blocking threads only.
  std::uint64_t refresh_wal_bytes();
  /// What refresh_wal_bytes() last found (no disk access).
  [[nodiscard]] std::uint64_t wal_bytes() const noexcept;
  /// Frames in the WAL after the last commit (from the WAL hook; 0 before any commit).
  [[nodiscard]] std::int64_t wal_frames() const noexcept;

 private:
  void enqueue_write(job_fn job, done_fn done, bool touch, bool exclusive);
  void open_replica();

  struct impl;
  std::filesystem::path file_;
  std::unique_ptr<impl> impl_;
};

}  // namespace hoody::db
