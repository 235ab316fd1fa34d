#include "hoody/http/tokens.hpp"

#include "hoody/core/text.hpp"
#include "hoody/http/access_control.hpp"  // constant_time_equals

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace hoody::http::auth {
namespace {

using nlohmann::json;

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int sextet(char c) {
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 26;
  }
  if (c >= '0' && c <= '9') {
    return c - '0' + 52;
  }
  if (c == '-') {
    return 62;
  }
  if (c == '_') {
    return 63;
  }
  return -1;
}

struct pkey_free {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct bio_free {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct md_ctx_free {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;

// The raw public key of one PEM "PUBLIC KEY" block, which must be Ed25519.
std::string ed25519_public_from_pem(const std::string& pem) {
  std::unique_ptr<BIO, bio_free> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) {
    throw std::runtime_error("out of memory");
  }
  pkey_ptr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    throw std::runtime_error("not a PEM public key");
  }
  if (EVP_PKEY_id(key.get()) != EVP_PKEY_ED25519) {
    throw std::runtime_error("only Ed25519 public keys are supported");
  }
  std::array<unsigned char, 32> raw{};
  std::size_t len = raw.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), raw.data(), &len) != 1 || len != raw.size()) {
    throw std::runtime_error("cannot read the Ed25519 public key");
  }
  return {reinterpret_cast<const char*>(raw.data()), len};
}

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t v = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end || text.empty()) {
    return std::nullopt;
  }
  return v;
}

std::string utc_time(std::int64_t t) {
  const auto tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  std::array<char, 32> buf{};
  std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf.data();
}

// A NumericDate claim: a JSON number (fractions are truncated), or nullopt when absent.
std::optional<std::int64_t> numeric_date(const json& payload, const char* name, std::string& err) {
  const auto it = payload.find(name);
  if (it == payload.end()) {
    return std::nullopt;
  }
  if (it->is_number_integer() || it->is_number_unsigned()) {
    if (it->is_number_unsigned() && it->get<std::uint64_t>() > (std::uint64_t{1} << 62U)) {
      err = std::string("claim '") + name + "' is out of range";
      return std::nullopt;
    }
    return it->get<std::int64_t>();
  }
  if (it->is_number_float()) {
    const double d = it->get<double>();
    if (!(d > -4.6e18 && d < 4.6e18)) {
      err = std::string("claim '") + name + "' is out of range";
      return std::nullopt;
    }
    return static_cast<std::int64_t>(d);
  }
  err = std::string("claim '") + name + "' must be a number (Unix seconds)";
  return std::nullopt;
}

std::string jwt_sign_input(const json& header, const json& payload) {
  return base64url_encode(header.dump()) + "." + base64url_encode(payload.dump());
}

}  // namespace

// ---- encodings and primitives ------------------------------------------------------------

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const auto n = (static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16U) |
                   (static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8U) |
                   static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 2]));
    out += alphabet[(n >> 18U) & 63U];
    out += alphabet[(n >> 12U) & 63U];
    out += alphabet[(n >> 6U) & 63U];
    out += alphabet[n & 63U];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    auto n = static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16U;
    if (rest == 2) {
      n |= static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8U;
    }
    out += alphabet[(n >> 18U) & 63U];
    out += alphabet[(n >> 12U) & 63U];
    if (rest == 2) {
      out += alphabet[(n >> 6U) & 63U];
    }
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(text.size() * 3 / 4);
  unsigned acc = 0;
  unsigned bits = 0;
  for (const char c : text) {
    const int v = sextet(c);
    if (v < 0) {
      return std::nullopt;
    }
    acc = (acc << 6U) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFFU);
    }
  }
  if ((acc & ((1U << bits) - 1U)) != 0) {
    return std::nullopt;  // non-canonical: leftover bits must be zero
  }
  return out;
}

std::string hmac_sha256(std::string_view key, std::string_view message) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned len = 0;
  // An empty key is valid HMAC; OpenSSL wants a non-null pointer for it.
  static const unsigned char empty = 0;
  const auto* key_data = key.empty() ? &empty : reinterpret_cast<const unsigned char*>(key.data());
  if (HMAC(EVP_sha256(), key_data, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(),
           &len) == nullptr) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return {reinterpret_cast<const char*>(mac.data()), len};
}

