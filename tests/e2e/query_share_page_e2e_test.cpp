// GET /query's representations against the real binary: a browser (Accept: text/html first, or
// format=html) gets a styled HTML page whose values are all escaped, format=csv gets RFC 4180
// CSV, and everything else — curl, fetch, the SDK, format=json — the JSON of before, byte for
// byte. ETags differ per representation; signed share links keep working in every format.
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace {

using hoody::test::api;
using hoody::test::http_client;
using hoody::test::http_response;
using hoody::test::server_process;
using hoody::test::temp_dir;
using hoody::test::url_encode;
using nlohmann::json;

const std::string browser_accept =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

class query_share_page_e2e : public hoody::test::per_test_database {
 protected:
  void SetUp() override {
    per_test_database::SetUp();
    const auto r = c_->post(api + "/db?db=" + db_, json::parse(R"J({"transaction":[
          {"statement":"CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB)"},
          {"statement":"INSERT INTO t (name, score, data) VALUES (?, ?, ?)","valuesBatch":[
            ["<script>alert(1)</script>", 1.5, null],
            ["a,\"quoted\"\nline", null, {"base64":"AP8Q"}],
            ["plain & 'simple'", 3, {"base64":""}]]}]})J"));
    ASSERT_EQ(r.status, 200) << r.body;
  }
  std::string url(const std::string& sql, const std::string& extra = "") const {
    return api + "/query?db=" + db_ + "&sql=" + url_encode(sql) + extra;
  }
  http_response get(const std::string& target, const std::string& accept = "") {
    std::map<std::string, std::string> headers;
    if (!accept.empty()) {
      headers["Accept"] = accept;
    }
    return c_->request("GET", target, {}, headers);
  }
  const std::string sql_ = "SELECT id, name, score, data FROM t ORDER BY id";
};

TEST_F(query_share_page_e2e, json_stays_the_default_byte_for_byte) {
  const auto plain = get(url(sql_));
  ASSERT_EQ(plain.status, 200) << plain.body;
  EXPECT_EQ(plain.header("content-type"), "application/json");
  // The JSON of before: this exact body (the SDK and the contract tests read it).
  EXPECT_EQ(plain.body,
            R"({"success":true,"columns":["id","name","score","data"],"resultSet":[)"
            R"({"id":1,"name":"<script>alert(1)</script>","score":1.5,"data":null},)"
            R"({"id":2,"name":"a,\"quoted\"\nline","score":null,"data":{"base64":"AP8Q"}},)"
            R"({"id":3,"name":"plain & 'simple'","score":3.0,"data":{"base64":""}}],)"
            R"("rowCount":3,"truncated":false})");
  for (const char* accept :
       {"*/*", "application/json", "application/json, text/html", "text/plain",
        "text/html;q=0, application/json", "application/json;q=0.9, text/html;q=0.8"}) {
    const auto r = get(url(sql_), accept);
    EXPECT_EQ(r.header("content-type"), "application/json") << accept;
    EXPECT_EQ(r.body, plain.body) << accept;
  }
  // format=json wins over a browser's Accept.
  const auto forced = get(url(sql_, "&format=json"), browser_accept);
  EXPECT_EQ(forced.header("content-type"), "application/json");
  EXPECT_EQ(forced.body, plain.body);
  EXPECT_EQ(plain.header("vary"), "Accept");
  EXPECT_EQ(get(url(sql_, "&format=xml")).status, 400);
}

TEST_F(query_share_page_e2e, a_browser_gets_an_escaped_styled_page) {
  for (const std::string& target : {url(sql_), url(sql_, "&format=html")}) {
    const auto r = get(
        target, target.find("format=") == std::string::npos ? browser_accept : "application/json");
    ASSERT_EQ(r.status, 200) << target;
    EXPECT_EQ(r.header("content-type"), "text/html; charset=utf-8");
    const std::string& page = r.body;
    EXPECT_EQ(page.rfind("<!doctype html>", 0), 0U);
    EXPECT_NE(page.find("<style>"), std::string::npos);          // self-contained
    EXPECT_EQ(page.find("<script"), std::string::npos) << page;  // no script at all
    EXPECT_EQ(page.find("<link"), std::string::npos);
    EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
    EXPECT_NE(page.find("a,&quot;quoted&quot;\nline"), std::string::npos);
    EXPECT_NE(page.find("plain &amp; &#39;simple&#39;"), std::string::npos);
    EXPECT_NE(page.find(">3 rows · 4 columns<"), std::string::npos);
    EXPECT_EQ(page.find("id=\"truncated\""), std::string::npos);  // not truncated
    for (const char* column : {">id<", ">name<", ">score<", ">data<"}) {
      EXPECT_NE(page.find(column), std::string::npos) << column;
    }
    EXPECT_NE(page.find("<span class=\"type\">integer</span>"), std::string::npos);
    EXPECT_NE(page.find("<span class=\"type\">null | real</span>"), std::string::npos);
    EXPECT_NE(page.find("BLOB, 3 bytes: 00 ff 10"), std::string::npos);
    EXPECT_NE(page.find("<td class=\"null\">NULL</td>"), std::string::npos);
    EXPECT_NE(page.find("href=\"/#db=" + db_ + "&amp;view=sql&amp;sql=SELECT%20id%2C"),
              std::string::npos)
        << page;
    EXPECT_NE(page.find("&amp;format=csv\">CSV</a>"), std::string::npos);
    const auto csp = r.header("content-security-policy");
    EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("script-src"), std::string::npos) << csp;
    EXPECT_EQ(r.header("x-content-type-options"), "nosniff");
  }
  // Column names, the SQL and the database name are escaped too.
  const auto r = get(url("SELECT 1 AS \"<img src=x onerror=alert(2)>\""), browser_accept);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.find("<img"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("&lt;img src=x onerror=alert(2)&gt;"), std::string::npos);
  // Errors stay JSON.
  const auto bad = get(url("DELETE FROM t"), browser_accept);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.header("content-type"), "application/json");
}

