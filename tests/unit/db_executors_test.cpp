// The read pool takes jobs round-robin across queues (one per database): a flood of reads on one
// database delays another database's read by at most one job per thread.
#include "hoody/db/executors.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <vector>

namespace {

TEST(executors_fair, another_queue_is_served_after_at_most_one_job_of_a_flooded_queue) {
  hoody::db::executors exec(1, 1);
  int flooded = 0;
  int other = 1;
  std::promise<void> release;
  auto gate = release.get_future().share();
  std::mutex m;
  std::vector<std::string> order;
  exec.post_read([gate] { gate.wait(); }, &flooded);  // occupies the only thread
  for (int i = 0; i < 50; ++i) {
    exec.post_read(
        [&, i] {
          std::lock_guard lock(m);
          order.push_back("a" + std::to_string(i));
        },
        &flooded);
  }
  exec.post_read(
      [&] {
        std::lock_guard lock(m);
        order.push_back("b");
      },
      &other);
  release.set_value();
  exec.join();
  ASSERT_EQ(order.size(), 51U);
  std::size_t b_at = 0;
  while (order[b_at] != "b") {
    ++b_at;
  }
  EXPECT_LE(b_at, 1U) << "the other queue waited behind the flood";
  // Within one queue the order is kept.
  for (std::size_t i = 0, n = 0; i < order.size(); ++i) {
    if (order[i] != "b") {
      EXPECT_EQ(order[i], "a" + std::to_string(n++));
    }
  }
}

TEST(executors_fair, one_busy_queue_still_uses_every_thread) {
  hoody::db::executors exec(4, 1);
  int queue = 0;
  std::promise<void> all_started;
  std::mutex m;
  int running = 0;
  std::promise<void> release;
  auto gate = release.get_future().share();
  for (int i = 0; i < 4; ++i) {
    exec.post_read(
        [&, gate] {
          {
            std::lock_guard lock(m);
            if (++running == 4) {
              all_started.set_value();
            }
          }
          gate.wait();
        },
        &queue);
  }
  EXPECT_EQ(all_started.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  release.set_value();
  exec.join();
}

}  // namespace
