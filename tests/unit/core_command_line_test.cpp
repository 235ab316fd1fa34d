// core/command_line: the flags and their HOODY_SQLITE_* twins → config. Defaults are config{}'s
// (or the ones given), every flag of --help has an env twin that sets the same field as the flag,
// the flag wins over its twin, out-of-range and unknown values are refused with exit code 2 (from
// the environment too), and `token` / `share` come back checked.
#include "hoody/core/command_line.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, not in <cstdlib>

namespace {

using hoody::command_line;
using hoody::config;
using action = hoody::command_line::action;

command_line parse(const std::vector<std::string>& args, const config& defaults = {}) {
  std::vector<const char*> argv{"hoody-sqlite"};
  for (const auto& a : args) {
    argv.push_back(a.c_str());
  }
  return hoody::parse_command_line(static_cast<int>(argv.size()), argv.data(), defaults);
}

std::string env_twin(const std::string& flag) {
  std::string out = "HOODY_SQLITE_";
  for (const char ch : flag.substr(2)) {
    out.push_back(ch == '-' ? '_'
                            : static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
  }
  return out;
}

// Sets one environment variable for the scope of the object.
class scoped_env {
 public:
  scoped_env(std::string name, const std::string& value) : name_(std::move(name)) {
    ::setenv(name_.c_str(), value.c_str(), 1);
  }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;
  ~scoped_env() { ::unsetenv(name_.c_str()); }

 private:
  std::string name_;
};

// Every test starts without HOODY_SQLITE_* variables (the ones of the caller come back after).
class command_line_test : public ::testing::Test {
 protected:
  void SetUp() override {
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string entry = *e;
      if (entry.rfind("HOODY_SQLITE_", 0) == 0) {
        const auto eq = entry.find('=');
        saved_.emplace_back(entry.substr(0, eq), entry.substr(eq + 1));
      }
    }
    for (const auto& [name, value] : saved_) {
      ::unsetenv(name.c_str());
    }
  }
  void TearDown() override {
    for (const auto& [name, value] : saved_) {
      ::setenv(name.c_str(), value.c_str(), 1);
    }
  }

 private:
  std::vector<std::pair<std::string, std::string>> saved_;
};

// flag → its env twin ("" when the line shows none), from the --help text.
std::map<std::string, std::string> flags_of_help() {
  const auto help = parse({"--help"});
  EXPECT_EQ(help.what, action::exit);
  std::map<std::string, std::string> out;
  const std::regex line(R"(^\s+(--[a-z0-9-]+)[^\n]*?(\(Env:([A-Z0-9_]+)\))?\s*$)");
  std::istringstream in(help.out);
  for (std::string l; std::getline(in, l);) {
    std::smatch m;
    if (std::regex_match(l, m, line) && m[1] != "--help" && m[1] != "--version") {
      out[m[1]] = m[3];
    }
  }
  return out;
}

// A valid value other than the default for every server flag, and a second one (std::nullopt
// for the flags that take no value: their value is "true").
struct sample {
  std::string value;
  std::optional<std::string> other;
};
const std::map<std::string, sample>& samples() {
  static const std::map<std::string, sample> table{
      {"--host", {"127.0.0.1", "::1"}},
      {"--port", {"9000", "0"}},
      {"--port-file", {"/tmp/port", "/tmp/port2"}},
      {"--data-dir", {"/data", "/srv"}},
      {"--allow-any-absolute-db-path", {"true", std::nullopt}},
      {"--threads", {"7", "256"}},
      {"--read-threads", {"9", "1"}},
      {"--write-threads", {"5", "256"}},
      {"--log-level", {"debug", "off"}},
      {"--access-log", {"false", "true"}},
      {"--max-body-bytes", {"1", "4294967296"}},
      {"--max-header-bytes", {"512", "1048576"}},
      {"--max-buffered-response-bytes", {"0", "1099511627776"}},
      {"--max-connections", {"0", "10000000"}},
      {"--max-open-dbs", {"1", "100000"}},
      {"--db-slot-wait-ms", {"0", "600000"}},
      {"--db-slot-waiters", {"0", "1000000"}},
      {"--read-timeout", {"1", "3600"}},
      {"--idle-timeout", {"1", "86400"}},
      {"--shutdown-timeout", {"0", "3600"}},
      {"--db-idle-close", {"1", "604800"}},
      {"--synchronous", {"full", "NORMAL"}},
      {"--busy-timeout-ms", {"0", "600000"}},
      {"--query-timeout-ms", {"0", "3600000"}},
      {"--ttl-sweep-interval", {"2", "3600"}},
      {"--query-history-limit", {"1", "1000000"}},
      {"--read-cache-kib", {"0", "4194304"}},
      {"--watch-max-watchers", {"0", "1000000"}},
      {"--watch-heartbeat-ms", {"100", "3600000"}},
      {"--watch-buffer-bytes", {"4096", "1073741824"}},
      {"--watch-poll-ms", {"10", "60000"}},
      {"--auth-token", {"secret", "other"}},
      {"--read-only-token", {"reader", "other"}},
      {"--jwt-key-file", {"/keys", "/other-keys"}},
      {"--cors-origin", {"*", "https://a.example"}},
      {"--history-max-age", {"3600", "1099511627776"}},
      {"--history-max-ops-per-key", {"5", "1099511627776"}},
      {"--history-prune-interval", {"1", "86400"}},
      {"--checkpoint-mode", {"external", "passive"}},
      {"--wal-warn-bytes", {"1", "1125899906842624"}},
      {"--drain-delay-ms", {"1", "3600000"}},
      {"--primary-file", {"/run/primary", "/run/other"}},
      {"--read-only", {"true", std::nullopt}},
  };
  return table;
}

std::vector<std::string> flag_args(const std::string& flag, const sample& s) {
  return s.other ? std::vector<std::string>{flag, s.value} : std::vector<std::string>{flag};
}

TEST_F(command_line_test, no_arguments_give_the_defaults_of_config) {
  const auto r = parse({});
  EXPECT_EQ(r.what, action::serve);
  EXPECT_TRUE(r.cfg == config{});
  EXPECT_TRUE(r.out.empty());
  EXPECT_TRUE(r.err.empty());
}

TEST_F(command_line_test, no_arguments_keep_the_defaults_given_and_help_shows_them) {
  config defaults = hoody::with_machine_threads({}, 7);
  defaults.port = 1234;
  const auto r = parse({}, defaults);
  EXPECT_EQ(r.what, action::serve);
  EXPECT_TRUE(r.cfg == defaults);
  const auto help = parse({"--help"}, defaults).out;
  EXPECT_NE(help.find("--threads UINT:INT in [1 - 256]=7 "), std::string::npos) << help;
  EXPECT_NE(help.find("--write-threads UINT:INT in [1 - 256]=3 "), std::string::npos) << help;
  EXPECT_NE(help.find("--port UINT=1234 "), std::string::npos) << help;
}

TEST_F(command_line_test, thread_defaults_follow_the_cores) {
  const auto one = hoody::with_machine_threads({}, 1);
  EXPECT_EQ(one.io_threads, 1U);
  EXPECT_EQ(one.read_threads, 2U);
  EXPECT_EQ(one.write_threads, 1U);
  const auto none = hoody::with_machine_threads({}, 0);
  EXPECT_EQ(none.io_threads, 1U);
  EXPECT_EQ(none.read_threads, 2U);
  EXPECT_EQ(none.write_threads, 1U);
  const auto eight = hoody::with_machine_threads({}, 8);
  EXPECT_EQ(eight.io_threads, 8U);
  EXPECT_EQ(eight.read_threads, 8U);
  EXPECT_EQ(eight.write_threads, 4U);
  config other;
  other.port = 1;
  EXPECT_EQ(hoody::with_machine_threads(other, 8).port, 1U);
}

TEST_F(command_line_test, every_flag_of_help_has_an_env_twin_that_sets_its_field) {
  const auto flags = flags_of_help();
  ASSERT_GT(flags.size(), 40U);
  for (const auto& [flag, env] : flags) {
    SCOPED_TRACE(flag);
    EXPECT_EQ(env, env_twin(flag)) << flag << " lacks its environment twin";
    const auto s = samples().find(flag);
    ASSERT_NE(s, samples().end()) << "add " << flag << " to samples() of this test";
    const auto by_flag = parse(flag_args(flag, s->second));
    ASSERT_EQ(by_flag.what, action::serve) << by_flag.err;
    EXPECT_FALSE(by_flag.cfg == config{}) << flag << " " << s->second.value << " changes nothing";
    const scoped_env twin(env_twin(flag), s->second.value);
    const auto by_env = parse({});
    ASSERT_EQ(by_env.what, action::serve) << by_env.err;
    EXPECT_TRUE(by_env.cfg == by_flag.cfg)
        << env_twin(flag) << " does not do what " << flag << " does";
  }
  for (const auto& [flag, s] : samples()) {
    EXPECT_TRUE(flags.contains(flag)) << flag << " is not in --help any more";
  }
}

TEST_F(command_line_test, the_flag_wins_over_its_env_twin) {
  for (const auto& [flag, s] : samples()) {
    if (!s.other) {
      continue;  // a flag without a value can only say true (see boolean_flags_...)
    }
    SCOPED_TRACE(flag);
    const auto alone = parse({flag, *s.other});
    ASSERT_EQ(alone.what, action::serve) << alone.err;
    const scoped_env twin(env_twin(flag), s.value);
    const auto env_only = parse({});
    const auto both = parse({flag, *s.other});
    ASSERT_EQ(both.what, action::serve) << both.err;
    EXPECT_TRUE(both.cfg == alone.cfg);
    EXPECT_FALSE(both.cfg == env_only.cfg);
  }
}

TEST_F(command_line_test, out_of_range_and_unknown_values_are_refused) {
  const std::vector<std::pair<std::string, std::string>> refused{
      {"--drain-delay-ms", "3600001"},
      {"--drain-delay-ms", "-1"},
      {"--checkpoint-mode", "bogus"},
      {"--checkpoint-mode", "TRUNCATE"},
      {"--synchronous", "bogus"},
      {"--synchronous", "OFF"},
      {"--log-level", "loud"},
      {"--threads", "0"},
      {"--threads", "257"},
      {"--read-threads", "0"},
      {"--write-threads", "257"},
      {"--port", "65536"},
      {"--port", "http"},
      {"--max-body-bytes", "0"},
      {"--max-header-bytes", "511"},
      {"--max-open-dbs", "0"},
      {"--db-slot-wait-ms", "600001"},
      {"--read-timeout", "0"},
      {"--idle-timeout", "86401"},
      {"--shutdown-timeout", "3601"},
      {"--db-idle-close", "604801"},
      {"--busy-timeout-ms", "-1"},
      {"--query-timeout-ms", "3600001"},
      {"--ttl-sweep-interval", "0"},
      {"--query-history-limit", "0"},
      {"--read-cache-kib", "4194305"},
      {"--watch-heartbeat-ms", "99"},
      {"--watch-buffer-bytes", "4095"},
      {"--watch-poll-ms", "9"},
      {"--history-max-age", "-1"},
      {"--history-prune-interval", "0"},
      {"--access-log", "maybe"},
  };
  for (const auto& [flag, value] : refused) {
    SCOPED_TRACE(flag + " " + value);
    const auto r = parse({flag, value});
    EXPECT_EQ(r.what, action::exit);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err.rfind("hoody-sqlite: ", 0), 0U) << r.err;
    EXPECT_NE(r.err.find(flag), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("\nRun with --help for the list of flags.\n"), std::string::npos);
    EXPECT_TRUE(r.out.empty());
    // The environment is checked like the command line.
    const scoped_env twin(env_twin(flag), value);
    const auto from_env = parse({});
    EXPECT_EQ(from_env.what, action::exit);
    EXPECT_EQ(from_env.exit_code, 2);
  }
  EXPECT_EQ(parse({"--drain-delay-ms", "3600000"}).cfg.drain_delay_ms, 3600000U);
  EXPECT_EQ(parse({"--nosuch"}).exit_code, 2);
  EXPECT_EQ(parse({"--port"}).exit_code, 2);
}

