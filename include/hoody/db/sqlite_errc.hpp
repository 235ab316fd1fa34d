// hoody/db/sqlite_errc.hpp — the one mapping from SQLite result codes to server error codes.
// Pure function; safe on any thread.
#pragma once

#include "hoody/core/error.hpp"

namespace hoody::db {

/// Maps an extended SQLite result code to the error code the client sees:
/// CONSTRAINT_* → conflict (409), BUSY/LOCKED → busy (503), READONLY → forbidden (403),
/// INTERRUPT → query_timeout, AUTH → forbidden, TOOBIG → payload_too_large,
/// ERROR/RANGE/MISMATCH → sql_error (400), anything else (IOERR, FULL, CORRUPT, NOMEM…) → internal.
[[nodiscard]] errc to_errc(int extended_rc) noexcept;

}  // namespace hoody::db