bool ed25519_verify(std::string_view public_key, std::string_view message,
                    std::string_view signature) {
  if (public_key.size() != 32 || signature.size() != 64) {
    return false;
  }
  pkey_ptr key(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(public_key.data()),
      public_key.size()));
  std::unique_ptr<EVP_MD_CTX, md_ctx_free> ctx(EVP_MD_CTX_new());
  if (!key || !ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

std::string ed25519_sign(std::string_view private_key_pem, std::string_view message) {
  std::unique_ptr<BIO, bio_free> bio(
      BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size())));
  pkey_ptr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key || EVP_PKEY_id(key.get()) != EVP_PKEY_ED25519) {
    throw std::runtime_error("not a PEM Ed25519 private key");
  }
  std::unique_ptr<EVP_MD_CTX, md_ctx_free> ctx(EVP_MD_CTX_new());
  std::array<unsigned char, 64> sig{};
  std::size_t len = sig.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig.data(), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    throw std::runtime_error("Ed25519 signing failed");
  }
  return {reinterpret_cast<const char*>(sig.data()), len};
}

// ---- keys --------------------------------------------------------------------------------

std::string share_key_from(std::string_view secret) {
  return hmac_sha256(secret, "hoody-sqlite share link v1");
}

key_set key_set::parse(std::string_view text) {
  key_set keys;
  std::vector<std::string> share_secrets;
  std::istringstream in{std::string(text)};
  std::string line;
  int number = 0;
  auto fail = [&number](const std::string& what) {
    throw std::runtime_error("line " + std::to_string(number) + ": " + what);
  };
  while (std::getline(in, line)) {
    ++number;
    const auto item = trim(line);
    if (item.empty() || item.front() == '#') {
      continue;
    }
    if (item.rfind("-----BEGIN ", 0) == 0) {
      if (item != "-----BEGIN PUBLIC KEY-----") {
        fail(
            "only \"-----BEGIN PUBLIC KEY-----\" blocks (Ed25519 public keys) belong here; "
            "private keys are for the token command's --jwt-private-key-file");
      }
      std::string pem = std::string(item) + "\n";
      const int first = number;
      bool closed = false;
      while (std::getline(in, line)) {
        ++number;
        const auto body = trim(line);
        pem += std::string(body) + "\n";
        if (body == "-----END PUBLIC KEY-----") {
          closed = true;
          break;
        }
      }
      if (!closed) {
        number = first;
        fail("PEM block without \"-----END PUBLIC KEY-----\"");
      }
      try {
        keys.ed25519.push_back(ed25519_public_from_pem(pem));
      } catch (const std::exception& e) {
        number = first;
        fail(e.what());
      }
      continue;
    }
    const auto space = item.find_first_of(" \t");
    const auto kind = item.substr(0, space);
    const auto value =
        space == std::string_view::npos ? std::string_view{} : trim(item.substr(space + 1));
    if (kind != "hs256" && kind != "share") {
      fail("expected \"hs256 <secret>\", \"share <secret>\" or a PEM public key, got \"" +
           std::string(kind) + "\"");
    }
    if (value.size() < 32) {
      fail(std::string(kind) + " secret must be at least 32 bytes (openssl rand -hex 32)");
    }
    (kind == "hs256" ? keys.hs256 : share_secrets).emplace_back(value);
  }
  for (const auto& s : share_secrets.empty() ? keys.hs256 : share_secrets) {
    keys.share.push_back(share_key_from(s));
    if (share_secrets.empty()) {
      break;  // only the first hs256 secret doubles as the share secret
    }
  }
  if (!keys.has_jwt_keys() && !keys.has_share_key()) {
    throw std::runtime_error(
        "no key found (expected \"hs256 <secret>\" lines, \"share <secret>\" "
        "lines or PEM Ed25519 public keys)");
  }
  return keys;
}

key_set key_set::load(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read key file " + file.string());
  }
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return parse(text.str());
  } catch (const std::exception& e) {
    throw std::runtime_error("key file " + file.string() + ": " + e.what());
  }
}

// ---- scopes ------------------------------------------------------------------------------

std::optional<level> parse_level(std::string_view text) {
  if (text == "read") {
    return level::read;
  }
  if (text == "write") {
    return level::write;
  }
  if (text == "admin") {
    return level::admin;
  }
  return std::nullopt;
}

std::string_view to_string(level l) {
  switch (l) {
  case level::read:
    return "read";
  case level::write:
    return "write";
  case level::admin:
    return "admin";
  }
  return "read";
}

