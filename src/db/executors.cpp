#include "hoody/db/executors.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include <pthread.h>

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
};

executors::executors(unsigned read_threads, unsigned write_threads)
    : impl_(std::make_unique<impl>(read_threads == 0 ? 1 : read_threads,
                                   write_threads == 0 ? 1 : write_threads)) {}

executors::~executors() {
  join();
}

void executors::post_read(std::function<void()> fn) {
  net::post(impl_->read_pool, on_pool(std::move(fn), read_thread_name));
}

void executors::post_blocking(std::function<void()> fn) {
  net::post(impl_->read_pool, on_pool(std::move(fn), read_thread_name));
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
