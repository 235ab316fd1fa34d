// Issue 18 item 2: GET /readyz (open like /health) and --drain-delay-ms. On SIGTERM /readyz
// answers 503 at once while /health stays 200 and requests (also on new connections) are still
// served during the delay; then the normal shutdown follows. Without a delay: today's prompt
// stop.
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>

namespace {
using hoody::test::http_client;
using hoody::test::server_process;
using json = nlohmann::json;
using steady = std::chrono::steady_clock;

using hoody::test::api;
using hoody::test::seconds_since;
using hoody::test::text_plain;

TEST(ops_readyz_e2e, ready_without_a_token_when_tokens_are_set) {
  server_process srv({"--auth-token", "secret"});
  http_client c(srv.port());
  const auto r = c.get(api + "/readyz");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["status"], "ready");
  EXPECT_EQ(r.json()["ready"], true);
  EXPECT_EQ(r.json()["role"], "primary");
  EXPECT_EQ(c.get(api + "/kv?db=x").status, 401);  // the API itself still needs the token
}

TEST(ops_readyz_e2e, sigterm_drains_for_the_delay_then_stops) {
  server_process srv({"--drain-delay-ms", "1500", "--access-log", "false"});
  http_client c(srv.port());
  ASSERT_EQ(c.post(api + "/db/create?path=d", json::object()).status, 201);
  ASSERT_EQ(c.get(api + "/readyz").status, 200);

  const auto sent = steady::now();
  ASSERT_EQ(::kill(srv.pid(), SIGTERM), 0);
  // /readyz turns 503 at once; /health stays 200 on the same keep-alive connection.
  int ready_status = 200;
  json ready_body;
  while (ready_status == 200 && seconds_since(sent) < 0.5) {
    const auto r = c.get(api + "/readyz");
    ready_status = r.status;
    if (r.status == 503) {
      ready_body = r.json();
    }
  }
  EXPECT_EQ(ready_status, 503);
  EXPECT_LT(seconds_since(sent), 0.5);
  EXPECT_EQ(ready_body["status"], "draining") << ready_body;
  EXPECT_EQ(ready_body["ready"], false);
  EXPECT_EQ(c.get(api + "/health").status, 200);

  // One second after SIGTERM a new connection is still accepted and a write is served.
  std::this_thread::sleep_for(std::chrono::milliseconds(1000) - (steady::now() - sent));
  {
    http_client fresh(srv.port());
    const auto w = fresh.put(api + "/kv/late?db=d", "still served", text_plain);
    EXPECT_EQ(w.status, 200) << w.body;
    EXPECT_EQ(fresh.get(api + "/readyz").status, 503);
  }
  // Then it stops by itself, cleanly, once the delay has passed.
  const int code = srv.stop(0, 10000);  // signal 0: only wait
  const double stopped_after = seconds_since(sent);
  EXPECT_EQ(code, 0) << srv.output();
  EXPECT_GE(stopped_after, 1.4);
  EXPECT_LT(stopped_after, 4.0);
  EXPECT_NE(srv.output().find("draining"), std::string::npos) << srv.output();
}

TEST(ops_readyz_e2e, a_second_sigterm_ends_the_drain) {
  server_process srv({"--drain-delay-ms", "60000", "--access-log", "false"});
  http_client c(srv.port());
  const auto sent = steady::now();
  ASSERT_EQ(::kill(srv.pid(), SIGTERM), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(c.get(api + "/readyz").status, 503);
  EXPECT_EQ(srv.stop(SIGTERM, 10000), 0) << srv.output();
  EXPECT_LT(seconds_since(sent), 3.0);
}

TEST(ops_readyz_e2e, without_a_delay_sigterm_stops_at_once) {
  server_process srv({"--access-log", "false"});
  http_client c(srv.port());
  ASSERT_EQ(c.get(api + "/readyz").status, 200);
  const auto sent = steady::now();
  EXPECT_EQ(srv.stop(SIGTERM, 10000), 0) << srv.output();
  EXPECT_LT(seconds_since(sent), 1.0);
}

}  // namespace
