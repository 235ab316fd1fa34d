// hoody/ops/kv_watch.hpp — the change feed's reads of the op log (GET /kv/watch).
//
// The op log T__history (ops/kv_schema.hpp) gives every KV change a `seq` from one AUTOINCREMENT
// sequence per table, assigned inside the write's own transaction. SQLite serialises writers
// (also across processes), so seqs are assigned in commit order and a reader's snapshot holds
// every committed change up to some seq: reading `seq > cursor` in pages yields each change
// exactly once, in commit order, and never one that is not committed. Rows only disappear by
// retention (`prune_history`, which records the highest seq it deleted as the log's horizon:
// a cursor below it cannot be resumed) and when a key's `untracked` marker moves to a newer seq
// (a repeated history=false write: the feed then sees the marker again, as a gap event).
// Synchronous functions on the caller's connection, inside the caller's transaction (a reader
// for the reads, the writer for record_log_horizon). No Asio/Beast, no JSON.
#pragma once

#include "hoody/db/connection.hpp"
#include "hoody/ops/kv_schema.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hoody::ops {

/// One change as the feed delivers it.
struct kv_event {
  std::int64_t seq = 0;  ///< the op log's global sequence (the SSE event id)
  std::string key;
  std::string op;  ///< set, delete, incr, ..., rollback; "untracked" for a history=false write
  std::int64_t op_number = 0;  ///< per key
  std::int64_t ts_ms = 0;      ///< Unix ms of the write
  /// The key's state after the change; nullopt when the key is absent afterwards (a delete, a
  /// pop of the last element...) or unknown (op == "untracked": a gap).
  std::optional<kv_value> after;

  [[nodiscard]] bool gap() const noexcept { return op == "untracked"; }
};

/// The log's extent in one snapshot.
struct kv_log_bounds {
  std::int64_t head = 0;     ///< highest seq in the log; 0 when empty or missing
  std::int64_t horizon = 0;  ///< highest seq deleted by retention; a cursor < horizon is lost
};

/// Head and horizon of T's op log (0, 0 when T has no log yet).
[[nodiscard]] kv_log_bounds kv_log_bounds_of(db::connection& conn, std::string_view table);

/// One page of changes after a cursor.
struct kv_event_page {
  std::vector<kv_event> events;  ///< seq ascending, every seq > `after`
  std::int64_t horizon = 0;      ///< as kv_log_bounds::horizon, same snapshot
  bool more = false;             ///< stopped at a limit: read again from the last seq
};

/// The changes with seq > `after`, at most `max_events`, stopping early once the values read
/// reach `max_bytes` (the page always holds at least one change when one exists).
[[nodiscard]] kv_event_page read_kv_events(db::connection& conn, std::string_view table,
                                           std::int64_t after, std::size_t max_events,
                                           std::size_t max_bytes);

/// Raises T's horizon to `seq` (never lowers it); creates the one-row T__horizon table when
/// needed. Called by retention in the transaction that deletes the rows (writer only).
void record_log_horizon(db::connection& conn, std::string_view table, std::int64_t seq);

}  // namespace hoody::ops
