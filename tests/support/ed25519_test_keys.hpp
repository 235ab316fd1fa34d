// tests/support/ed25519_test_keys.hpp — the RFC 8032 §7.1 test 1 Ed25519 key pair as PKCS#8 and
// SPKI PEM, shared by the token unit tests and the scoped-auth e2e tests.
#pragma once

#include <string>

namespace hoody::test {

inline const std::string ed_private_pem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
    "-----END PRIVATE KEY-----\n";
inline const std::string ed_public_pem =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
    "-----END PUBLIC KEY-----\n";

}  // namespace hoody::test
