// hoody/ops/kv_schema.hpp — the KV tables and the one op log every KV write goes through.
//
// For a KV table T (default "kv_store", any valid identifier) the database holds:
//
//   T (key TEXT PRIMARY KEY NOT NULL,
//      value,                      -- TEXT for textual content types, BLOB for binary ones
//      content_type TEXT NOT NULL,
//      expires_at INTEGER,         -- Unix ms; NULL = never expires
//      created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,  -- Unix ms
//      version INTEGER NOT NULL)   -- op_number of the key's last write
//
//   T__history (seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- global op sequence
//      key TEXT NOT NULL,
//      op_number INTEGER NOT NULL,  -- per key: 1, 2, 3, ... (UNIQUE (key, op_number))
//      op TEXT NOT NULL,            -- set, delete, incr, decr, push, pop, remove, batch_set,
//                                   -- batch_delete, rollback, untracked
//      old_value, old_content_type TEXT, old_expires_at INTEGER,  -- old_content_type NULL: absent
//      new_value, new_content_type TEXT, new_expires_at INTEGER,  -- new_content_type NULL: absent
//      ts INTEGER NOT NULL)         -- Unix ms; never decreasing along a key's op_numbers
//                                   -- (seq orders ops within one ms)
//   indexes: (key, op_number) unique, (ts). (Logs of older servers also had (key, ts); it is
//   dropped on the first write: reads by time binary-search a key's ops by op_number.)
//
// A write made with history=false records (or extends) one `untracked` row for the key with
// NULL old/new columns: the value after it is unknown to the log, so time-travel reads that
// land on it report a gap instead of inventing state. Consecutive untracked writes of a key
// share one row (re-inserted under a new seq, its ts moving forward), so history=false keeps the
// log from growing while the change feed (ops/kv_watch.hpp) still sees each such write as a gap.
// Retention (ops::prune_history) records the highest seq it deleted in T__horizon (id = 1, seq).
// Every function runs on the caller's connection inside the caller's transaction (the writer
// for writes); none starts or commits a transaction. No Asio/Beast here.
#pragma once

#include "hoody/db/connection.hpp"
#include "hoody/ops/utf8.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hoody::ops {

/// Validates a KV table name (an identifier: [A-Za-z_][A-Za-z0-9_]{0,63}, not starting with
/// "sqlite_"); throws api_error(bad_request) otherwise.
void validate_kv_table_name(std::string_view table);

/// Creates T and T__history with their indexes if missing (writer only). Cached per connection
/// through connection::schema_known("kv:" + T), set only once the tables are found already
/// present (tables created by this call may still be rolled back with the caller's work).
void ensure_kv_tables(db::connection& conn, std::string_view table);

/// True when the KV table exists (usable on a reader; a missing table reads as empty).
[[nodiscard]] bool kv_tables_exist(db::connection& conn, std::string_view table);

/// One stored value.
struct kv_value {
  std::string value;  ///< raw bytes
  std::string content_type;
  std::optional<std::int64_t> expires_at_ms;
};

/// One change to one key, as the op log records it.
struct kv_change {
  std::string_view key;
  std::string_view op;             ///< "set", "incr", ...
  std::optional<kv_value> before;  ///< nullopt: the key was absent (or expired)
  std::optional<kv_value> after;   ///< nullopt: the key is absent afterwards
  std::int64_t ts_ms = 0;          ///< Unix ms of the write
};

/// Records `change` in T__history (history=true) or extends the key's untracked marker
/// (history=false). The only function that writes the op log. Returns the key's op_number.
std::int64_t record_change(db::connection& conn, std::string_view table, const kv_change& change,
                           bool history);

/// True for content types stored as TEXT (application/json, text/*, +json, +xml, ...).
[[nodiscard]] bool is_textual_content_type(std::string_view content_type) noexcept;

/// Whether T and T__history store `value` as TEXT: a textual content type holding valid UTF-8
/// (otherwise it is a BLOB). The one home of that rule (storage, and renderers that show text).
[[nodiscard]] bool stored_as_text(std::string_view value, std::string_view content_type) noexcept;

/// Binds a value the way T and T__history store it (stored_as_text: TEXT, else BLOB).
void bind_kv_value(db::statement& stmt, int index, std::string_view value,
                   std::string_view content_type);

}  // namespace hoody::ops