TEST_F(command_line_test, synchronous_comes_back_upper_case) {
  EXPECT_EQ(parse({"--synchronous", "full"}).cfg.synchronous, "FULL");
  EXPECT_EQ(parse({"--synchronous", "Normal"}).cfg.synchronous, "NORMAL");
  const scoped_env twin("HOODY_SQLITE_SYNCHRONOUS", "full");
  EXPECT_EQ(parse({}).cfg.synchronous, "FULL");
}

TEST_F(command_line_test, boolean_flags_and_their_twins) {
  EXPECT_TRUE(parse({"--read-only"}).cfg.read_only);
  EXPECT_TRUE(parse({"--allow-any-absolute-db-path"}).cfg.allow_any_absolute_db_path);
  EXPECT_FALSE(parse({"--access-log", "false"}).cfg.access_log);
  EXPECT_FALSE(parse({"--access-log", "0"}).cfg.access_log);
  EXPECT_TRUE(parse({"--access-log", "true"}).cfg.access_log);
  EXPECT_TRUE(parse({"--access-log=1"}).cfg.access_log);
  {
    const scoped_env twin("HOODY_SQLITE_READ_ONLY", "1");
    EXPECT_TRUE(parse({}).cfg.read_only);
  }
  {
    const scoped_env twin("HOODY_SQLITE_READ_ONLY", "false");
    EXPECT_FALSE(parse({}).cfg.read_only);
  }
  {
    const scoped_env twin("HOODY_SQLITE_ACCESS_LOG", "false");
    EXPECT_FALSE(parse({}).cfg.access_log);
    EXPECT_TRUE(parse({"--access-log", "true"}).cfg.access_log);  // the flag wins
  }
  {
    const scoped_env twin("HOODY_SQLITE_ALLOW_ANY_ABSOLUTE_DB_PATH", "true");
    EXPECT_TRUE(parse({}).cfg.allow_any_absolute_db_path);
  }
  const auto with_value = parse({"--read-only", "yes"});  // a flag takes no value
  EXPECT_EQ(with_value.exit_code, 2);
}

