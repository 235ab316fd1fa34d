// hoody/core/clock.hpp — the two clocks of the server, in milliseconds.
//
// `unix_now_ms`: wall-clock time for what is stored or shown (KV timestamps, TTL expiry, query
// history). `steady_now_ms`: monotonic time for durations and deadlines (query time limits,
// idle eviction). Thread-safe; no allocation.
#pragma once

#include <chrono>
#include <cstdint>

namespace hoody {

[[nodiscard]] inline std::int64_t unix_now_ms() noexcept {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

[[nodiscard]] inline std::int64_t steady_now_ms() noexcept {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace hoody
