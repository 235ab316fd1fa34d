// The change feed (GET /kv/watch) against the real binary: exactly-once delivery in commit
// order from concurrent writers, resume with Last-Event-ID, the retention horizon (409), a
// stalled client dropped without slowing writers, filters, gap and delete events, long polls,
// heartbeats, SIGTERM, another process writing the same file, the watcher limit, curl.
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/metrics_text.hpp"
#include "support/raw_socket.hpp"
#include "support/server_process.hpp"
#include "support/sse_client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <tuple>

namespace {

using hoody::test::http_client;
using hoody::test::server_process;
using hoody::test::sse_client;
using hoody::test::sse_event;
using nlohmann::json;
using namespace std::chrono_literals;

using hoody::test::api;

std::string watch_url(const std::string& db, const std::string& extra = "") {
  return api + "/kv/watch?db=" + db + extra;
}

void create(http_client& c, const std::string& db) {
  const auto r = c.post(api + "/db/create?path=" + db, json::object());
  ASSERT_EQ(r.status, 201) << r.body;
}

// Reads change events until `count` arrived (or `timeout` passed without any).
std::vector<json> read_changes(sse_client& s, std::size_t count,
                               std::chrono::milliseconds timeout = 20s) {
  std::vector<json> out;
  while (out.size() < count) {
    auto e = s.next(timeout);
    if (!e) {
      break;
    }
    if (e->event == "change" || e->event == "gap") {
      auto data = json::parse(e->data);
      EXPECT_EQ(e->id, std::to_string(data["seq"].get<std::int64_t>()));
      out.push_back(std::move(data));
    }
  }
  return out;
}

double metric(std::uint16_t port, const std::string& series) {
  http_client c(port);
  return hoody::test::metric_value(c.get("/metrics").body, series);
}

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 10s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) {
      return true;
    }
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

TEST(watch_e2e, ten_thousand_changes_from_eight_writers_arrive_once_each_in_order) {
  server_process srv;
  http_client c(srv.port());
  create(c, "w");
  sse_client watcher(srv.port(), watch_url("w"));
  ASSERT_EQ(watcher.head(), 200);
  EXPECT_NE(watcher.head_text().find("text/event-stream"), std::string::npos);

  // Each writer records what the server acknowledged; refused writes (a failed compare-and-swap,
  // rolled back inside the writer's group commit) must never reach the feed.
  constexpr int writers = 8;
  constexpr int per_writer = 1250;
  std::mutex mutex;
  std::set<std::tuple<std::string, std::int64_t, std::string>> acked;
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < writers; ++t) {
    threads.emplace_back([&, t] {
      http_client w(srv.port());
      for (int j = 0; j < per_writer; ++j) {
        const std::string key = "w" + std::to_string(t) + "/" + std::to_string(j % 40);
        const std::string value = std::to_string(t) + "-" + std::to_string(j);
        const auto r = w.put(api + "/kv/" + key + "?db=w", value, {{"Content-Type", "text/plain"}});
        ASSERT_EQ(r.status, 200) << r.body;
        std::lock_guard lock(mutex);
        acked.emplace(key, r.json()["op_number"].get<std::int64_t>(), value);
        if (j % 100 == 0) {
          const auto no = w.put(api + "/kv/" + key + "?db=w&if_match=never-" + value, "refused");
          EXPECT_EQ(no.status, 412) << no.body;
          refused.fetch_add(1);
        }
      }
    });
  }
  const auto events = read_changes(watcher, writers * per_writer);
  for (auto& t : threads) {
    t.join();
  }
  ASSERT_EQ(events.size(), static_cast<std::size_t>(writers * per_writer));
  EXPECT_GT(refused.load(), 0);
  std::set<std::tuple<std::string, std::int64_t, std::string>> seen;
  std::int64_t last = 0;
  for (const auto& e : events) {
    const auto seq = e["seq"].get<std::int64_t>();
    EXPECT_GT(seq, last) << "out of order";
    last = seq;
    EXPECT_EQ(e["op"], "set");
    EXPECT_NE(e["value"], "refused");
    EXPECT_TRUE(seen.emplace(e["key"], e["op_number"], e["value"]).second) << e.dump();
  }
  EXPECT_EQ(seen, acked);
  // Nothing more follows.
  EXPECT_TRUE(read_changes(watcher, 1, 300ms).empty());
}

