#include "hoody/core/error.hpp"

#include "hoody/db/sqlite_errc.hpp"
#include "hoody/http/response_render.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cerrno>

namespace {
using hoody::api_error;
using hoody::errc;

TEST(error, status_table) {
  EXPECT_EQ(hoody::status_of(errc::bad_request), 400);
  EXPECT_EQ(hoody::status_of(errc::invalid_db_path), 400);
  EXPECT_EQ(hoody::status_of(errc::not_found), 404);
  EXPECT_EQ(hoody::status_of(errc::method_not_allowed), 405);
  EXPECT_EQ(hoody::status_of(errc::conflict), 409);
  EXPECT_EQ(hoody::status_of(errc::precondition_failed), 412);
  EXPECT_EQ(hoody::status_of(errc::payload_too_large), 413);
  EXPECT_EQ(hoody::status_of(errc::internal), 500);
  EXPECT_EQ(hoody::status_of(errc::busy), 503);
  EXPECT_EQ(hoody::status_of(errc::disk_full), 507);
  EXPECT_EQ(hoody::wire_name_of(errc::disk_full), "DISK_FULL");
  EXPECT_EQ(hoody::status_of(errc::checkpoint_external), 409);
  EXPECT_EQ(hoody::wire_name_of(errc::checkpoint_external), "CHECKPOINT_EXTERNAL");
  EXPECT_EQ(hoody::status_of(errc::not_primary), 503);
  EXPECT_EQ(hoody::wire_name_of(errc::not_primary), "NOT_PRIMARY");
  EXPECT_EQ(hoody::wire_name_of(errc::invalid_db_path), "INVALID_DB_PATH");
}

TEST(error, sqlite_codes_map_once) {
  using hoody::db::to_errc;
  EXPECT_EQ(to_errc(SQLITE_CONSTRAINT_UNIQUE), errc::conflict);
  EXPECT_EQ(to_errc(SQLITE_CONSTRAINT_FOREIGNKEY), errc::conflict);
  EXPECT_EQ(to_errc(SQLITE_BUSY), errc::busy);
  EXPECT_EQ(to_errc(SQLITE_LOCKED_SHAREDCACHE), errc::busy);
  EXPECT_EQ(to_errc(SQLITE_READONLY), errc::forbidden);
  EXPECT_EQ(to_errc(SQLITE_AUTH), errc::forbidden);
  EXPECT_EQ(to_errc(SQLITE_ERROR), errc::sql_error);
  EXPECT_EQ(to_errc(SQLITE_MISMATCH), errc::sql_error);
  EXPECT_EQ(to_errc(SQLITE_RANGE), errc::sql_error);
  EXPECT_EQ(to_errc(SQLITE_INTERRUPT), errc::query_timeout);
  EXPECT_EQ(to_errc(SQLITE_TOOBIG), errc::payload_too_large);
  EXPECT_EQ(to_errc(SQLITE_IOERR_WRITE), errc::internal);
  EXPECT_EQ(to_errc(SQLITE_FULL), errc::disk_full);
  EXPECT_EQ(to_errc(SQLITE_IOERR_WRITE, ENOSPC), errc::disk_full);
  EXPECT_EQ(to_errc(SQLITE_IOERR_SHMSIZE, EDQUOT), errc::disk_full);
  EXPECT_EQ(to_errc(SQLITE_IOERR_WRITE, EIO), errc::internal);
  EXPECT_EQ(to_errc(SQLITE_CORRUPT), errc::internal);
}

TEST(error, envelope_has_error_code_and_details) {
  const auto res = hoody::http::error_response(
      api_error(errc::sql_error, "no such table: t", {{"reqIdx", 2}, {"sqlite_code", 1}}));
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(res.content_type, "application/json");
  const auto body = nlohmann::json::parse(res.body);
  EXPECT_EQ(body["error"], "no such table: t");
  EXPECT_EQ(body["code"], "SQL_ERROR");
  EXPECT_EQ(body["reqIdx"], 2);
  EXPECT_FALSE(body.contains("sqlite_code")) << "internal details stay in the log";
}

TEST(error, unknown_exceptions_become_500_without_internals) {
  const auto res =
      hoody::http::response_for(std::make_exception_ptr(std::runtime_error("/secret/path")));
  EXPECT_EQ(res.status, 500);
  EXPECT_EQ(res.body.find("/secret/path"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(res.body)["code"], "INTERNAL_ERROR");
}

TEST(error, busy_carries_retry_after) {
  const auto res = hoody::http::error_response(api_error(errc::busy, "database is locked"));
  EXPECT_EQ(res.status, 503);
  ASSERT_FALSE(res.headers.empty());
  EXPECT_EQ(res.headers[0].first, "Retry-After");
}

}  // namespace
