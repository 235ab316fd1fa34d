#include "hoody/db/database.hpp"

#include "hoody/core/clock.hpp"
#include "hoody/core/error.hpp"
#include "hoody/db/executors.hpp"

#include <sqlite3.h>

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cassert>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace hoody::db {
namespace {

struct write_request {
  job_fn job;
  done_fn done;
  bool exclusive = false;  ///< runs alone, outside any transaction (post_exclusive)
};

// Lock-free process-wide counters behind global_write_totals().
struct totals_counters {
  std::atomic<std::uint64_t> groups{0};
  std::atomic<std::uint64_t> jobs{0};
  std::atomic<std::uint64_t> exclusive{0};
  std::array<std::atomic<std::uint64_t>, group_size_bounds.size() + 1> sizes{};
};
totals_counters g_totals;  // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)

void record_group(std::size_t size) noexcept {
  g_totals.groups.fetch_add(1, std::memory_order_relaxed);
  g_totals.jobs.fetch_add(size, std::memory_order_relaxed);
  std::size_t bucket = 0;
  while (bucket < group_size_bounds.size() && size > group_size_bounds[bucket]) {
    ++bucket;
  }
  g_totals.sizes[bucket].fetch_add(1, std::memory_order_relaxed);
}

constexpr std::size_t deferred_batch = 256;     // deferred jobs that trigger a write of their own
constexpr std::int64_t deferred_age_ms = 1000;  // ... or the age of the oldest of them

std::exception_ptr make_error(errc code, std::string message) {
  return std::make_exception_ptr(api_error(code, std::move(message)));
}

std::exception_ptr replaced_error() {
  return std::make_exception_ptr(file_replaced());
}

}  // namespace

struct database::impl {
  impl(std::filesystem::path path, executors& exec_ref, database_options opts)
      : file(std::move(path)),
        exec(exec_ref),
        options(std::move(opts)),
        strand(exec_ref),
        reads(file, options.replica ? 0 : options.read_cache_bytes) {}

  std::filesystem::path file;
  executors& exec;
  database_options options;
  executors::strand strand;
  read_cache reads;

  std::unique_ptr<connection> writer;  // used only on `strand`

  std::mutex readers_mutex;
  std::vector<std::unique_ptr<connection>> idle_readers;
  std::size_t readers_out = 0;  ///< readers lent to running read jobs (close waits for them)
  std::condition_variable readers_returned;

  // Identity of the file the writer opened (stat after open), compared with the path's.
  dev_t device = 0;
  ino_t inode = 0;
  bool identity_known = false;
  mutable std::atomic<bool> replaced{false};
  std::atomic<bool> closing{false};

  bool check_replaced() const {
    if (replaced.load(std::memory_order_relaxed)) {
      return true;
    }
    if (!identity_known) {
      return false;
    }
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) {
      if (errno != ENOENT && errno != ENOTDIR) {
        return false;  // e.g. EACCES: no evidence that the file changed
      }
    } else if (st.st_dev == device && st.st_ino == inode) {
      return false;
    }
    replaced.store(true, std::memory_order_relaxed);
    return true;
  }

  std::mutex queue_mutex;
  std::deque<write_request> queue;
  bool draining = false;
  bool closed = false;
  std::vector<job_fn> deferred;        // guarded by queue_mutex
  std::int64_t deferred_since_ms = 0;  // steady ms of the oldest deferred job
  bool deferred_flush_posted = false;  // a no-op write is queued for them
  bool writable = true;

  std::mutex observer_mutex;
  std::function<void()> commit_observer;  // guarded by observer_mutex
  std::atomic<bool> has_observer{false};

  void notify_commit() {
    if (!has_observer.load(std::memory_order_acquire)) {
      return;
    }
    std::function<void()> observer;
    {
      std::lock_guard lock(observer_mutex);
      observer = commit_observer;
    }
    if (observer) {
      observer();
    }
  }

  std::atomic<std::int64_t> last_used{steady_now_ms()};
  std::atomic<std::uint64_t> groups{0};
  std::atomic<std::uint64_t> grouped{0};

  // Checkpoints (checkpointer.hpp). The WAL hook runs on the strand after each commit.
  std::atomic<std::int64_t> wal_frames{0};      ///< frames in the WAL after the last commit
  std::atomic<std::uint64_t> commits{0};        ///< commits seen by the WAL hook
  std::atomic<std::int64_t> last_commit_ms{0};  ///< steady ms of the last commit
  std::atomic<bool> checkpoint_queued{false};   ///< a request sits in the checkpointer's queue
  std::atomic<std::int64_t> last_checkpoint_ms{0};
  std::atomic<bool> last_checkpoint_complete{true};
  int background_last_copied = -1;                      ///< under checkpoint_mutex
  std::atomic<std::int64_t> checkpoint_backoff_ms{20};  ///< doubles while incomplete (≤ 1 s)
  static constexpr std::int64_t min_backoff_ms = 20;
  static constexpr std::int64_t max_backoff_ms = 1000;
  std::atomic<std::uint64_t> checkpointed_commits{0};  ///< `commits` when the last complete one ran
  std::atomic<std::uint64_t> wal_file_bytes{0};
  std::mutex checkpoint_mutex;                  ///< guards checkpoint_conn and checkpoints_closed
  std::unique_ptr<connection> checkpoint_conn;  ///< opened by the first background checkpoint
  bool checkpoints_closed = false;

  static int on_wal_commit(void* self, sqlite3* /*db*/, const char* /*schema*/,
                           int frames) noexcept {
    auto* d = static_cast<impl*>(self);
    d->wal_frames.store(frames, std::memory_order_relaxed);
    d->commits.fetch_add(1, std::memory_order_relaxed);
    d->last_commit_ms.store(steady_now_ms(), std::memory_order_relaxed);
    return SQLITE_OK;
  }

  std::atomic<bool> background_running{false};  ///< run_background_checkpoint is running
  std::int64_t last_writer_checkpoint_ms = 0;   ///< strand only
  int writer_last_copied = -1;                  ///< strand only
  std::int64_t writer_backoff_ms = 20;          ///< strand only: doubles while incomplete

  // Back-pressure (strand only, between groups): when writes outrun the background checkpoint
  // and the WAL reaches checkpoint_writer_frames, the writer finishes the checkpoint itself,
  // as SQLite's autocheckpoint would, but with busy_timeout 0: never waiting for a reader.
  void checkpoint_if_far_behind() {
    assert(strand.running_in_this_thread());
    if (!background_checkpoints() ||
        wal_frames.load(std::memory_order_relaxed) < checkpoint_writer_frames) {
      return;
    }
    const auto now = steady_now_ms();
    if (now - last_writer_checkpoint_ms < writer_backoff_ms) {
      return;
    }
    last_writer_checkpoint_ms = now;
    connection& conn = *writer;
    const int saved = conn.busy_timeout_ms();
    conn.set_busy_timeout(0);
    int log = -1;
    int copied = -1;
    const auto seen = commits.load(std::memory_order_relaxed);
    const int mode = options.checkpoints == checkpoint_mode::truncate ? SQLITE_CHECKPOINT_TRUNCATE
                                                                      : SQLITE_CHECKPOINT_RESTART;
    int rc = sqlite3_wal_checkpoint_v2(conn.handle(), "main", mode, &log, &copied);
    // Someone holds the checkpoint lock (log -1). When it is the background checkpoint and the
    // WAL is far behind, the writer waits for it (≤ 1 s: one pass of it; never for a reader)
    // and finishes after it. Another process's checkpoint is not waited for.
    for (int attempt = 0;
         rc == SQLITE_BUSY && log == -1 && attempt < 1000 &&
         background_running.load(std::memory_order_relaxed) &&
         wal_frames.load(std::memory_order_relaxed) >= 2 * checkpoint_writer_frames;
         ++attempt) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      rc = sqlite3_wal_checkpoint_v2(conn.handle(), "main", mode, &log, &copied);
    }
    // Everything is copied but readers that began before still use the WAL: pause (no lock
    // held: new readers start on the database file) for a moment, ≤ 5 ms, for them to end.
    for (int pause = 0; rc == SQLITE_BUSY && log >= 0 && log == copied && pause < 5; ++pause) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      rc = sqlite3_wal_checkpoint_v2(conn.handle(), "main", mode, &log, &copied);
    }
    conn.set_busy_timeout(saved);
    if (rc == SQLITE_BUSY && log == -1) {
      // Still ours: retry soon. Another process's: back off as after an incomplete one.
      writer_backoff_ms = background_running.load(std::memory_order_relaxed)
                              ? min_backoff_ms
                              : std::min(2 * writer_backoff_ms, max_backoff_ms);
      return;
    }
    const bool complete = rc == SQLITE_OK;
    // A reader kept it from finishing. Progress (it copied more than last time: short readers)
    // → retry soon; none (a reader holds an old snapshot, e.g. another process's) → after 40,
    // 80, ... up to 1000 ms: each try takes the write lock for a moment.
    const bool progress = copied != writer_last_copied;
    writer_last_copied = copied;
    writer_backoff_ms =
        complete || progress ? min_backoff_ms : std::min(2 * writer_backoff_ms, max_backoff_ms);
    record_checkpoint(complete, /*on_writer=*/true);
    if (complete && commits.load(std::memory_order_relaxed) == seen) {
      wal_frames.store(0, std::memory_order_relaxed);
    }
  }

  [[nodiscard]] bool background_checkpoints() const noexcept {
    return options.checkpoint_runner != nullptr &&
           options.checkpoints != checkpoint_mode::external && !options.replica;
  }

  void arm_deadline(connection& conn) const {
    conn.set_deadline(options.query_timeout_ms > 0 ? steady_now_ms() + options.query_timeout_ms
                                                   : 0);
  }

  // Lends a reader to a read job (counted in readers_out until return_reader).
  std::unique_ptr<connection> acquire_reader() {
    {
      std::lock_guard lock(readers_mutex);
      if (closing) {
        if (replaced) {
          throw db::file_replaced();
        }
        throw api_error(errc::unavailable, "database is closing");
      }
      ++readers_out;
      if (!idle_readers.empty()) {
        auto conn = std::move(idle_readers.back());
        idle_readers.pop_back();
        return conn;
      }
    }
    connection_options reader_options = options.conn;
    reader_options.read_only = true;
    reader_options.create = false;
    reader_options.immutable = options.replica;
    if (options.checkpoints == checkpoint_mode::external) {
      reader_options.on_close = close_checkpoint::none;
    }
    try {
      return std::make_unique<connection>(file, reader_options);
    } catch (...) {
      return_reader(nullptr);
      throw;
    }
  }

  // Takes a lent reader back (null: it broke and is dropped).
  void return_reader(std::unique_ptr<connection> conn) {
    std::lock_guard lock(readers_mutex);
    if (conn && !closing) {
      idle_readers.push_back(std::move(conn));
    }
    conn.reset();
    --readers_out;
    readers_returned.notify_all();
  }

  std::vector<job_fn> take_deferred() {
    std::lock_guard lock(queue_mutex);
    deferred_flush_posted = false;
    return std::exchange(deferred, {});
  }

  // Runs deferred jobs inside the open transaction, each in its own savepoint; a failing one
  // is dropped. False when a failure ended the whole transaction (nothing else ran in it yet).
  static bool run_deferred(connection& conn, std::vector<job_fn>& jobs) {
    for (auto& job : jobs) {
      try {
        savepoint sp(conn, "hoody_deferred");
        job(conn);
        sp.release();
      } catch (...) {
        conn.forget_schema();
        if (!conn.in_transaction()) {
          return false;
        }
      }
    }
    return true;
  }

  // Deferred jobs alone in a transaction of their own (at close); failures drop them.
  void run_deferred_transaction(std::vector<job_fn>& jobs) {
    assert(strand.running_in_this_thread());
    connection& conn = *writer;
    try {
      conn.exec("BEGIN IMMEDIATE");
      if (run_deferred(conn, jobs)) {
        conn.exec("COMMIT");
      }
    } catch (...) {  // NOLINT(bugprone-empty-catch): bookkeeping only; nothing was acknowledged
    }
    if (conn.in_transaction()) {
      try {
        conn.exec("ROLLBACK");
      } catch (...) {  // NOLINT(bugprone-empty-catch)
      }
    }
  }

  // Runs `batch` as one transaction, each job in a savepoint. A job that fails is rolled back
  // alone; if its failure rolled back the whole transaction (SQLite does that for some errors,
  // e.g. SQLITE_FULL), the surviving jobs are re-run in a fresh transaction. Deferred jobs run
  // first, once.
  std::vector<std::exception_ptr> run_group(std::vector<write_request>& batch) {
    assert(strand.running_in_this_thread());
    std::vector<std::exception_ptr> errors(batch.size());
    std::vector<bool> failed(batch.size(), false);
    connection& conn = *writer;
    std::vector<job_fn> extra = take_deferred();
    const bool single = batch.size() == 1 && extra.empty();
    if (check_replaced()) {
      for (auto& error : errors) {
        error = replaced_error();  // nothing runs on a file that is no longer at the path
      }
      return errors;
    }
    for (;;) {
      bool lost_transaction = false;
      try {
        conn.exec("BEGIN IMMEDIATE");
      } catch (...) {
        for (auto& error : errors) {
          error = error ? error : std::current_exception();
        }
        return errors;
      }
      if (!extra.empty()) {
        const bool kept = run_deferred(conn, extra);
        extra.clear();
        if (!kept) {
          continue;  // the transaction ended before any job ran: begin again without them
        }
      }
      for (std::size_t i = 0; i < batch.size() && !lost_transaction; ++i) {
        if (failed[i]) {
          continue;
        }
        arm_deadline(conn);
        try {
          if (single) {
            batch[i].job(conn);
          } else {
            savepoint sp(conn, "hoody_job");
            batch[i].job(conn);
            sp.release();
          }
        } catch (...) {
          errors[i] = std::current_exception();
          failed[i] = true;
          lost_transaction = single || !conn.in_transaction();
          // Schema facts learned inside the rolled-back work (e.g. "the KV tables exist") may
          // be false now.
          conn.forget_schema();
        }
      }
      conn.set_deadline(0);
      if (lost_transaction) {
        if (conn.in_transaction()) {
          try {
            conn.exec("ROLLBACK");
          } catch (...) {  // NOLINT(bugprone-empty-catch): the connection resets on next BEGIN
          }
        }
        if (single) {
          return errors;
        }
        continue;  // re-run the jobs that had not failed
      }
      try {
        conn.exec("COMMIT");
      } catch (...) {
        auto error = std::current_exception();
        conn.forget_schema();
        if (conn.in_transaction()) {
          try {
            conn.exec("ROLLBACK");
          } catch (...) {  // NOLINT(bugprone-empty-catch)
          }
        }
        for (std::size_t i = 0; i < batch.size(); ++i) {
          errors[i] = failed[i] ? errors[i] : error;
        }
        return errors;
      }
      // Committed; but if the file was deleted or replaced meanwhile, the commit went into an
      // unlinked inode and would vanish: never acknowledge it (the dispatcher retries on the
      // file now at the path).
      if (check_replaced()) {
        for (auto& error : errors) {
          error = replaced_error();
        }
      }
      return errors;
    }
  }

  // An exclusive job runs alone on the writer with no BEGIN around it (VACUUM INTO, WAL
  // checkpoints); its error is reported to it alone. Any transaction it leaves open is rolled back.
  std::exception_ptr run_exclusive(write_request& request) {
    assert(strand.running_in_this_thread());
    connection& conn = *writer;
    if (check_replaced()) {
      return replaced_error();
    }
    std::exception_ptr error;
    arm_deadline(conn);
    try {
      request.job(conn);
    } catch (...) {
      error = std::current_exception();
    }
    conn.set_deadline(0);
    if (conn.in_transaction()) {
      try {
        conn.exec("ROLLBACK");
      } catch (...) {  // NOLINT(bugprone-empty-catch): the connection resets on next BEGIN
      }
    }
    conn.forget_schema();
    return error;
  }

  void drain(const std::shared_ptr<database>& self) {
    std::vector<write_request> batch;
    bool exclusive = false;
    {
      std::lock_guard lock(queue_mutex);
      // Queue order is kept: an exclusive job runs alone, after the jobs queued before it.
      if (!queue.empty() && queue.front().exclusive) {
        exclusive = true;
        batch.push_back(std::move(queue.front()));
        queue.pop_front();
      }
      while (!exclusive && !queue.empty() && !queue.front().exclusive &&
             batch.size() < options.max_group) {
        batch.push_back(std::move(queue.front()));
        queue.pop_front();
      }
    }
    if (exclusive) {
      g_totals.exclusive.fetch_add(1, std::memory_order_relaxed);
      auto error = run_exclusive(batch.front());
      batch.front().done(error);
    } else if (!batch.empty()) {
      groups.fetch_add(1, std::memory_order_relaxed);
      grouped.fetch_add(batch.size(), std::memory_order_relaxed);
      record_group(batch.size());
      auto errors = run_group(batch);
      for (std::size_t i = 0; i < batch.size(); ++i) {
        batch[i].done(errors[i]);
      }
      notify_commit();
      checkpoint_if_far_behind();
      self->request_checkpoint_if_due(false);
    }
    std::lock_guard lock(queue_mutex);
    if (queue.empty()) {
      draining = false;
    } else {
      // Yield between groups so other databases sharing the write pool get their turn.
      strand.post([self] { self->impl_->drain(self); });
    }
  }
};

