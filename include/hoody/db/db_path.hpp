// hoody/db/db_path.hpp — turns the untrusted `db`/`path` parameter into a database file path.
//
// Rules (spec "Databases"): bare name → <data-dir>/<name>.db (".db" appended when the name has
// no extension); "./name" is the same; names with '/' or '\\', "." and "..", NUL bytes, and
// ":memory:"/"file:" URIs are rejected; an absolute path inside the data directory (also in a
// subdirectory) is accepted as is (`<data-dir>/notes.db` is the bare name `notes`), any other
// absolute path is rejected with INVALID_DB_PATH `absolute database paths outside <data-dir>
// are disallowed` unless `allow_absolute` (then it is used verbatim); a symlink whose target
// lies outside the data directory is rejected.
// Pure apart from reading the file system (lstat/readlink); safe on any thread, but it touches
// the disk, so the dispatcher calls it off the I/O threads.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

namespace hoody::db {

struct path_policy {
  std::filesystem::path data_dir;  ///< canonical data directory
  bool allow_absolute = false;
};

/// Directory mode (docs/kv.md): when `name` is an absolute path that resolves to an existing
/// directory allowed by the same rules as a file (inside the data directory, or anywhere with
/// `allow_absolute`; never the data directory itself), returns its canonical path. A relative
/// name that names a directory (ends with '/', or data-dir/name is a directory and no database
/// file of that name exists) throws 400 `directory-mode: invalid path input: path must be
/// absolute`. Any other name returns nullopt: it is a database name for resolve_db_path.
[[nodiscard]] std::optional<std::filesystem::path> resolve_kv_directory(std::string_view name,
                                                                        const path_policy& policy);

/// Returns the canonical file path for `name`; throws api_error (400) when it is not allowed.
[[nodiscard]] std::filesystem::path resolve_db_path(std::string_view name,
                                                    const path_policy& policy);

}  // namespace hoody::db
