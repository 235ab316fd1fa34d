#include "hoody/db/sqlite_errc.hpp"

#include <sqlite3.h>

#include <cerrno>

namespace hoody::db {

errc to_errc(int extended_rc, int sys_errno) noexcept {
  switch (extended_rc & 0xff) {  // primary code
  case SQLITE_CONSTRAINT:
    return errc::conflict;
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    return errc::busy;
  case SQLITE_READONLY:
  case SQLITE_AUTH:
  case SQLITE_PERM:
    return errc::forbidden;
  case SQLITE_INTERRUPT:
    return errc::query_timeout;
  case SQLITE_TOOBIG:
    return errc::payload_too_large;
  case SQLITE_ERROR:
  case SQLITE_RANGE:
  case SQLITE_MISMATCH:
    return errc::sql_error;
  case SQLITE_CANTOPEN:
  case SQLITE_NOTADB:
    return errc::bad_request;
  case SQLITE_FULL:
    return errc::disk_full;
  case SQLITE_IOERR:  // e.g. IOERR_WRITE, IOERR_SHMSIZE, IOERR_TRUNCATE on a full file system
    return sys_errno == ENOSPC || sys_errno == EDQUOT ? errc::disk_full : errc::internal;
  default:  // CORRUPT, NOMEM, MISUSE, ...
    return errc::internal;
  }
}

}  // namespace hoody::db