namespace {
// The path's identity (device, inode) or nullopt when it cannot be stat'ed.
std::optional<std::pair<dev_t, ino_t>> identity_of(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    return std::nullopt;
  }
  return std::pair{st.st_dev, st.st_ino};
}
}  // namespace

database::database(std::filesystem::path file, executors& exec, database_options options)
    : file_(file), impl_(std::make_unique<impl>(std::move(file), exec, std::move(options))) {
  if (impl_->options.replica) {
    open_replica();
    return;
  }
  connection_options writer_options = impl_->options.conn;
  writer_options.read_only = false;
  switch (impl_->options.checkpoints) {
  case checkpoint_mode::truncate:
    writer_options.on_close = close_checkpoint::truncate;
    break;
  case checkpoint_mode::passive:
    writer_options.on_close = close_checkpoint::passive;
    break;
  case checkpoint_mode::external:
    writer_options.on_close = close_checkpoint::none;
    break;
  }
  impl_->writer = std::make_unique<connection>(file_, writer_options);
  impl_->writable = sqlite3_db_readonly(impl_->writer->handle(), "main") == 0;
  // Replaces SQLite's autocheckpoint hook (wal_autocheckpoint is 0 already): it only counts.
  sqlite3_wal_hook(impl_->writer->handle(), &impl::on_wal_commit, impl_.get());
  if (const auto id = identity_of(file_)) {
    impl_->device = id->first;
    impl_->inode = id->second;
    impl_->identity_known = true;
  }
}