TEST(watch_e2e, reconnecting_with_last_event_id_misses_and_repeats_nothing) {
  server_process srv;
  http_client c(srv.port());
  create(c, "r");
  constexpr int total = 3000;
  std::thread writer([&] {
    http_client w(srv.port());
    for (int i = 0; i < total; ++i) {
      ASSERT_EQ(w.put(api + "/kv/k" + std::to_string(i % 7) + "?db=r", std::to_string(i)).status,
                200);
    }
  });
  std::mt19937 rng(20261202);
  std::vector<std::int64_t> seqs;
  std::string last_id;
  int connections = 0;
  while (seqs.size() < static_cast<std::size_t>(total) && connections < 200) {
    ++connections;
    std::map<std::string, std::string> headers;
    if (!last_id.empty()) {
      headers["Last-Event-ID"] = last_id;
    }
    // The URL keeps since=0, as an EventSource's reconnect does: Last-Event-ID wins.
    sse_client s(srv.port(), watch_url("r", "&since=0"), headers);
    ASSERT_EQ(s.head(), 200);
    const std::size_t take = std::uniform_int_distribution<std::size_t>(1, 400)(rng);
    for (const auto& e : read_changes(s, take, 2s)) {
      seqs.push_back(e["seq"].get<std::int64_t>());
      last_id = std::to_string(seqs.back());
    }
  }  // each sse_client closes at a random point of the stream
  writer.join();
  ASSERT_EQ(seqs.size(), static_cast<std::size_t>(total))
      << "after " << connections << " connections";
  for (int i = 0; i < total; ++i) {
    ASSERT_EQ(seqs[static_cast<std::size_t>(i)], i + 1);
  }
  EXPECT_GT(connections, 5);
}

TEST(watch_e2e, a_cursor_before_the_retention_horizon_is_409_with_the_oldest_seq) {
  server_process srv({"--history-max-ops-per-key", "1", "--history-prune-interval", "1",
                      "--ttl-sweep-interval", "1"});
  http_client c(srv.port());
  create(c, "h");
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(c.put(api + "/kv/k?db=h", "v" + std::to_string(i)).status, 200);  // seqs 1..5
  }
  ASSERT_TRUE(eventually(
      [&] { return c.get(api + "/kv/k/history?db=h").json()["operations"].size() == 1; }));
  const auto r = c.get(watch_url("h", "&since=0"));
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.json()["code"], "HISTORY_COMPACTED");
  EXPECT_EQ(r.json()["oldest_seq"], 4);
  EXPECT_EQ(c.get(watch_url("h", "&since=3&wait=0")).status, 409);
  const auto poll = c.get(watch_url("h", "&since=4&wait=0"));
  ASSERT_EQ(poll.status, 200) << poll.body;
  ASSERT_EQ(poll.json()["count"], 1);
  EXPECT_EQ(poll.json()["events"][0]["seq"], 5);
  EXPECT_EQ(poll.json()["events"][0]["value"], "v4");
  sse_client s(srv.port(), watch_url("h"), {{"Last-Event-ID", "2"}});
  EXPECT_EQ(s.head(), 409);
}

