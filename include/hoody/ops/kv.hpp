// hoody/ops/kv.hpp — the key-value store on ordinary SQLite tables (layout: kv_schema.hpp).
//
// Synchronous functions on the caller's connection and inside the caller's transaction: reads
// run on a read-only reader (a missing KV table reads as empty and is never created there),
// writes on the database's writer (they create the tables, and every write goes through
// `record_change`). None begins or commits a transaction. No Asio/Beast here.
// Decisions where the spec is silent are written down in docs/kv.md.
#pragma once

#include "hoody/db/connection.hpp"
#include "hoody/ops/json_path.hpp"
#include "hoody/ops/kv_schema.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hoody::ops {

inline constexpr std::string_view default_kv_table = "kv_store";
inline constexpr std::size_t max_key_bytes = 1024;  ///< UTF-8 bytes per key
inline constexpr std::size_t max_batch_entries = 100;
inline constexpr std::int64_t max_ttl_seconds = 100LL * 365 * 24 * 3600;  ///< ~100 years

/// Non-empty, not whitespace-only, at most max_key_bytes, valid UTF-8, no NUL; else 400.
void validate_key(std::string_view key);

/// Parses a `ttl` value (seconds, integer 0..max_ttl_seconds; 0 = no expiry); else 400
/// `ttl must be a non-negative integer number of seconds`.
[[nodiscard]] std::int64_t parse_ttl(std::string_view text);

/// Throws bad_request unless `content_type` can be sent back as a header value: 1-255
/// printable ASCII characters (no CR/LF/NUL: no response splitting through a stored type).
void validate_content_type(std::string_view content_type);

/// Content type for a PUT body given the request's Content-Type header (see docs/kv.md):
/// JSON header + JSON body → application/json; JSON header + non-JSON body → text/plain;
/// any other header → as given; no header → sniffed (JSON, text/plain, octet-stream).
[[nodiscard]] std::string infer_content_type(const std::optional<std::string>& header,
                                             std::string_view body);

/// Where a write goes and how it is recorded.
struct kv_scope {
  std::string_view table = default_kv_table;
  bool history = true;  ///< false → untracked marker (kv_schema.hpp)
  std::size_t max_value_bytes = std::size_t{16} * 1024 * 1024;  ///< larger results → 413
};

/// One live row.
struct kv_entry {
  std::string key;
  kv_value value;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::int64_t version = 0;
};

/// The live (present, unexpired) entry or nullopt. Reader-safe.
[[nodiscard]] std::optional<kv_entry> kv_get(db::connection& conn, std::string_view table,
                                             std::string_view key);

/// The JSON leaf at `path` inside `entry` (the value must be JSON: else 400); missing → 404
/// `Path not found`.
[[nodiscard]] nlohmann::json kv_read_path(const kv_entry& entry, const json_path& path);

struct kv_put_request {
  std::string value;                    ///< raw body (with `path`: the new leaf as JSON text)
  std::string content_type;             ///< ignored with `path` (the result is JSON)
  std::optional<std::int64_t> ttl_s;    ///< absent: no expiry (with `path`: kept)
  std::optional<std::string> if_match;  ///< CAS on the exact current raw value
  std::optional<json_path> path;
};

struct kv_write_result {
  std::int64_t op_number = 0;
  kv_value value;        ///< the stored value afterwards
  bool created = false;  ///< the key did not exist (or had expired) before
};

/// PUT /kv/{key}. CAS: 412 `Key does not exist for CAS` / `Value mismatch for CAS`.
kv_write_result kv_put(db::connection& conn, const kv_scope& scope, std::string_view key,
                       const kv_put_request& req);

/// DELETE /kv/{key}; a missing key → 404 `Key not found`.
void kv_delete(db::connection& conn, const kv_scope& scope, std::string_view key);

struct kv_list_request {
  std::string prefix;        ///< literal byte prefix (no wildcards)
  std::int64_t limit = 100;  ///< 1..10000
  std::int64_t offset = 0;
};

/// Bytes of each value shown by GET /kv (the value preview).
inline constexpr std::size_t list_value_preview_bytes = 256;

struct value_preview_result {
  std::string text;        ///< the preview (base64 when `base64`)
  bool base64 = false;     ///< the bytes are not UTF-8 text
  bool truncated = false;  ///< the value is longer than the preview
};

/// The preview of a value of `size` bytes whose first bytes are `head`: the text itself when
/// it is valid UTF-8 (a character cut at the end of `head` is dropped whole), else `head` in
/// base64. Pure.
[[nodiscard]] value_preview_result value_preview(std::string_view head, std::int64_t size);

/// One row of GET /kv (times in Unix ms).
struct kv_list_item {
  std::string key;
  value_preview_result preview;  ///< value_preview of the value's first bytes
  std::string content_type;
  std::int64_t size = 0;
  std::optional<std::int64_t> expires_at_ms;
  std::int64_t updated_at_ms = 0;
  std::int64_t created_at_ms = 0;
};

