// Time travel over the KV op log (see hoody/ops/time_travel.hpp). Temporary stubs.
#include "hoody/ops/time_travel.hpp"

#include "hoody/core/error.hpp"

namespace hoody::ops {
namespace {
[[noreturn]] void not_yet() { throw api_error(errc::internal, "time travel not implemented yet"); }
}  // namespace

std::int64_t cutoff_ms_for_seconds(double) { not_yet(); }
double seconds_of_ms(std::int64_t ts_ms) noexcept { return static_cast<double>(ts_ms) / 1000.0; }
key_state state_at(db::connection&, std::string_view, std::string_view, std::int64_t) { not_yet(); }
nlohmann::json render_value(const kv_value&) { not_yet(); }
nlohmann::json kv_read_at(db::connection&, std::string_view, std::string_view, double,
                          std::optional<std::string>) { not_yet(); }
nlohmann::json kv_list_at(db::connection&, std::string_view, double, std::string_view,
                          std::int64_t) { not_yet(); }
nlohmann::json kv_history(db::connection&, std::string_view, std::string_view, std::int64_t) { not_yet(); }
nlohmann::json kv_snapshot_op(db::connection&, std::string_view, std::string_view, std::int64_t) { not_yet(); }
nlohmann::json kv_table_snapshot(db::connection&, std::string_view, double, std::string_view,
                                 std::int64_t) { not_yet(); }
nlohmann::json kv_diff(db::connection&, std::string_view, double, double,
                       const std::vector<std::string>&) { not_yet(); }
nlohmann::json kv_rollback_key(db::connection&, std::string_view, std::string_view, std::int64_t,
                               std::int64_t) { not_yet(); }
nlohmann::json kv_table_rollback(db::connection&, std::string_view, const table_rollback_request&) { not_yet(); }
prune_result prune_history(db::connection&, std::string_view, std::int64_t, std::int64_t,
                           std::int64_t) { not_yet(); }
}  // namespace hoody::ops
