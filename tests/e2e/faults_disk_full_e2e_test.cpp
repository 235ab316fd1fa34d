// Issue 14, item 2: a full disk answers 507 DISK_FULL (never 500), reads keep working, writes
// resume once space is freed, and nothing acknowledged is lost. The data directory is a small
// tmpfs mounted inside the test's temp dir (needs root / CAP_SYS_ADMIN, else the test skips).
#include "fault_support.hpp"
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>

namespace {
namespace fs = std::filesystem;
using hoody::test::http_client;
using hoody::test::server_process;
using hoody::test::sqlite_file;
using hoody::test::temp_dir;
using hoody::test::tmpfs_mount;
using json = nlohmann::json;

using hoody::test::api;
using hoody::test::text_plain;

std::string value_for(int i) {
  std::string v = "v" + std::to_string(i) + ":";
  while (v.size() < 8000) {
    v += std::to_string(i * 7919 + static_cast<int>(v.size()));
  }
  return v;
}

void write_ballast(const fs::path& file, std::size_t bytes) {
  std::ofstream out(file, std::ios::binary);
  const std::string chunk(4096, 'b');
  for (std::size_t n = 0; n < bytes; n += chunk.size()) {
    out << chunk;
  }
  ASSERT_TRUE(out.good()) << "cannot write the ballast file";
}

TEST(disk_full, writes_answer_507_reads_work_and_writes_resume_after_space_is_freed) {
  temp_dir base;
  tmpfs_mount fs_mount(base.path() / "fs", 3U * 1024U * 1024U);
  if (!fs_mount.ok()) {
    GTEST_SKIP() << "cannot mount a tmpfs for the full-disk test (" << fs_mount.error()
                 << "); run as root (CI does)";
  }
  const fs::path ballast = base.path() / "fs" / "ballast";
  write_ballast(ballast, 512U * 1024U);

  std::map<std::string, std::string> acknowledged;
  {
    server_process srv({"--access-log", "false"}, fs_mount.path());
    http_client c(srv.port());
    ASSERT_EQ(c.post(api + "/db/create?path=full", json::object()).status, 201);

    hoody::test::http_response refused;
    for (int i = 0; i < 2000; ++i) {
      const std::string key = "k" + std::to_string(i);
      const auto r = c.put(api + "/kv/" + key + "?db=full", value_for(i), text_plain);
      if (r.status != 200) {
        refused = r;
        break;
      }
      acknowledged[key] = value_for(i);
    }
    ASSERT_FALSE(acknowledged.empty());
    ASSERT_EQ(refused.status, 507) << refused.body;
    EXPECT_EQ(refused.json()["code"], "DISK_FULL") << refused.body;
    EXPECT_NE(refused.json()["error"].get<std::string>().find("disk full"), std::string::npos)
        << refused.body;

    // Still full: the next writes (KV and SQL) also answer 507, not 500.
    const auto again = c.put(api + "/kv/again?db=full", value_for(99999), text_plain);
    EXPECT_EQ(again.status, 507) << again.body;
    const auto sql = c.post(
        api + "/db?db=full",
        {{"transaction", {{{"statement", "CREATE TABLE big AS SELECT randomblob(2000000)"}}}}});
    EXPECT_EQ(sql.status, 507) << sql.body;

    // Reads keep working.
    const auto first = acknowledged.begin();
    const auto read = c.get(api + "/kv/" + first->first + "?db=full");
    EXPECT_EQ(read.status, 200) << read.body;
    EXPECT_EQ(read.body, first->second);
    const auto last = acknowledged.rbegin();
    EXPECT_EQ(c.get(api + "/kv/" + last->first + "?db=full").body, last->second);
    const auto count =
        c.get(api + "/query?db=full&sql=SELECT%20count(*)%20AS%20n%20FROM%20kv_store");
    ASSERT_EQ(count.status, 200) << count.body;
    EXPECT_NE(count.body.find(std::to_string(acknowledged.size())), std::string::npos)
        << count.body;

    // Space freed: writes resume.
    fs::remove(ballast);
    for (int i = 5000; i < 5010; ++i) {
      const std::string key = "after" + std::to_string(i);
      const auto r = c.put(api + "/kv/" + key + "?db=full", value_for(i), text_plain);
      ASSERT_EQ(r.status, 200) << r.body;
      acknowledged[key] = value_for(i);
    }
    EXPECT_EQ(srv.stop(), 0) << srv.output();
  }

  sqlite_file check(fs_mount.path() / "full.db");
  EXPECT_EQ(check.integrity(), "ok");
  for (const auto& [key, value] : acknowledged) {
    const auto stored = check.kv(key);
    ASSERT_TRUE(stored.has_value()) << "acknowledged write lost: " << key;
    EXPECT_EQ(*stored, value) << key;
  }
}

}  // namespace
