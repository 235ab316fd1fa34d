#include "hoody/db/checkpointer.hpp"

#include "hoody/db/database.hpp"
#include "hoody/db/executors.hpp"

#include <pthread.h>

#include <atomic>

namespace hoody::db {
namespace {

std::atomic<std::uint64_t> g_runs{0};  // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)
std::atomic<std::uint64_t> g_incomplete{
    0};  // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)
std::atomic<std::uint64_t> g_on_writer{
    0};  // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)

}  // namespace

checkpoint_mode parse_checkpoint_mode(std::string_view name) noexcept {
  if (name == "passive") {
    return checkpoint_mode::passive;
  }
  if (name == "external") {
    return checkpoint_mode::external;
  }
  return checkpoint_mode::truncate;
}

std::string_view to_string(checkpoint_mode mode) noexcept {
  switch (mode) {
  case checkpoint_mode::passive:
    return "passive";
  case checkpoint_mode::external:
    return "external";
  case checkpoint_mode::truncate:
    break;
  }
  return "truncate";
}

checkpoint_totals global_checkpoint_totals() noexcept {
  return {g_runs.load(std::memory_order_relaxed), g_incomplete.load(std::memory_order_relaxed),
          g_on_writer.load(std::memory_order_relaxed)};
}

void record_checkpoint(bool complete, bool on_writer) noexcept {
  g_runs.fetch_add(1, std::memory_order_relaxed);
  if (on_writer) {
    g_on_writer.fetch_add(1, std::memory_order_relaxed);
  }
  if (!complete) {
    g_incomplete.fetch_add(1, std::memory_order_relaxed);
  }
}

checkpointer::~checkpointer() {
  stop();
}

void checkpointer::request(std::weak_ptr<database> db) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      return;
    }
    queue_.push_back(std::move(db));
    if (!thread_.joinable()) {
      thread_ = std::thread([this] { run(); });
    }
  }
  wake_.notify_one();
}

void checkpointer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  wake_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) {
    thread_.join();
  }
}

void checkpointer::run() {
  pthread_setname_np(pthread_self(), "hoody-ckpt");
  mark_db_thread();
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) {
      return;
    }
    auto weak = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    if (auto db = weak.lock()) {
      db->run_background_checkpoint();
    }
    lock.lock();
  }
}

}  // namespace hoody::db
