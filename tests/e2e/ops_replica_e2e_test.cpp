// Issue 18 item 3: --read-only replica mode. A replica opens reader connections only (SQLite's
// immutable mode) and never creates or writes a file: every write route, POST /db when it would
// write and anything that would create a database answer 403 READ_ONLY_REPLICA whatever the
// token; reads are served; no TTL sweep or retention runs; /readyz answers 200 with role
// "replica". A file replaced whole (restore into a temporary, then rename over the name, as
// `litestream restore` does) is served within 1.5 s; a file some process writes in place (a
// non-empty -wal) is refused with 503 rather than read torn.
#include "support/e2e_fixture.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>

namespace {
using hoody::test::api;
using hoody::test::http_client;
using hoody::test::server_process;
using hoody::test::temp_dir;
using json = nlohmann::json;
using steady = std::chrono::steady_clock;
namespace fs = std::filesystem;

const std::map<std::string, std::string> auth{{"Authorization", "Bearer secret"}};
const std::map<std::string, std::string> auth_text{{"Authorization", "Bearer secret"},
                                                   {"Content-Type", "text/plain"}};

hoody::test::http_response get(http_client& c, const std::string& target) {
  return c.request("GET", target, {}, auth);
}
hoody::test::http_response post(http_client& c, const std::string& target, const json& body) {
  return c.request("POST", target, body.dump(), auth);
}

json sql_body(const std::string& statement) {
  return {{"transaction", {{{"statement", statement}}}}};
}
json query_body(const std::string& query) {
  return {{"transaction", {{{"query", query}}}}};
}

void expect_replica_refusal(const hoody::test::http_response& r, const std::string& what) {
  EXPECT_EQ(r.status, 403) << what << ": " << r.body;
  if (r.status == 403) {
    EXPECT_EQ(r.json()["code"], "READ_ONLY_REPLICA") << what << ": " << r.body;
  }
}

std::string file_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Every entry of `dir` with its size and modification time: the replica must change none.
std::set<std::string> listing(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().starts_with(".")) {
      continue;  // the test's own files: the server's log and port file (server_process)
    }
    out.insert(e.path().filename().string() + " " + std::to_string(e.file_size()) + " " +
               std::to_string(e.last_write_time().time_since_epoch().count()));
  }
  return out;
}

