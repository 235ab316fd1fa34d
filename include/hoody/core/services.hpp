// hoody/core/services.hpp — what handlers may use besides their request and connection.
// Owned by the server; lives for the whole process. Each member documents its own threading.
#pragma once

#include "hoody/core/config.hpp"
#include "hoody/core/primary_file.hpp"
#include "hoody/db/db_path.hpp"

#include <atomic>
#include <chrono>

namespace hoody::db {
class database_cache;
}
namespace hoody::ops {
class memory_query_history;
}
namespace hoody::http {
class metrics;
}
namespace hoody::handlers {
class watch_hub;
}
namespace hoody::http::auth {
struct key_set;
}

namespace hoody {

/// Where the server is in its life (GET /readyz): `ready` once it serves, `draining` from
/// SIGTERM on (still serving during --drain-delay-ms, then shutting down).
enum class server_phase : int { starting, ready, draining };

/// The node's part in a deployment (GET /readyz `role`): see services::role.
enum class node_role { primary, standby, replica };

struct services {
  const config& cfg;
  db::path_policy paths;
  db::database_cache& databases;
  ops::memory_query_history& query_history;  ///< staged entries; read-only databases' history
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  http::metrics* metrics = nullptr;  ///< set by the server; lock-free recorders (metrics.hpp)
  /// The --jwt-key-file keys (immutable); set by the dispatcher, which loads and owns them.
  const http::auth::key_set* auth_keys = nullptr;
  handlers::watch_hub* watch = nullptr;  ///< the change feed (set by the server; thread-safe)
  /// Set by the server (null: ready, e.g. handlers tested without a server).
  const std::atomic<server_phase>* phase = nullptr;
  /// --primary-file (set by the server; null: always primary). Lock-free, at most one stat()
  /// per 100 ms (core/primary_file.hpp).
  const primary_file* primary = nullptr;

  /// What this node may do: a --read-only replica never writes (READ_ONLY_REPLICA); a standby
  /// (--primary-file set and missing) writes nothing until it is the primary (NOT_PRIMARY).
  [[nodiscard]] node_role role() const noexcept {
    if (cfg.read_only) {
      return node_role::replica;
    }
    return primary == nullptr || primary->is_primary() ? node_role::primary : node_role::standby;
  }
  /// Only the primary writes: database files, KV sweeps, history, retention.
  [[nodiscard]] bool is_primary() const noexcept { return role() == node_role::primary; }
};

}  // namespace hoody
