// hoody/db/executors.hpp — the thread pools that run SQLite work, kept apart from HTTP I/O.
//
// One shared read pool (reader jobs) and one shared write pool on which every database has its
// own strand (one writer per database). `on_db_thread()` is true only on these pools' threads;
// connection entry points assert it (in every build type) so SQLite never runs on an I/O thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

namespace hoody::db {

class executors {
 public:
  executors(unsigned read_threads, unsigned write_threads);
  executors(const executors&) = delete;
  executors& operator=(const executors&) = delete;
  ~executors();

  /// Runs `fn` on the read pool. Jobs are queued per `queue` (e.g. one per database) and the
  /// pool takes them round-robin across queues, FIFO within one: a flood of slow reads on one
  /// database delays another database's reads by at most one job, while a single busy database
  /// still gets every thread.
  void post_read(std::function<void()> fn, const void* queue = nullptr);
  /// Runs `fn` on the read pool too; for blocking non-SQL work (opening files, closing dbs).
  /// `queue_hint` (e.g. a hash of the database name) picks the queue, so that many requests
  /// resolving one name do not delay another name's; 0 = the shared blocking queue.
  void post_blocking(std::function<void()> fn, std::size_t queue_hint = 0);
  /// Waits for queued work and joins all threads.
  void join();

  /// A serial executor (strand) on the write pool: functions posted to it never overlap.
  class strand {
   public:
    explicit strand(executors& owner);
    ~strand();
    strand(const strand&) = delete;
    strand& operator=(const strand&) = delete;
    void post(std::function<void()> fn);
    [[nodiscard]] bool running_in_this_thread() const noexcept;

   private:
    struct impl;
    std::unique_ptr<impl> impl_;
  };

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// True on a read- or write-pool thread (or a thread that declared itself one, for tests).
[[nodiscard]] bool on_db_thread() noexcept;
/// Marks the calling thread as a database thread (tests, tools, start-up code).
void mark_db_thread() noexcept;

}  // namespace hoody::db