// Seconds until `ok` holds (polled every 5 ms), or -1 after `limit_s`.
double seconds_until(const std::function<bool()>& ok, double limit_s) {
  const auto start = steady::now();
  while (true) {
    const double t = std::chrono::duration<double>(steady::now() - start).count();
    if (ok()) {
      return t;
    }
    if (t > limit_s) {
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::uint64_t counter(http_client& c, const std::string& name) {
  const auto r = get(c, "/metrics");
  const auto at = r.body.find("\n" + name + " ");
  if (at == std::string::npos) {
    ADD_FAILURE() << "no " << name << " in /metrics";
    return 0;
  }
  return std::stoull(r.body.substr(at + name.size() + 2));
}

// Writes `app.db` in `dir` with a primary (a normal server, stopped: the WAL is folded back at
// close), holding key k = `value`, an expired key and table t with x = `x`.
void write_primary_copy(const fs::path& dir, const std::string& value, int x) {
  server_process primary({"--access-log", "false", "--ttl-sweep-interval", "3600"}, dir);
  http_client c(primary.port());
  ASSERT_EQ(
      c.put(api + "/kv/k?db=app&create_db_if_missing=true", value, hoody::test::text_plain).status,
      200);
  ASSERT_EQ(c.put(api + "/kv/gone?db=app&ttl=1", "old", hoody::test::text_plain).status, 200);
  ASSERT_EQ(c.post(api + "/db?db=app", sql_body("CREATE TABLE IF NOT EXISTS t (x)")).status, 200);
  ASSERT_EQ(c.post(api + "/db?db=app", sql_body("DELETE FROM t")).status, 200);
  ASSERT_EQ(c.post(api + "/db?db=app", sql_body("INSERT INTO t VALUES (" + std::to_string(x) + ")"))
                .status,
            200);
  ASSERT_EQ(primary.stop(), 0);
}

class ops_replica_e2e : public ::testing::Test {
 protected:
  void SetUp() override {
    write_primary_copy(data_.path(), "v1", 1);
    ASSERT_TRUE(fs::exists(data_.path() / "app.db"));
    ASSERT_FALSE(fs::exists(data_.path() / "app.db-wal"));
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // key `gone` has expired
  }

  server_process replica(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--read-only", "--auth-token", "secret", "--access-log", "false"};
    args.insert(args.end(), extra.begin(), extra.end());
    return server_process(args, data_.path());
  }

  temp_dir data_;
};

TEST_F(ops_replica_e2e, serves_reads_and_refuses_every_write_whatever_the_token) {
  const auto before = listing(data_.path());
  const auto bytes = file_bytes(data_.path() / "app.db");
  {
    auto srv = replica();
    http_client c(srv.port());

    // Reads: KV, SQL (POST /db and GET /query), lists, time travel, history, health.
    auto r = get(c, api + "/kv/k?db=app");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, "v1");
    EXPECT_EQ(get(c, api + "/kv/gone?db=app").status, 404);  // expired, though never swept
    r = post(c, api + "/db?db=app", query_body("SELECT x FROM t"));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["results"][0]["resultSet"][0]["x"], 1);
    r = get(c, api + "/query?db=app&sql=U0VMRUNUIHggRlJPTSB0");  // SELECT x FROM t
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body.find("\"x\":1") != std::string::npos, true) << r.body;
    EXPECT_EQ(get(c, api + "/kv?db=app").status, 200);
    EXPECT_EQ(get(c, api + "/kv/k/history?db=app").status, 200);
    r = get(c, api + "/history?db=app");  // kept in memory: the file is never written
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(get(c, api + "/health").status, 200);
    EXPECT_EQ(get(c, api + "/kv/k?db=nothing-here").status, 404);

    // Writes: 403 READ_ONLY_REPLICA with the full token.
    expect_replica_refusal(c.put(api + "/kv/k?db=app", "w", auth_text), "PUT");
    expect_replica_refusal(c.request("DELETE", api + "/kv/k?db=app", {}, auth), "DELETE");
    expect_replica_refusal(post(c, api + "/kv/n/incr?db=app", json::object()), "incr");
    expect_replica_refusal(
        post(c, api + "/kv/batch/set?db=app", {{"items", {{{"key", "a"}, {"value", "1"}}}}}),
        "batch set");
    expect_replica_refusal(post(c, api + "/db?db=app", sql_body("INSERT INTO t VALUES (2)")),
                           "POST /db INSERT");
    expect_replica_refusal(post(c, api + "/db?db=app", query_body("CREATE TABLE u (y)")),
                           "POST /db DDL");
    expect_replica_refusal(
        post(c, api + "/maintenance?db=app", {{"op", "wal_checkpoint_truncate"}}), "checkpoint");
    expect_replica_refusal(post(c, api + "/kv/k/rollback?db=app&confirm=yes", json::object()),
                           "rollback");
    // The query history of a replica lives in memory (it writes no file): clearing it is no write.
    EXPECT_EQ(c.request("DELETE", api + "/history?db=app", {}, auth).status, 200);
    // Nothing that would create a database file.
    expect_replica_refusal(post(c, api + "/db/create?db=fresh1", json::object()), "create");
    expect_replica_refusal(
        post(c, api + "/db?db=fresh2&create_db_if_missing=true", query_body("SELECT 1")),
        "POST /db create");
    expect_replica_refusal(c.put(api + "/kv/a?db=fresh3&create_db_if_missing=true", "1", auth_text),
                           "PUT create");
    // A create flag on a database that exists is no write: the read is served.
    EXPECT_EQ(get(c, api + "/kv/k?db=app&create_db_if_missing=true").status, 200);

    EXPECT_EQ(get(c, api + "/kv/k?db=app").body, "v1");  // nothing changed
    r = c.get(api + "/readyz");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["role"], "replica");
    EXPECT_EQ(r.json()["ready"], true);
    // While it is open: no -wal, no -shm, no new file, the database's bytes untouched.
    EXPECT_EQ(listing(data_.path()), before);
  }
  EXPECT_EQ(listing(data_.path()), before);  // after a clean shutdown too
  EXPECT_EQ(file_bytes(data_.path() / "app.db"), bytes);
}

