// In-process server on port 0, spoken to over real sockets: the HTTP core's generic behaviour.
#include "hoody/http/server.hpp"

#include "hoody/db/read_cache.hpp"

#include "support/http_client.hpp"
#include "support/server_process.hpp"
#include "support/sse_client.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace {
using hoody::test::http_client;

class server_test : public ::testing::Test {
 protected:
  void SetUp() override {
    hoody::config cfg;
    cfg.host = "127.0.0.1";
    cfg.port = 0;
    cfg.data_dir = dir.path();
    cfg.max_body_bytes = 1024;
    cfg.access_log = false;
    srv = std::make_unique<hoody::http::server>(cfg);
    runner = std::thread([this] { srv->run(); });
  }
  void TearDown() override {
    srv->stop();
    runner.join();
  }
  [[nodiscard]] std::uint16_t port() const { return srv->port(); }

  hoody::test::temp_dir dir;
  std::unique_ptr<hoody::http::server> srv;
  std::thread runner;
};

TEST_F(server_test, routes_404_is_json) {
  http_client c(port());
  const auto res = c.get("/api/v1/sqlite/does-not-exist");
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(res.header("content-type"), "application/json");
  EXPECT_EQ(res.json()["code"], "NOT_FOUND");
  EXPECT_TRUE(res.json()["error"].is_string());
}

TEST_F(server_test, routes_405_lists_allow) {
  http_client c(port());
  const auto res = c.request("DELETE", "/api/v1/sqlite/health");
  EXPECT_EQ(res.status, 405);
  EXPECT_EQ(res.header("allow"), "GET, HEAD");
  EXPECT_EQ(res.json()["code"], "METHOD_NOT_ALLOWED");
}

TEST_F(server_test, routes_413_for_oversize_body) {
  http_client c(port());
  const auto res = c.request("POST", "/api/v1/sqlite/db?db=x", std::string(4096, 'a'));
  EXPECT_EQ(res.status, 413);
  EXPECT_EQ(res.json()["code"], "PAYLOAD_TOO_LARGE");
  http_client again(port());
  EXPECT_EQ(again.get("/api/v1/sqlite/health").status, 200) << "server keeps serving";
}

TEST_F(server_test, routes_400_for_malformed_requests) {
  const char* bad[] = {
      "GARBAGE\r\n\r\n",
      "GET /api/v1/sqlite/health HTTP/9.9\r\n\r\n",
      "GET /api/v1/sqlite/health HTTP/1.1\r\nBad Header Line\r\n\r\n",
      "POST /api/v1/sqlite/db HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
      "GET /api/v1/sqlite/kv/%zz?db=x HTTP/1.1\r\nHost: x\r\n\r\n",
  };
  for (const char* request : bad) {
    http_client c(port());
    const auto res = c.raw(request);
    EXPECT_EQ(res.status, 400) << request;
    EXPECT_FALSE(res.json()["error"].get<std::string>().empty()) << request;
  }
  http_client c(port());
  EXPECT_EQ(c.get("/api/v1/sqlite/health").status, 200);
}

TEST_F(server_test, oversize_headers_are_refused) {
  http_client c(port());
  const auto res = c.raw(
      "GET /api/v1/sqlite/health HTTP/1.1\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n");
  EXPECT_EQ(res.status, 431);
}

TEST_F(server_test, head_has_length_but_no_body) {
  http_client c(port());
  const auto get = c.get("/api/v1/sqlite/health");
  const auto head = c.request("HEAD", "/api/v1/sqlite/health");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_FALSE(head.header("content-length").empty());
  EXPECT_EQ(c.get("/api/v1/sqlite/health").status, 200) << "connection still in sync after HEAD";
  (void)get;
}

TEST_F(server_test, keep_alive_and_pipelining_answer_in_order) {
  http_client c(port());
  std::string pipelined;
  for (int i = 0; i < 5; ++i) {
    pipelined += "GET /api/v1/sqlite/health HTTP/1.1\r\nHost: x\r\n\r\n";
  }
  pipelined += "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  const std::string all = c.raw_until_close(pipelined);
  std::size_t pos = 0;
  std::vector<std::string> statuses;
  while ((pos = all.find("HTTP/1.1 ", pos)) != std::string::npos) {
    statuses.push_back(all.substr(pos + 9, 3));
    pos += 9;
  }
  EXPECT_EQ(statuses, (std::vector<std::string>{"200", "200", "200", "200", "200", "404"}));
}

