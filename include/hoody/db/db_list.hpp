// hoody/db/db_list.hpp — the SQLite database files of the data directory (GET /databases).
//
// Lists regular files whose first 16 bytes are "SQLite format 3\0", in the data directory and
// its subdirectories (at most `max_depth` levels below it), each with the `db` name a client
// passes to reach it: the bare name when it resolves to that very file (`notes` for notes.db,
// `data.sqlite` for data.sqlite), otherwise the absolute path inside the data directory (files
// in subdirectories, files without an extension) — the names db_path.hpp accepts. Every name is
// checked with resolve_db_path / resolve_kv_directory, so nothing is listed that a request could
// not open. Skipped: names starting with '.' (the server's own .hoody-* files and directories),
// -wal/-shm/-journal files, symbolic links to directories (never followed), symbolic links to
// files whose target is outside the data directory (nothing about the target is read), and
// anything that is not SQLite. Bounded: at most `scan_limit` directory entries are visited and
// `limit` databases returned; `truncated` says that more may exist.
// Blocking (reads directories and 16 bytes of each candidate file): call it off the I/O threads.
#pragma once

#include "hoody/db/db_path.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace hoody::db {

struct listed_database {
  std::string name;  ///< what a client passes as `db=`
  std::string file;  ///< path relative to the data directory, '/' separated ("notes.db")
  std::uint64_t size_bytes = 0;
  std::int64_t modified_ms = 0;  ///< Unix ms: the newer of the file's and its -wal's mtime
};

struct database_listing {
  std::vector<listed_database> databases;  ///< sorted by `file`
  bool truncated = false;
};

struct listing_limits {
  std::size_t limit = 1000;        ///< databases returned at most
  std::size_t scan_limit = 20000;  ///< directory entries visited at most
  int max_depth = 4;               ///< subdirectory levels below the data directory
};

/// Lists the databases of `policy.data_dir`. `visible` (optional) filters by name (a scoped
/// token's databases); hidden entries count toward no limit.
[[nodiscard]] database_listing list_databases(
    const path_policy& policy, const listing_limits& limits,
    const std::function<bool(std::string_view name)>& visible = {});

/// True when the first 16 bytes of `header` are the SQLite file header "SQLite format 3\0".
[[nodiscard]] bool is_sqlite_header(std::string_view header) noexcept;

}  // namespace hoody::db