TEST_F(ops_replica_e2e, runs_no_ttl_sweep_and_no_retention) {
  const auto bytes = file_bytes(data_.path() / "app.db");
  auto srv = replica({"--ttl-sweep-interval", "1", "--history-max-ops-per-key", "1",
                      "--history-prune-interval", "1"});
  http_client c(srv.port());
  ASSERT_EQ(get(c, api + "/kv/k?db=app").status, 200);  // opens the database
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(counter(c, "hoody_ttl_sweeps_total"), 0U);  // an open database: swept twice
  EXPECT_EQ(file_bytes(data_.path() / "app.db"), bytes);
}

TEST_F(ops_replica_e2e, serves_a_file_replaced_by_rename_within_1_5_s) {
  auto srv = replica();
  http_client c(srv.port());
  ASSERT_EQ(get(c, api + "/kv/k?db=app").body, "v1");
  ASSERT_EQ(post(c, api + "/db?db=app", query_body("SELECT x FROM t"))
                .json()["results"][0]["resultSet"][0]["x"],
            1);

  // A restore elsewhere, then rename over the served name (what `litestream restore -o tmp`
  // followed by `mv` does).
  temp_dir staging;
  write_primary_copy(staging.path(), "v2", 2);
  fs::copy_file(staging.path() / "app.db", data_.path() / "app.db.tmp");
  fs::rename(data_.path() / "app.db.tmp", data_.path() / "app.db");

  const double seen = seconds_until([&] { return get(c, api + "/kv/k?db=app").body == "v2"; }, 5);
  EXPECT_GE(seen, 0) << "the replaced file was not served within 5 s";
  EXPECT_LT(seen, 1.5);
  auto r = post(c, api + "/db?db=app", query_body("SELECT x FROM t"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["results"][0]["resultSet"][0]["x"], 2);

  // And once more, under a steady stream of reads from a second client.
  temp_dir staging3;
  write_primary_copy(staging3.path(), "v3", 3);
  fs::copy_file(staging3.path() / "app.db", data_.path() / "app.db.tmp");
  std::atomic<int> failures{0};
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    http_client c2(srv.port());
    while (!stop) {
      const auto res = get(c2, api + "/kv/k?db=app");
      if (res.status != 200 || (res.body != "v2" && res.body != "v3")) {
        ++failures;
      }
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  fs::rename(data_.path() / "app.db.tmp", data_.path() / "app.db");
  const double seen3 = seconds_until([&] { return get(c, api + "/kv/k?db=app").body == "v3"; }, 5);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  stop = true;
  reader.join();
  EXPECT_GE(seen3, 0);
  EXPECT_LT(seen3, 1.5);
  std::cout << "replaced file served after " << seen * 1000 << " ms, under reads " << seen3 * 1000
            << " ms\n";
  EXPECT_EQ(failures.load(), 0) << "a read failed or saw neither version during the swap";
  EXPECT_FALSE(fs::exists(data_.path() / "app.db-wal"));
  EXPECT_FALSE(fs::exists(data_.path() / "app.db-shm"));
}

TEST_F(ops_replica_e2e, refuses_a_file_written_in_place) {
  // Another process holds the file open in WAL mode with committed frames not yet folded back:
  // immutable reads would miss them (or, during a checkpoint, read torn pages).
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((data_.path() / "app.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA wal_autocheckpoint=0; INSERT INTO t VALUES (9)", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  ASSERT_GT(fs::file_size(data_.path() / "app.db-wal"), 0U);
  {
    auto srv = replica();
    http_client c(srv.port());
    const auto r = get(c, api + "/kv/k?db=app");
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_NE(r.body.find("-wal"), std::string::npos) << r.body;
  }
  sqlite3_close(db);
  // Folded back at that close: the replica serves it, with the row.
  ASSERT_FALSE(fs::exists(data_.path() / "app.db-wal"));
  auto srv = replica();
  http_client c(srv.port());
  const auto r = post(c, api + "/db?db=app", query_body("SELECT count(*) AS n FROM t"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["results"][0]["resultSet"][0]["n"], 2);
}

}  // namespace
