// Property tests for time travel: random op sequences replayed against an in-memory model.
//
// 1. synthetic_clock: set/delete/incr/push/pop/batch/untracked writes/TTLs/key and table
//    rollbacks with synthetic timestamps (many ops per ms and per second). The model keeps every
//    write (the truth) and the log's row structure (for `steps`). Properties: a time-travel read
//    never returns a wrong value; it is exact whenever the key had no history=false write; table
//    snapshots, list_at and diffs agree with the truth; rollbacks restore the truth.
// 2. kv_engine: the same through the KV engineer's ops (kv_put, kv_incr, kv_push, kv_pop,
//    kv_batch_set, kv_delete) on the real clock; the truth is the live value after every op.
#include "hoody/ops/time_travel.hpp"

#include "hoody/ops/kv.hpp"

#include "time_travel_support.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

namespace {

using namespace hoody;
using state = std::optional<ops::kv_value>;

bool same(const state& a, const state& b) {
  if (a.has_value() != b.has_value()) {
    return false;
  }
  return !a || (a->value == b->value && a->content_type == b->content_type &&
                a->expires_at_ms == b->expires_at_ms);
}

std::string show(const state& s) {
  if (!s) {
    return "<absent>";
  }
  return s->value + " [" + s->content_type +
         "] exp=" + (s->expires_at_ms ? std::to_string(*s->expires_at_ms) : "-");
}

const char* change_name(ops::change_kind kind) {
  switch (kind) {
  case ops::change_kind::created:
    return "created";
  case ops::change_kind::modified:
    return "modified";
  case ops::change_kind::deleted:
    return "deleted";
  }
  return "?";
}

state live_at(const state& s, std::int64_t cutoff) {
  if (s && s->expires_at_ms && *s->expires_at_ms <= cutoff) {
    return std::nullopt;
  }
  return s;
}

/// Truth + log-row model of one key.
struct key_model {
  struct write {
    std::int64_t ts;
    state after;
    bool tracked;
  };
  struct row {
    bool tracked;
    state after;
  };
  std::vector<write> writes;
  std::vector<row> rows;
  bool had_untracked = false;

  state current() const { return writes.empty() ? std::nullopt : writes.back().after; }

  /// Truth at `cutoff` (inclusive), TTL applied.
  state at(std::int64_t cutoff) const {
    state s;
    for (const auto& w : writes) {
      if (w.ts > cutoff) {
        break;
      }
      s = w.after;
    }
    return live_at(s, cutoff);
  }

  void record(std::int64_t ts, state after, bool tracked) {
    writes.push_back({ts, after, tracked});
    if (!tracked) {
      had_untracked = true;
      if (!rows.empty() && !rows.back().tracked) {
        return;  // merged into the existing marker row
      }
      rows.push_back({false, std::nullopt});
      return;
    }
    rows.push_back({true, std::move(after)});
  }
};

class model_runner {
 public:
  explicit model_runner(unsigned seed) : rng_(seed) {
    for (const char* k : {"a", "b", "c", "d"}) {
      keys_.emplace_back(k);
    }
  }

  void run(int op_count) {
    db_.conn().exec("BEGIN");
    std::int64_t ts = 1'700'000'000'000;
    for (int i = 0; i < op_count; ++i) {
      ts += pick<std::int64_t>({0, 0, 1, 3, 250, 999, 1500});
      step(ts);
      checkpoints_.insert(ts);
      checkpoints_.insert(ts - 1);
      if (i % 40 == 39) {
        verify_reads();
      }
    }
    verify_reads();
    verify_tables();
    db_.conn().exec("COMMIT");
  }