TEST_F(server_test, expect_100_continue_is_answered) {
  http_client c(port());
  const auto res = c.request("POST", "/api/v1/sqlite/health", "{}", {{"Expect", "100-continue"}});
  EXPECT_EQ(res.status, 405);
}

TEST_F(server_test, health_reports_cache_and_pid) {
  http_client c(port());
  const auto body = c.get("/api/v1/sqlite/health").json();
  EXPECT_EQ(body["status"], "ok");
  EXPECT_EQ(body["service"], "hoody-sqlite");
  EXPECT_TRUE(body["pid"].is_number_integer());
  for (const char* field : {"open_databases", "hits", "misses", "evictions"}) {
    EXPECT_TRUE(body["cache"].contains(field)) << field;
  }
  const auto cache = c.get("/api/v1/sqlite/health/cache").json();
  EXPECT_EQ(cache, body["cache"]);
}

// The response framing written by the session itself (not Beast): exact wire bytes.
TEST_F(server_test, wire_format_of_responses) {
  {
    http_client c(port());
    const std::string all = c.raw_until_close(
        "GET /api/v1/sqlite/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    ASSERT_EQ(all.rfind("HTTP/1.1 200 OK\r\n", 0), 0U) << all;
    EXPECT_NE(all.find("\r\nServer: hoody-sqlite/"), std::string::npos);
    EXPECT_NE(all.find("\r\nContent-Type: application/json\r\n"), std::string::npos);
    EXPECT_NE(all.find("\r\nConnection: close\r\n"), std::string::npos);
    const auto head_end = all.find("\r\n\r\n");
    ASSERT_NE(head_end, std::string::npos);
    const std::string body = all.substr(head_end + 4);
    EXPECT_NE(all.find("\r\nContent-Length: " + std::to_string(body.size()) + "\r\n"),
              std::string::npos)
        << all;
    EXPECT_EQ(nlohmann::json::parse(body)["status"], "ok");
  }
  {
    // HTTP/1.0 with keep-alive: answered as 1.0 and kept open (two answers on one connection).
    http_client c(port());
    const std::string all = c.raw_until_close(
        "GET /api/v1/sqlite/health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
        "GET /api/v1/sqlite/health HTTP/1.0\r\n\r\n");
    ASSERT_EQ(all.rfind("HTTP/1.0 200 OK\r\n", 0), 0U) << all;
    EXPECT_NE(all.find("\r\nConnection: keep-alive\r\n"), std::string::npos) << all;
    EXPECT_NE(all.find("HTTP/1.0 200 OK\r\n", 10), std::string::npos) << all;
  }
  {
    // 304: no body and no Content-Length; the connection stays usable.
    http_client c(port());
    const auto etag = c.get("/").header("etag");
    ASSERT_FALSE(etag.empty());
    const std::string all = c.raw_until_close(
        "GET / HTTP/1.1\r\nHost: x\r\nIf-None-Match: " + etag + "\r\nConnection: close\r\n\r\n");
    ASSERT_EQ(all.rfind("HTTP/1.1 304 Not Modified\r\n", 0), 0U) << all;
    EXPECT_EQ(all.find("Content-Length"), std::string::npos) << all;
    EXPECT_EQ(all.substr(all.find("\r\n\r\n") + 4), "") << all;
  }
}

// Reads through the read cache while a writer commits: every reader sees the values in commit
// order (never an older value after a newer one) and ends on the last one. Runs under TSan
// (concurrency label) with the cache's lookups on the I/O threads.
TEST_F(server_test, cached_reads_follow_concurrent_writes_in_order) {
  const std::string key = "/api/v1/sqlite/kv/counter?db=cache";
  {
    http_client w(port());
    ASSERT_EQ(w.put(key + "&create_db_if_missing=true", "0").status, 200);
  }
  constexpr int last = 300;
  const auto hits_before = hoody::db::global_read_cache_totals().hits;
  std::atomic<bool> done{false};
  std::vector<std::thread> readers;
  std::atomic<int> violations{0};
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      http_client c(port());
      int seen = 0;
      while (!done.load()) {
        const auto res = c.get(key);
        const int value = res.status == 200 ? std::stoi(res.body) : -1;
        if (value < seen) {
          violations.fetch_add(1);
        }
        seen = std::max(seen, value);
      }
      if (std::stoi(c.get(key).body) != last) {
        violations.fetch_add(1);
      }
    });
  }
  {
    http_client w(port());
    for (int i = 1; i <= last; ++i) {
      ASSERT_EQ(w.put(key, std::to_string(i)).status, 200);
    }
  }
  done = true;
  for (auto& t : readers) {
    t.join();
  }
  EXPECT_EQ(violations.load(), 0);
  EXPECT_GT(hoody::db::global_read_cache_totals().hits, hits_before) << "the cache was used";
}