TEST(watch_e2e, a_stalled_watcher_is_dropped_and_writers_and_other_watchers_go_on) {
  server_process srv({"--watch-buffer-bytes", "262144"});
  http_client c(srv.port());
  create(c, "s");
  // Watches everything and never reads (a tiny receive window).
  sse_client stalled(srv.port(), watch_url("s"), {}, /*rcvbuf=*/4096);
  ASSERT_EQ(stalled.head(), 200);
  // Watches the same feed for one key only: its buffer never fills, whatever the machine's pace.
  sse_client other(srv.port(), watch_url("s", "&keys=marker"));
  ASSERT_EQ(other.head(), 200);
  ASSERT_TRUE(eventually([&] { return metric(srv.port(), "hoody_watchers") == 2; }));
  const std::string big(16 * 1024, 'b');
  constexpr int writes = 640;  // 10 MB: more than any kernel buffers the stalled client, + 256 KiB
  for (int i = 0; i < writes; ++i) {
    ASSERT_EQ(c.put(api + "/kv/big" + std::to_string(i) + "?db=s", big).status, 200);
  }
  ASSERT_EQ(c.put(api + "/kv/marker?db=s", "done").status, 200);
  const auto marker = read_changes(other, 1);
  ASSERT_EQ(marker.size(), 1U);
  EXPECT_EQ(marker[0]["value"], "done");
  EXPECT_TRUE(eventually([&] { return metric(srv.port(), "hoody_watch_dropped_total") == 1; }));
  EXPECT_TRUE(eventually([&] { return metric(srv.port(), "hoody_watchers") == 1; }));
}

TEST(watch_e2e, a_long_replay_goes_at_the_pace_of_a_slow_client_without_dropping_it) {
  server_process srv({"--watch-buffer-bytes", "65536"});
  http_client c(srv.port());
  create(c, "slow");
  constexpr int writes = 200;
  const std::string value(8 * 1024, 'v');  // 1.6 MB of history, 25 buffers' worth
  for (int i = 0; i < writes; ++i) {
    ASSERT_EQ(c.put(api + "/kv/k" + std::to_string(i) + "?db=slow", value).status, 200);
  }
  sse_client s(srv.port(), watch_url("slow", "&since=0"), {}, /*rcvbuf=*/8192);
  ASSERT_EQ(s.head(), 200);
  int got = 0;
  while (got < writes) {
    auto e = s.next(10s);
    ASSERT_TRUE(e.has_value()) << "after " << got << " events";
    ASSERT_NE(e->event, "dropped");
    if (e->event == "change") {
      ++got;
      std::this_thread::sleep_for(3ms);  // a slow consumer
    }
  }
  EXPECT_EQ(metric(srv.port(), "hoody_watch_dropped_total"), 0);
}

TEST(watch_e2e, filters_gaps_deletions_and_binary_values) {
  server_process srv;
  http_client c(srv.port());
  create(c, "f");
  sse_client all(srv.port(), watch_url("f"));
  sse_client prefixed(srv.port(), watch_url("f", "&prefix=a%2F"));
  sse_client listed(srv.port(), watch_url("f", "&keys=a%2F1,z"));
  ASSERT_EQ(all.head(), 200);
  ASSERT_EQ(prefixed.head(), 200);
  ASSERT_EQ(listed.head(), 200);
  ASSERT_EQ(c.put(api + "/kv/a/1?db=f", "one", {{"Content-Type", "text/plain"}}).status, 200);
  ASSERT_EQ(c.put(api + "/kv/a/2?db=f", "{\"n\":2}").status, 200);
  ASSERT_EQ(c.put(api + "/kv/z?db=f&history=false", "untracked").status, 200);
  ASSERT_EQ(c.put(api + "/kv/z?db=f&history=false", "again").status, 200);
  ASSERT_EQ(c.del(api + "/kv/a/1?db=f").status, 200);
  ASSERT_EQ(c.put(api + "/kv/bin?db=f", std::string("\x00\x01\xff", 3),
                  {{"Content-Type", "application/octet-stream"}})
                .status,
            200);
  // Consecutive history=false writes of a key share one log marker (moved to a new seq each
  // time): a watcher sees one gap event per write it was not yet past, at least one.
  std::vector<json> events;
  while (events.empty() || events.back()["key"] != "bin") {
    auto more = read_changes(all, 1, 5s);
    ASSERT_EQ(more.size(), 1U);
    events.push_back(more[0]);
  }
  ASSERT_TRUE(events.size() == 5U || events.size() == 6U) << events.size();
  EXPECT_EQ(events[0]["value"], "one");
  EXPECT_EQ(events[0]["exists"], true);
  EXPECT_EQ(events[0]["content_type"], "text/plain");
  EXPECT_EQ(events[1]["value"], "{\"n\":2}");  // JSON is delivered as its stored text
  const std::size_t gaps = events.size() - 4;
  for (std::size_t i = 2; i < 2 + gaps; ++i) {
    EXPECT_EQ(events[i]["key"], "z");
    EXPECT_EQ(events[i]["gap"], true);
    EXPECT_EQ(events[i]["op_number"], 1);
    EXPECT_FALSE(events[i].contains("value"));
  }
  const auto& deleted = events[2 + gaps];
  EXPECT_EQ(deleted["op"], "delete");
  EXPECT_EQ(deleted["exists"], false);
  EXPECT_TRUE(deleted["value"].is_null());
  EXPECT_EQ(events.back()["encoding"], "base64");
  EXPECT_EQ(events.back()["value"], "AAH/");
  const auto a = read_changes(prefixed, 3);
  ASSERT_EQ(a.size(), 3U);
  EXPECT_EQ(a[0]["key"], "a/1");
  EXPECT_EQ(a[1]["key"], "a/2");
  EXPECT_EQ(a[2]["op"], "delete");
  const auto l = read_changes(listed, 2 + gaps, 5s);
  ASSERT_EQ(l.size(), 2 + gaps);
  EXPECT_EQ(l.front()["key"], "a/1");
  EXPECT_EQ(l[1]["key"], "z");
  EXPECT_EQ(l.back()["key"], "a/1");
  EXPECT_EQ(l.back()["op"], "delete");
  EXPECT_TRUE(read_changes(prefixed, 1, 200ms).empty());
}