// A replica: the identity is taken before the first reader opens, so a file renamed over the
// path in between is seen as replaced on the first read, never served under the old identity.
void database::open_replica() {
  auto& d = *impl_;
  d.writable = false;
  const auto id = identity_of(file_);
  if (!id) {
    throw api_error(errc::db_not_found, "database not found");
  }
  d.device = id->first;
  d.inode = id->second;
  d.identity_known = true;
  struct stat wal {};
  const std::string wal_path = file_.string() + "-wal";
  if (::stat(wal_path.c_str(), &wal) == 0 && wal.st_size > 0) {
    throw api_error(errc::unavailable,
                    "the database has a non-empty -wal: a process writes it in place, which a "
                    "--read-only replica cannot read safely; replace the file whole (restore, "
                    "then rename) or serve it from a node without --read-only");
  }
  auto reader = d.acquire_reader();
  try {
    reader->exec("PRAGMA schema_version");  // a file that is not a database fails here
  } catch (...) {
    d.return_reader(nullptr);
    throw;
  }
  d.return_reader(std::move(reader));
}

void database::set_commit_observer(std::function<void()> observer) {
  std::lock_guard lock(impl_->observer_mutex);
  impl_->has_observer.store(static_cast<bool>(observer), std::memory_order_release);
  impl_->commit_observer = std::move(observer);
}

