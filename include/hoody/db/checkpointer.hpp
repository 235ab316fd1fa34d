// hoody/db/checkpointer.hpp — the WAL checkpoint policy and the thread that runs background
// checkpoints, off every request's path.
//
// Writers never checkpoint inside a commit (PRAGMA wal_autocheckpoint=0, connection.hpp): each
// checkpoint fsyncs, and inside a commit that fsync is paid by the requests of that group. A
// database asks the checkpointer instead (database::request_checkpoint_if_due): when its WAL
// holds `checkpoint_frames` frames after a commit, or when it has been idle for `idle_ms` with
// frames not yet checkpointed. Only when writes outrun it does the writer checkpoint, between
// two groups (checkpoint_writer_frames). The checkpointer's one thread then runs the checkpoint on
// the database's own checkpoint connection (database::run_background_checkpoint), never on a reader
// of the pool nor on the write strand, and never waiting in SQLite's busy handler. Thread-safety:
// request() and stop() from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>

namespace hoody::db {

class database;

/// --checkpoint-mode (docs/operations.md, "Checkpoints").
enum class checkpoint_mode {
  truncate,  ///< default: background PASSIVE then TRUNCATE when cheap; TRUNCATE at close
  passive,   ///< background PASSIVE (+ RESTART without waiting); PASSIVE at close; never truncates
  external,  ///< the WAL belongs to a replicator: no checkpoint by the server at all
};

/// "truncate" | "passive" | "external" (anything else: truncate).
[[nodiscard]] checkpoint_mode parse_checkpoint_mode(std::string_view name) noexcept;
[[nodiscard]] std::string_view to_string(checkpoint_mode mode) noexcept;

/// A size-triggered checkpoint runs once the WAL holds this many frames (about 12 MiB with 4 KiB
/// pages). A checkpoint copies each page once, whatever the number of its frames, so a page a
/// workload keeps rewriting (an index leaf, a counter's row) is copied and fsynced once per
/// checkpoint: 3000 frames rather than SQLite's default 1000 make kv_put 8-18 % faster on two
/// cores, where the checkpoint thread takes CPU from the writer (docs/performance.md).
inline constexpr std::int64_t checkpoint_frames = 3000;
/// When writes outrun the background checkpoint and the WAL reaches this many frames (about
/// 31 MiB), the writer finishes a checkpoint itself between two groups (back-pressure; never
/// waiting for a reader), so the WAL stays bounded under sustained writes.
inline constexpr std::int64_t checkpoint_writer_frames = 8000;
/// A database whose last commit is this old and whose WAL has frames gets a checkpoint.
inline constexpr std::int64_t checkpoint_idle_ms = 1000;

/// Process-wide checkpoint statistics (for /metrics).
struct checkpoint_totals {
  std::uint64_t runs = 0;        ///< background checkpoints run
  std::uint64_t incomplete = 0;  ///< of them, those that could not copy the whole WAL
  std::uint64_t on_writer = 0;   ///< of them, run by a writer (checkpoint_writer_frames)
};
[[nodiscard]] checkpoint_totals global_checkpoint_totals() noexcept;
/// Counts one background checkpoint (database.cpp).
void record_checkpoint(bool complete, bool on_writer = false) noexcept;

class checkpointer {
 public:
  checkpointer() = default;
  checkpointer(const checkpointer&) = delete;
  checkpointer& operator=(const checkpointer&) = delete;
  ~checkpointer();

  /// Queues a checkpoint of `db` (the thread starts on first use). The database keeps at most
  /// one request queued (its own flag), so the queue is bounded by the open databases.
  void request(std::weak_ptr<database> db);
  /// Finishes the checkpoint running, drops the queued ones and joins the thread (shutdown,
  /// before the databases close). Later requests are ignored.
  void stop();

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::weak_ptr<database>> queue_;  ///< guarded by mutex_
  bool stopping_ = false;                      ///< guarded by mutex_
  std::thread thread_;                         ///< started by the first request
};

}  // namespace hoody::db
