// The real binary on a real port: CLI, start-up checks, path rules, shutdown, concurrency.
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <signal.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

namespace {
namespace fs = std::filesystem;
using hoody::test::http_client;
using hoody::test::server_process;
using hoody::test::temp_dir;
using json = nlohmann::json;

using hoody::test::api;

// Runs the binary with `args`, returns {exit code, output}.
std::pair<int, std::string> run_binary(const std::string& args, const std::string& env = "") {
  const std::string cmd = env + " " + hoody::test::server_binary().string() + " " + args + " 2>&1";
  std::string out;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  std::array<char, 4096> buf{};
  while (pipe != nullptr && std::fgets(buf.data(), buf.size(), pipe) != nullptr) {
    out += buf.data();
  }
  const int status = pipe == nullptr ? -1 : ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// {"transaction": items}; items is a JSON array literal such as {{{"query", "SELECT 1"}}}.
json tx(json items) {
  return {{"transaction", std::move(items)}};
}

TEST(cli, help_lists_every_flag_with_its_env_twin) {
  const auto [code, out] = run_binary("--help");
  EXPECT_EQ(code, 0);
  for (const char* f :
       {"--host", "--port", "--port-file", "--data-dir", "--allow-any-absolute-db-path",
        "--threads", "--log-level", "--max-body-bytes", "--max-open-dbs", "--read-timeout",
        "--idle-timeout", "--synchronous", "--query-timeout-ms"}) {
    EXPECT_NE(out.find(f), std::string::npos) << f;
  }
  EXPECT_NE(out.find("HOODY_SQLITE_PORT"), std::string::npos);
  EXPECT_NE(out.find("HOODY_SQLITE_DATA_DIR"), std::string::npos);
}

TEST(cli, version_prints_and_exits_zero) {
  const auto [code, out] = run_binary("--version");
  EXPECT_EQ(code, 0);
  EXPECT_NE(out.find("hoody-sqlite"), std::string::npos);
}

TEST(cli, unknown_flags_and_bad_values_exit_2) {
  EXPECT_EQ(run_binary("--no-such-flag").first, 2);
  EXPECT_EQ(run_binary("--port notaport").first, 2);
  EXPECT_EQ(run_binary("--port 70000").first, 2);
  EXPECT_EQ(run_binary("--synchronous SOMETIMES").first, 2);
  EXPECT_EQ(run_binary("", "HOODY_SQLITE_LOG_LEVEL=loud").first, 2) << "env twins are validated";
}

TEST(cli, missing_or_unwritable_data_dir_is_one_clear_line) {
  const auto [code, out] = run_binary("--port 0 --data-dir /nonexistent/hoody");
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("data directory"), std::string::npos) << out;
  EXPECT_NE(out.find("/nonexistent/hoody"), std::string::npos) << out;
}

TEST(cli, environment_variables_configure_the_server) {
  temp_dir dir;
  const auto port_file = dir.path() / "p";
  // Port from the environment; the process is stopped by the test with SIGTERM.
  const std::string cmd = "HOODY_SQLITE_PORT=0 HOODY_SQLITE_PORT_FILE=" + port_file.string() +
                          " HOODY_SQLITE_DATA_DIR=" + dir.path().string() + " " +
                          hoody::test::server_binary().string() + " > /dev/null 2>&1 & echo $!";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  int pid = 0;
  ASSERT_EQ(std::fscanf(pipe, "%d", &pid), 1);
  ::pclose(pipe);
  unsigned port = 0;
  for (int i = 0; i < 400 && port == 0; ++i) {
    std::ifstream in(port_file);
    in >> port;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_NE(port, 0U);
  http_client c(static_cast<std::uint16_t>(port));
  EXPECT_EQ(c.get(api + "/health").status, 200);
  ::kill(pid, SIGTERM);
}

class served : public ::testing::Test {
 protected:
  server_process srv;
  http_client client{srv.port()};

  void create(const std::string& name) {
    const auto res = client.post(api + "/db/create?path=" + name, json::object());
    ASSERT_EQ(res.status, 201) << res.body;
  }
};

// main sets SQLite's process-wide options (db::configure_sqlite_library: memory statistics off)
// before anything touches SQLite; were a SQLite call to come first, the server would say so.
TEST_F(served, sqlite_is_configured_before_its_first_use) {
  ASSERT_EQ(client.get(api + "/health").status, 200);
  EXPECT_EQ(srv.output().find("SQLite was initialized before"), std::string::npos) << srv.output();
}

TEST_F(served, health_answers_200_json) {
  const auto res = client.get(api + "/health");
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.json()["status"], "ok");
}

TEST_F(served, absolute_paths_are_refused_without_the_flag) {
  temp_dir outside;
  const auto file = (outside.path() / "x.db").string();
  const auto res = client.post(api + "/db?db=" + file + "&create_db_if_missing=true",
                               tx({{{"statement", "CREATE TABLE t(x)"}}}));
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(res.json()["code"], "INVALID_DB_PATH");
  EXPECT_FALSE(fs::exists(file));
}

TEST(absolute_paths, are_accepted_with_the_flag) {
  server_process srv({"--allow-any-absolute-db-path"});
  http_client client(srv.port());
  temp_dir outside;
  const auto file = (outside.path() / "x.db").string();
  const auto res = client.post(api + "/db?db=" + file + "&create_db_if_missing=true",
                               tx({{{"statement", "CREATE TABLE t(x)"}}}));
  EXPECT_EQ(res.status, 200) << res.body;
  EXPECT_TRUE(fs::exists(file));
}

TEST_F(served, traversal_separators_symlinks_and_memory_are_rejected) {
  temp_dir outside;
  fs::create_symlink(outside.path() / "evil.db", srv.data_dir() / "link.db");
  const std::vector<std::string> names = {"../x",  "..%2Fx", "a/b",      "a%2Fb",
                                          "a%5Cb", "link",   ":memory:", "./../x"};
  for (const auto& name : names) {
    const auto res = client.post(api + "/db?db=" + name + "&create_db_if_missing=true",
                                 tx({{{"statement", "CREATE TABLE t(x)"}}}));
    EXPECT_EQ(res.status, 400) << name << ": " << res.body;
    EXPECT_TRUE(res.json()["error"].is_string()) << name;
  }
  EXPECT_EQ(client.post(api + "/db?db=:memory:", tx({{{"query", "SELECT 1"}}})).json()["error"],
            "in-memory databases are not supported");
  EXPECT_TRUE(fs::is_empty(outside.path())) << "nothing was created outside the data dir";
  EXPECT_FALSE(fs::exists(srv.data_dir().parent_path() / "x.db"));
}

TEST_F(served, missing_database_is_404_unless_creation_is_asked) {
  auto res = client.post(api + "/db?db=nope", tx({{{"query", "SELECT 1"}}}));
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(res.json()["reqIdx"], -1) << "POST /db request-level errors carry reqIdx -1";
  EXPECT_FALSE(fs::exists(srv.data_dir() / "nope.db"));
  res = client.post(api + "/db?db=nope&create_db_if_missing=true&auto_create=false",
                    tx({{{"query", "SELECT 1"}}}));
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(res.json()["error"],
            "conflicting flags: create_db_if_missing and auto_create must match");
  res = client.post(api + "/db?db=nope&auto_create=true", tx({{{"query", "SELECT 1"}}}));
  EXPECT_EQ(res.status, 200) << res.body;
  EXPECT_TRUE(fs::exists(srv.data_dir() / "nope.db"));
}

TEST_F(served, sixty_four_concurrent_writers_all_succeed) {
  create("w");
  ASSERT_EQ(
      client.post(api + "/db?db=w", tx({{{"statement", "CREATE TABLE t(x INTEGER)"}}})).status,
      200);
  std::atomic<int> ok{0};
  std::mutex m;
  std::set<int> statuses;
  std::vector<std::thread> threads;
  for (int i = 0; i < 64; ++i) {
    threads.emplace_back([&, i] {
      http_client c(srv.port());
      for (int j = 0; j < 10; ++j) {
        const auto res =
            c.post(api + "/db?db=w",
                   tx({{{"statement", "INSERT INTO t VALUES (?)"}, {"values", {i * 100 + j}}}}));
        if (res.status == 200) {
          ++ok;
        } else {
          std::lock_guard lock(m);
          statuses.insert(res.status);
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(ok, 640) << "non-200 statuses seen: " << statuses.size();
  const auto count =
      client.post(api + "/db?db=w", tx({{{"query", "SELECT count(*) AS n FROM t"}}}));
  EXPECT_EQ(count.json()["results"][0]["resultSet"][0]["n"], 640);
}

TEST_F(served, reads_complete_while_a_long_write_transaction_is_open) {
  create("r");
  ASSERT_EQ(client
                .post(api + "/db?db=r", tx({{{"statement", "CREATE TABLE t(x)"}},
                                            {{"statement", "INSERT INTO t VALUES (1)"}}}))
                .status,
            200);
  std::atomic<bool> writer_done{false};
  std::thread writer([&] {
    http_client c(srv.port());
    // A write transaction that takes a while: a large recursive insert.
    const auto res =
        c.post(api + "/db?db=r",
               tx({{{"statement",
                     "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE "
                     "x < 2000000) INSERT INTO t SELECT x FROM c"}}}));
    EXPECT_EQ(res.status, 200) << res.body;
    writer_done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::atomic<int> reads_before_commit{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 64; ++i) {
    readers.emplace_back([&] {
      http_client c(srv.port());
      const auto res = c.post(api + "/db?db=r", tx({{{"query", "SELECT count(*) AS n FROM t"}}}));
      EXPECT_EQ(res.status, 200);
      if (!writer_done) {
        ++reads_before_commit;
      }
    });
  }
  for (auto& t : readers) {
    t.join();
  }
  writer.join();
  EXPECT_GT(reads_before_commit, 0) << "readers were not blocked by the open write";
}

TEST(shutdown, sigterm_with_open_keep_alive_connections_exits_0_quickly) {
  server_process srv;
  std::vector<std::unique_ptr<http_client>> idle;
  for (int i = 0; i < 20; ++i) {
    idle.push_back(std::make_unique<http_client>(srv.port()));
    ASSERT_EQ(idle.back()->get(api + "/health").status, 200);
  }
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(srv.stop(SIGTERM, 5000), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

TEST(shutdown, sigterm_during_a_write_burst_keeps_every_acknowledged_write) {
  temp_dir dir;
  std::set<int> acknowledged;
  std::mutex m;
  {
    server_process srv({}, dir.path());
    http_client c(srv.port());
    ASSERT_EQ(c.post(api + "/db?db=burst&create_db_if_missing=true",
                     tx({{{"statement", "CREATE TABLE t(x INTEGER PRIMARY KEY)"}}}))
                  .status,
              200);
    std::atomic<bool> stop{false};
    std::vector<std::thread> writers;
    for (int w = 0; w < 16; ++w) {
      writers.emplace_back([&, w] {
        http_client wc(srv.port(), std::chrono::seconds(10));
        for (int i = 0; !stop; ++i) {
          const int value = w * 1000000 + i;
          try {
            const auto res =
                wc.post(api + "/db?db=burst",
                        tx({{{"statement", "INSERT INTO t VALUES (?)"}, {"values", {value}}}}));
            if (res.status == 200) {
              std::lock_guard lock(m);
              acknowledged.insert(value);
            }
          } catch (const std::exception&) {
            return;  // the server went away: stop writing
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(srv.stop(SIGTERM, 10000), 0);
    stop = true;
    for (auto& t : writers) {
      t.join();
    }
  }
  ASSERT_FALSE(acknowledged.empty());
  server_process again({}, dir.path());
  http_client c(again.port());
  // Count the acknowledged values present (one query; no 10,000-row result cap involved).
  const json ids(acknowledged);
  const auto res = c.post(api + "/db?db=burst", tx({{{"query",
                                                      "SELECT count(*) AS n FROM t WHERE x IN "
                                                      "(SELECT value FROM json_each(?))"},
                                                     {"values", {ids.dump()}}}}));
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.json()["results"][0]["resultSet"][0]["n"].get<std::size_t>(), acknowledged.size())
      << "an acknowledged write was lost";
}

}  // namespace