database::~database() {
  close();
}

void database::post_read(job_fn job, done_fn done) {
  impl_->last_used = steady_now_ms();
  impl_->exec.post_read(
      [self = shared_from_this(), job = std::move(job), done = std::move(done)] {
        auto& d = *self->impl_;
        if (d.closing || d.check_replaced()) {
          // Queued before a close (a replaced file is closed at once): never open a reader on
          // whatever the path names now from this object.
          done(d.replaced ? replaced_error()
                          : make_error(errc::unavailable, "database is closing"));
          return;
        }
        std::unique_ptr<connection> conn;
        bool lent = false;
        std::exception_ptr error;
        try {
          conn = d.acquire_reader();
          lent = true;
          d.arm_deadline(*conn);
          conn->exec("BEGIN");
          job(*conn);
          conn->exec("COMMIT");
        } catch (...) {
          error = std::current_exception();
          if (conn && conn->in_transaction()) {
            try {
              conn->exec("ROLLBACK");
            } catch (...) {  // NOLINT(bugprone-empty-catch): a broken reader is dropped below
              conn.reset();
            }
          }
        }
        if (conn) {
          conn->set_deadline(0);
        }
        if (lent) {
          d.return_reader(std::move(conn));
        }
        done(error);
      },
      this);
}

void database::post_write(job_fn job, done_fn done, bool touch) {
  enqueue_write(std::move(job), std::move(done), touch, false);
}