std::string normalize_db_name(std::string_view name) {
  while (name.size() > 2 && name.substr(0, 2) == "./") {
    name.remove_prefix(2);
  }
  if (name.size() > 3 && name.substr(name.size() - 3) == ".db") {
    name.remove_suffix(3);
  }
  return std::string(name);
}

bool db_pattern_matches(std::string_view pattern, std::string_view name) {
  if (!pattern.empty() && pattern.back() == '*') {
    pattern.remove_suffix(1);
    std::string_view raw = name;
    while (raw.size() > 2 && raw.substr(0, 2) == "./") {
      raw.remove_prefix(2);
    }
    return raw.substr(0, pattern.size()) == pattern;
  }
  return !pattern.empty() && normalize_db_name(pattern) == normalize_db_name(name);
}

bool claims::allows_database(std::string_view name) const {
  for (const auto& p : databases) {
    if (db_pattern_matches(p, name)) {
      return true;
    }
  }
  return false;
}

jwt_result verify_jwt(std::string_view token, const key_set& keys, std::int64_t now_s) {
  jwt_result result;
  const auto dot1 = token.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    result.error = "not a JWT (expected header.payload.signature)";
    return result;
  }
  const auto header_text = base64url_decode(token.substr(0, dot1));
  const auto payload_text = base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  const auto signature = base64url_decode(token.substr(dot2 + 1));
  if (!header_text || !payload_text || !signature) {
    result.error = "malformed JWT (bad base64url)";
    return result;
  }
  // The header is read before anything is verified: keep it small and flat. The payload is
  // parsed only once the signature proved that a key holder wrote it.
  json header;
  if (header_text->size() > 1024 ||
      std::count_if(header_text->begin(), header_text->end(),
                    [](char c) { return c == '{' || c == '['; }) > 8) {
    result.error = "malformed JWT (header too large or nested)";
    return result;
  }
  try {
    header = json::parse(*header_text);
  } catch (const json::exception&) {
    result.error = "malformed JWT (header is not JSON)";
    return result;
  }
  if (!header.is_object() || !header.contains("alg") || !header["alg"].is_string()) {
    result.error = "malformed JWT (header needs \"alg\")";
    return result;
  }
  if (header.contains("crit")) {
    result.error = "unsupported JWT header \"crit\"";
    return result;
  }
  const auto alg = header["alg"].get<std::string>();
  const auto signed_part = token.substr(0, dot2);
  bool verified = false;
  if (alg == "HS256") {
    if (keys.hs256.empty()) {
      result.error = "HS256 tokens are not accepted (no hs256 secret configured)";
      return result;
    }
    for (const auto& secret : keys.hs256) {
      verified = constant_time_equals(hmac_sha256(secret, signed_part), *signature) || verified;
    }
  } else if (alg == "EdDSA") {
    if (keys.ed25519.empty()) {
      result.error = "EdDSA tokens are not accepted (no Ed25519 public key configured)";
      return result;
    }
    for (const auto& key : keys.ed25519) {
      verified = verified || ed25519_verify(key, signed_part, *signature);
    }
  } else {
    result.error = "unsupported JWT alg \"" + alg + "\" (HS256 or EdDSA)";
    return result;
  }
  if (!verified) {
    result.error = "token signature does not verify";
    return result;
  }
  json payload;
  try {
    payload = json::parse(*payload_text);
  } catch (const json::exception&) {
    result.error = "malformed JWT (payload is not JSON)";
    return result;
  }
  if (!payload.is_object()) {
    result.error = "malformed JWT (payload must be an object)";
    return result;
  }
  // Claims, once the signature is known to be genuine.
  std::string err;
  const auto exp = numeric_date(payload, "exp", err);
  const auto nbf = numeric_date(payload, "nbf", err);
  if (!err.empty()) {
    result.error = err;
    return result;
  }
  if (!exp) {
    result.error = "token has no \"exp\" claim (tokens must expire)";
    return result;
  }
  if (now_s >= *exp + clock_leeway_s) {
    result.error = "token expired at " + utc_time(*exp);
    return result;
  }
  if (nbf && now_s + clock_leeway_s < *nbf) {
    result.error = "token not valid before " + utc_time(*nbf);
    return result;
  }
  claims c;
  c.exp = *exp;
  c.nbf = nbf;
  const auto db = payload.find("db");
  if (db != payload.end() && db->is_string() && !db->get_ref<const std::string&>().empty()) {
    c.databases.push_back(db->get<std::string>());
  } else if (db != payload.end() && db->is_array() && !db->empty()) {
    for (const auto& item : *db) {
      if (!item.is_string() || item.get_ref<const std::string&>().empty()) {
        result.error = "claim \"db\" must hold non-empty strings";
        return result;
      }
      c.databases.push_back(item.get<std::string>());
    }
  } else {
    result.error = "token has no \"db\" claim (a name, a prefix* or a list of them)";
    return result;
  }
  const auto access = payload.find("access");
  const auto l = access != payload.end() && access->is_string()
                     ? parse_level(access->get_ref<const std::string&>())
                     : std::nullopt;
  if (!l) {
    result.error = "token claim \"access\" must be \"read\", \"write\" or \"admin\"";
    return result;
  }
  c.access = *l;
  if (const auto sub = payload.find("sub"); sub != payload.end() && sub->is_string()) {
    c.subject = sub->get<std::string>();
  }
  result.valid = std::move(c);
  return result;
}

