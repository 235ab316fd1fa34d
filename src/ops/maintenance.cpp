#include "hoody/ops/maintenance.hpp"

#include "hoody/core/error.hpp"
#include "hoody/ops/kv_schema.hpp"
#include "hoody/ops/time_travel.hpp"

#include <string>
#include <system_error>
#include <vector>

namespace hoody::ops {

nlohmann::json wal_checkpoint_truncate(db::connection& conn) {
  auto stmt = conn.prepare("PRAGMA main.wal_checkpoint(TRUNCATE)");
  nlohmann::json out = {{"busy", 0}, {"log", 0}, {"checkpointed", 0}};
  if (stmt.step()) {
    out["busy"] = stmt.column_int64(0);
    out["log"] = stmt.column_int64(1);
    out["checkpointed"] = stmt.column_int64(2);
  }
  out["complete"] = out["busy"] == 0;
  return out;
}

nlohmann::json quick_check(db::connection& conn) {
  auto stmt = conn.prepare("PRAGMA main.quick_check(100)");
  auto result = nlohmann::json::array();
  while (stmt.step()) {
    result.push_back(std::string(stmt.column_text(0)));
  }
  const bool ok = result.size() == 1 && result[0] == "ok";
  // `result` is "ok" when the check passed (as published), else the list of problems found.
  return {{"ok", ok}, {"result", ok ? nlohmann::json("ok") : std::move(result)}};
}

nlohmann::json vacuum_into(db::connection& conn, const std::filesystem::path& dest) {
  std::error_code ec;
  if (std::filesystem::equivalent(dest, conn.file(), ec) || dest == conn.file()) {
    throw api_error(errc::bad_request, "dest_path must name a different database than db");
  }
  if (std::filesystem::exists(dest, ec) || std::filesystem::is_symlink(dest, ec)) {
    throw api_error(errc::conflict, "destination database already exists");
  }
  auto stmt = conn.prepare("VACUUM main INTO ?");
  stmt.bind_text(1, dest.string());
  stmt.run();
  const auto size = std::filesystem::file_size(dest, ec);
  return {{"size_bytes", ec ? 0 : static_cast<std::int64_t>(size)}};
}

std::int64_t prune_all_kv_history(db::connection& conn, std::int64_t max_age_ms,
                                  std::int64_t max_ops_per_key, std::int64_t now_ms) {
  if (max_age_ms <= 0 && max_ops_per_key <= 0) {
    return 0;
  }
  std::vector<std::string> tables;
  {
    auto stmt = conn.prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE '%\\_\\_history' "
        "ESCAPE '\\'");
    while (stmt.step()) {
      std::string name(stmt.column_text(0));
      name.resize(name.size() - std::string_view("__history").size());
      tables.push_back(std::move(name));
    }
  }
  std::int64_t total = 0;
  for (const auto& table : tables) {
    try {
      validate_kv_table_name(table);
      if (!kv_tables_exist(conn, table)) {
        continue;
      }
      db::savepoint sp(conn, "hoody_prune");
      total += prune_history(conn, table, max_age_ms, max_ops_per_key, now_ms).deleted_ops;
      sp.release();
    } catch (const api_error&) {  // NOLINT(bugprone-empty-catch): not a KV table; skip it
    }
  }
  return total;
}

}  // namespace hoody::ops