TEST(watch_e2e, long_polls_wait_for_the_next_changes) {
  server_process srv;
  http_client c(srv.port());
  create(c, "p");
  // Nothing yet: the poll times out with the cursor unchanged.
  const auto t0 = std::chrono::steady_clock::now();
  const auto empty = c.get(watch_url("p", "&wait=1"));
  ASSERT_EQ(empty.status, 200) << empty.body;
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 900ms);
  EXPECT_EQ(empty.json()["timed_out"], true);
  EXPECT_EQ(empty.json()["count"], 0);
  const auto head = empty.json()["last_seq"].get<std::int64_t>();
  // A write during the wait answers it.
  std::thread writer([&] {
    std::this_thread::sleep_for(300ms);
    http_client w(srv.port());
    EXPECT_EQ(w.put(api + "/kv/x?db=p", "1").status, 200);
  });
  const auto woke = c.get(watch_url("p", "&wait=30&since=" + std::to_string(head)));
  writer.join();
  ASSERT_EQ(woke.status, 200) << woke.body;
  EXPECT_EQ(woke.json()["count"], 1);
  EXPECT_EQ(woke.json()["timed_out"], false);
  EXPECT_EQ(woke.json()["events"][0]["key"], "x");
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(c.put(api + "/kv/y?db=p", std::to_string(i)).status, 200);
  }
  const auto since = woke.json()["last_seq"].get<std::int64_t>();
  const auto two = c.get(watch_url("p", "&wait=5&limit=2&since=" + std::to_string(since)));
  ASSERT_EQ(two.json()["count"], 2);
  EXPECT_EQ(two.json()["last_seq"], two.json()["events"][1]["seq"]);
  const auto rest = c.get(watch_url("p", "&wait=0&since=" + two.json()["last_seq"].dump()));
  EXPECT_EQ(rest.json()["count"], 3);
  // Bad input: clear 400s.
  EXPECT_EQ(c.get(watch_url("p", "&limit=2")).status, 400);
  EXPECT_EQ(c.get(watch_url("p", "&wait=61")).status, 400);
  EXPECT_EQ(c.get(watch_url("p", "&since=-1")).status, 400);
  EXPECT_EQ(c.get(watch_url("p", "&keys=,")).status, 400);
  EXPECT_EQ(c.get(watch_url("p", "&table=bad-name")).status, 400);
  EXPECT_EQ(c.request("GET", watch_url("p"), "", {{"Last-Event-ID", "12abc"}}).status, 400);
  EXPECT_EQ(c.get(watch_url("missing")).status, 404);
}

