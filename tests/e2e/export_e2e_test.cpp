// GET /export (issue 17, "Export"): a whole table or view as CSV or JSON, streamed in chunks.
// The CSV of a 200,000-row table matches the table row for row; JSON parses to the same rows;
// rowid, WITHOUT ROWID, view and "a column named rowid" tables are exported whole and in
// order; writes during an export neither block nor make it skip or repeat a row that stayed; a
// client that stops reading holds no more than a few chunks in memory and blocks no writer;
// a table dropped mid-export resets the connection (never a complete-looking short body);
// bad input → 400/404.
#include "fault_support.hpp"
#include "support/e2e_fixture.hpp"
#include "support/raw_socket.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {
using hoody::test::api;
using hoody::test::http_client;
using hoody::test::server_process;
using hoody::test::temp_dir;
using json = nlohmann::json;

json tx(std::initializer_list<std::string> statements) {
  json items = json::array();
  for (const auto& s : statements) {
    items.push_back({{"statement", s}});
  }
  return {{"transaction", items}};
}

// The CSV the export must produce for table t (a, b, c) filled by fill_t(n).
std::string expected_csv(int n) {
  std::string out = "a,b,c\r\n";
  for (int i = 1; i <= n; ++i) {
    const std::string s = std::to_string(i);
    out += s + ",\"row,\"\"" + s + "\"," + (i % 7 == 0 ? "" : "AP8=") + "\r\n";
  }
  return out;
}

void fill_t(http_client& c, const std::string& db, int n) {
  const auto r =
      c.post(api + "/db?db=" + db,
             tx({"CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT, c BLOB)",
                 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
                     std::to_string(n) +
                     ") INSERT INTO t SELECT i, 'row,\"' || i, CASE WHEN i % 7 = 0 THEN NULL ELSE "
                     "x'00ff' END FROM n"}));
  ASSERT_EQ(r.status, 200) << r.body;
}

// Table t (a INTEGER PRIMARY KEY, b TEXT) of n rows whose b is `width` bytes: wide enough that
// the socket buffers (a few MB on loopback) cannot hold the export.
void fill_wide(http_client& c, const std::string& db, int n, int width) {
  const auto r =
      c.post(api + "/db?db=" + db,
             tx({"CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)",
                 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
                     std::to_string(n) + ") INSERT INTO t SELECT i, printf('%." +
                     std::to_string(width) + "c', 'x') FROM n"}));
  ASSERT_EQ(r.status, 200) << r.body;
}