void database::post_exclusive(job_fn job, done_fn done) {
  enqueue_write(std::move(job), std::move(done), true, true);
}

void database::enqueue_write(job_fn job, done_fn done, bool touch, bool exclusive) {
  if (touch) {
    impl_->last_used = steady_now_ms();
  }
  auto& d = *impl_;
  if (d.options.replica) {
    done(make_error(errc::read_only_replica, "a read-only replica writes nothing"));
    return;
  }
  {
    std::lock_guard lock(d.queue_mutex);
    if (d.closed) {
      done(make_error(errc::unavailable, "database is closing"));
      return;
    }
    if (d.queue.size() >= d.options.max_queue) {
      done(make_error(errc::too_many_requests, "write queue is full; retry later"));
      return;
    }
    d.queue.push_back({std::move(job), std::move(done), exclusive});
    if (d.draining) {
      return;
    }
    d.draining = true;
  }
  d.strand.post([self = shared_from_this()] { self->impl_->drain(self); });
}

bool database::defer_write(job_fn job) {
  auto& d = *impl_;
  bool flush = false;
  {
    std::lock_guard lock(d.queue_mutex);
    if (d.closed || d.options.replica || d.deferred.size() >= d.options.max_queue) {
      return false;
    }
    const auto now = steady_now_ms();
    if (d.deferred.empty()) {
      d.deferred_since_ms = now;
    }
    d.deferred.push_back(std::move(job));
    flush = !d.deferred_flush_posted &&
            (d.deferred.size() >= deferred_batch || now - d.deferred_since_ms >= deferred_age_ms);
  }
  if (flush) {
    flush_deferred();
  }
  return true;
}

