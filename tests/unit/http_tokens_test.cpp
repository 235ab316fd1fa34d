// Scoped JWTs and share links: encodings, primitives (RFC vectors), key file, claims, scopes,
// and the access decision the dispatcher applies (http/tokens.hpp, http/access_control.hpp).
#include "hoody/http/tokens.hpp"

#include "hoody/handlers/openapi.hpp"
#include "hoody/handlers/routes.hpp"
#include "hoody/http/access_control.hpp"

#include "support/ed25519_test_keys.hpp"

#include <gtest/gtest.h>

namespace {
using namespace hoody;
using namespace hoody::http;
using namespace hoody::http::auth;
using nlohmann::json;

std::string hex(std::string_view bytes) {
  static constexpr std::string_view digits = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    out += digits[static_cast<unsigned char>(c) >> 4U];
    out += digits[static_cast<unsigned char>(c) & 15U];
  }
  return out;
}

std::string unhex(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i + 1 < text.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16));
  }
  return out;
}

using hoody::test::ed_private_pem;  // RFC 8032 §7.1 test 1
using hoody::test::ed_public_pem;
const std::string secret = "0123456789abcdef0123456789abcdef";  // 32 bytes
constexpr std::int64_t now = 1'800'000'000;

key_set hs_keys() {
  return key_set::parse("hs256 " + secret + "\n");
}

std::string hs_token(const json& payload, const std::string& key = secret) {
  return sign_jwt_hs256(payload, key);
}

TEST(tokens, base64url_rfc4648_vectors_and_strictness) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}, {"\xfb\xff", "-_8"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64url_encode(plain), encoded);
    EXPECT_EQ(base64url_decode(encoded), plain) << encoded;
  }
  EXPECT_FALSE(base64url_decode("Zg=="));   // no padding in JWTs
  EXPECT_FALSE(base64url_decode("+/8"));    // standard alphabet refused
  EXPECT_FALSE(base64url_decode("Zm9vY"));  // impossible length
  EXPECT_FALSE(base64url_decode("Zh"));     // non-canonical trailing bits
}

TEST(tokens, hmac_sha256_rfc4231_case_2) {
  EXPECT_EQ(hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hmac_sha256("", "x").size(), 32U);
}

TEST(tokens, ed25519_rfc8032_test_1) {
  const auto pub = unhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  const auto sig = unhex(
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9"
      "b46bd25bf5f0595bbe24655141438e7a100b");
  EXPECT_TRUE(ed25519_verify(pub, "", sig));
  EXPECT_FALSE(ed25519_verify(pub, "x", sig));
  EXPECT_EQ(ed25519_sign(ed_private_pem, ""), sig);  // Ed25519 is deterministic
  EXPECT_THROW((void)ed25519_sign(ed_public_pem, ""), std::runtime_error);
  const auto keys = key_set::parse("# rotation: two keys\n" + ed_public_pem);
  ASSERT_EQ(keys.ed25519.size(), 1U);
  EXPECT_EQ(keys.ed25519.front(), pub);
}

