// hoody/ops/maintenance.hpp — POST /maintenance operations on one database.
//
// Each function runs synchronously on the database's WRITER connection, outside any
// transaction (the route is access::exclusive: wal_checkpoint(TRUNCATE) and VACUUM INTO refuse
// to run inside one). The caller arms the statement deadline. No Asio/Beast.
// Response shapes: docs/api.md ("Maintenance").
#pragma once

#include "hoody/db/connection.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <filesystem>
#include <string_view>

namespace hoody::ops {

/// wal_checkpoint(TRUNCATE), or wal_checkpoint(PASSIVE) when `truncate` is false
/// (--checkpoint-mode passive), never waiting for a lock (busy_timeout 0; only while another
/// checkpoint, e.g. the background one, holds the checkpoint lock it retries for up to 200 ms):
/// {mode, busy, log, checkpointed, complete}. `busy` 1 means a reader or another process held
/// the WAL and the checkpoint could not finish (retry later). PASSIVE never truncates the file.
[[nodiscard]] nlohmann::json wal_checkpoint_truncate(db::connection& conn, bool truncate = true);

/// PRAGMA quick_check: {ok, result: ["ok"] or the problems found (at most 100)}.
[[nodiscard]] nlohmann::json quick_check(db::connection& conn);

/// VACUUM INTO `dest` (a resolved, not yet existing file): {size_bytes}. Throws conflict (409)
/// when `dest` exists and bad_request when it is the database's own file. Atomic: the copy is
/// written to `.<dest name>.hoody-vacuum-<pid>-<n>.tmp` in dest's directory, fsynced, then
/// renamed to `dest` without replacing anything; on failure (full disk → 507, time limit) the
/// temporary is removed and `dest` does not exist.
[[nodiscard]] nlohmann::json vacuum_into(db::connection& conn, const std::filesystem::path& dest);

/// True for the name of a vacuum_into temporary (or its -journal/-wal/-shm).
[[nodiscard]] bool is_vacuum_temporary(std::string_view file_name) noexcept;

/// Removes the vacuum_into temporaries a crash left in `dir` (start-up); returns how many.
std::size_t remove_stale_vacuum_temporaries(const std::filesystem::path& dir);

/// Time-travel retention over every KV table of the database (tables T with a T__history):
/// prune_history(T, max_age_ms, max_ops_per_key) for each, each in its own savepoint (a table
/// that fails is skipped). Returns the history ops deleted. Writer, inside a transaction.
std::int64_t prune_all_kv_history(db::connection& conn, std::int64_t max_age_ms,
                                  std::int64_t max_ops_per_key, std::int64_t now_ms = 0);

}  // namespace hoody::ops