void database::flush_deferred() {
  {
    std::lock_guard lock(impl_->queue_mutex);
    if (impl_->deferred.empty() || impl_->deferred_flush_posted) {
      return;
    }
    impl_->deferred_flush_posted = true;
  }
  // The group that runs this no-op write runs the deferred jobs first. If it cannot be queued,
  // a later defer_write or flush tries again.
  post_write([](connection&) {},
             [weak = weak_from_this()](std::exception_ptr error) {
               if (auto self = weak.lock(); self && error) {
                 std::lock_guard lock(self->impl_->queue_mutex);
                 self->impl_->deferred_flush_posted = false;
               }
             },
             false);
}

bool database::writable() const noexcept {
  return impl_->writable;
}

void database::close() {
  auto& d = *impl_;
  {
    std::lock_guard lock(d.queue_mutex);
    if (d.closed) {
      return;
    }
    d.closed = true;
  }
  // Wait until the strand has finished every queued write (drain may re-post itself, so loop).
  while (!d.strand.running_in_this_thread()) {
    std::promise<void> reached;
    d.strand.post([&reached] { reached.set_value(); });
    reached.get_future().wait();
    std::lock_guard lock(d.queue_mutex);
    if (d.queue.empty() && !d.draining) {
      break;
    }
  }
  // What is still deferred is written before the writer closes.
  if (auto rest = d.take_deferred(); !rest.empty()) {
    if (d.strand.running_in_this_thread()) {
      d.run_deferred_transaction(rest);
    } else {
      std::promise<void> written;
      d.strand.post([&d, &rest, &written] {
        d.run_deferred_transaction(rest);
        written.set_value();
      });
      written.get_future().wait();
    }
  }
  {
    // Reads in progress finish first: the old file's WAL and -shm are deleted by name when
    // its last connection closes, which must happen before the path is opened again.
    std::unique_lock lock(d.readers_mutex);
    d.closing = true;
    d.readers_returned.wait(lock, [&d] { return d.readers_out == 0; });
    d.idle_readers.clear();
  }
  {
    std::lock_guard lock(d.checkpoint_mutex);  // waits for a background checkpoint running
    d.checkpoints_closed = true;
    d.checkpoint_conn.reset();
  }
  d.writer.reset();  // checkpoints (never waiting for other processes' readers) and closes
}