 private:
  template <typename T>
  T pick(std::initializer_list<T> values) {
    std::uniform_int_distribution<std::size_t> d(0, values.size() - 1);
    return *(values.begin() + static_cast<std::ptrdiff_t>(d(rng_)));
  }
  int roll(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  const std::string& any_key() { return keys_[static_cast<std::size_t>(roll(4))]; }

  state json_value(const nlohmann::json& v, std::int64_t ts) {
    std::optional<std::int64_t> exp;
    if (roll(6) == 0) {
      exp = ts + pick<std::int64_t>({1, 500, 1000, 2500});
    }
    return ops::kv_value{v.dump(), "application/json", exp};
  }

  void write(const std::string& key, state after, std::int64_t ts, const std::string& op,
             bool tracked = true) {
    db_.write(key, after, ts, op, tracked);
    model_[key].record(ts, std::move(after), tracked);
  }

  void step(std::int64_t ts) {
    const std::string& key = any_key();
    auto& m = model_[key];
    const state cur = live_at(m.current(), ts);
    const nlohmann::json cur_json = cur && cur->content_type == "application/json"
                                        ? nlohmann::json::parse(cur->value)
                                        : nlohmann::json();
    switch (roll(10)) {
    case 0:
    case 1: {  // set (JSON, text or binary)
      const int kind = roll(5);
      if (kind == 0) {
        write(key, ops::kv_value{"t" + std::to_string(roll(9)), "text/plain", std::nullopt}, ts,
              "set");
      } else if (kind == 1) {
        write(key,
              ops::kv_value{std::string("\x00\xff", 2) + std::to_string(roll(9)),
                            "application/octet-stream", std::nullopt},
              ts, "set");
      } else {
        write(key, json_value(roll(20), ts), ts, "set");
      }
      break;
    }
    case 2:  // delete
      if (cur) {
        write(key, std::nullopt, ts, "delete");
      }
      break;
    case 3:  // incr
      if (!cur || cur_json.is_number_integer()) {
        write(key, json_value(cur ? cur_json.get<std::int64_t>() + 1 : 1, ts), ts, "incr");
      }
      break;
    case 4: {  // push
      if (!cur || cur_json.is_array()) {
        nlohmann::json arr = cur ? cur_json : nlohmann::json::array();
        arr.push_back(roll(5));
        write(key, json_value(arr, ts), ts, "push");
      }
      break;
    }
    case 5:  // pop
      if (cur && cur_json.is_array() && !cur_json.empty()) {
        nlohmann::json arr = cur_json;
        arr.erase(arr.end() - 1);
        write(key, ops::kv_value{arr.dump(), "application/json", cur->expires_at_ms}, ts, "pop");
      }
      break;
    case 6: {  // batch set of 2-3 keys in one ms
      std::set<std::string> chosen;
      const int n = 2 + roll(2);
      while (static_cast<int>(chosen.size()) < n) {
        chosen.insert(any_key());
      }
      for (const auto& k : chosen) {
        write(k, json_value(roll(50), ts), ts, "batch_set");
      }
      break;
    }
    case 7:  // a history=false write
      if (roll(2) == 0) {
        write(key, json_value(100 + roll(9), ts), ts, "set", false);
      }
      break;
    case 8:
      key_rollback(key, ts);
      break;
    default:
      if (roll(2) == 0) {
        table_rollback(ts);
      }
      break;
    }
  }

  void key_rollback(const std::string& key, std::int64_t ts) {
    auto& m = model_[key];
    if (m.rows.empty()) {
      EXPECT_EQ(
          test::status_of_call([&] { ops::kv_rollback_key(db_.conn(), "kv_store", key, 1, ts); }),
          404);
      return;
    }
    const auto steps = static_cast<std::int64_t>(1 + roll(static_cast<int>(m.rows.size())));
    const auto target = static_cast<std::int64_t>(m.rows.size()) - steps;
    if (target > 0 && !m.rows[static_cast<std::size_t>(target - 1)].tracked) {
      EXPECT_EQ(test::status_of_call(
                    [&] { ops::kv_rollback_key(db_.conn(), "kv_store", key, steps, ts); }),
                409);
      return;
    }
    const state expected = live_at(
        target == 0 ? std::nullopt : m.rows[static_cast<std::size_t>(target - 1)].after, ts);
    const auto out = ops::kv_rollback_key(db_.conn(), "kv_store", key, steps, ts);
    EXPECT_EQ(out.restored.has_value(), expected.has_value());
    EXPECT_TRUE(same(out.restored, expected)) << key << ": " << show(out.restored);
    EXPECT_EQ(out.restored_op_number, target);
    m.record(ts, expected, true);
    EXPECT_TRUE(same(db_.live(key, ts), live_at(expected, ts)))
        << key << ": " << show(db_.live(key, ts)) << " vs " << show(expected);
  }

  void table_rollback(std::int64_t ts) {
    if (checkpoints_.empty()) {
      return;
    }
    auto it = checkpoints_.begin();
    std::advance(it, roll(static_cast<int>(checkpoints_.size())));
    const std::int64_t cutoff = *it;
    ops::table_rollback_request req;
    req.to_timestamp_s = static_cast<double>(cutoff) / 1000.0 + 0.0005;
    req.apply = roll(4) != 0;
    req.now_ms = ts;
    std::set<std::string> selected(keys_.begin(), keys_.end());
    if (roll(3) == 0) {
      req.keys = std::vector<std::string>{any_key(), any_key()};
      selected = std::set<std::string>(req.keys->begin(), req.keys->end());
    } else if (roll(2) == 0) {
      req.exclude_keys = std::vector<std::string>{any_key()};
      selected.erase(req.exclude_keys->front());
    }
    std::map<std::string, state> before;
    for (const auto& k : keys_) {
      before[k] = db_.live(k, ts);
    }
    ops::table_rollback out;
    const int status =
        test::status_of_call([&] { out = ops::kv_table_rollback(db_.conn(), "kv_store", req); });
    if (status != 0) {
      ASSERT_EQ(status, 409);
      bool any_untracked = false;
      for (const auto& k : selected) {
        any_untracked = any_untracked || model_[k].had_untracked;
      }
      EXPECT_TRUE(any_untracked) << "gap reported but no history=false write";
      for (const auto& k : keys_) {
        EXPECT_TRUE(same(db_.live(k, ts), before[k]));
      }
      return;
    }
    std::set<std::string> gap(out.gap_keys.begin(), out.gap_keys.end());
    EXPECT_EQ(out.applied, req.apply);
    for (const auto& k : keys_) {
      auto& m = model_[k];
      if (!req.apply || !selected.contains(k) || gap.contains(k)) {
        EXPECT_TRUE(same(db_.live(k, ts), before[k])) << k << " must be untouched";
        if (gap.contains(k)) {
          EXPECT_TRUE(m.had_untracked);
        }
        continue;
      }
      const state target = live_at(m.at(cutoff), ts);
      EXPECT_TRUE(same(db_.live(k, ts), target))
          << k << " at " << cutoff << ": " << show(db_.live(k, ts)) << " vs " << show(target);
      if (!same(live_at(before[k], ts), target)) {
        m.record(ts, target, true);
      }
    }
  }

  /// Every key at every checkpoint: never wrong, exact without history=false writes.
  void verify_reads() {
    for (const std::int64_t c : checkpoints_) {
      for (const auto& k : keys_) {
        const auto& m = model_[k];
        const ops::key_state s = ops::state_at(db_.conn(), "kv_store", k, c);
        const state truth = m.at(c);
        if (s.status == ops::key_state::kind::gap) {
          EXPECT_TRUE(m.had_untracked) << k << " at " << c << ": gap without untracked write";
          continue;
        }
        ASSERT_NE(s.status, ops::key_state::kind::before_horizon);
        const state got = s.status == ops::key_state::kind::present ? s.value : std::nullopt;
        ASSERT_TRUE(same(got, truth))
            << k << " at " << c << ": " << show(got) << " vs truth " << show(truth);
      }
    }
    // The seconds API agrees at whole seconds (cutoff = end of the second) and exact ms.
    const std::int64_t c =
        *std::prev(checkpoints_.end(), 1 + roll(static_cast<int>(checkpoints_.size())));
    for (const auto& k : keys_) {
      const auto& m = model_[k];
      const double whole = static_cast<double>(c / 1000);
      const state truth = m.at(c / 1000 * 1000 + 999);
      ops::key_value_at got;
      const int status = test::status_of_call(
          [&] { got = ops::kv_read_at(db_.conn(), "kv_store", k, whole, std::nullopt); });
      if (status == 409) {
        EXPECT_TRUE(m.had_untracked);
      } else if (!truth) {
        EXPECT_EQ(status, 404) << k;
      } else {
        ASSERT_EQ(status, 0) << k;
        EXPECT_TRUE(same(got.value, truth))
            << k << ": " << show(got.value) << " vs " << show(truth);
        EXPECT_EQ(got.key, k);
      }
    }
  }

  void verify_tables() {
    std::vector<std::int64_t> cps(checkpoints_.begin(), checkpoints_.end());
    for (int i = 0; i < 30; ++i) {
      const std::int64_t c = cps[static_cast<std::size_t>(roll(static_cast<int>(cps.size())))];
      const double t = static_cast<double>(c) / 1000.0 + 0.0005;
      const auto snap = ops::kv_table_snapshot(db_.conn(), "kv_store", t, "", 0);
      const auto list = ops::kv_list_at(db_.conn(), "kv_store", t, "", 0);
      std::set<std::string> gaps(snap.gaps.gap_keys.begin(), snap.gaps.gap_keys.end());
      EXPECT_EQ(snap.gaps.gap_keys, list.gaps.gap_keys);
      EXPECT_FALSE(snap.gaps.candidate_truncated);
      EXPECT_FALSE(list.gaps.candidate_truncated);
      std::map<std::string, ops::snapshot_item> items;
      for (const auto& item : snap.items) {
        items[item.key] = item;
      }
      std::vector<std::string> expected_keys;
      for (const auto& k : keys_) {
        if (gaps.contains(k)) {
          EXPECT_TRUE(model_[k].had_untracked);
          continue;
        }
        const state truth = model_[k].at(c);
        ASSERT_EQ(items.contains(k), truth.has_value()) << k << " at " << c;
        if (truth) {
          expected_keys.push_back(k);
          EXPECT_TRUE(same(items[k].value, truth)) << k << " at " << c;
        }
      }
      EXPECT_EQ(list.keys, expected_keys);

      // Diff between two checkpoints.
      const std::int64_t c2 = cps[static_cast<std::size_t>(roll(static_cast<int>(cps.size())))];
      const std::int64_t from = std::min(c, c2);
      const std::int64_t to = std::max(c, c2);
      const auto diff =
          ops::kv_diff(db_.conn(), "kv_store", static_cast<double>(from) / 1000.0 + 0.0005,
                       static_cast<double>(to) / 1000.0 + 0.0005, {});
      std::set<std::string> dgaps(diff.gaps.gap_keys.begin(), diff.gaps.gap_keys.end());
      EXPECT_FALSE(diff.gaps.candidate_truncated);
      std::map<std::string, std::string> changes;
      for (const auto& ch : diff.changes) {
        changes[ch.key] = change_name(ch.kind);
        EXPECT_FALSE(same(ch.old_state, ch.new_state)) << ch.key;
      }
      std::int64_t created = 0;
      std::int64_t modified = 0;
      std::int64_t deleted = 0;
      for (const auto& k : keys_) {
        if (dgaps.contains(k)) {
          EXPECT_TRUE(model_[k].had_untracked);
          continue;
        }
        const state a = model_[k].at(from);
        const state b = model_[k].at(to);
        std::string expect;
        if (!a && b) {
          expect = "created";
          ++created;
        } else if (a && !b) {
          expect = "deleted";
          ++deleted;
        } else if (a && b && !same(a, b)) {
          expect = "modified";
          ++modified;
        }
        EXPECT_EQ(changes.contains(k) ? changes[k] : "", expect) << k << " " << from << ".." << to;
      }
      EXPECT_EQ(diff.stats.created, created);
      EXPECT_EQ(diff.stats.modified, modified);
      EXPECT_EQ(diff.stats.deleted, deleted);
    }
  }

  std::mt19937 rng_;
  test::tt_db db_;
  std::vector<std::string> keys_;
  std::map<std::string, key_model> model_;
  std::set<std::int64_t> checkpoints_;
};

TEST(time_travel_property, synthetic_clock_random_sequences_agree_with_the_model) {
  for (unsigned seed = 1; seed <= 25; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    model_runner runner(seed);
    runner.run(250);
    if (::testing::Test::HasFatalFailure()) {
      return;
    }
  }
}

// Through the KV engineer's ops on the real clock: the truth is the live value after each op.
TEST(time_travel_property, kv_engine_ops_agree_with_live_values) {
  test::tt_db db;
  auto& conn = db.conn();
  conn.exec("BEGIN");
  std::mt19937 rng(7);
  const auto roll = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  const std::vector<std::string> keys{"a", "b", "c"};
  // (ts of the op, key) → live value right after it; several ops can share a ms.
  std::map<std::string, std::vector<std::pair<std::int64_t, state>>> truth;
  std::map<std::string, bool> untracked;
  std::set<std::int64_t> times;
  const auto observe = [&](const std::string& k) {
    const auto e = ops::kv_get(conn, "kv_store", k);
    auto stmt = conn.prepare("SELECT max(ts) FROM kv_store__history WHERE key = ?1");
    stmt.bind_text(1, k);
    ASSERT_TRUE(stmt.step());
    const std::int64_t ts = stmt.column_int64(0);
    truth[k].emplace_back(ts, e ? state(e->value) : std::nullopt);
    times.insert(ts);
  };
  for (int i = 0; i < 400; ++i) {
    const std::string& k = keys[static_cast<std::size_t>(roll(3))];
    ops::kv_scope scope;
    scope.history = roll(12) != 0;
    if (!scope.history) {
      untracked[k] = true;
    }
    try {
      switch (roll(7)) {
      case 0: {
        ops::kv_put_request put;
        put.value = std::to_string(roll(100));
        put.content_type = "application/json";
        ops::kv_put(conn, scope, k, put);
        break;
      }
      case 1:
        ops::kv_incr(conn, scope, k, "incr", 1 + roll(3), std::nullopt);
        break;
      case 2:
        ops::kv_push(conn, scope, k, roll(10), std::nullopt);
        break;
      case 3:
        ops::kv_pop(conn, scope, k, std::nullopt);
        break;
      case 4:
        ops::kv_delete(conn, scope, k);
        break;
      case 5: {
        std::vector<ops::kv_batch_item> items;
        for (const auto& bk : keys) {
          if (roll(2) == 0) {
            items.push_back({bk, std::to_string(roll(9)), "application/json", std::nullopt});
          }
        }
        if (!items.empty()) {
          ops::kv_batch_set(conn, scope, items);
          for (const auto& it : items) {
            if (!scope.history) {
              untracked[it.key] = true;
            }
            observe(it.key);
          }
        }
        continue;
      }
      default:
        ops::kv_rollback_key(conn, "kv_store", k, 1 + roll(2));
        break;
      }
    } catch (const api_error&) {
      continue;  // e.g. incr on an array, pop of a missing key, rollback beyond history
    }
    observe(k);
  }
  ASSERT_GT(times.size(), 5U);
  for (const std::int64_t c : times) {
    for (const auto& k : keys) {
      state expected;
      for (const auto& [ts, s] : truth[k]) {
        if (ts <= c) {
          expected = s;
        }
      }
      const auto s = ops::state_at(conn, "kv_store", k, c);
      if (s.status == ops::key_state::kind::gap) {
        EXPECT_TRUE(untracked[k]) << k;
        continue;
      }
      const state got = s.status == ops::key_state::kind::present ? s.value : std::nullopt;
      EXPECT_TRUE(same(got, expected))
          << k << " at " << c << ": " << show(got) << " vs " << show(expected);
    }
  }
}

}  // namespace