nlohmann::json token_payload(const std::vector<std::string>& databases, level access,
                             std::int64_t now_s, std::int64_t ttl_s, const std::string& subject) {
  json p = {{"db", databases},
            {"access", std::string(to_string(access))},
            {"iat", now_s},
            {"exp", now_s + ttl_s}};
  if (!subject.empty()) {
    p["sub"] = subject;
  }
  return p;
}

std::string sign_jwt_hs256(const nlohmann::json& payload, std::string_view secret) {
  const auto input = jwt_sign_input({{"alg", "HS256"}, {"typ", "JWT"}}, payload);
  return input + "." + base64url_encode(hmac_sha256(secret, input));
}

std::string sign_jwt_ed25519(const nlohmann::json& payload, std::string_view private_key_pem) {
  const auto input = jwt_sign_input({{"alg", "EdDSA"}, {"typ", "JWT"}}, payload);
  return input + "." + base64url_encode(ed25519_sign(private_key_pem, input));
}

// ---- share links -------------------------------------------------------------------------

std::string share_signature(std::string_view key, std::string_view db, std::string_view sql,
                            std::int64_t exp) {
  std::string message = "hoody-share-v1\n";
  message += db;
  message += '\n';
  message += std::to_string(exp);
  message += '\n';
  message += sql;
  return base64url_encode(hmac_sha256(key, message));
}

std::string check_share_link(const key_set& keys, std::string_view db, std::string_view sql,
                             std::string_view exp, std::string_view sig, std::int64_t now_s) {
  if (!keys.has_share_key()) {
    return "share links are not enabled on this server (no secret in --jwt-key-file)";
  }
  const auto expiry = parse_int(exp);
  if (!expiry) {
    return "invalid share link: exp must be Unix seconds";
  }
  bool valid = false;
  for (const auto& key : keys.share) {
    valid = constant_time_equals(share_signature(key, db, sql, *expiry), sig) || valid;
  }
  if (!valid) {
    return "invalid share link: the signature does not match its db, sql and exp";
  }
  if (now_s >= *expiry) {
    return "share link expired at " + utc_time(*expiry);
  }
  return {};
}

std::string share_link(const key_set& keys, std::string_view query_path, std::string_view db,
                       std::string_view sql, std::int64_t exp) {
  if (!keys.has_share_key()) {
    throw std::runtime_error("no share secret configured");
  }
  return std::string(query_path) + "?db=" + url_encode(db) + "&sql=" + base64url_encode(sql) +
         "&exp=" + std::to_string(exp) +
         "&sig=" + share_signature(keys.share.front(), db, sql, exp);
}

std::string url_encode(std::string_view text) {
  static constexpr std::string_view hex = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4U];
      out += hex[c & 15U];
    }
  }
  return out;
}

std::optional<std::int64_t> parse_duration(std::string_view text) {
  text = trim(text);
  if (text.empty()) {
    return std::nullopt;
  }
  std::int64_t unit = 1;
  switch (text.back()) {
  case 's':
    unit = 1;
    break;
  case 'm':
    unit = 60;
    break;
  case 'h':
    unit = 3600;
    break;
  case 'd':
    unit = 86400;
    break;
  default:
    unit = 0;
  }
  if (unit != 0) {
    text.remove_suffix(1);
  } else {
    unit = 1;
  }
  const auto n = parse_int(text);
  if (!n || *n <= 0 || *n > (std::int64_t{1} << 40U) / unit) {
    return std::nullopt;
  }
  return *n * unit;
}

}  // namespace hoody::http::auth
