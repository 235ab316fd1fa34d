// Issue 14, item 5: clients that request a large result (~27 MB) and never read it must not
// grow the server's memory without bound: the bytes of unsent response bodies are bounded
// (--max-buffered-response-bytes; a large response over the budget answers 503 UNAVAILABLE),
// RSS stays under 256 MB with 12 and with 100 such clients, and others are served meanwhile.
#include "fault_support.hpp"
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/metrics_text.hpp"
#include "support/raw_socket.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace {
namespace fs = std::filesystem;
using hoody::test::http_client;
using hoody::test::server_process;
using hoody::test::sqlite_file;
using hoody::test::temp_dir;
using json = nlohmann::json;
using steady = std::chrono::steady_clock;

using hoody::test::api;
using hoody::test::seconds_since;
using hoody::test::text_plain;

// 10,000 rows (the per-query row cap) of ~2.7 KB: a ~27 MB JSON result.
void make_big(const fs::path& file) {
  sqlite_file db(file);
  db.exec("PRAGMA journal_mode=WAL");
  db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT)");
  db.exec(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000) "
      "INSERT INTO t SELECT i, hex(randomblob(1350)) FROM n");
}

// A connection that sends one request for the big result and never reads.
int stuck_client(std::uint16_t port) {
  const int fd = hoody::test::connect_loopback(port, 4096);
  if (fd < 0) {
    return -1;
  }
  const std::string req =
      "GET " + api + "/query?db=big&sql=SELECT%20*%20FROM%20t HTTP/1.1\r\nHost: x\r\n\r\n";
  (void)::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  return fd;
}

double query_requests(http_client& c) {
  const auto m = c.get("/metrics").body;
  double total = 0;
  for (const char* status : {"200", "503"}) {
    total += hoody::test::metric_value(
        m, std::string("hoody_http_requests_total{method=\"GET\",route=\"") + api +
               "/query\",status=\"" + status + "\"}");
  }
  return total;
}

void run_stuck_clients(int count) {
  temp_dir dir;
  make_big(dir.path() / "big.db");
  // Two read threads, as on the 2-core machine the issue was measured on: each thread building a
  // result holds about twice its size while it does (docs/operations.md, Memory).
  server_process srv({"--access-log", "false", "--read-threads", "2"}, dir.path());
  http_client c(srv.port());
  ASSERT_EQ(c.post(api + "/db/create?path=small", json::object()).status, 201);
  const std::size_t baseline = hoody::test::rss_kib(srv.pid());

  std::vector<int> fds;
  for (int i = 0; i < count; ++i) {
    const int fd = stuck_client(srv.port());
    ASSERT_GE(fd, 0);
    fds.push_back(fd);
  }
  // While the results are produced and stuck: sample RSS, and serve another client.
  std::size_t peak = 0;
  int served = 0;
  int served_meanwhile = 0;
  double slowest = 0;
  const auto deadline = steady::now() + std::chrono::seconds(90);
  bool all_answered = false;
  for (int i = 0; steady::now() < deadline; ++i) {
    peak = std::max(peak, hoody::test::rss_kib(srv.pid()));
    const auto started = steady::now();
    const std::string key = "k" + std::to_string(i);
    ASSERT_EQ(c.put(api + "/kv/" + key + "?db=small", "v", text_plain).status, 200);
    const auto put_done = steady::now();
    ASSERT_EQ(c.get(api + "/kv/" + key + "?db=small").body, "v");
    const double took = seconds_since(started);
    if (took > 2.0) {
      std::cout << "slow: put " << std::chrono::duration<double>(put_done - started).count()
                << " s, get " << std::chrono::duration<double>(steady::now() - put_done).count()
                << " s at iteration " << i << "\n";
    }
    slowest = std::max(slowest, took);
    ++served;
    if (query_requests(c) < count) {
      ++served_meanwhile;  // while stuck requests were still being produced
    } else if (!all_answered) {
      all_answered = true;  // every stuck request has its answer; keep sampling a little
      for (int j = 0; j < 20; ++j) {
        peak = std::max(peak, hoody::test::rss_kib(srv.pid()));
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(all_answered) << "the stuck requests were not all answered in time";
  std::cout << count << " stuck clients: RSS baseline " << baseline / 1024 << " MiB, peak "
            << peak / 1024 << " MiB; " << served << " other requests served (" << served_meanwhile
            << " meanwhile), slowest " << slowest << " s\n";
  EXPECT_LT(peak, 256U * 1024U) << "RSS grew past 256 MiB";
  // Other requests wait for at most one result being built per read thread (fair read queues),
  // never for all of them: they are served while the stuck requests are still being answered.
  // (A 27 MB result takes 0.5–3 s to build on a busy 2-core machine: the bound is loose.)
  EXPECT_GE(served_meanwhile, 3) << "nobody else was served while the stuck requests ran";
  EXPECT_LT(slowest, 15.0) << "other clients were held up";
  // The budget (64 MiB by default) holds two such results: the rest were refused with 503.
  const auto metrics = c.get("/metrics").body;
  EXPECT_GT(hoody::test::metric_value(metrics, "hoody_http_requests_total{method=\"GET\",route=\"" +
                                                   api + "/query\",status=\"503\"}"),
            0)
      << "no large response was refused";
  for (const int fd : fds) {
    ::close(fd);
  }
  // Their buffers are released with the connections: a client that reads gets the whole result.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  {
    http_client full(srv.port(), std::chrono::seconds(60));
    const auto all = full.get(api + "/query?db=big&sql=SELECT%20*%20FROM%20t");
    EXPECT_EQ(all.status, 200) << all.body.substr(0, 200);
    EXPECT_GT(all.body.size(), 27000000U);
  }
  // Still serving, and a client that does read gets the whole result.
  http_client reader(srv.port(), std::chrono::seconds(60));
  const auto big = reader.get(api + "/query?db=big&sql=SELECT%20count(*)%20AS%20n%20FROM%20t");
  EXPECT_EQ(big.status, 200) << big.body;
  EXPECT_EQ(srv.stop(), 0);
  sqlite_file check(dir.path() / "small.db");
  EXPECT_EQ(check.integrity(), "ok");
  for (int i = 0; i < served; ++i) {
    EXPECT_TRUE(check.kv("k" + std::to_string(i)).has_value()) << i;
  }
}

// One test (not two that ctest may run at once): each alone measures the server's memory.
TEST(stuck_clients, twelve_then_a_hundred_never_reading_a_27mb_result_keep_rss_under_256mb) {
  run_stuck_clients(12);
  run_stuck_clients(100);
}

}  // namespace