// GET of a streamed answer (no Content-Length: its end is the connection's close), parsed.
hoody::test::http_response get_stream(http_client& c, const std::string& target) {
  const std::string raw =
      c.raw_until_close("GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  hoody::test::http_response r;
  const auto head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos || raw.size() < 12) {
    ADD_FAILURE() << "no response head: " << raw.substr(0, 200);
    return r;
  }
  r.status = std::stoi(raw.substr(9, 3));
  for (std::size_t pos = raw.find("\r\n") + 2; pos < head_end;) {
    const auto end = raw.find("\r\n", pos);
    const auto line = raw.substr(pos, end - pos);
    const auto colon = line.find(':');
    std::string name = line.substr(0, colon);
    for (auto& ch : name) {
      ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
    r.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    pos = end + 2;
  }
  r.body = raw.substr(head_end + 4);
  return r;
}

class export_e2e : public hoody::test::per_test_database {};

TEST_F(export_e2e, csv_of_a_200000_row_table_matches_the_table) {
  fill_t(*c_, db_, 200'000);
  const auto r = get_stream(*c_, api + "/export?db=" + db_ + "&table=t");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "text/csv; charset=utf-8");
  EXPECT_EQ(r.header("content-disposition"), "attachment; filename=\"t.csv\"");
  const std::string want = expected_csv(200'000);
  EXPECT_EQ(r.body.size(), want.size());
  EXPECT_TRUE(r.body == want) << r.body.substr(0, 200);
  // Not recorded in the query history (it is not user SQL).
  const auto h = c_->get(api + "/history?db=" + db_);
  for (const auto& e : h.json()["history"]) {
    EXPECT_EQ(e["sql"].get<std::string>().find("rowid"), std::string::npos) << e;
  }
}

TEST_F(export_e2e, json_is_an_array_of_row_objects) {
  fill_t(*c_, db_, 5000);
  const auto r = get_stream(*c_, api + "/export?db=" + db_ + "&table=t&format=json");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-disposition"), "attachment; filename=\"t.json\"");
  const auto rows = r.json();
  ASSERT_TRUE(rows.is_array());
  ASSERT_EQ(rows.size(), 5000U);
  for (int i = 1; i <= 5000; ++i) {
    const auto& row = rows[i - 1];
    ASSERT_EQ(row["a"], i);
    ASSERT_EQ(row["b"], "row,\"" + std::to_string(i));
    if (i % 7 == 0) {
      ASSERT_TRUE(row["c"].is_null());
    } else {
      ASSERT_EQ(row["c"], json({{"base64", "AP8="}}));
    }
  }
  // An empty table: "[]"; its CSV: the header line alone.
  ASSERT_EQ(c_->post(api + "/db?db=" + db_, tx({"CREATE TABLE empty (x, y)"})).status, 200);
  EXPECT_EQ(get_stream(*c_, api + "/export?db=" + db_ + "&table=empty&format=json").json(),
            json::array());
  EXPECT_EQ(get_stream(*c_, api + "/export?db=" + db_ + "&table=empty").body, "x,y\r\n");
}

TEST_F(export_e2e, views_without_rowid_tables_and_a_column_named_rowid) {
  ASSERT_EQ(c_->post(api + "/db?db=" + db_,
                     tx({"CREATE TABLE w (k TEXT, n INTEGER, v, PRIMARY KEY (n, k)) WITHOUT ROWID",
                         "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE "
                         "i < 4500) INSERT INTO w SELECT 'k' || (i % 3), 4501 - i, i FROM s",
                         "CREATE TABLE r (rowid TEXT, x)",
                         "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE "
                         "i < 4500) INSERT INTO r SELECT 'same', i FROM s",
                         "CREATE VIEW odd AS SELECT n, v FROM w WHERE v % 2 = 1 ORDER BY v"}))
                .status,
            200);
  // WITHOUT ROWID: all rows, in primary-key order (n, k).
  auto rows = get_stream(*c_, api + "/export?db=" + db_ + "&table=w&format=json").json();
  ASSERT_EQ(rows.size(), 4500U);
  for (std::size_t i = 1; i < rows.size(); ++i) {
    ASSERT_LT(rows[i - 1]["n"].get<int>(), rows[i]["n"].get<int>()) << i;
  }
  // A column named rowid (not unique): the real rowid is read as _rowid_, every row once.
  rows = get_stream(*c_, api + "/export?db=" + db_ + "&table=r&format=json").json();
  ASSERT_EQ(rows.size(), 4500U);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i]["x"], i + 1);
    ASSERT_EQ(rows[i]["rowid"], "same");
  }
  // A view: its rows in its order, across chunks.
  rows = get_stream(*c_, api + "/export?db=" + db_ + "&table=odd&format=json").json();
  ASSERT_EQ(rows.size(), 2250U);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i]["v"], 2 * i + 1);
  }
}

TEST_F(export_e2e, bad_input) {
  fill_t(*c_, db_, 3);
  auto r = c_->get(api + "/export?db=" + db_);
  EXPECT_EQ(r.status, 400) << r.body;
  r = c_->get(api + "/export?db=" + db_ + "&table=t&format=xml");
  EXPECT_EQ(r.status, 400) << r.body;
  r = c_->get(api + "/export?db=" + db_ + "&table=nope");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(r.json()["code"], "NOT_FOUND");
  r = c_->get(api + "/export?db=" + db_ + "&table=sqlite_schema");
  EXPECT_EQ(r.status, 404) << r.body;
  r = c_->get(api + "/export?db=" + db_ + "&table=" + hoody::test::url_encode("t\"; DROP TABLE t"));
  EXPECT_EQ(r.status, 404) << r.body;
  r = c_->get(api + "/export?db=missing-db&table=t");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(get_stream(*c_, api + "/export?db=" + db_ + "&table=t").body, expected_csv(3));
}

