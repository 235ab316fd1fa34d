#include "hoody/core/error.hpp"

#include <array>
#include <utility>

namespace hoody {
namespace {

struct errc_row {
  errc code;
  int status;
  std::string_view wire;
};

// The one mapping table from error code to HTTP status and wire name. Keep in enum order.
constexpr std::array<errc_row, 27> table{{
    {errc::bad_request, 400, "BAD_REQUEST"},
    {errc::invalid_json, 400, "INVALID_JSON"},
    {errc::invalid_db_path, 400, "INVALID_DB_PATH"},
    {errc::sql_error, 400, "SQL_ERROR"},
    {errc::read_only_query, 400, "READ_ONLY_QUERY"},
    {errc::unauthorized, 401, "UNAUTHORIZED"},
    {errc::forbidden, 403, "FORBIDDEN"},
    {errc::read_only_replica, 403, "READ_ONLY_REPLICA"},
    {errc::not_found, 404, "NOT_FOUND"},
    {errc::db_not_found, 404, "DATABASE_NOT_FOUND"},
    {errc::key_not_found, 404, "KEY_NOT_FOUND"},
    {errc::method_not_allowed, 405, "METHOD_NOT_ALLOWED"},
    {errc::conflict, 409, "CONFLICT"},
    {errc::history_gap, 409, "HISTORY_GAP"},
    {errc::history_compacted, 409, "HISTORY_COMPACTED"},
    {errc::checkpoint_external, 409, "CHECKPOINT_EXTERNAL"},
    {errc::precondition_failed, 412, "PRECONDITION_FAILED"},
    {errc::payload_too_large, 413, "PAYLOAD_TOO_LARGE"},
    {errc::unsupported_media, 415, "UNSUPPORTED_MEDIA_TYPE"},
    {errc::too_many_requests, 429, "TOO_MANY_REQUESTS"},
    {errc::client_closed, 499, "CLIENT_CLOSED_REQUEST"},
    {errc::internal, 500, "INTERNAL_ERROR"},
    {errc::busy, 503, "BUSY"},
    {errc::query_timeout, 503, "QUERY_TIMEOUT"},
    {errc::unavailable, 503, "UNAVAILABLE"},
    {errc::not_primary, 503, "NOT_PRIMARY"},
    {errc::disk_full, 507, "DISK_FULL"},
}};

constexpr bool table_in_enum_order() {
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (static_cast<std::size_t>(table[i].code) != i) {
      return false;
    }
  }
  return true;
}
static_assert(table_in_enum_order(), "error table must list every errc in enum order");

}  // namespace

int status_of(errc code) noexcept {
  return table[static_cast<std::size_t>(code)].status;
}

std::string_view wire_name_of(errc code) noexcept {
  return table[static_cast<std::size_t>(code)].wire;
}

void throw_bad_request(std::string message) {
  throw api_error(errc::bad_request, std::move(message));
}

}  // namespace hoody
