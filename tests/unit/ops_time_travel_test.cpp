// Unit tests for time-travel reads and rollbacks (hoody/ops/time_travel.hpp) on a temp db, and
// for the wire JSON built from their results (hoody/handlers/time_travel_render.hpp).
#include "hoody/ops/time_travel.hpp"

#include "hoody/handlers/time_travel_render.hpp"
#include "hoody/ops/base64.hpp"

#include "time_travel_support.hpp"

#include <gtest/gtest.h>

namespace {

using namespace hoody;
using hoody::test::status_of_call;

constexpr std::int64_t t0 = 1'700'000'000;  // Unix seconds
constexpr std::int64_t ms(std::int64_t seconds, std::int64_t extra_ms = 0) {
  return seconds * 1000 + extra_ms;
}
double sec(std::int64_t s) {
  return static_cast<double>(s);
}

using strings = std::vector<std::string>;

class time_travel_test : public ::testing::Test {
 protected:
  test::tt_db db_;
  db::connection& conn() { return db_.conn(); }
  ops::key_value_at read(const std::string& key, double t,
                         std::optional<std::string> path = std::nullopt) {
    return ops::kv_read_at(conn(), "kv_store", key, t, std::move(path));
  }
  /// The stored bytes of `key` at `t`.
  std::string value_at(const std::string& key, double t) { return read(key, t).value.value; }
};

TEST(time_travel_cutoff, whole_seconds_cover_the_second_and_decimals_are_exact) {
  EXPECT_EQ(ops::cutoff_ms_for_seconds(1700000000), 1700000000999);
  EXPECT_EQ(ops::cutoff_ms_for_seconds(1700000000.123), 1700000000123);
  EXPECT_EQ(ops::cutoff_ms_for_seconds(1700000000.5), 1700000000500);
  EXPECT_EQ(ops::cutoff_ms_for_seconds(1700000000.0005), 1700000000000);
  EXPECT_EQ(ops::cutoff_ms_for_seconds(0), 999);
  EXPECT_THROW((void)ops::cutoff_ms_for_seconds(-1), api_error);
  EXPECT_THROW((void)ops::cutoff_ms_for_seconds(std::nan("")), api_error);
  // Every rendered op timestamp reads back exactly.
  for (std::int64_t m = 0; m < 2000; m += 7) {
    const std::int64_t ts = ms(t0) + m;
    EXPECT_EQ(ops::cutoff_ms_for_seconds(ops::seconds_of_ms(ts)), ts % 1000 == 0 ? ts + 999 : ts);
  }
}

TEST_F(time_travel_test, three_states_of_a_flag_then_roll_back_two) {
  db_.set("flag", "\"off\"", ms(t0 + 10));
  db_.set("flag", "\"on\"", ms(t0 + 20));
  db_.set("flag", "\"dark\"", ms(t0 + 30, 500));

  EXPECT_EQ(
      status_of_call([&] { (void)ops::kv_read_at(conn(), "kv_store", "flag", sec(t0 + 9), {}); }),
      404);
  EXPECT_EQ(value_at("flag", sec(t0 + 10)), "\"off\"");
  EXPECT_EQ(value_at("flag", sec(t0 + 25)), "\"on\"");
  // An op during second S is visible at integer T = S; a decimal T is exact.
  EXPECT_EQ(value_at("flag", sec(t0 + 30)), "\"dark\"");
  EXPECT_EQ(value_at("flag", t0 + 30.499), "\"on\"");
  const auto at = read("flag", t0 + 30.5);
  EXPECT_EQ(at.key, "flag");
  EXPECT_EQ(at.value.value, "\"dark\"");
  EXPECT_EQ(at.op_number, 3);
  EXPECT_EQ(at.value.content_type, "application/json");
  EXPECT_EQ(at.ts_ms, ms(t0 + 30, 500));
  EXPECT_DOUBLE_EQ(ops::seconds_of_ms(at.ts_ms), t0 + 30.5);
  EXPECT_FALSE(at.path);
  // The wire JSON, whole.
  EXPECT_EQ(handlers::to_json(at), nlohmann::json({{"key", "flag"},
                                                   {"value", "dark"},
                                                   {"content_type", "application/json"},
                                                   {"expires_at", nullptr},
                                                   {"op_number", 3},
                                                   {"timestamp", t0 + 30.5},
                                                   {"timestamp_ms", ms(t0 + 30, 500)},
                                                   {"at_timestamp", t0 + 30.5},
                                                   {"success", true}}));

  const auto hist = ops::kv_history(conn(), "kv_store", "flag", 0);
  EXPECT_EQ(hist.key, "flag");
  ASSERT_EQ(hist.entries.size(), 3U);
  EXPECT_EQ(hist.entries[0].op_number, 3);
  EXPECT_EQ(hist.entries[0].op, "set");
  ASSERT_TRUE(hist.entries[0].old_state && hist.entries[0].new_state);
  EXPECT_EQ(hist.entries[0].old_state->value, "\"on\"");
  EXPECT_EQ(hist.entries[0].new_state->value, "\"dark\"");
  EXPECT_EQ(hist.entries[0].ts_ms, ms(t0 + 30, 500));
  EXPECT_FALSE(hist.entries[2].old_state);
  EXPECT_FALSE(hist.has_gaps());
  const auto wire = handlers::to_json(hist);
  EXPECT_EQ(wire["count"], 3);
  EXPECT_EQ(wire["operations"][0]["op_number"], 3);
  EXPECT_EQ(wire["operations"][0]["operation"]["old_value"], "on");
  EXPECT_EQ(wire["operations"][0]["operation"]["new_value"], "dark");
  EXPECT_FALSE(wire["operations"][0]["operation"].contains("raw_new_value"));
  EXPECT_FALSE(wire["operations"][0]["operation"].contains("gap"));
  EXPECT_EQ(wire["operations"][2]["operation"]["old_value"], nullptr);
  EXPECT_EQ(wire["operations"][2]["operation"]["old_content_type"], nullptr);
  EXPECT_EQ(wire["has_gaps"], false);
  EXPECT_EQ(wire["gap_keys"], nlohmann::json::array());

  const auto rb = ops::kv_rollback_key(conn(), "kv_store", "flag", 2, ms(t0 + 40));
  EXPECT_EQ(rb.key, "flag");
  EXPECT_EQ(rb.steps, 2);
  EXPECT_EQ(rb.restored_op_number, 1);
  EXPECT_EQ(rb.op_number, 4);
  ASSERT_TRUE(rb.restored);
  EXPECT_EQ(rb.restored->value, "\"off\"");
  EXPECT_EQ(handlers::to_json(rb), nlohmann::json({{"success", true},
                                                   {"key", "flag"},
                                                   {"steps", 2},
                                                   {"restored_op_number", 1},
                                                   {"op_number", 4},
                                                   {"exists", true},
                                                   {"value", "off"},
                                                   {"content_type", "application/json"},
                                                   {"expires_at", nullptr}}));
  ASSERT_TRUE(db_.live("flag", ms(t0 + 41)));
  EXPECT_EQ(db_.live("flag", ms(t0 + 41))->value, "\"off\"");
  EXPECT_EQ(ops::kv_history(conn(), "kv_store", "flag", 1).entries.at(0).op, "rollback");
  EXPECT_EQ(db_.count("SELECT version FROM kv_store WHERE key='flag'"), 4);
  // The rollback is itself undoable.
  ops::kv_rollback_key(conn(), "kv_store", "flag", 1, ms(t0 + 50));
  EXPECT_EQ(db_.live("flag", ms(t0 + 51))->value, "\"dark\"");
  // Reads at the old times are unchanged by rollbacks.
  EXPECT_EQ(value_at("flag", sec(t0 + 25)), "\"on\"");
  EXPECT_EQ(value_at("flag", sec(t0 + 45)), "\"off\"");
}

TEST_F(time_travel_test, rollback_to_before_the_first_op_deletes_and_errors_are_clear) {
  db_.set("k", "1", ms(t0));
  db_.set("k", "2", ms(t0 + 1));
  EXPECT_EQ(status_of_call([&] { ops::kv_rollback_key(conn(), "kv_store", "k", 3, ms(t0 + 2)); }),
            400);
  EXPECT_EQ(status_of_call([&] { ops::kv_rollback_key(conn(), "kv_store", "k", 0, ms(t0 + 2)); }),
            400);
  EXPECT_EQ(status_of_call([&] { ops::kv_rollback_key(conn(), "kv_store", "nope", 1); }), 404);
  const auto rb = ops::kv_rollback_key(conn(), "kv_store", "k", 2, ms(t0 + 2));
  EXPECT_EQ(rb.restored_op_number, 0);
  EXPECT_FALSE(rb.restored);
  const auto wire = handlers::to_json(rb);
  EXPECT_EQ(wire["exists"], false);
  EXPECT_EQ(wire["value"], nullptr);
  EXPECT_EQ(wire["content_type"], nullptr);
  EXPECT_FALSE(db_.live("k", ms(t0 + 3)));
  EXPECT_EQ(db_.count("SELECT count(*) FROM kv_store WHERE key='k'"), 0);
}

TEST_F(time_travel_test, snapshot_by_op_number) {
  db_.set("cfg", "{\"theme\":\"light\"}", ms(t0));
  db_.set("cfg", "{\"theme\":\"dark\"}", ms(t0 + 1));
  db_.del("cfg", ms(t0 + 2));
  const auto s1 = ops::kv_snapshot_op(conn(), "kv_store", "cfg", 1);
  ASSERT_TRUE(s1.state);
  EXPECT_EQ(s1.state->value, "{\"theme\":\"light\"}");
  EXPECT_EQ(s1.op_number, 1);
  EXPECT_EQ(s1.op, "set");
  EXPECT_EQ(s1.state->content_type, "application/json");
  EXPECT_EQ(s1.ts_ms, ms(t0));
  const auto w1 = handlers::to_json(s1);
  EXPECT_EQ(w1["value"], nlohmann::json({{"theme", "light"}}));
  EXPECT_EQ(w1["exists"], true);
  EXPECT_EQ(w1["success"], true);
  const auto s3 = ops::kv_snapshot_op(conn(), "kv_store", "cfg", 3);
  EXPECT_FALSE(s3.state);
  EXPECT_EQ(s3.op, "delete");
  const auto w3 = handlers::to_json(s3);
  EXPECT_EQ(w3["value"], nullptr);
  EXPECT_EQ(w3["content_type"], nullptr);
  EXPECT_EQ(w3["exists"], false);
  EXPECT_EQ(status_of_call([&] { (void)ops::kv_snapshot_op(conn(), "kv_store", "cfg", 4); }), 404);
  EXPECT_EQ(status_of_call([&] { (void)ops::kv_snapshot_op(conn(), "kv_store", "cfg", 0); }), 400);
  EXPECT_EQ(status_of_call([&] { (void)ops::kv_snapshot_op(conn(), "kv_store", "x", 1); }), 404);
}

TEST_F(time_travel_test, values_render_by_content_type) {
  const std::string bin("\x00\x01\xfe", 3);
  db_.write("b", ops::kv_value{bin, "application/octet-stream", std::nullopt}, ms(t0));
  db_.write("t", ops::kv_value{"hello", "text/plain", std::nullopt}, ms(t0));
  db_.write("j", ops::kv_value{"[1,2]", "application/json", std::nullopt}, ms(t0));
  EXPECT_EQ(value_at("b", sec(t0)), bin);
  EXPECT_EQ(handlers::to_json(read("b", sec(t0)))["value"], ops::base64_encode(bin));
  EXPECT_EQ(handlers::to_json(read("t", sec(t0)))["value"], "hello");
  EXPECT_EQ(handlers::to_json(read("j", sec(t0)))["value"], nlohmann::json({1, 2}));
  const auto hb =
      handlers::to_json(ops::kv_history(conn(), "kv_store", "b", 0))["operations"][0]["operation"];
  EXPECT_EQ(hb["raw_new_value"], ops::base64_encode(bin));
  EXPECT_FALSE(hb.contains("raw_old_value"));
  const auto ht =
      handlers::to_json(ops::kv_history(conn(), "kv_store", "t", 0))["operations"][0]["operation"];
  EXPECT_EQ(ht["new_value"], "hello");
  EXPECT_EQ(ht["raw_new_value"], ops::base64_encode("hello"));
  // Binary values survive a rollback byte for byte.
  db_.write("b", ops::kv_value{"zz", "application/octet-stream", std::nullopt}, ms(t0 + 1));
  ops::kv_rollback_key(conn(), "kv_store", "b", 1, ms(t0 + 2));
  EXPECT_EQ(db_.live("b", ms(t0 + 3))->value, bin);
  EXPECT_EQ(db_.count("SELECT typeof(value)='blob' FROM kv_store WHERE key='b'"), 1);
}

TEST_F(time_travel_test, json_path_reads_a_leaf) {
  db_.set("cfg", "{\"ui\":{\"theme\":\"dark\",\"tabs\":[\"a\",\"b\"]}}", ms(t0));
  const auto theme = read("cfg", sec(t0), "ui.theme");
  EXPECT_EQ(theme.path, "ui.theme");
  EXPECT_EQ(theme.leaf_json, "\"dark\"");
  EXPECT_EQ(theme.value.value, "{\"ui\":{\"theme\":\"dark\",\"tabs\":[\"a\",\"b\"]}}");
  const auto wire = handlers::to_json(theme);
  EXPECT_EQ(wire["value"], "dark");
  EXPECT_EQ(wire["path"], "ui.theme");
  EXPECT_EQ(read("cfg", sec(t0), "ui.tabs.1").leaf_json, "\"b\"");
  EXPECT_EQ(handlers::to_json(read("cfg", sec(t0), "ui"))["value"],
            nlohmann::json::parse(R"({"theme":"dark","tabs":["a","b"]})"));
  EXPECT_FALSE(handlers::to_json(read("cfg", sec(t0))).contains("path"));
  EXPECT_EQ(
      status_of_call([&] { (void)ops::kv_read_at(conn(), "kv_store", "cfg", sec(t0), "ui.x"); }),
      404);
}

TEST_F(time_travel_test, ttl_and_time_travel_agree) {
  db_.set("s", "\"token\"", ms(t0), ms(t0 + 10));  // expires at t0+10 exactly
  EXPECT_EQ(value_at("s", sec(t0 + 5)), "\"token\"");
  EXPECT_EQ(value_at("s", t0 + 9.999), "\"token\"");
  EXPECT_EQ(read("s", t0 + 9.999).value.expires_at_ms, ms(t0 + 10));
  EXPECT_EQ(status_of_call([&] { (void)ops::kv_read_at(conn(), "kv_store", "s", t0 + 10.0, {}); }),
            404);
  EXPECT_EQ(
      status_of_call([&] { (void)ops::kv_read_at(conn(), "kv_store", "s", sec(t0 + 99), {}); }),
      404);
  EXPECT_EQ(ops::kv_list_at(conn(), "kv_store", sec(t0 + 5), "", 0).keys, strings({"s"}));
  EXPECT_TRUE(ops::kv_list_at(conn(), "kv_store", sec(t0 + 11), "", 0).keys.empty());
  const auto d = ops::kv_diff(conn(), "kv_store", sec(t0 + 5), sec(t0 + 20), {});
  EXPECT_EQ(d.stats.deleted, 1);
  EXPECT_EQ(d.stats.created + d.stats.modified, 0);
  // A rollback to a state whose TTL has passed restores nothing.
  db_.set("s", "\"new\"", ms(t0 + 30));
  const auto rb = ops::kv_rollback_key(conn(), "kv_store", "s", 1, ms(t0 + 40));
  EXPECT_EQ(rb.restored_op_number, 1);
  EXPECT_FALSE(rb.restored);
}

TEST_F(time_travel_test, untracked_writes_make_reads_report_a_gap) {
  db_.set("g", "1", ms(t0));
  db_.set("g", "2", ms(t0 + 10), std::nullopt, /*history=*/false);
  db_.set("g", "3", ms(t0 + 20), std::nullopt, false);
  db_.set("other", "1", ms(t0));
  nlohmann::json details;
  // Before the marker's ts the untracked writes may already have happened: a gap.
  EXPECT_EQ(
      status_of_call([&] { (void)ops::kv_read_at(conn(), "kv_store", "g", sec(t0 + 15), {}); },
                     &details),
      409);
  EXPECT_EQ(details["gap_keys"], nlohmann::json({"g"}));
  EXPECT_EQ(
      status_of_call([&] { (void)ops::kv_read_at(conn(), "kv_store", "g", sec(t0 + 25), {}); }),
      409);
  std::string message;
  status_of_call([&] { (void)ops::kv_read_at(conn(), "kv_store", "g", sec(t0 + 25), {}); }, nullptr,
                 &message);
  EXPECT_EQ(message, "time-travel chain gap");
  const auto list = ops::kv_list_at(conn(), "kv_store", sec(t0 + 25), "", 0);
  EXPECT_TRUE(list.gaps.has_gaps());
  EXPECT_EQ(list.gaps.gap_keys, strings({"g"}));
  EXPECT_EQ(list.keys, strings({"other"}));
  const auto list_wire = handlers::to_json(list);
  EXPECT_EQ(list_wire["has_gaps"], true);
  EXPECT_EQ(list_wire["gap_keys"], nlohmann::json({"g"}));
  EXPECT_EQ(list_wire["keys"], nlohmann::json({"other"}));
  EXPECT_EQ(list_wire["count"], 1);
  const auto gh = ops::kv_history(conn(), "kv_store", "g", 0);
  EXPECT_EQ(gh.entries.at(0).op, "untracked");
  EXPECT_TRUE(gh.entries.at(0).is_gap());
  EXPECT_TRUE(gh.has_gaps());
  const auto gh_wire = handlers::to_json(gh);
  EXPECT_EQ(gh_wire["operations"][0]["operation"]["gap"], true);
  EXPECT_EQ(gh_wire["has_gaps"], true);
  EXPECT_EQ(gh_wire["gap_keys"], nlohmann::json({"g"}));
  // Rolling back onto the marker cannot be reconstructed.
  EXPECT_EQ(
      status_of_call([&] { ops::kv_rollback_key(conn(), "kv_store", "g", 0 + 1, ms(t0 + 21)); }),
      0);  // undoing the marker restores op 1: known
  EXPECT_EQ(db_.live("g", ms(t0 + 22))->value, "1");
  EXPECT_EQ(status_of_call([&] { ops::kv_rollback_key(conn(), "kv_store", "g", 1, ms(t0 + 23)); }),
            409);  // op 2 is the marker
  // A tracked write after the marker makes later reads exact again.
  db_.set("g", "4", ms(t0 + 30));
  EXPECT_EQ(value_at("g", sec(t0 + 30)), "4");
  // A first write made with history=false: its start is unknown.
  db_.set("h", "1", ms(t0 + 10), std::nullopt, false);
  EXPECT_EQ(
      status_of_call([&] { (void)ops::kv_read_at(conn(), "kv_store", "h", sec(t0 + 5), {}); }),
      409);
  EXPECT_EQ(status_of_call([&] { (void)ops::kv_snapshot_op(conn(), "kv_store", "h", 1); }), 409);
}

TEST_F(time_travel_test, table_snapshot_prefix_limit_and_truncation) {
  for (int i = 0; i < 5; ++i) {
    db_.set("user:" + std::to_string(i), std::to_string(i), ms(t0 + i));
  }
  db_.set("zeta", "9", ms(t0));
  db_.del("user:0", ms(t0 + 10));
  auto s = ops::kv_table_snapshot(conn(), "kv_store", sec(t0 + 2), "user:", 0);
  ASSERT_EQ(s.items.size(), 3U);
  EXPECT_EQ(s.items[2].key, "user:2");
  EXPECT_EQ(s.items[2].value.value, "2");
  EXPECT_EQ(s.items[2].op_number, 1);
  EXPECT_EQ(s.items[2].ts_ms, ms(t0 + 2));
  EXPECT_FALSE(s.gaps.candidate_truncated);
  const auto wire = handlers::to_json(s);
  EXPECT_EQ(wire["count"], 3);
  EXPECT_EQ(wire["items"][2], nlohmann::json({{"key", "user:2"},
                                              {"value", 2},
                                              {"content_type", "application/json"},
                                              {"expires_at", nullptr},
                                              {"op_number", 1},
                                              {"updated_at", ms(t0 + 2)}}));
  EXPECT_EQ(wire["candidate_truncated"], false);
  s = ops::kv_table_snapshot(conn(), "kv_store", sec(t0 + 20), "", 2);
  ASSERT_EQ(s.items.size(), 2U);
  EXPECT_EQ(s.items[0].key, "user:1");
  EXPECT_TRUE(s.gaps.candidate_truncated);
  EXPECT_EQ(handlers::to_json(s)["candidate_truncated"], true);
  s = ops::kv_table_snapshot(conn(), "kv_store", sec(t0 + 20), "", 100);
  EXPECT_EQ(s.items.size(), 5U);
  EXPECT_FALSE(s.gaps.has_gaps());
  EXPECT_TRUE(ops::kv_table_snapshot(conn(), "other_table", sec(t0), "", 0).items.empty());
  EXPECT_EQ(
      status_of_call([&] { (void)ops::kv_table_snapshot(conn(), "bad-name", sec(t0), "", 0); }),
      400);
}

TEST_F(time_travel_test, diff_over_a_window) {
  db_.set("a", "1", ms(t0));
  db_.set("b", "1", ms(t0));
  db_.set("c", "1", ms(t0));
  db_.set("a", "2", ms(t0 + 10));  // modified
  db_.del("b", ms(t0 + 11));       // deleted
  db_.set("d", "1", ms(t0 + 12));  // created
  db_.set("c", "5", ms(t0 + 13));  // changed and changed back: no change
  db_.set("c", "1", ms(t0 + 14));
  auto d = ops::kv_diff(conn(), "kv_store", sec(t0 + 5), sec(t0 + 20), {});
  EXPECT_EQ(d.stats.created, 1);
  EXPECT_EQ(d.stats.modified, 1);
  EXPECT_EQ(d.stats.deleted, 1);
  ASSERT_EQ(d.changes.size(), 3U);
  EXPECT_EQ(d.changes[0].key, "a");
  EXPECT_EQ(d.changes[0].kind, ops::change_kind::modified);
  ASSERT_TRUE(d.changes[0].old_state && d.changes[0].new_state);
  EXPECT_EQ(d.changes[0].old_state->value, "1");
  EXPECT_EQ(d.changes[0].new_state->value, "2");
  EXPECT_EQ(d.changes[0].old_op_number, 1);
  EXPECT_EQ(d.changes[0].new_op_number, 2);
  EXPECT_EQ(d.changes[1].key, "b");
  EXPECT_EQ(d.changes[1].kind, ops::change_kind::deleted);
  EXPECT_FALSE(d.changes[1].new_state);
  EXPECT_EQ(d.changes[2].key, "d");
  EXPECT_EQ(d.changes[2].kind, ops::change_kind::created);
  EXPECT_FALSE(d.changes[2].old_state);
  auto wire = handlers::to_json(d);
  EXPECT_EQ(wire["stats"], nlohmann::json({{"created", 1}, {"modified", 1}, {"deleted", 1}}));
  EXPECT_EQ(wire["changes"][0]["change"], "modified");
  EXPECT_EQ(wire["changes"][0]["old_value"], 1);
  EXPECT_EQ(wire["changes"][0]["new_value"], 2);
  EXPECT_EQ(wire["changes"][1]["change"], "deleted");
  EXPECT_EQ(wire["changes"][1]["new_value"], nullptr);
  EXPECT_EQ(wire["changes"][2]["change"], "created");
  EXPECT_EQ(wire["changes"][2]["old_content_type"], nullptr);
  EXPECT_EQ(wire["from"], sec(t0 + 5));
  EXPECT_EQ(wire["to"], sec(t0 + 20));
  d = ops::kv_diff(conn(), "kv_store", sec(t0 + 5), sec(t0 + 20), {"a", "d", "zz"});
  EXPECT_EQ(d.stats.created, 1);
  EXPECT_EQ(d.stats.modified, 1);
  EXPECT_EQ(d.stats.deleted, 0);
  EXPECT_EQ(
      status_of_call([&] { (void)ops::kv_diff(conn(), "kv_store", sec(t0 + 5), sec(t0), {}); }),
      400);
}

TEST_F(time_travel_test, table_rollback_preview_apply_and_key_selection) {
  db_.set("a", "1", ms(t0));
  db_.set("b", "1", ms(t0));
  db_.set("c", "1", ms(t0));
  db_.set("a", "2", ms(t0 + 10));
  db_.del("b", ms(t0 + 10));
  db_.set("d", "1", ms(t0 + 10));
  const std::int64_t ops_before = db_.count("SELECT count(*) FROM kv_store__history");

  ops::table_rollback_request req;
  req.to_timestamp_s = sec(t0 + 5);
  req.now_ms = ms(t0 + 20);
  auto preview = ops::kv_table_rollback(conn(), "kv_store", req);
  EXPECT_FALSE(preview.applied);
  EXPECT_EQ(preview.affected, 3);
  EXPECT_EQ(preview.applied_count, 0);
  EXPECT_EQ(preview.stats.created, 1);
  EXPECT_EQ(preview.stats.modified, 1);
  EXPECT_EQ(preview.stats.deleted, 1);
  ASSERT_EQ(preview.changes.size(), 3U);
  EXPECT_FALSE(preview.changes_truncated());
  EXPECT_EQ(preview.changes[0].key, "a");
  EXPECT_EQ(preview.changes[0].kind, ops::change_kind::modified);
  ASSERT_TRUE(preview.changes[0].current && preview.changes[0].target);
  EXPECT_EQ(preview.changes[0].current->value, "2");
  EXPECT_EQ(preview.changes[0].target->value, "1");
  EXPECT_EQ(preview.changes[0].target_op_number, 1);
  EXPECT_EQ(preview.changes[1].key, "b");
  EXPECT_EQ(preview.changes[1].kind, ops::change_kind::created);
  EXPECT_EQ(preview.changes[2].key, "d");
  EXPECT_EQ(preview.changes[2].kind, ops::change_kind::deleted);
  EXPECT_FALSE(preview.changes[2].target);
  const auto wire = handlers::to_json(preview);
  EXPECT_EQ(wire["dry_run"], true);
  EXPECT_EQ(wire["applied"], false);
  EXPECT_EQ(wire["affected"], 3);
  EXPECT_EQ(wire["stats"], nlohmann::json({{"created", 1}, {"modified", 1}, {"deleted", 1}}));
  EXPECT_EQ(wire["changes"][0], nlohmann::json({{"key", "a"},
                                                {"change", "modified"},
                                                {"current_value", 2},
                                                {"current_content_type", "application/json"},
                                                {"current_expires_at", nullptr},
                                                {"target_value", 1},
                                                {"target_content_type", "application/json"},
                                                {"target_expires_at", nullptr},
                                                {"target_op_number", 1}}));
  EXPECT_EQ(wire["candidate_truncated"], false);
  EXPECT_TRUE(wire.contains("message"));
  EXPECT_EQ(db_.count("SELECT count(*) FROM kv_store__history"), ops_before);
  EXPECT_EQ(db_.live("a", ms(t0 + 20))->value, "2");

  // keys: only the chosen keys.
  req.apply = true;
  req.keys = std::vector<std::string>{"a"};
  auto r = ops::kv_table_rollback(conn(), "kv_store", req);
  EXPECT_TRUE(r.applied);
  EXPECT_EQ(r.applied_count, 1);
  EXPECT_EQ(r.affected, 1);
  const auto applied_wire = handlers::to_json(r);
  EXPECT_EQ(applied_wire["dry_run"], false);
  EXPECT_EQ(applied_wire["applied_count"], 1);
  EXPECT_FALSE(applied_wire.contains("message"));
  EXPECT_EQ(db_.live("a", ms(t0 + 20))->value, "1");
  EXPECT_FALSE(db_.live("b", ms(t0 + 20)));
  EXPECT_TRUE(db_.live("d", ms(t0 + 20)));
  EXPECT_EQ(db_.count("SELECT count(*) FROM kv_store__history"), ops_before + 1);

  // exclude_keys: every key but these.
  req.keys.reset();
  req.exclude_keys = std::vector<std::string>{"d"};
  req.now_ms = ms(t0 + 21);
  r = ops::kv_table_rollback(conn(), "kv_store", req);
  EXPECT_EQ(r.applied_count, 1);  // only b (a is already restored)
  ASSERT_EQ(r.changes.size(), 1U);
  EXPECT_EQ(r.changes[0].key, "b");
  EXPECT_EQ(db_.live("b", ms(t0 + 21))->value, "1");
  EXPECT_TRUE(db_.live("d", ms(t0 + 21)));
  EXPECT_EQ(db_.count("SELECT count(*) FROM kv_store__history WHERE op='rollback'"), 2);

  // Whole table.
  req.exclude_keys.reset();
  r = ops::kv_table_rollback(conn(), "kv_store", req);
  EXPECT_EQ(r.applied_count, 1);
  EXPECT_FALSE(db_.live("d", ms(t0 + 21)));

  req.keys = std::vector<std::string>(ops::max_rollback_key_list + 1, "k");
  EXPECT_EQ(status_of_call([&] { ops::kv_table_rollback(conn(), "kv_store", req); }), 413);
  req.keys = std::vector<std::string>{"a"};
  req.exclude_keys = std::vector<std::string>{"b"};
  EXPECT_EQ(status_of_call([&] { ops::kv_table_rollback(conn(), "kv_store", req); }), 400);
}

TEST_F(time_travel_test, table_rollback_refuses_to_apply_across_a_gap) {
  db_.set("a", "1", ms(t0));
  db_.set("g", "1", ms(t0));
  db_.set("a", "2", ms(t0 + 10));
  db_.set("g", "2", ms(t0 + 10), std::nullopt, false);
  ops::table_rollback_request req;
  req.to_timestamp_s = sec(t0 + 5);
  req.now_ms = ms(t0 + 20);
  auto preview = ops::kv_table_rollback(conn(), "kv_store", req);
  EXPECT_EQ(preview.gap_keys, strings({"g"}));
  EXPECT_EQ(preview.affected, 1);  // a; g is left alone
  const auto wire = handlers::to_json(preview);
  EXPECT_EQ(wire["has_gaps"], true);
  EXPECT_EQ(wire["gap_keys"], nlohmann::json({"g"}));
  req.apply = true;
  nlohmann::json details;
  EXPECT_EQ(status_of_call([&] { ops::kv_table_rollback(conn(), "kv_store", req); }, &details),
            409);
  EXPECT_EQ(details["gap_keys"], nlohmann::json({"g"}));
  EXPECT_EQ(db_.live("a", ms(t0 + 20))->value, "2");
  req.exclude_keys = std::vector<std::string>{"g"};
  EXPECT_EQ(ops::kv_table_rollback(conn(), "kv_store", req).applied_count, 1);
}

TEST_F(time_travel_test, retention_keeps_the_newest_op_and_reports_the_horizon) {
  for (int i = 1; i <= 10; ++i) {
    db_.set("k", std::to_string(i), ms(t0 + i));
  }
  db_.set("old", "1", ms(t0));
  db_.set("old", "2", ms(t0 + 1));
  auto r = ops::prune_history(conn(), "kv_store", 0, 3, ms(t0 + 100));
  EXPECT_EQ(r.deleted_ops, 7);
  EXPECT_EQ(db_.count("SELECT min(op_number) FROM kv_store__history WHERE key='k'"), 8);
  EXPECT_EQ(value_at("k", sec(t0 + 8)), "8");
  nlohmann::json details;
  std::string message;
  EXPECT_EQ(status_of_call([&] { (void)ops::kv_read_at(conn(), "kv_store", "k", sec(t0 + 7), {}); },
                           &details, &message),
            409);
  EXPECT_EQ(details["reason"], "retention");
  EXPECT_NE(message.find("retained history"), std::string::npos);
  EXPECT_EQ(status_of_call([&] { (void)ops::kv_snapshot_op(conn(), "kv_store", "k", 2); }), 409);
  EXPECT_EQ(status_of_call([&] { ops::kv_rollback_key(conn(), "kv_store", "k", 5, ms(t0 + 101)); }),
            409);
  auto s = ops::kv_table_snapshot(conn(), "kv_store", sec(t0 + 5), "", 0);
  EXPECT_EQ(s.gaps.gap_keys, strings({"k"}));

  // Age: everything older than 50 s goes, except each key's newest op.
  r = ops::prune_history(conn(), "kv_store", 50'000, 0, ms(t0 + 60));
  EXPECT_EQ(r.deleted_ops, 3);  // k: 8, 9 (keeps 10); old: 1 (keeps 2)
  EXPECT_EQ(db_.count("SELECT count(*) FROM kv_store__history"), 2);
  EXPECT_EQ(value_at("old", sec(t0 + 1)), "2");
  EXPECT_EQ(value_at("k", sec(t0 + 99)), "10");
}

TEST_F(time_travel_test, reads_by_time_search_the_key_op_index) {
  // The probe of latest_op_at (time_travel.cpp): an index range on (key, op_number), no scan.
  auto stmt = conn().prepare(
      "EXPLAIN QUERY PLAN SELECT op_number, ts FROM kv_store__history WHERE key = ?1 AND "
      "op_number >= ?2 AND op_number < ?3 ORDER BY op_number LIMIT 1");
  std::string plan;
  while (stmt.step()) {
    plan += std::string(stmt.column_text(3)) + "\n";
  }
  EXPECT_NE(plan.find("kv_store__history_key_op"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
}

TEST_F(time_travel_test, reads_by_time_on_a_long_log_with_gaps_match_a_scan) {
  // 1,000 ops, several in the same millisecond, and a hole in the middle (ops 300..350 deleted,
  // as retention in an older log could leave): every cutoff finds the op a full scan finds.
  std::int64_t ts = ms(t0);
  for (int i = 1; i <= 1000; ++i) {
    ts += (i % 3 == 0) ? 0 : 7;
    db_.set("k", std::to_string(i), ts);
  }
  conn().exec("DELETE FROM kv_store__history WHERE key = 'k' AND op_number BETWEEN 300 AND 350");
  const auto scan = [&](std::int64_t cutoff) -> std::int64_t {
    auto q =
        conn().prepare("SELECT max(op_number) FROM kv_store__history WHERE key = 'k' AND ts <= ?1");
    q.bind_int64(1, cutoff);
    return q.step() && !q.column_is_null(0) ? q.column_int64(0) : 0;
  };
  int checked = 0;
  for (std::int64_t cutoff = ms(t0) + 1; cutoff <= ts + 10; cutoff += 3) {
    const std::int64_t want = scan(cutoff);
    const double t = ops::seconds_of_ms(cutoff);
    if (cutoff % 1000 == 0) {
      continue;  // a whole second means "the end of that second" (cutoff_ms_for_seconds)
    }
    if (want == 0) {
      EXPECT_EQ(status_of_call([&] { (void)read("k", t); }), 404) << cutoff;
      continue;
    }
    const auto at = read("k", t);
    ASSERT_EQ(at.op_number, want) << "cutoff " << cutoff;
    EXPECT_EQ(at.value.value, std::to_string(want));
    ++checked;
  }
  EXPECT_GT(checked, 1000);
}

TEST_F(time_travel_test, a_wall_clock_step_back_does_not_reorder_a_keys_ops) {
  db_.set("k", "1", ms(t0 + 20));
  db_.set("k", "2", ms(t0 + 10));  // the clock stepped back 10 s
  EXPECT_EQ(db_.count("SELECT ts FROM kv_store__history WHERE key = 'k' AND op_number = 2"),
            ms(t0 + 20));
  EXPECT_EQ(status_of_call([&] { (void)read("k", t0 + 15.0); }), 404);
  EXPECT_EQ(value_at("k", sec(t0 + 20)), "2");  // the latest write at that time
  db_.set("other", "x", ms(t0 + 5));            // other keys keep their own time
  EXPECT_EQ(value_at("other", sec(t0 + 5)), "x");
}

TEST_F(time_travel_test, an_older_log_keeps_its_history_and_loses_its_key_ts_index) {
  // A log written by an older server: the same tables plus the (key, ts) index.
  conn().exec("CREATE INDEX kv_store__history_key_ts ON kv_store__history (key, ts)");
  db_.set("k", "1", ms(t0 + 10));
  db_.set("k", "2", ms(t0 + 20));
  const auto indexes = [&] {
    return db_.count(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = "
        "'kv_store__history_key_ts'");
  };
  ASSERT_EQ(indexes(), 1);
  conn().forget_schema();  // a new connection, as after a restart
  ops::ensure_kv_tables(conn(), "kv_store");
  EXPECT_EQ(indexes(), 0);
  EXPECT_EQ(db_.count("SELECT count(*) FROM kv_store__history"), 2);
  EXPECT_EQ(value_at("k", sec(t0 + 15)), "1");
  EXPECT_EQ(value_at("k", sec(t0 + 25)), "2");
  db_.set("k", "3", ms(t0 + 30));
  EXPECT_EQ(value_at("k", sec(t0 + 30)), "3");
}

}  // namespace