// Rows inserted and deleted while the client reads slowly: every row that stayed is exported
// exactly once, in order (the keyset never shifts), and the writes are not held up.
TEST_F(export_e2e, writes_during_an_export_are_served_and_never_shift_it) {
  fill_wide(*c_, db_, 100'000, 500);  // 50 MB of CSV
  const int fd = hoody::test::connect_loopback(srv_->port(), 4096);
  ASSERT_GE(fd, 0);
  const std::string req =
      "GET " + api + "/export?db=" + db_ + "&table=t HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  std::string got;
  char buf[4096];
  // Read a little (the server is at most its socket buffers ahead: far below row 50,000), then
  // delete odd rows above 50,000 and append a row, then read the rest.
  while (got.size() < 64 * 1024) {
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    ASSERT_GT(n, 0);
    got.append(buf, static_cast<std::size_t>(n));
  }
  const auto w =
      c_->post(api + "/db?db=" + db_, tx({"DELETE FROM t WHERE a % 2 = 1 AND a > 50000",
                                          "INSERT INTO t (a, b) VALUES (100001, 'late')"}));
  ASSERT_EQ(w.status, 200) << w.body;
  for (;;) {
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    ASSERT_GE(n, 0) << "the export was reset: " << std::strerror(errno);
    if (n == 0) {
      break;
    }
    got.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  const auto body = got.substr(got.find("\r\n\r\n") + 4);
  // Exactly the rows as they are after the write: 1..50,000, the even ones above, 100,001, in
  // increasing order, each once.
  std::vector<long> want;
  for (long a = 1; a <= 100'000; ++a) {
    if (a <= 50'000 || a % 2 == 0) {
      want.push_back(a);
    }
  }
  want.push_back(100'001);
  std::vector<long> seen;
  for (std::size_t pos = body.find("\r\n") + 2; pos < body.size();) {
    seen.push_back(std::stol(body.substr(pos, body.find(',', pos) - pos)));
    pos = body.find("\r\n", pos) + 2;
  }
  EXPECT_EQ(seen.size(), want.size());
  EXPECT_TRUE(seen == want);
}

TEST(export_e2e_process, a_client_that_stops_reading_holds_little_memory_and_blocks_no_writer) {
  temp_dir dir;
  server_process srv({"--access-log", "false", "--read-threads", "2"}, dir.path());
  http_client c(srv.port());
  ASSERT_EQ(c.post(api + "/db/create?path=big", json::object()).status, 201);
  // 60,000 rows of 2 KB: 120 MB of CSV.
  ASSERT_EQ(c.post(api + "/db?db=big",
                   tx({"CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)",
                       "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < "
                       "60000) INSERT INTO t SELECT i, printf('%.2000c', 'x') FROM n"}))
                .status,
            200);
  const std::size_t baseline = hoody::test::rss_kib(srv.pid());
  std::vector<int> fds;
  for (int i = 0; i < 4; ++i) {
    const int fd = hoody::test::connect_loopback(srv.port(), 4096);
    ASSERT_GE(fd, 0);
    const std::string req = "GET " + api + "/export?db=big&table=t HTTP/1.1\r\nHost: x\r\n\r\n";
    (void)::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    fds.push_back(fd);
  }
  std::size_t peak = 0;
  for (int i = 0; i < 30; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    peak = std::max(peak, hoody::test::rss_kib(srv.pid()));
    // Writes to the exported table go through while the exports are stuck.
    const auto w =
        c.post(api + "/db?db=big", tx({"UPDATE t SET b = 'y' WHERE a = " + std::to_string(i + 1)}));
    ASSERT_EQ(w.status, 200) << w.body;
  }
  for (const int fd : fds) {
    ::close(fd);
  }
  // Four stuck exports of 120 MB: a few chunks of 256 KiB each, not the table.
  EXPECT_LT(peak - baseline, 24U * 1024) << "peak RSS grew by " << (peak - baseline) << " KiB";
  EXPECT_EQ(c.get(api + "/health").status, 200);
}

TEST_F(export_e2e, a_table_dropped_mid_export_resets_the_connection) {
  fill_wide(*c_, db_, 100'000, 500);
  const int fd = hoody::test::connect_loopback(srv_->port(), 4096);
  ASSERT_GE(fd, 0);
  const std::string req =
      "GET " + api + "/export?db=" + db_ + "&table=t HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  char buf[4096];
  ASSERT_GT(::recv(fd, buf, sizeof buf, 0), 0);
  ASSERT_EQ(c_->post(api + "/db?db=" + db_, tx({"DROP TABLE t"})).status, 200);
  std::size_t total = 0;
  ssize_t n = 0;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) {
    total += static_cast<std::size_t>(n);
  }
  const int err = errno;
  ::close(fd);
  EXPECT_LT(n, 0) << "clean EOF after " << total << " bytes: a truncated export looked complete";
  EXPECT_EQ(err, ECONNRESET);
  EXPECT_LT(total, std::size_t{100'000} * 500);
}

}  // namespace
