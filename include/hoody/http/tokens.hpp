// hoody/http/tokens.hpp — scoped JWT bearer tokens and signed share links (docs/security.md).
//
// Pure functions over immutable values (OpenSSL for HMAC-SHA256 and Ed25519): safe on any
// thread. The key file (--jwt-key-file) is plain text, one item per line:
//   hs256 <secret>        HS256 secret (at least 32 bytes; the rest of the line, trimmed)
//   share <secret>        share-link secret (default: derived from the first hs256 secret)
//   -----BEGIN PUBLIC KEY----- ... -----END PUBLIC KEY-----   an Ed25519 public key (EdDSA)
//   # comment, blank lines
// Several keys of a kind may be listed (rotation): every one verifies, the first one signs.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hoody::http::auth {

// ---- encodings and primitives ------------------------------------------------------------

/// RFC 4648 §5 base64url without padding.
[[nodiscard]] std::string base64url_encode(std::string_view bytes);
/// Strict base64url (no padding, no other characters, canonical last bits) or nullopt.
[[nodiscard]] std::optional<std::string> base64url_decode(std::string_view text);
/// Raw 32-byte HMAC-SHA256.
[[nodiscard]] std::string hmac_sha256(std::string_view key, std::string_view message);
/// Whether `signature` (64 bytes) is a valid Ed25519 signature of `message` by `public_key`
/// (32 raw bytes).
[[nodiscard]] bool ed25519_verify(std::string_view public_key, std::string_view message,
                                  std::string_view signature);
/// Signs with an Ed25519 private key given as PEM ("-----BEGIN PRIVATE KEY-----");
/// throws std::runtime_error when the PEM holds no Ed25519 private key.
[[nodiscard]] std::string ed25519_sign(std::string_view private_key_pem, std::string_view message);

// ---- keys --------------------------------------------------------------------------------

struct key_set {
  std::vector<std::string> hs256;    ///< HS256 secrets
  std::vector<std::string> ed25519;  ///< raw 32-byte Ed25519 public keys
  std::vector<std::string> share;    ///< share-link keys (derived, see share_key_from)

  [[nodiscard]] bool has_jwt_keys() const noexcept { return !hs256.empty() || !ed25519.empty(); }
  [[nodiscard]] bool has_share_key() const noexcept { return !share.empty(); }

  /// Parses the key file format above; throws std::runtime_error naming the line.
  static key_set parse(std::string_view text);
  /// Reads and parses a file; throws std::runtime_error naming the file.
  static key_set load(const std::filesystem::path& file);
};

/// The share-link key used for a secret: HMAC-SHA256(secret, "hoody-sqlite share link v1"), so a
/// share signature can never serve as a JWT signature made with the same secret.
[[nodiscard]] std::string share_key_from(std::string_view secret);

// ---- scopes ------------------------------------------------------------------------------

/// What a token may do, in increasing order; each level includes the ones below.
enum class level { read = 1, write = 2, admin = 3 };

[[nodiscard]] std::optional<level> parse_level(std::string_view text);
[[nodiscard]] std::string_view to_string(level l);

/// A database name as matched against token patterns: "./x" → "x", "x.db" → "x".
[[nodiscard]] std::string normalize_db_name(std::string_view name);
/// `pattern` is a name ("app1", same normalization) or a prefix ending in '*' ("app*", "*").
[[nodiscard]] bool db_pattern_matches(std::string_view pattern, std::string_view name);

struct claims {
  std::vector<std::string> databases;  ///< `db`: names or prefixes
  level access = level::read;          ///< `access`
  std::int64_t exp = 0;                ///< `exp` (Unix seconds), required
  std::optional<std::int64_t> nbf;     ///< `nbf`
  std::string subject;                 ///< `sub`, for logs

  [[nodiscard]] bool allows_database(std::string_view name) const;
};

/// Clock skew tolerated on `exp` and `nbf`.
inline constexpr std::int64_t clock_leeway_s = 30;

struct jwt_result {
  std::optional<claims> valid;  ///< set when the token verified
  std::string error;            ///< why not ("signature does not verify", "expired at ...")
};

/// Verifies a compact JWS (HS256 or EdDSA/Ed25519; "none" and others are refused), then the
/// claims: `exp` required, `nbf` optional, `db` (string or array), `access`.
[[nodiscard]] jwt_result verify_jwt(std::string_view token, const key_set& keys,
                                    std::int64_t now_s);

/// The claims of a new token: {"db": [...], "access": ..., "iat", "exp", "sub"?}.
[[nodiscard]] nlohmann::json token_payload(const std::vector<std::string>& databases, level access,
                                           std::int64_t now_s, std::int64_t ttl_s,
                                           const std::string& subject = {});
[[nodiscard]] std::string sign_jwt_hs256(const nlohmann::json& payload, std::string_view secret);
[[nodiscard]] std::string sign_jwt_ed25519(const nlohmann::json& payload,
                                           std::string_view private_key_pem);

// ---- share links -------------------------------------------------------------------------

/// base64url(HMAC-SHA256(key, "hoody-share-v1\n" + db + "\n" + exp + "\n" + sql)); `sql` is the
/// decoded SQL text, `db` the name as written in the link.
[[nodiscard]] std::string share_signature(std::string_view key, std::string_view db,
                                          std::string_view sql, std::int64_t exp);

/// Checks a share link against every share key; "" when valid, else the reason.
[[nodiscard]] std::string check_share_link(const key_set& keys, std::string_view db,
                                           std::string_view sql, std::string_view exp,
                                           std::string_view sig, std::int64_t now_s);

/// `query_path` + "?db=…&sql=<base64url>&exp=…&sig=…", signed with the first share key.
[[nodiscard]] std::string share_link(const key_set& keys, std::string_view query_path,
                                     std::string_view db, std::string_view sql, std::int64_t exp);

/// Percent-encodes everything but RFC 3986 unreserved characters.
[[nodiscard]] std::string url_encode(std::string_view text);

/// Parses "3600", "90s", "15m", "1h", "7d" into seconds; nullopt when malformed or <= 0.
[[nodiscard]] std::optional<std::int64_t> parse_duration(std::string_view text);

}  // namespace hoody::http::auth