TEST(watch_e2e, heartbeats_and_a_clean_end_on_sigterm) {
  server_process srv({"--watch-heartbeat-ms", "200"});
  http_client c(srv.port());
  create(c, "b");
  sse_client s(srv.port(), watch_url("b"));
  ASSERT_EQ(s.head(), 200);
  EXPECT_FALSE(s.next(900ms).has_value());
  EXPECT_GE(s.comments, 3);  // the opening comment and heartbeats
  const auto t0 = std::chrono::steady_clock::now();
  std::thread stopper([&] { EXPECT_EQ(srv.stop(15), 0); });
  const auto last = s.next(5s);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->event, "shutdown");
  EXPECT_FALSE(s.next(5s).has_value());
  EXPECT_TRUE(s.eof());
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
}

TEST(watch_e2e, changes_by_another_process_on_the_same_file_are_seen) {
  hoody::test::temp_dir dir;
  server_process a({}, dir.path());
  server_process b({}, dir.path());
  http_client ca(a.port());
  http_client cb(b.port());
  create(ca, "shared");
  sse_client s(a.port(), watch_url("shared"));
  ASSERT_EQ(s.head(), 200);
  ASSERT_EQ(cb.put(api + "/kv/from-b?db=shared", "hello").status, 200);
  const auto events = read_changes(s, 1, 3s);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0]["key"], "from-b");
}

TEST(watch_e2e, the_watcher_limit_answers_429) {
  server_process srv({"--watch-max-watchers", "2"});
  http_client c(srv.port());
  create(c, "m");
  auto one = std::make_unique<sse_client>(srv.port(), watch_url("m"));
  sse_client two(srv.port(), watch_url("m"));
  ASSERT_EQ(one->head(), 200);
  ASSERT_EQ(two.head(), 200);
  const auto third = c.get(watch_url("m", "&wait=0"));
  EXPECT_EQ(third.status, 429) << third.body;
  one.reset();  // the server notices the closed connection and frees the slot
  EXPECT_TRUE(eventually([&] { return c.get(watch_url("m", "&wait=0")).status == 200; }));
}

TEST(watch_e2e, a_long_poll_whose_client_hangs_up_frees_its_place_at_once) {
  server_process srv({"--watch-max-watchers", "1"});
  http_client c(srv.port());
  create(c, "lp");
  {
    hoody::test::raw_socket waiting(srv.port());
    ASSERT_TRUE(waiting.ok());
    ASSERT_TRUE(
        waiting.send("GET " + watch_url("lp", "&wait=30") + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_TRUE(eventually([&] { return metric(srv.port(), "hoody_watchers") == 1; }));
    EXPECT_EQ(c.get(watch_url("lp", "&wait=0")).status, 429);  // the one place is taken
  }                                                            // hangs up 29 s before its wait ends
  const auto hung_up = std::chrono::steady_clock::now();
  EXPECT_TRUE(eventually([&] { return metric(srv.port(), "hoody_watchers") == 0; }, 5s));
  EXPECT_LT(hoody::test::seconds_since(hung_up), 5);
  EXPECT_EQ(c.get(watch_url("lp", "&wait=0")).status, 200);
  EXPECT_EQ(
      metric(
          srv.port(),
          R"(hoody_http_requests_total{method="GET",route="/api/v1/sqlite/kv/watch",status="499"})"),
      1);
}

TEST(watch_e2e, curl_reads_the_stream) {
  server_process srv;
  http_client c(srv.port());
  create(c, "c");
  ASSERT_EQ(c.put(api + "/kv/k?db=c", "first").status, 200);
  const std::string cmd = "curl -sN --max-time 2 'http://127.0.0.1:" + std::to_string(srv.port()) +
                          watch_url("c", "&since=0") + "'";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) {
    out.append(buf, n);
  }
  ::pclose(pipe);
  EXPECT_NE(out.find("id: 1\nevent: change\ndata: {"), std::string::npos) << out;
  EXPECT_NE(out.find("\"value\":\"first\""), std::string::npos) << out;
}

}  // namespace