/// One page of GET /kv; the wire JSON is built by handlers/kv_render.hpp.
struct kv_page {
  std::vector<kv_list_item> items;
  std::int64_t total = 0;  ///< all matching rows
  std::int64_t limit = 0;
  std::int64_t offset = 0;
  [[nodiscard]] bool has_more() const noexcept {
    return offset + static_cast<std::int64_t>(items.size()) < total;
  }
};

/// GET /kv: the live entries of `table` whose key starts with `req.prefix`, in key order. A
/// missing KV table lists as empty. Reader-safe.
[[nodiscard]] kv_page kv_list(db::connection& conn, std::string_view table,
                              const kv_list_request& req);

// ---- atomic operations (each creates/updates one key; `path` addresses a leaf in a JSON doc)

struct kv_incr_result {
  std::int64_t value = 0;
  std::int64_t op_number = 0;
};

/// incr (delta > 0) / decr (pass op "decr" and the positive delta). Creates the key (or the
/// leaf) at 0 first. Non-integer current value → 400; int64 overflow → 400; nothing changes.
kv_incr_result kv_incr(db::connection& conn, const kv_scope& scope, std::string_view key,
                       std::string_view op, std::int64_t delta,
                       const std::optional<json_path>& path);

struct kv_array_result {
  nlohmann::json item;     ///< pushed / popped / removed element
  std::size_t length = 0;  ///< array length afterwards
  std::int64_t op_number = 0;
};

/// Appends `item` (creates `[]` when the key or leaf is missing). Non-array → 400.
kv_array_result kv_push(db::connection& conn, const kv_scope& scope, std::string_view key,
                        nlohmann::json item, const std::optional<json_path>& path);

/// Removes and returns the last element. Missing key → 404 `Key not found`; missing leaf →
/// 404 `Path not found`; empty array → 400; non-array → 400.
kv_array_result kv_pop(db::connection& conn, const kv_scope& scope, std::string_view key,
                       const std::optional<json_path>& path);

/// Removes the first element equal to `value`, or the one at `index` (negative from the end).
/// Missing key → 404; no equal element → 404 `Value not found in array`; bad index → 400.
kv_array_result kv_remove(db::connection& conn, const kv_scope& scope, std::string_view key,
                          const std::optional<nlohmann::json>& value,
                          std::optional<std::int64_t> index, const std::optional<json_path>& path);

// ---- batches (all validated before anything is written; one savepoint)

struct kv_batch_item {
  std::string key;
  std::string value;
  std::string content_type;
  std::optional<std::int64_t> ttl_s;
};

/// Parses a batch/set body: `{"items":[{key, value: "<string>", content_type?, ttl?}]}` or
/// `{"batch":[{key, value: <any JSON>, content_type?, ttl?}]}`. Throws 400 on any bad item
/// (with `index` in the details), duplicate keys, 0 or >100 items.
[[nodiscard]] std::vector<kv_batch_item> parse_batch_set_body(const nlohmann::json& body);

/// Parses `{"keys":[...]}` (1..100 valid keys). Duplicates → 400 when `reject_duplicates`.
[[nodiscard]] std::vector<std::string> parse_batch_keys(const nlohmann::json& body,
                                                        bool reject_duplicates);

/// Writes every item (op `batch_set`); returns the number written.
std::int64_t kv_batch_set(db::connection& conn, const kv_scope& scope,
                          const std::vector<kv_batch_item>& items);

/// One key of a batch read: its live value, or nullopt when missing or expired.
struct kv_batch_value {
  std::string key;
  std::optional<kv_value> value;
};

/// POST /kv/batch/get; the wire JSON is built by handlers/kv_render.hpp.
struct kv_batch_read {
  std::vector<kv_batch_value> results;                ///< one per requested key, in request order
  [[nodiscard]] std::int64_t found() const noexcept;  ///< results holding a value
};

/// The live value of each of `keys` (each validated: else 400); a missing KV table reads as
/// every key missing. Reader-safe.
[[nodiscard]] kv_batch_read kv_batch_get(db::connection& conn, std::string_view table,
                                         const std::vector<std::string>& keys);

/// Deletes the live keys among `keys` (op `batch_delete`); returns how many were deleted.
std::int64_t kv_batch_delete(db::connection& conn, const kv_scope& scope,
                             const std::vector<std::string>& keys);

/// POST /kv/batch/expire `{"keys": [...], "ttl": seconds}`: the keys (parse_batch_keys, no
/// duplicates) and the new TTL (0 removes the expiry; as PUT's `ttl`).
struct kv_expire_request {
  std::vector<std::string> keys;
  std::int64_t ttl_s = 0;
};
[[nodiscard]] kv_expire_request parse_batch_expire_body(const nlohmann::json& body);

/// Sets the expiry of the live keys among `keys` to now + ttl (none for 0), keeping each value's
/// bytes and content type as stored (op `expire`, recorded like any change); missing or expired
/// keys are skipped. Returns how many were updated.
std::int64_t kv_batch_expire(db::connection& conn, const kv_scope& scope,
                             const kv_expire_request& req);

/// Deletes expired rows from every KV table of the database (tables T with a T__history
/// companion). Writer only; runs in the caller's transaction. Returns rows deleted.
std::int64_t sweep_expired(db::connection& conn);

}  // namespace hoody::ops
