// hoody/handlers/history.hpp — where the query history of a database lives, decided once.
//
// A database the server can write keeps its history in its `_query_history` table: an entry
// is appended by a deferred write (db::database::defer_write), and the history routes run on
// the writer so that they see every entry deferred before them. A database it cannot write
// keeps it in memory (services::query_history). Callable on the thread the handler runs on.
#pragma once

#include "hoody/http/router.hpp"
#include "hoody/ops/query_history.hpp"

namespace hoody::handlers {

/// Records one SQL request of `ctx`'s database.
void record_query(const http::context& ctx, ops::query_record rec);

}  // namespace hoody::handlers