TEST_F(query_share_page_e2e, the_page_says_when_rows_were_cut) {
  const auto r = get(url("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE "
                         "x < 10005) SELECT x FROM c"),
                     browser_accept);
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(">10000 rows · 1 column<"), std::string::npos);
  EXPECT_NE(r.body.find("id=\"truncated\""), std::string::npos);
  EXPECT_NE(r.body.find("Showing the first 10000 rows"), std::string::npos);
  const auto empty = get(url("SELECT * FROM t WHERE id < 0"), browser_accept);
  EXPECT_NE(empty.body.find(">0 rows · 4 columns<"), std::string::npos);
  EXPECT_NE(empty.body.find("No rows."), std::string::npos);
}

TEST_F(query_share_page_e2e, csv_follows_rfc_4180) {
  const auto r = get(url(sql_, "&format=csv"), browser_accept);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "text/csv; charset=utf-8; header=present");
  EXPECT_EQ(r.body,
            "id,name,score,data\r\n"
            "1,<script>alert(1)</script>,1.5,\r\n"
            "2,\"a,\"\"quoted\"\"\nline\",,AP8Q\r\n"
            "3,plain & 'simple',3.0,\r\n");
  const auto one = get(url("SELECT 'x' AS \"a,b\", 2 AS \"c\"\"d\"", "&format=CSV"));
  EXPECT_EQ(one.body, "\"a,b\",\"c\"\"d\"\r\nx,2\r\n");
}

TEST_F(query_share_page_e2e, each_representation_has_its_own_etag) {
  const auto j = get(url(sql_));
  const auto h = get(url(sql_), browser_accept);
  const auto c = get(url(sql_, "&format=csv"));
  ASSERT_FALSE(j.header("etag").empty());
  EXPECT_NE(j.header("etag"), h.header("etag"));
  EXPECT_NE(j.header("etag"), c.header("etag"));
  EXPECT_NE(h.header("etag"), c.header("etag"));
  // A browser revalidating its page with the JSON's validator gets the page, not a 304.
  auto r = c_->request("GET", url(sql_), {},
                       {{"Accept", browser_accept}, {"If-None-Match", j.header("etag")}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "text/html; charset=utf-8");
  r = c_->request("GET", url(sql_), {},
                  {{"Accept", browser_accept}, {"If-None-Match", h.header("etag")}});
  EXPECT_EQ(r.status, 304);
  r = c_->request("GET", url(sql_), {}, {{"If-None-Match", h.header("etag")}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, j.body);
}

TEST(query_share_page_links, signed_share_links_open_as_a_page_and_keep_their_signature) {
  temp_dir keys;
  std::ofstream(keys.path() / "keys") << "hs256 share-page-secret-0123456789abcdef0123456789\n";
  server_process srv({"--auth-token", "full", "--jwt-key-file", (keys.path() / "keys").string()});
  http_client c(srv.port());
  const std::map<std::string, std::string> full = {{"Authorization", "Bearer full"}};
  ASSERT_EQ(c.request("POST", api + "/db/create?path=shared", "{}", full).status, 201);
  ASSERT_EQ(c.request("POST", api + "/db?db=shared",
                      R"J({"transaction":[{"statement":"CREATE TABLE s(v)"},)J"
                      R"J({"statement":"INSERT INTO s VALUES ('<b>hi</b>')"}]})J",
                      full)
                .status,
            200);
  const auto minted =
      c.request("POST", api + "/share?db=shared", R"({"sql":"SELECT v FROM s"})", full);
  ASSERT_EQ(minted.status, 200) << minted.body;
  const std::string link = minted.json()["url"];
  const auto page = c.request("GET", link, {}, {{"Accept", browser_accept}});  // no token
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("&lt;b&gt;hi&lt;/b&gt;"), std::string::npos);
  // The page's CSV link keeps exp and sig: it opens without a token as well.
  const auto at = page.body.find("id=\"as-csv\" href=\"");
  ASSERT_NE(at, std::string::npos);
  const auto start = at + std::string("id=\"as-csv\" href=\"").size();
  std::string csv_link = page.body.substr(start, page.body.find('"', start) - start);
  for (std::string::size_type p; (p = csv_link.find("&amp;")) != std::string::npos;) {
    csv_link.replace(p, 5, "&");
  }
  EXPECT_NE(csv_link.find("sig="), std::string::npos) << csv_link;
  const auto csv = c.get(csv_link);
  EXPECT_EQ(csv.status, 200) << csv_link << " → " << csv.body;
  EXPECT_EQ(csv.body, "v\r\n<b>hi</b>\r\n");
  // Unsigned and without a token: 401 in every format.
  EXPECT_EQ(c.get(api + "/query?db=shared&sql=SELECT+1&format=html").status, 401);
}

}  // namespace