TEST(tokens, key_file_format) {
  const auto keys = key_set::parse("# comment\n\nhs256 " + secret + "\n  hs256\t" + secret +
                                   "-old  \n" + ed_public_pem);
  EXPECT_EQ(keys.hs256, (std::vector<std::string>{secret, secret + "-old"}));
  EXPECT_EQ(keys.ed25519.size(), 1U);
  ASSERT_EQ(keys.share.size(), 1U);  // the first hs256 secret doubles as share secret
  EXPECT_EQ(keys.share.front(), share_key_from(secret));
  EXPECT_NE(keys.share.front(), secret);
  const auto share_only = key_set::parse("share " + secret + "\nshare " + secret + "-2\n");
  EXPECT_FALSE(share_only.has_jwt_keys());
  EXPECT_EQ(share_only.share.size(), 2U);
  auto error_of = [](const std::string& text) {
    try {
      (void)key_set::parse(text);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("parsed");
  };
  EXPECT_NE(error_of("\nhs256 short\n").find("line 2: hs256 secret must be at least 32"),
            std::string::npos);
  EXPECT_NE(error_of("rsa " + secret).find("line 1: expected"), std::string::npos);
  EXPECT_NE(error_of(ed_private_pem).find("private keys are for the token command"),
            std::string::npos);
  EXPECT_NE(error_of("-----BEGIN PUBLIC KEY-----\nAAAA\n").find("without"), std::string::npos);
  EXPECT_NE(error_of("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
                .find("not a PEM public key"),
            std::string::npos);
  EXPECT_NE(error_of("# nothing\n").find("no key found"), std::string::npos);
  EXPECT_THROW((void)key_set::load("/nonexistent/keys"), std::runtime_error);
}

TEST(tokens, database_patterns) {
  EXPECT_TRUE(db_pattern_matches("app*", "app1"));
  EXPECT_TRUE(db_pattern_matches("app*", "app"));
  EXPECT_TRUE(db_pattern_matches("app*", "./app1"));
  EXPECT_TRUE(db_pattern_matches("app*", "app1.db"));
  EXPECT_FALSE(db_pattern_matches("app*", "other"));
  EXPECT_FALSE(db_pattern_matches("app*", "ap"));
  EXPECT_FALSE(db_pattern_matches("app*", "/data/app1"));
  EXPECT_TRUE(db_pattern_matches("app1", "app1.db"));
  EXPECT_TRUE(db_pattern_matches("app1", "./app1"));
  EXPECT_TRUE(db_pattern_matches("app1.db", "app1"));
  EXPECT_FALSE(db_pattern_matches("app1", "app10"));
  EXPECT_FALSE(db_pattern_matches("app1", "app1.sqlite"));
  EXPECT_TRUE(db_pattern_matches("*", "anything"));
  EXPECT_FALSE(db_pattern_matches("", "x"));
}

TEST(tokens, hs256_token_round_trip_and_claims) {
  const auto keys = hs_keys();
  const auto token = hs_token(token_payload({"app*", "reports"}, level::write, now, 3600, "ci"));
  const auto r = verify_jwt(token, keys, now + 10);
  ASSERT_TRUE(r.valid) << r.error;
  EXPECT_EQ(r.valid->access, level::write);
  EXPECT_EQ(r.valid->databases, (std::vector<std::string>{"app*", "reports"}));
  EXPECT_EQ(r.valid->subject, "ci");
  EXPECT_EQ(r.valid->exp, now + 3600);
  EXPECT_TRUE(r.valid->allows_database("app7"));
  EXPECT_TRUE(r.valid->allows_database("reports"));
  EXPECT_FALSE(r.valid->allows_database("other"));
  // A second (older) secret still verifies: rotation.
  const auto rotated = key_set::parse("hs256 " + secret + "-new\nhs256 " + secret + "\n");
  EXPECT_TRUE(verify_jwt(token, rotated, now).valid);
  EXPECT_EQ(verify_jwt(token, key_set::parse("hs256 " + secret + "-other\n"), now).error,
            "token signature does not verify");
}

TEST(tokens, expiry_and_not_before) {
  const auto keys = hs_keys();
  const auto token = hs_token(token_payload({"a"}, level::read, now, 60));
  EXPECT_TRUE(verify_jwt(token, keys, now + 60 + clock_leeway_s - 1).valid);
  const auto expired = verify_jwt(token, keys, now + 60 + clock_leeway_s);
  EXPECT_FALSE(expired.valid);
  EXPECT_EQ(expired.error.rfind("token expired at 2027-01-15T08:01:00Z", 0), 0U) << expired.error;
  auto payload = token_payload({"a"}, level::read, now, 600);
  payload["nbf"] = now + 300;
  const auto early = verify_jwt(hs_token(payload), keys, now);
  EXPECT_EQ(early.error.rfind("token not valid before", 0), 0U) << early.error;
  EXPECT_TRUE(verify_jwt(hs_token(payload), keys, now + 300 - clock_leeway_s).valid);
  payload.erase("nbf");
  payload.erase("exp");
  EXPECT_NE(verify_jwt(hs_token(payload), keys, now).error.find("no \"exp\""), std::string::npos);
  payload["exp"] = "tomorrow";
  EXPECT_NE(verify_jwt(hs_token(payload), keys, now).error.find("must be a number"),
            std::string::npos);
  payload["exp"] = static_cast<double>(now) + 10.5;  // NumericDate may be fractional
  EXPECT_TRUE(verify_jwt(hs_token(payload), keys, now).valid);
}

TEST(tokens, claims_are_validated) {
  const auto keys = hs_keys();
  auto payload = token_payload({"a"}, level::read, now, 600);
  auto error_with = [&](const char* name, const json& value) {
    auto p = payload;
    if (value.is_null()) {
      p.erase(name);
    } else {
      p[name] = value;
    }
    return verify_jwt(hs_token(p), keys, now).error;
  };
  EXPECT_NE(error_with("db", nullptr).find("no \"db\""), std::string::npos);
  EXPECT_NE(error_with("db", json::array()).find("no \"db\""), std::string::npos);
  EXPECT_NE(error_with("db", json::array({"a", 1})).find("non-empty strings"), std::string::npos);
  EXPECT_EQ(error_with("db", "single"), "");
  EXPECT_NE(error_with("access", "root").find("\"access\" must be"), std::string::npos);
  EXPECT_NE(error_with("access", nullptr).find("\"access\" must be"), std::string::npos);
  EXPECT_EQ(error_with("access", "admin"), "");
}

TEST(tokens, malformed_and_confused_tokens_are_refused) {
  const auto keys = hs_keys();
  const auto good = hs_token(token_payload({"a"}, level::admin, now, 600));
  EXPECT_TRUE(verify_jwt(good, keys, now).valid);
  EXPECT_NE(verify_jwt("not-a-jwt", keys, now).error.find("not a JWT"), std::string::npos);
  EXPECT_NE(verify_jwt(good + ".x", keys, now).error.find("not a JWT"), std::string::npos);
  EXPECT_NE(verify_jwt("a+b.c.d", keys, now).error.find("base64url"), std::string::npos);
  const auto payload = good.substr(good.find('.') + 1, good.rfind('.') - good.find('.') - 1);
  const auto sig = good.substr(good.rfind('.') + 1);
  // alg "none" with no signature, and an EdDSA header on an HMAC signature.
  const auto none = base64url_encode(R"({"alg":"none"})") + "." + payload + ".";
  EXPECT_NE(verify_jwt(none, keys, now).error.find("unsupported JWT alg \"none\""),
            std::string::npos);
  const auto eddsa = base64url_encode(R"({"alg":"EdDSA"})") + "." + payload + "." + sig;
  EXPECT_NE(verify_jwt(eddsa, keys, now).error.find("no Ed25519 public key"), std::string::npos);
  // Tampered payload: access escalated to admin → the signature no longer matches.
  auto escalated = token_payload({"*"}, level::admin, now, 600);
  const auto forged =
      good.substr(0, good.find('.')) + "." + base64url_encode(escalated.dump()) + "." + sig;
  EXPECT_EQ(verify_jwt(forged, keys, now).error, "token signature does not verify");
  // An unsigned junk payload is never parsed: the signature fails first.
  const auto junk =
      good.substr(0, good.find('.')) + "." + base64url_encode(std::string(5000, '[')) + "." + sig;
  EXPECT_EQ(verify_jwt(junk, keys, now).error, "token signature does not verify");
  const auto deep =
      base64url_encode(R"({"alg":"HS256","x":[[[[[[[[[[1]]]]]]]]]]})") + "." + payload;
  EXPECT_NE(verify_jwt(deep + "." + sig, keys, now).error.find("too large or nested"),
            std::string::npos);
  const auto not_json = base64url_encode(R"({"alg":"HS256"})") + "." + base64url_encode("[1]");
  EXPECT_NE(verify_jwt(not_json + "." + base64url_encode(hmac_sha256(secret, not_json)), keys, now)
                .error.find("payload must be an object"),
            std::string::npos);
  const auto crit = base64url_encode(R"({"alg":"HS256","crit":["x"]})") + "." + payload;
  EXPECT_NE(verify_jwt(crit + "." + base64url_encode(hmac_sha256(secret, crit)), keys, now)
                .error.find("crit"),
            std::string::npos);
}

TEST(tokens, eddsa_tokens_verify_with_the_public_key_only) {
  const auto keys = key_set::parse(ed_public_pem);
  const auto token =
      sign_jwt_ed25519(token_payload({"app*"}, level::read, now, 600), ed_private_pem);
  const auto r = verify_jwt(token, keys, now);
  ASSERT_TRUE(r.valid) << r.error;
  EXPECT_EQ(r.valid->access, level::read);
  EXPECT_NE(verify_jwt(hs_token(token_payload({"a"}, level::read, now, 600)), keys, now)
                .error.find("no hs256 secret"),
            std::string::npos);
  auto tampered = token;
  tampered[tampered.size() - 2] = tampered[tampered.size() - 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify_jwt(tampered, keys, now).valid);
}

TEST(tokens, share_links) {
  const auto keys = hs_keys();
  const auto& key = keys.share.front();
  const auto sig = share_signature(key, "app1", "SELECT 1", now + 60);
  EXPECT_EQ(check_share_link(keys, "app1", "SELECT 1", std::to_string(now + 60), sig, now), "");
  EXPECT_NE(check_share_link(keys, "app2", "SELECT 1", std::to_string(now + 60), sig, now), "");
  EXPECT_NE(check_share_link(keys, "app1", "SELECT 2", std::to_string(now + 60), sig, now), "");
  EXPECT_NE(check_share_link(keys, "app1", "SELECT 1", std::to_string(now + 61), sig, now)
                .find("signature does not match"),
            std::string::npos);
  EXPECT_NE(check_share_link(keys, "app1", "SELECT 1", std::to_string(now + 60), sig, now + 60)
                .find("share link expired"),
            std::string::npos);
  EXPECT_NE(check_share_link(keys, "app1", "SELECT 1", "soon", sig, now).find("Unix seconds"),
            std::string::npos);
  EXPECT_NE(check_share_link(key_set{}, "app1", "SELECT 1", "1", sig, now).find("not enabled"),
            std::string::npos);
  // The field separators cannot be shifted: "a" + "b\nc" differs from "a\nb" + "c".
  EXPECT_NE(share_signature(key, "a", "b\nc", 1), share_signature(key, "a\nb", "c", 1));
  const auto link = share_link(keys, "/api/v1/sqlite/query", "my db", "SELECT 1", now + 60);
  EXPECT_EQ(link, "/api/v1/sqlite/query?db=my%20db&sql=" + base64url_encode("SELECT 1") +
                      "&exp=" + std::to_string(now + 60) +
                      "&sig=" + share_signature(key, "my db", "SELECT 1", now + 60));
}

TEST(tokens, durations) {
  EXPECT_EQ(parse_duration("3600"), 3600);
  EXPECT_EQ(parse_duration("90s"), 90);
  EXPECT_EQ(parse_duration("15m"), 900);
  EXPECT_EQ(parse_duration("1h"), 3600);
  EXPECT_EQ(parse_duration("7d"), 7 * 86400);
  EXPECT_FALSE(parse_duration("0"));
  EXPECT_FALSE(parse_duration("-1h"));
  EXPECT_FALSE(parse_duration("1w"));
  EXPECT_FALSE(parse_duration("h"));
  EXPECT_FALSE(parse_duration(""));
}

// ---- the decision the dispatcher applies --------------------------------------------------

request make(verb v, const std::string& target_db, const std::string& token = {}) {
  request r;
  r.method = v;
  r.path = "/x";
  if (!target_db.empty()) {
    r.query.emplace_back("db", target_db);
  }
  if (!token.empty()) {
    r.headers.emplace_back("authorization", "Bearer " + token);
  }
  return r;
}

route make_route(verb v, http::access mode, db_use db = db_use::existing) {
  route r;
  r.method = v;
  r.mode = mode;
  r.db = db;
  return r;
}

int status_of(const access_decision& d) {
  return d.denied ? d.denied->status : 200;
}

TEST(authorize, required_level_follows_route_metadata) {
  EXPECT_EQ(required_level(make_route(verb::get, http::access::read), {}), level::read);
  EXPECT_EQ(required_level(make_route(verb::post, http::access::read), {}), level::read);
  EXPECT_EQ(required_level(make_route(verb::put, http::access::write), {}), level::write);
  EXPECT_EQ(required_level(make_route(verb::post, http::access::exclusive), {}), level::admin);
  EXPECT_EQ(required_level(make_route(verb::get, http::access::none, db_use::none), {}),
            level::read);
  auto admin = make_route(verb::post, http::access::write);
  admin.admin = true;
  EXPECT_EQ(required_level(admin, {}), level::admin);
  const auto post_db =
      make_route(verb::post, http::access::read_then_write, db_use::create_if_flagged);
  EXPECT_EQ(required_level(post_db, {}), level::read);
  auto create = make(verb::post, "a");
  create.query.emplace_back("create_db_if_missing", "true");
  EXPECT_EQ(required_level(post_db, create), level::write);
  auto bad_flag = make(verb::post, "a");
  bad_flag.query.emplace_back("auto_create", "maybe");
  EXPECT_EQ(required_level(post_db, bad_flag), level::write);
}

TEST(authorize, scoped_tokens) {
  config cfg;
  cfg.auth_token = "full";
  const auto keys = hs_keys();
  const auto read = hs_token(token_payload({"app*"}, level::read, now, 600));
  const auto write = hs_token(token_payload({"app*"}, level::write, now, 600));
  const auto admin = hs_token(token_payload({"app*"}, level::admin, now, 600));
  const auto get = make_route(verb::get, http::access::read);
  const auto put = make_route(verb::put, http::access::write);
  const auto maintenance = make_route(verb::post, http::access::exclusive);
  const auto post_db =
      make_route(verb::post, http::access::read_then_write, db_use::create_if_flagged);
  const auto metrics = make_route(verb::get, http::access::none, db_use::none);
  auto decide = [&](const route& r, verb v, const std::string& db, const std::string& token) {
    return authorize(cfg, keys, make(v, db, token), &r, now);
  };
  EXPECT_EQ(status_of(decide(get, verb::get, "app1", read)), 200);
  EXPECT_EQ(status_of(decide(metrics, verb::get, "", read)), 200);
  const auto other = decide(get, verb::get, "other", read);
  EXPECT_EQ(status_of(other), 403);
  EXPECT_NE(other.denied->body.find("does not include database 'other'"), std::string::npos);
  const auto denied_write = decide(put, verb::put, "app1", read);
  EXPECT_EQ(status_of(denied_write), 403);
  EXPECT_NE(denied_write.denied->body.find("needs 'write'"), std::string::npos);
  EXPECT_EQ(status_of(decide(put, verb::put, "app1", write)), 200);
  EXPECT_EQ(status_of(decide(maintenance, verb::post, "app1", write)), 403);
  EXPECT_EQ(status_of(decide(maintenance, verb::post, "app1", admin)), 200);
  // POST /db: a read scope runs on the reader but may not hand over to the writer.
  const auto read_sql = decide(post_db, verb::post, "app1", read);
  EXPECT_EQ(status_of(read_sql), 200);
  EXPECT_FALSE(read_sql.may_write);
  EXPECT_TRUE(decide(post_db, verb::post, "app1", write).may_write);
  // GET routes of read_then_write (history) hand over for bookkeeping: allowed.
  EXPECT_TRUE(decide(make_route(verb::get, http::access::read_then_write), verb::get, "app1", read)
                  .may_write);
  // Bad tokens: 401 with the reason.
  const auto expired = authorize(cfg, keys, make(verb::get, "app1", read), &get, now + 3600);
  EXPECT_EQ(status_of(expired), 401);
  EXPECT_NE(expired.denied->body.find("token expired at"), std::string::npos);
  EXPECT_EQ(status_of(decide(get, verb::get, "app1", "garbage")), 401);
  EXPECT_EQ(status_of(decide(get, verb::get, "app1", "")), 401);
  // The static tokens keep working next to JWTs.
  EXPECT_EQ(status_of(decide(maintenance, verb::post, "other", "full")), 200);
  // JWT keys alone switch authentication on.
  EXPECT_EQ(status_of(authorize(config{}, keys, make(verb::get, "app1"), &get, now)), 401);
  EXPECT_EQ(status_of(authorize(config{}, key_set{}, make(verb::get, "app1"), &get, now)), 200);
}

TEST(authorize, share_links_open_only_their_route) {
  config cfg;
  cfg.auth_token = "full";
  const auto keys = hs_keys();
  auto query = make_route(verb::get, http::access::read);
  query.share_link = true;
  const auto exp = now + 60;
  auto link_request = [&](const std::string& db, const std::string& sql) {
    auto req = make(verb::get, db);
    req.query.emplace_back("sql", sql);
    req.query.emplace_back("exp", std::to_string(exp));
    req.query.emplace_back("sig", share_signature(keys.share.front(), "app1", "SELECT 1", exp));
    return req;
  };
  const auto good = authorize(cfg, keys, link_request("app1", "SELECT 1"), &query, now);
  EXPECT_EQ(status_of(good), 200);
  EXPECT_FALSE(good.may_write);
  // The link's sql may travel base64url-encoded: the signature covers the decoded SQL.
  EXPECT_EQ(status_of(authorize(cfg, keys, link_request("app1", base64url_encode("SELECT 1")),
                                &query, now)),
            200);
  EXPECT_EQ(status_of(authorize(cfg, keys, link_request("app2", "SELECT 1"), &query, now)), 401);
  EXPECT_EQ(status_of(authorize(cfg, keys, link_request("app1", "SELECT 2"), &query, now)), 401);
  EXPECT_EQ(status_of(authorize(cfg, keys, link_request("app1", "SELECT 1"), &query, exp)), 401);
  auto plain = make_route(verb::get, http::access::read);  // not a share_link route
  EXPECT_EQ(status_of(authorize(cfg, keys, link_request("app1", "SELECT 1"), &plain, now)), 401);
}

TEST(authorize, openapi_declares_the_schemes_and_each_operations_level) {
  http::router routes;
  handlers::register_all_routes(routes);
  const json doc = handlers::openapi_document(routes);
  const auto& schemes = doc["components"]["securitySchemes"];
  EXPECT_EQ(schemes["bearerAuth"]["scheme"], "bearer");
  EXPECT_EQ(schemes["shareLinkSig"]["in"], "query");
  EXPECT_EQ(schemes["shareLinkSig"]["name"], "sig");
  EXPECT_EQ(schemes["shareLinkExp"]["name"], "exp");
  const auto& query = doc["paths"]["/api/v1/sqlite/query"]["get"];
  ASSERT_TRUE(query["security"].is_array());
  EXPECT_TRUE(query["security"][1].contains("shareLinkSig"));
  EXPECT_TRUE(query["security"][1].contains("shareLinkExp"));
  EXPECT_EQ(query["x-hoody-access"], "read");
  EXPECT_EQ(doc["paths"]["/api/v1/sqlite/share"]["post"]["x-hoody-access"], "admin");
  EXPECT_EQ(doc["paths"]["/api/v1/sqlite/maintenance"]["post"]["x-hoody-access"], "admin");
  EXPECT_EQ(doc["paths"]["/api/v1/sqlite/kv/rollback"]["post"]["x-hoody-access"], "admin");
  EXPECT_EQ(doc["paths"]["/api/v1/sqlite/kv/{key}/rollback"]["post"]["x-hoody-access"], "write");
  EXPECT_EQ(doc["paths"]["/api/v1/sqlite/history"]["delete"]["x-hoody-access"], "admin");
  EXPECT_FALSE(doc["paths"]["/api/v1/sqlite/health"]["get"].contains("x-hoody-access"));
  // Only GET /query takes share links.
  for (const auto& r : routes.routes()) {
    EXPECT_EQ(r.share_link, r.pattern == "/api/v1/sqlite/query") << r.pattern;
  }
}

}  // namespace
