// hoody/ops/maintenance.hpp — POST /maintenance operations on one database.
//
// Each function runs synchronously on the database's WRITER connection, outside any
// transaction (the route is access::exclusive: wal_checkpoint(TRUNCATE) and VACUUM INTO refuse
// to run inside one). The caller arms the statement deadline. No Asio/Beast.
// Response shapes: docs/api.md ("Maintenance").
#pragma once

#include "hoody/db/connection.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string_view>

namespace hoody::ops {

/// PRAGMA wal_checkpoint(TRUNCATE): {busy, log, checkpointed, complete}. `busy` 1 means a
/// reader or another process held the WAL and the checkpoint could not finish (retry later).
[[nodiscard]] nlohmann::json wal_checkpoint_truncate(db::connection& conn);

/// PRAGMA quick_check: {ok, result: ["ok"] or the problems found (at most 100)}.
[[nodiscard]] nlohmann::json quick_check(db::connection& conn);

/// VACUUM INTO `dest` (a resolved, not yet existing file): {size_bytes}. Throws conflict (409)
/// when `dest` exists and bad_request when it is the database's own file.
[[nodiscard]] nlohmann::json vacuum_into(db::connection& conn, const std::filesystem::path& dest);

/// Time-travel retention over every KV table of the database (tables T with a T__history):
/// prune_history(T, max_age_ms, max_ops_per_key) for each, each in its own savepoint (a table
/// that fails is skipped). Returns the history ops deleted. Writer, inside a transaction.
std::int64_t prune_all_kv_history(db::connection& conn, std::int64_t max_age_ms,
                                  std::int64_t max_ops_per_key, std::int64_t now_ms = 0);

}  // namespace hoody::ops
