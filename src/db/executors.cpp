#include "hoody/db/executors.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include <pthread.h>

#include <deque>
#include <mutex>
#include <unordered_map>

namespace hoody::db {
namespace net = boost::asio;

namespace {
thread_local bool db_thread = false;

// Marks each pool thread as a database thread on first use, and names it (for top -H, perf).
// thread_pool has no thread-start hook in Boost 1.81, so every posted function checks the flag
// (a thread-local load: negligible).
std::function<void()> on_pool(std::function<void()> fn, const char* name) {
  return [fn = std::move(fn), name] {
    if (!db_thread) {
      db_thread = true;
      pthread_setname_np(pthread_self(), name);
    }
    fn();
  };
}
constexpr const char* read_thread_name = "hoody-read";
constexpr const char* write_thread_name = "hoody-write";
}  // namespace

bool on_db_thread() noexcept {
  return db_thread;
}
void mark_db_thread() noexcept {
  db_thread = true;
}

struct executors::impl {
  impl(unsigned readers, unsigned writers) : read_pool(readers), write_pool(writers) {}
  net::thread_pool read_pool;
  net::thread_pool write_pool;

  // Fair queueing for the read pool: each posted job also posts one token to the pool; a token
  // runs the next job of the queue whose turn it is (round-robin over queues with work).
  std::mutex fair_mutex;
  std::unordered_map<std::uintptr_t, std::deque<std::function<void()>>> queues;
  std::deque<std::uintptr_t> turns;  ///< queues with pending jobs, next first

  void post_fair(std::uintptr_t queue, std::function<void()> fn) {
    {
      std::lock_guard lock(fair_mutex);
      auto& jobs = queues[queue];
      if (jobs.empty()) {
        turns.push_back(queue);
      }
      jobs.push_back(std::move(fn));
    }
    net::post(read_pool, on_pool([this] { run_next(); }, read_thread_name));
  }

  void run_next() {
    std::function<void()> fn;
    {
      std::lock_guard lock(fair_mutex);
      if (turns.empty()) {
        return;  // cannot happen: one token per job
      }
      const std::uintptr_t queue = turns.front();
      turns.pop_front();
      auto found = queues.find(queue);
      fn = std::move(found->second.front());
      found->second.pop_front();
      if (found->second.empty()) {
        queues.erase(found);
      } else {
        turns.push_back(queue);
      }
    }
    fn();
  }
};

namespace {
const char blocking_queue = 0;  // the address is the queue key of post_blocking
}  // namespace

executors::executors(unsigned read_threads, unsigned write_threads)
    : impl_(std::make_unique<impl>(read_threads == 0 ? 1 : read_threads,
                                   write_threads == 0 ? 1 : write_threads)) {}

executors::~executors() {
  join();
}

void executors::post_read(std::function<void()> fn, const void* queue) {
  impl_->post_fair(reinterpret_cast<std::uintptr_t>(queue), std::move(fn));
}

void executors::post_blocking(std::function<void()> fn, std::size_t queue_hint) {
  // Odd keys never collide with the (aligned) addresses post_read uses.
  impl_->post_fair(queue_hint == 0 ? reinterpret_cast<std::uintptr_t>(&blocking_queue)
                                   : (static_cast<std::uintptr_t>(queue_hint) | 1U),
                   std::move(fn));
}

void executors::join() {
  impl_->read_pool.join();
  impl_->write_pool.join();
}

struct executors::strand::impl {
  explicit impl(net::thread_pool& pool) : strand(net::make_strand(pool)) {}
  net::strand<net::thread_pool::executor_type> strand;
};

executors::strand::strand(executors& owner)
    : impl_(std::make_unique<impl>(owner.impl_->write_pool)) {}

executors::strand::~strand() = default;

void executors::strand::post(std::function<void()> fn) {
  net::post(impl_->strand, on_pool(std::move(fn), write_thread_name));
}

bool executors::strand::running_in_this_thread() const noexcept {
  return impl_->strand.running_in_this_thread();
}

}  // namespace hoody::db
