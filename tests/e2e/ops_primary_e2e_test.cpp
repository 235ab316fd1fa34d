// Issue 18 item 4: --primary-file. While the file is missing the node is a standby: every
// request that would write (write and exclusive routes, POST /db when it writes, anything that
// would create a database file) answers 503 NOT_PRIMARY whatever the token, reads are served,
// /readyz answers 503 with role "standby" and the TTL sweep does not run. Creating the file makes
// the node primary within ~0.5 s (the check is a cached stat, at most every 100 ms); removing it
// fences it again as fast.
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <thread>

namespace {
using hoody::test::http_client;
using hoody::test::server_process;
using hoody::test::temp_dir;
using json = nlohmann::json;
using steady = std::chrono::steady_clock;
namespace fs = std::filesystem;

using hoody::test::api;
using hoody::test::seconds_since;
const std::map<std::string, std::string> auth{{"Authorization", "Bearer secret"}};
using hoody::test::text_plain;
const std::map<std::string, std::string> auth_text{{"Authorization", "Bearer secret"},
                                                   {"Content-Type", "text/plain"}};

// The client calls with the full token (--auth-token secret).
hoody::test::http_response get(http_client& c, const std::string& target) {
  return c.request("GET", target, {}, auth);
}
hoody::test::http_response del(http_client& c, const std::string& target) {
  return c.request("DELETE", target, {}, auth);
}
hoody::test::http_response post(http_client& c, const std::string& target, const json& body) {
  return c.request("POST", target, body.dump(), auth);
}

json sql_body(const std::string& statement) {
  return {{"transaction", {{{"statement", statement}}}}};
}

void expect_not_primary(const hoody::test::http_response& r) {
  EXPECT_EQ(r.status, 503) << r.body;
  if (r.status == 503) {
    EXPECT_EQ(r.json()["code"], "NOT_PRIMARY") << r.body;
  }
}

// Seconds until `ok` holds (polled every 10 ms), or -1 after `limit_s`.
double seconds_until(const std::function<bool()>& ok, double limit_s) {
  const auto start = steady::now();
  while (true) {
    const double t = seconds_since(start);
    if (ok()) {
      return t;
    }
    if (t > limit_s) {
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void touch(const fs::path& file) {
  std::ofstream(file) << "lease\n";
}

std::uint64_t ttl_sweeps(http_client& c) {
  const auto r = get(c, "/metrics");
  const std::string name = "\nhoody_ttl_sweeps_total ";
  const auto at = r.body.find(name);
  if (at == std::string::npos) {
    ADD_FAILURE() << "no hoody_ttl_sweeps_total in /metrics: " << r.body.substr(0, 300);
    return 0;
  }
  return std::stoull(r.body.substr(at + name.size()));
}

class ops_primary_e2e : public ::testing::Test {
 protected:
  void SetUp() override {
    // A first run (no --primary-file) leaves a database with a key and a table.
    server_process first({"--access-log", "false"}, data_.path());
    http_client c(first.port());
    ASSERT_EQ(c.put(api + "/kv/k?db=app&create_db_if_missing=true", "v", text_plain).status, 200);
    ASSERT_EQ(c.post(api + "/db?db=app", sql_body("CREATE TABLE t (x)")).status, 200);
    ASSERT_EQ(c.post(api + "/db?db=app", sql_body("INSERT INTO t VALUES (1)")).status, 200);
    ASSERT_EQ(first.stop(), 0);
    ASSERT_TRUE(fs::exists(data_.path() / "app.db"));
  }

  temp_dir data_;
  temp_dir lease_dir_;
  fs::path lease_ = lease_dir_.path() / "primary";
};

TEST_F(ops_primary_e2e, a_standby_serves_reads_and_refuses_every_write) {
  ASSERT_FALSE(fs::exists(lease_));
  server_process srv(
      {"--primary-file", lease_.string(), "--auth-token", "secret", "--access-log", "false"},
      data_.path());
  http_client c(srv.port());

  // Reads are served.
  auto r = get(c, api + "/kv/k?db=app");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "v");
  r = post(c, api + "/db?db=app", {{"transaction", {{{"query", "SELECT x FROM t"}}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["results"][0]["resultSet"][0]["x"], 1);
  EXPECT_EQ(get(c, api + "/query?db=app&sql=SELECT%201").status, 200);
  EXPECT_EQ(get(c, api + "/history?db=app").status, 200);  // kept in memory on a standby
  EXPECT_EQ(c.get(api + "/health").status, 200);

  // Writes are refused, with the full token too.
  r = c.put(api + "/kv/k?db=app", "w", auth_text);
  expect_not_primary(r);
  EXPECT_NE(r.header("retry-after"), "");
  expect_not_primary(del(c, api + "/kv/k?db=app"));
  expect_not_primary(post(c, api + "/kv/n/incr?db=app", json::object()));
  expect_not_primary(post(c, api + "/db?db=app", sql_body("INSERT INTO t VALUES (2)")));
  expect_not_primary(post(c, api + "/maintenance?db=app", {{"op", "wal_checkpoint_truncate"}}));
  EXPECT_EQ(get(c, api + "/kv/k?db=app").body, "v");  // nothing changed

  // No database file is created.
  expect_not_primary(post(c, api + "/db/create?db=fresh1", json::object()));
  expect_not_primary(post(c, api + "/db?db=fresh2&create_db_if_missing=true",
                          {{"transaction", {{{"query", "SELECT 1"}}}}}));
  expect_not_primary(c.put(api + "/kv/a?db=fresh3&create_db_if_missing=true", "1", auth_text));
  expect_not_primary(
      post(c, api + "/kv/batch/set?db=fresh4", {{"items", {{{"key", "a"}, {"value", "1"}}}}}));
  for (const char* name : {"fresh1", "fresh2", "fresh3", "fresh4"}) {
    EXPECT_FALSE(fs::exists(data_.path() / (std::string(name) + ".db"))) << name;
  }

  // /readyz: 503, role standby.
  r = c.get(api + "/readyz");
  ASSERT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.json()["role"], "standby");
  EXPECT_EQ(r.json()["ready"], false);
  EXPECT_EQ(r.json()["status"], "standby");

  // The lease file appears: writes work within 0.5 s, /readyz 200 role primary.
  touch(lease_);
  const double promoted =
      seconds_until([&] { return c.put(api + "/kv/k?db=app", "w", auth_text).status == 200; }, 2.0);
  EXPECT_GE(promoted, 0) << "still refused 2 s after the lease file appeared";
  EXPECT_LT(promoted, 0.5);
  r = c.get(api + "/readyz");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["role"], "primary");
  EXPECT_EQ(post(c, api + "/db?db=app", sql_body("INSERT INTO t VALUES (2)")).status, 200);
  EXPECT_EQ(post(c, api + "/db/create?db=fresh1", json::object()).status, 201);

  // It disappears (the watchdog lost the lease): refused again within 0.5 s.
  fs::remove(lease_);
  const double fenced =
      seconds_until([&] { return c.put(api + "/kv/k?db=app", "x", auth_text).status == 503; }, 2.0);
  EXPECT_GE(fenced, 0) << "still writable 2 s after the lease file was removed";
  EXPECT_LT(fenced, 0.5);
  expect_not_primary(c.put(api + "/kv/k?db=app", "y", auth_text));
  const std::string value = get(c, api + "/kv/k?db=app").body;  // "x" if a poll got through first
  EXPECT_TRUE(value == "w" || value == "x") << value;
  EXPECT_EQ(c.get(api + "/readyz").json()["role"], "standby");
}

TEST_F(ops_primary_e2e, a_standby_runs_no_ttl_sweep) {
  server_process srv({"--primary-file", lease_.string(), "--auth-token", "secret",
                      "--ttl-sweep-interval", "1", "--access-log", "false"},
                     data_.path());
  http_client c(srv.port());
  ASSERT_EQ(get(c, api + "/kv/k?db=app").status, 200);  // opens the database
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(ttl_sweeps(c), 0U);  // the open database would have been swept twice
  touch(lease_);
  EXPECT_GE(seconds_until([&] { return ttl_sweeps(c) > 0; }, 3.0), 0)
      << "no TTL sweep 3 s after the node became primary";
}

TEST_F(ops_primary_e2e, without_the_flag_the_node_is_always_primary) {
  server_process srv({"--access-log", "false"}, data_.path());
  http_client c(srv.port());
  EXPECT_EQ(c.put(api + "/kv/k?db=app", "w", text_plain).status, 200);
  const auto r = c.get(api + "/readyz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["role"], "primary");
}

}  // namespace