void database::request_checkpoint_if_due(bool idle_check) {
  auto& d = *impl_;
  if (!d.background_checkpoints() || d.closing.load(std::memory_order_relaxed)) {
    return;
  }
  const auto now = steady_now_ms();
  const auto frames = d.wal_frames.load(std::memory_order_relaxed);
  const auto since_last = now - d.last_checkpoint_ms.load(std::memory_order_relaxed);
  // After an incomplete one (a reader holds an old snapshot) retry less and less often (20 ms
  // doubling up to 1 s): each try takes the write lock for a moment.
  const std::int64_t min_gap_ms = d.checkpoint_backoff_ms.load(std::memory_order_relaxed);
  bool due = frames >= checkpoint_frames && since_last >= min_gap_ms;
  if (!due && idle_check && frames > 0 && since_last >= checkpoint_idle_ms &&
      now - d.last_commit_ms.load(std::memory_order_relaxed) >= checkpoint_idle_ms) {
    // Idle: checkpoint what the last commits left, unless that was done already.
    due = !d.last_checkpoint_complete.load(std::memory_order_relaxed) ||
          d.commits.load(std::memory_order_relaxed) !=
              d.checkpointed_commits.load(std::memory_order_relaxed);
  }
  if (!due || d.checkpoint_queued.exchange(true)) {
    return;
  }
  d.options.checkpoint_runner->request(weak_from_this());
}

