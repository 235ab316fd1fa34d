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
#include <string_view>

namespace hoody::db {

struct path_policy {
  std::filesystem::path data_dir;  ///< canonical data directory
  bool allow_absolute = false;
};

/// Returns the canonical file path for `name`; throws api_error (400) when it is not allowed.
[[nodiscard]] std::filesystem::path resolve_db_path(std::string_view name,
                                                    const path_policy& policy);

}  // namespace hoody::db
