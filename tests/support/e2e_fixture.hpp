// tests/support/e2e_fixture.hpp — what the e2e files share: the API prefix, the text/plain
// header of a KV value, seconds on the steady clock, and the shared shape of the API e2e
// suites: one real server per test suite, and for each test its own client and a fresh database
// named after the test. Tests of one suite run one at a time (gtest), so the suite-wide server
// needs no locking.
#pragma once

#include "support/http_client.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>

namespace hoody::test {

inline const std::string api = "/api/v1/sqlite";

/// Request headers of a text/plain KV value (PUT /kv/...).
inline const std::map<std::string, std::string> text_plain{{"Content-Type", "text/plain"}};

/// Seconds on the steady clock since `start`.
inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

class per_test_database : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { srv_ = new server_process(); }
  static void TearDownTestSuite() {
    delete srv_;
    srv_ = nullptr;
  }
  void SetUp() override {
    c_ = std::make_unique<http_client>(srv_->port());
    db_ = std::string(::testing::UnitTest::GetInstance()->current_test_info()->name());
    const auto r = c_->post(api + "/db/create?path=" + db_, nlohmann::json::object());
    ASSERT_EQ(r.status, 201) << r.body;
  }

  static inline server_process* srv_ = nullptr;
  std::unique_ptr<http_client> c_;
  std::string db_;
};

}  // namespace hoody::test