TEST_F(command_line_test, help_and_version_exit_0_with_their_text) {
  const auto help = parse({"--help"});
  EXPECT_EQ(help.what, action::exit);
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_EQ(help.out.rfind("hoody-sqlite: SQLite databases over HTTP", 0), 0U) << help.out;
  EXPECT_TRUE(help.err.empty());
  EXPECT_NE(help.out.find("Subcommands:"), std::string::npos);
  const auto help_later = parse({"--port", "5", "--help"});
  EXPECT_EQ(help_later.exit_code, 0);
  EXPECT_EQ(help_later.out, help.out);
  const auto version = parse({"--version"});
  EXPECT_EQ(version.what, action::exit);
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, std::string("hoody-sqlite ") + HOODY_VERSION + "\n");
  const auto token_help = parse({"token", "--help"});
  EXPECT_EQ(token_help.exit_code, 0);
  EXPECT_NE(token_help.out.find("--jwt-private-key-file"), std::string::npos) << token_help.out;
  EXPECT_NE(token_help.out, help.out);
}

TEST_F(command_line_test, token_comes_back_checked) {
  const auto r = parse({"token", "--db", "app*", "--db", "b", "--access", "write", "--ttl", "15m",
                        "--sub", "ci", "--jwt-key-file", "/keys", "--port", "9000"});
  ASSERT_EQ(r.what, action::mint) << r.err;
  EXPECT_FALSE(r.mint.share);
  EXPECT_EQ(r.mint.databases, (std::vector<std::string>{"app*", "b"}));
  EXPECT_EQ(r.mint.access, "write");
  EXPECT_EQ(r.mint.ttl_s, 900);
  EXPECT_EQ(r.mint.subject, "ci");
  EXPECT_EQ(r.cfg.jwt_key_file, "/keys");
  EXPECT_EQ(r.cfg.port, 9000U);  // server flags after the subcommand's name
  const auto defaults = parse({"--jwt-key-file", "/keys", "token", "--db", "x"});
  ASSERT_EQ(defaults.what, action::mint) << defaults.err;
  EXPECT_EQ(defaults.mint.access, "read");
  EXPECT_EQ(defaults.mint.ttl_s, 3600);
  EXPECT_TRUE(defaults.mint.subject.empty());
  {
    const scoped_env twin("HOODY_SQLITE_JWT_KEY_FILE", "/env-keys");
    const auto from_env = parse({"token", "--db", "x"});
    ASSERT_EQ(from_env.what, action::mint) << from_env.err;
    EXPECT_EQ(from_env.cfg.jwt_key_file, "/env-keys");
  }
  const auto eddsa = parse({"token", "--db", "x", "--jwt-private-key-file", "/ed.pem"});
  ASSERT_EQ(eddsa.what, action::mint) << eddsa.err;  // no --jwt-key-file needed
  EXPECT_EQ(eddsa.mint.private_key_file, "/ed.pem");
}

