// hoody/db/sqlite_errc.hpp — the one mapping from SQLite result codes to server error codes.
// Pure function; safe on any thread.
#pragma once

#include "hoody/core/error.hpp"

namespace hoody::db {

/// Maps an extended SQLite result code to the error code the client sees:
/// CONSTRAINT_* → conflict (409), BUSY/LOCKED → busy (503), READONLY → forbidden (403),
/// INTERRUPT → query_timeout, AUTH → forbidden, TOOBIG → payload_too_large,
/// ERROR/RANGE/MISMATCH → sql_error (400), FULL → disk_full (507), and an IOERR whose system
/// error (`sys_errno`, sqlite3_system_errno) is ENOSPC or EDQUOT → disk_full too; anything else
/// (IOERR, CORRUPT, NOMEM…) → internal.
[[nodiscard]] errc to_errc(int extended_rc, int sys_errno = 0) noexcept;

/// The client-facing text for a full disk (one wording everywhere).
inline constexpr const char* disk_full_message =
    "disk full: no space left on the database's file system; reads still work, writes resume "
    "once space is freed";

}  // namespace hoody::db
