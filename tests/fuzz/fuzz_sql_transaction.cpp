// libFuzzer: JSON transaction binding. The input is a POST /db body: parsed like the server
// (json_too_deep, then nlohmann), turned into a request by ops::parse_sql_request and executed
// by ops::execute_sql_request on a temp-file database with a small table. Every failure must be
// an api_error; a crash, leak or UB report is a finding.
#include "hoody/core/clock.hpp"
#include "hoody/core/error.hpp"
#include "hoody/core/json_limits.hpp"
#include "hoody/db/connection.hpp"
#include "hoody/db/executors.hpp"
#include "hoody/ops/sql.hpp"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>

namespace fs = std::filesystem;

namespace {
hoody::db::connection& conn() {
  static std::unique_ptr<hoody::db::connection> c = [] {
    hoody::db::mark_db_thread();
    const auto file =
        fs::temp_directory_path() / ("hoody-fuzz-sql-" + std::to_string(::getpid()) + ".db");
    fs::remove(file);
    hoody::db::connection_options options;
    options.create = true;
    auto made = std::make_unique<hoody::db::connection>(file, options);
    made->exec("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v REAL, b BLOB)");
    made->exec("INSERT INTO t(name, v) VALUES ('a', 1.5), ('b', NULL)");
    return made;
  }();
  return *c;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  if (hoody::json_too_deep(body)) {
    return 0;
  }
  const auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded()) {
    return 0;
  }
  auto& c = conn();
  // Like the dispatcher: one transaction with a deadline (the server's --query-timeout-ms);
  // rolled back, so every input sees the same table.
  c.exec("BEGIN IMMEDIATE");
  c.set_deadline(hoody::steady_now_ms() + 200);
  try {
    const auto request = hoody::ops::parse_sql_request(doc);
    (void)hoody::ops::execute_sql_request(c, request);
  } catch (const hoody::api_error&) {
  } catch (const hoody::db::requires_writer&) {
  }
  c.set_deadline(0);
  if (c.in_transaction()) {
    c.exec("ROLLBACK");
  }
  return 0;
}