void database::run_background_checkpoint() {
  auto& d = *impl_;
  std::lock_guard lock(d.checkpoint_mutex);
  d.checkpoint_queued.store(false);  // commits from now on may ask again
  if (d.checkpoints_closed || d.closing || !d.background_checkpoints() || d.check_replaced()) {
    return;
  }
  const auto commits = d.commits.load(std::memory_order_relaxed);
  if (!d.checkpoint_conn) {
    connection_options o = d.options.conn;
    o.read_only = false;
    o.create = false;
    o.busy_timeout_ms = 0;  // never waits in SQLite's busy handler (for readers or the writer)
    o.on_close = close_checkpoint::none;
    try {
      d.checkpoint_conn = std::make_unique<connection>(d.file, o);
    } catch (const std::exception&) {
      d.last_checkpoint_ms = steady_now_ms();
      d.last_checkpoint_complete = false;
      return;
    }
  }
  sqlite3* handle = d.checkpoint_conn->handle();
  d.background_running = true;
  struct running_reset {
    std::atomic<bool>& flag;
    explicit running_reset(std::atomic<bool>& f) : flag(f) {}
    running_reset(const running_reset&) = delete;
    running_reset& operator=(const running_reset&) = delete;
    ~running_reset() { flag = false; }
  } reset_running{d.background_running};
  int log = -1;
  int copied = -1;
  // PASSIVE takes no lock a writer or a reader needs: it copies what no reader still uses.
  // Writes committed meanwhile are left over; a second pass copies most of those.
  int rc = SQLITE_OK;
  for (int pass = 0; pass < 3; ++pass) {
    rc = sqlite3_wal_checkpoint_v2(handle, "main", SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
    if (rc != SQLITE_OK || log - copied <= 64 || log >= checkpoint_writer_frames) {
      break;  // far behind, the writer finishes (checkpoint_if_far_behind): let go of the lock
    }
  }
  if (rc == SQLITE_BUSY && log == -1) {
    d.last_checkpoint_ms = steady_now_ms();  // the writer checkpoints right now (or another
    return;                                  // process does): nothing to do, no run counted
  }
  bool complete = rc == SQLITE_OK && log == copied;
  if (rc == SQLITE_OK && log < checkpoint_writer_frames &&
      (!complete || d.options.checkpoints == checkpoint_mode::truncate)) {
    // Finish with the write lock, taken only while the writer is between transactions (a few
    // short tries, no busy handler): it copies the few frames left and makes sure the WAL
    // starts over (RESTART; TRUNCATE also shrinks the file). A reader on an old snapshot
    // makes it return at once, incomplete.
    const int finish = d.options.checkpoints == checkpoint_mode::truncate
                           ? SQLITE_CHECKPOINT_TRUNCATE
                           : SQLITE_CHECKPOINT_RESTART;
    for (int attempt = 0; attempt < 10; ++attempt) {
      int flog = -1;
      int fcopied = -1;
      const int frc = sqlite3_wal_checkpoint_v2(handle, "main", finish, &flog, &fcopied);
      complete = complete || (flog >= 0 && flog == fcopied);  // copied all; a reader stayed
      if (frc == SQLITE_OK) {
        complete = true;
        break;
      }
      if (frc != SQLITE_BUSY || d.closing) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  record_checkpoint(complete);
  d.last_checkpoint_complete = complete;
  const bool progress = copied != d.background_last_copied;
  d.background_last_copied = copied;
  d.checkpoint_backoff_ms =
      complete || progress ? impl::min_backoff_ms
                           : std::min(2 * d.checkpoint_backoff_ms.load(), impl::max_backoff_ms);
  if (complete) {
    d.checkpointed_commits = commits;
    if (d.commits.load() == commits) {
      d.wal_frames.store(0);  // nothing is left to copy until the next commit says otherwise
    }
  }
  d.last_checkpoint_ms = steady_now_ms();
  refresh_wal_bytes();
}

std::uint64_t database::refresh_wal_bytes() {
  struct stat st {};
  const std::string wal = impl_->file.string() + "-wal";
  const std::uint64_t bytes =
      ::stat(wal.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  impl_->wal_file_bytes.store(bytes, std::memory_order_relaxed);
  return bytes;
}

std::uint64_t database::wal_bytes() const noexcept {
  return impl_->wal_file_bytes.load(std::memory_order_relaxed);
}

std::int64_t database::wal_frames() const noexcept {
  return impl_->wal_frames.load(std::memory_order_relaxed);
}

bool database::file_replaced() const {
  return impl_->check_replaced();
}

bool database::known_replaced() const noexcept {
  return impl_->replaced.load(std::memory_order_relaxed);
}

read_cache& database::cache() noexcept {
  return impl_->reads;
}

std::size_t database::write_queue_depth() const noexcept {
  std::lock_guard lock(impl_->queue_mutex);
  return impl_->queue.size();
}

write_totals global_write_totals() noexcept {
  write_totals out;
  out.group_commits = g_totals.groups.load(std::memory_order_relaxed);
  out.grouped_jobs = g_totals.jobs.load(std::memory_order_relaxed);
  out.exclusive_jobs = g_totals.exclusive.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < out.group_sizes.size(); ++i) {
    out.group_sizes[i] = g_totals.sizes[i].load(std::memory_order_relaxed);
  }
  return out;
}

std::int64_t database::last_used_ms() const noexcept {
  return impl_->last_used;
}
std::uint64_t database::group_commits() const noexcept {
  return impl_->groups;
}
std::uint64_t database::grouped_jobs() const noexcept {
  return impl_->grouped;
}

}  // namespace hoody::db