TEST_F(server_test, web_ui_is_served_from_the_binary) {
  http_client c(port());
  const auto res = c.get("/");
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.header("content-type"), "text/html; charset=utf-8");
  const auto etag = res.header("etag");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(c.request("GET", "/", {}, {{"If-None-Match", etag}}).status, 304);
  EXPECT_EQ(c.get("/no-such-file.js").status, 404);
}

// The change feed's threads together (the clock, the read pool, the writer strand, the I/O
// threads): watchers that replay, follow, leave early and long-poll while writers write; the
// server stops with streams open. Run under TSan by `make sanitize` (the concurrency label).
TEST_F(server_test, watchers_follow_concurrent_writers_and_end_at_shutdown) {
  const std::string api = "/api/v1/sqlite";
  http_client c(port());
  ASSERT_EQ(c.post(api + "/db/create?path=feed", nlohmann::json::object()).status, 201);
  constexpr int writers = 4;
  constexpr int per_writer = 150;
  std::atomic<int> written{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < writers; ++t) {
    threads.emplace_back([&, t] {
      http_client w(port());
      for (int i = 0; i < per_writer; ++i) {
        if (w.put(api + "/kv/k" + std::to_string(t) + "?db=feed", std::to_string(i)).status ==
            200) {
          written.fetch_add(1);
        }
      }
    });
  }
  std::atomic<int> complete{0};
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      // t = 0: replays from the start and reads every change; t = 1, 2: leave early.
      hoody::test::sse_client s(port(), api + "/kv/watch?db=feed&since=0");
      const int want = t == 0 ? writers * per_writer : 20 * (t + 1);
      std::int64_t last = 0;
      int got = 0;
      while (got < want) {
        auto e = s.next(std::chrono::seconds(20));
        if (!e) {
          break;
        }
        if (e->event == "change") {
          const auto seq = std::stoll(e->id);
          EXPECT_GT(seq, last);
          last = seq;
          ++got;
        }
      }
      EXPECT_EQ(got, want);
      complete.fetch_add(1);
    });
  }
  threads.emplace_back([&] {
    http_client p(port());
    std::int64_t since = 0;
    int got = 0;
    while (got < writers * per_writer) {
      const auto r =
          p.get(api + "/kv/watch?db=feed&wait=5&limit=50&since=" + std::to_string(since));
      ASSERT_EQ(r.status, 200) << r.body;
      got += r.json()["count"].get<int>();
      since = r.json()["last_seq"].get<std::int64_t>();
      if (r.json()["timed_out"] == true) {
        break;
      }
    }
    EXPECT_EQ(got, writers * per_writer);
  });
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(written.load(), writers * per_writer);
  EXPECT_EQ(complete.load(), 3);
  // Streams still open when the server stops: TearDown's stop() must not wait on them.
  hoody::test::sse_client open1(port(), api + "/kv/watch?db=feed");
  hoody::test::sse_client open2(port(), api + "/kv/watch?db=feed&since=10");
  EXPECT_EQ(open1.head(), 200);
  EXPECT_EQ(open2.head(), 200);
}

}  // namespace