TEST_F(command_line_test, token_and_share_errors_exit_2) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> refused{
      {{"token", "--db", "x"},
       "hoody-sqlite: --jwt-key-file (or HOODY_SQLITE_JWT_KEY_FILE) is "
       "required\n"},
      {{"token", "--db", "x", "--ttl", "0", "--jwt-key-file", "/k"},
       "hoody-sqlite: --ttl must be a positive duration (3600, 90s, 15m, 1h, 7d)\n"},
      {{"token", "--db", "x", "--ttl", "soon", "--jwt-key-file", "/k"},
       "hoody-sqlite: --ttl must be a positive duration (3600, 90s, 15m, 1h, 7d)\n"},
      {{"token", "--db", "", "--jwt-key-file", "/k"}, "hoody-sqlite: --db must not be empty\n"},
      {{"token", "--db", "x", "--access", "root", "--jwt-key-file", "/k"},
       "hoody-sqlite: --access: root not in {read,write,admin}\nRun with --help for the list of "
       "flags.\n"},
      {{"token", "--jwt-key-file", "/k"},
       "hoody-sqlite: --db is required\nRun with --help for the list of flags.\n"},
      {{"share", "--db", "x", "--jwt-key-file", "/k"},
       "hoody-sqlite: --sql is required\nRun with --help for the list of flags.\n"},
      {{"share", "--db", "x", "--db", "y", "--sql", "SELECT 1", "--jwt-key-file", "/k"},
       "hoody-sqlite: --db: At Most 1 required but received 2\nRun with --help for the list of "
       "flags.\n"},
      {{"share", "--db", "x", "--sql", "SELECT 1"},
       "hoody-sqlite: --jwt-key-file (or HOODY_SQLITE_JWT_KEY_FILE) is required\n"},
  };
  for (const auto& [args, err] : refused) {
    SCOPED_TRACE(args.front() + " " + args.at(1) + " ...");
    const auto r = parse(args);
    EXPECT_EQ(r.what, action::exit);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, err);
  }
}

TEST_F(command_line_test, share_comes_back_checked) {
  const auto r = parse({"share", "--db", "app1", "--sql", "SELECT x FROM t", "--ttl", "10m",
                        "--base-url", "https://h.example", "--jwt-key-file", "/k"});
  ASSERT_EQ(r.what, action::mint) << r.err;
  EXPECT_TRUE(r.mint.share);
  EXPECT_EQ(r.mint.databases, std::vector<std::string>{"app1"});
  EXPECT_EQ(r.mint.sql, "SELECT x FROM t");
  EXPECT_EQ(r.mint.ttl_s, 600);
  EXPECT_EQ(r.mint.base_url, "https://h.example");
  EXPECT_EQ(r.cfg.jwt_key_file, "/k");
}

}  // namespace
