// The write floor of a KV batch_set (issue 15): the rows the server writes for `POST /kv/batch/set`
// written straight into SQLite, with no HTTP, no JSON and no server around them. bench/run.sh
// builds it (g++ -O2 against the system libsqlite3) and prints its keys/s next to the server's.
//
// Per key, as src/ops/kv.cpp (kv_batch_set → load_live, write_value) and src/ops/kv_schema.cpp
// (record_change) do it: read the live row (old value), read the key's last history row
// (op_number), insert the history row (old and new value), upsert the KV row. One transaction per
// --batch keys (BEGIN IMMEDIATE … COMMIT), prepared statements held for the whole run, WAL,
// synchronous=NORMAL, foreign_keys=ON as the server's writer connection.
//
// Checkpoints (--checkpoint): `passive` (default) sets wal_autocheckpoint=0 on the writer and runs
// a PASSIVE checkpoint every --checkpoint-ms from a second connection on a second thread (off the
// writer's path, as the issue proposes for the server); `off` never checkpoints during the run;
// `writer` keeps SQLite's default (wal_autocheckpoint=1000 pages: the committing writer runs the
// checkpoint, and its fsyncs, inside its commit), which is what the server does today.
//
// Schemas (--schema):
//   today    the layout at issue 15's start (ensure_kv_tables before 2026-12-03): KV table
//            (key TEXT PRIMARY KEY) with the partial expires_at index; history with seq INTEGER
//            PRIMARY KEY AUTOINCREMENT (a sqlite_sequence row updated per insert) and three
//            indexes: UNIQUE (key, op_number), (key, ts), (ts). Five B-tree writes per history row.
//   slim     the layout the server writes since 2026-12-03 (src/ops/kv_schema.cpp): today's
//            without the (key, ts) index (reads by time binary-search (key, op_number), ts kept
//            non-decreasing per key). Four B-tree writes per history row, one of them by key.
//   lean     a candidate layout: the same KV table; history with seq INTEGER PRIMARY KEY (the
//            rowid, still the ordered global sequence the change feed reads by `seq > cursor
//            ORDER BY seq`), no AUTOINCREMENT: the writer keeps the next seq in memory (read
//            once as max(seq) + 1 at start; a server would take the max with the retention
//            horizon so that a seq is never reused) and binds it; one index, UNIQUE
//            (key, op_number). Two B-tree writes per history row. The reads per key are the same
//            as today's. What it gives up: the (key, ts) and (ts) indexes that time-travel reads
//            by timestamp use; those can search (key, op_number) and seq instead if ts is kept
//            monotonic per key and along seq (ts = max(now, previous ts)).
//   lean-wr  like lean, but history WITHOUT ROWID with PRIMARY KEY (key, op_number) and a
//            UNIQUE index on seq (the feed's order): also two B-tree writes; the key's last op
//            (op_number, op, ts) is read from the table itself, no rowid lookup.
//   kvonly   the KV upsert and the old-value read alone, no history (a reference, not a layout).
// --op-from-kv (any schema with history): take the key's last op_number from the live KV row's
// `version` (which write_value sets to the op_number) instead of reading the history index; only
// a key without a live row reads the log. One B-tree search less per key of a batch of updates.
//
// Output: one human line on stderr and one `FLOORJSON {...}` line on stdout.
#include <sqlite3.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "floor: %s\n", what.c_str());
  std::exit(1);
}

void check(sqlite3* db, int rc, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) {
    die(std::string(what) + ": " + sqlite3_errmsg(db));
  }
}

void exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = err != nullptr ? err : "?";
    sqlite3_free(err);
    die(sql + ": " + msg);
  }
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class stmt {
 public:
  stmt(sqlite3* db, const std::string& sql) : db_(db) {
    check(db, sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr),
          sql.c_str());
  }
  stmt(const stmt&) = delete;
  stmt& operator=(const stmt&) = delete;
  ~stmt() { sqlite3_finalize(s_); }
  sqlite3_stmt* get() const { return s_; }
  void text(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void blob(int i, std::string_view v) {
    sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void i64(int i, std::int64_t v) { sqlite3_bind_int64(s_, i, v); }
  void null(int i) { sqlite3_bind_null(s_, i); }
  bool step() {
    const int rc = sqlite3_step(s_);
    check(db_, rc, sqlite3_sql(s_));
    return rc == SQLITE_ROW;
  }
  void done() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
};

struct options {
  std::string schema = "today";
  std::string checkpoint = "passive";
  std::string path;
  std::int64_t keys = 200000;
  std::int64_t batch = 100;
  std::int64_t distinct = 100;
  int checkpoint_ms = 100;
  std::int64_t restart_mb = 0;
  bool op_from_kv = false;
  bool keep = false;
};

void usage() {
  std::fprintf(stderr,
               "usage: floor [--schema today|slim|lean|lean-wr|kvonly] [--keys N] [--batch 100]\n"
               "             [--distinct 100] [--checkpoint passive|off|writer] [--checkpoint-ms "
               "100]\n"
               "             [--restart-mb 0] [--op-from-kv] [--db PATH] [--keep]\n");
  std::exit(2);
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage();
      }
      return argv[++i];
    };
    if (a == "--schema") {
      o.schema = value();
    } else if (a == "--keys") {
      o.keys = std::stoll(value());
    } else if (a == "--batch") {
      o.batch = std::stoll(value());
    } else if (a == "--distinct") {
      o.distinct = std::stoll(value());
    } else if (a == "--checkpoint") {
      o.checkpoint = value();
    } else if (a == "--checkpoint-ms") {
      o.checkpoint_ms = std::stoi(value());
    } else if (a == "--restart-mb") {
      o.restart_mb = std::stoll(value());
    } else if (a == "--db") {
      o.path = value();
    } else if (a == "--op-from-kv") {
      o.op_from_kv = true;
    } else if (a == "--keep") {
      o.keep = true;
    } else {
      usage();
    }
  }
  const bool schema_ok = o.schema == "today" || o.schema == "slim" || o.schema == "lean" ||
                         o.schema == "lean-wr" || o.schema == "kvonly";
  const bool ckpt_ok =
      o.checkpoint == "passive" || o.checkpoint == "off" || o.checkpoint == "writer";
  if (!schema_ok || !ckpt_ok || o.keys < 1 || o.batch < 1 || o.distinct < 1 ||
      o.checkpoint_ms < 1) {
    usage();
  }
  return o;
}

// The DDL of each layout (table "kv_store", history "kv_store__history", as the server names them).
void create_schema(sqlite3* db, const std::string& schema) {
  exec(db,
       "CREATE TABLE kv_store (key TEXT PRIMARY KEY NOT NULL, value, content_type TEXT NOT NULL,"
       " expires_at INTEGER, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
       " version INTEGER NOT NULL)");
  exec(db, "CREATE INDEX kv_store__expires ON kv_store (expires_at) WHERE expires_at IS NOT NULL");
  const std::string columns =
      " key TEXT NOT NULL, op_number INTEGER NOT NULL, op TEXT NOT NULL,"
      " old_value, old_content_type TEXT, old_expires_at INTEGER,"
      " new_value, new_content_type TEXT, new_expires_at INTEGER, ts INTEGER NOT NULL";
  if (schema == "today") {
    exec(db,
         "CREATE TABLE kv_store__history (seq INTEGER PRIMARY KEY AUTOINCREMENT," + columns + ")");
    exec(db, "CREATE UNIQUE INDEX kv_store__history_key_op ON kv_store__history (key, op_number)");
    exec(db, "CREATE INDEX kv_store__history_key_ts ON kv_store__history (key, ts)");
    exec(db, "CREATE INDEX kv_store__history_ts ON kv_store__history (ts)");
  } else if (schema == "slim") {
    exec(db,
         "CREATE TABLE kv_store__history (seq INTEGER PRIMARY KEY AUTOINCREMENT," + columns + ")");
    exec(db, "CREATE UNIQUE INDEX kv_store__history_key_op ON kv_store__history (key, op_number)");
    exec(db, "CREATE INDEX kv_store__history_ts ON kv_store__history (ts)");
  } else if (schema == "lean") {
    exec(db, "CREATE TABLE kv_store__history (seq INTEGER PRIMARY KEY," + columns + ")");
    exec(db, "CREATE UNIQUE INDEX kv_store__history_key_op ON kv_store__history (key, op_number)");
  } else if (schema == "lean-wr") {
    exec(db, "CREATE TABLE kv_store__history (seq INTEGER NOT NULL," + columns +
                 ", PRIMARY KEY (key, op_number)) WITHOUT ROWID");
    exec(db, "CREATE UNIQUE INDEX kv_store__history_seq ON kv_store__history (seq)");
  }
}

std::int64_t file_size(const std::string& p) {
  std::error_code ec;
  const auto n = std::filesystem::file_size(p, ec);
  return ec ? 0 : static_cast<std::int64_t>(n);
}

struct checkpoint_stats {
  std::atomic<std::int64_t> passive{0};
  std::atomic<std::int64_t> restart{0};
  std::atomic<std::int64_t> ns{0};
  std::atomic<std::int64_t> max_frames{0};  // the most WAL frames a checkpoint saw
};

// Checkpoints from a second connection on a second thread, every `ms`, until `stop`: PASSIVE
// (never waits for the writer), or RESTART once the WAL file has grown past `restart_mb` MB
// (waits for the writer's current transaction, then blocks new ones while it finishes, so that
// the next writer starts the WAL from its beginning; 0 = never).
void checkpointer(const std::string& path, int ms, std::int64_t restart_mb,
                  const std::atomic<bool>& stop, checkpoint_stats& stats) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    die("checkpointer open: " + std::string(sqlite3_errmsg(db)));
  }
  exec(db, "PRAGMA synchronous=NORMAL");
  exec(db, "PRAGMA wal_autocheckpoint=0");
  sqlite3_busy_timeout(db, 5000);
  std::int64_t page_size = 4096;
  {
    stmt ps(db, "PRAGMA page_size");
    if (ps.step()) {
      page_size = sqlite3_column_int64(ps.get(), 0);
    }
  }
  std::int64_t wal_frames = 0;  // frames in the WAL at the last checkpoint
  while (!stop.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    const bool restart = restart_mb > 0 && wal_frames * page_size > restart_mb * 1000000;
    const auto t0 = std::chrono::steady_clock::now();
    int log = 0;
    int done = 0;
    const int rc = sqlite3_wal_checkpoint_v2(
        db, nullptr, restart ? SQLITE_CHECKPOINT_RESTART : SQLITE_CHECKPOINT_PASSIVE, &log, &done);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
      die("checkpoint: " + std::string(sqlite3_errmsg(db)));
    }
    stats.ns +=
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    ++(restart ? stats.restart : stats.passive);
    wal_frames = restart && rc == SQLITE_OK ? 0 : log;
    stats.max_frames = std::max<std::int64_t>(stats.max_frames, log);
  }
  sqlite3_close_v2(db);
}

struct run_result {
  std::int64_t written = 0;
  std::int64_t transactions = 0;
  double secs = 0;
  std::int64_t passive = 0;  // checkpoints run
  std::int64_t restart = 0;
  double checkpoint_ms = 0;  // time spent in them
  std::int64_t max_frames = 0;
  std::int64_t wal_bytes = 0;
};

// Writes o.keys keys; every statement is finalized when this returns.
run_result write_rows(sqlite3* db, const options& o, const std::string& path) {
  const bool history = o.schema != "kvonly";
  const bool assign_seq = o.schema == "lean" || o.schema == "lean-wr";
  stmt load_live(
      db,
      "SELECT value, content_type, expires_at, created_at, updated_at, version FROM kv_store"
      " WHERE key = ?1 AND (expires_at IS NULL OR expires_at > ?2)");
  stmt upsert(db,
              "INSERT INTO kv_store (key, value, content_type, expires_at, created_at, updated_at,"
              " version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(key) DO UPDATE SET"
              " value = excluded.value, content_type = excluded.content_type,"
              " expires_at = excluded.expires_at, created_at = excluded.created_at,"
              " updated_at = excluded.updated_at, version = excluded.version");
  std::vector<std::unique_ptr<stmt>> hist;  // [0] last op, [1] insert
  std::int64_t next_seq = 1;
  if (history) {
    hist.push_back(std::make_unique<stmt>(
        db,
        "SELECT op_number, op, ts FROM kv_store__history WHERE key = ?1 ORDER BY op_number DESC"
        " LIMIT 1"));
    if (assign_seq) {
      stmt max_seq(db, "SELECT coalesce(max(seq), 0) FROM kv_store__history");
      max_seq.step();
      next_seq = sqlite3_column_int64(max_seq.get(), 0) + 1;
      max_seq.done();
      hist.push_back(std::make_unique<stmt>(
          db,
          "INSERT INTO kv_store__history (seq, key, op_number, op, old_value, old_content_type,"
          " old_expires_at, new_value, new_content_type, new_expires_at, ts)"
          " VALUES (?11, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"));
    } else {
      hist.push_back(std::make_unique<stmt>(
          db,
          "INSERT INTO kv_store__history (key, op_number, op, old_value, old_content_type,"
          " old_expires_at, new_value, new_content_type, new_expires_at, ts)"
          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"));
    }
  }
  stmt begin(db, "BEGIN IMMEDIATE");
  stmt commit(db, "COMMIT");

  std::atomic<bool> stop{false};
  checkpoint_stats stats;
  std::thread ckpt;
  if (o.checkpoint == "passive") {
    ckpt = std::thread(checkpointer, path, o.checkpoint_ms, o.restart_mb, std::cref(stop),
                       std::ref(stats));
  }

  // The keys and values of bench/workloads.lua's batch_set: bench:batch:1..distinct, value
  // {"n":i} stored as application/octet-stream (a blob, as bind_kv_value does for that type).
  const std::string content_type = "application/octet-stream";
  const std::string op = "batch_set";
  std::vector<std::string> keys;
  std::vector<std::string> values;
  for (std::int64_t i = 1; i <= o.distinct; ++i) {
    keys.push_back("bench:batch:" + std::to_string(i));
    values.push_back("{\"n\":" + std::to_string(i) + "}");
  }

  const auto t0 = std::chrono::steady_clock::now();
  std::int64_t written = 0;
  std::int64_t transactions = 0;
  while (written < o.keys) {
    const std::int64_t now = now_ms();
    begin.step();
    begin.done();
    const std::int64_t n = std::min(o.batch, o.keys - written);
    for (std::int64_t j = 0; j < n; ++j) {
      const std::size_t k = static_cast<std::size_t>((written + j) % o.distinct);
      const std::string& key = keys[k];
      const std::string& value = values[k];

      // load_live: the old value (and created_at) of the live row.
      load_live.text(1, key);
      load_live.i64(2, now);
      const bool had = load_live.step();
      std::int64_t live_version = 0;
      std::string old_value;
      std::string old_type;
      std::int64_t old_expires = 0;
      bool old_expires_null = true;
      std::int64_t created_at = now;
      if (had) {
        sqlite3_stmt* s = load_live.get();
        old_value.assign(static_cast<const char*>(sqlite3_column_blob(s, 0)),
                         static_cast<std::size_t>(sqlite3_column_bytes(s, 0)));
        old_type.assign(reinterpret_cast<const char*>(sqlite3_column_text(s, 1)),
                        static_cast<std::size_t>(sqlite3_column_bytes(s, 1)));
        old_expires_null = sqlite3_column_type(s, 2) == SQLITE_NULL;
        old_expires = sqlite3_column_int64(s, 2);
        created_at = sqlite3_column_int64(s, 3);
        live_version = sqlite3_column_int64(s, 5);
      }
      load_live.done();

      std::int64_t op_number = 1;
      if (history) {
        // record_change: the key's last log row, then the new one. --op-from-kv: a live row's
        // version is its last op_number (write_value stores it so); only a key without a live
        // row (new, deleted or expired) reads the log.
        if (o.op_from_kv && had) {
          op_number = live_version + 1;
        } else {
          stmt& last = *hist[0];
          last.text(1, key);
          if (last.step()) {
            op_number = sqlite3_column_int64(last.get(), 0) + 1;
          }
          last.done();
        }
        stmt& ins = *hist[1];
        ins.text(1, key);
        ins.i64(2, op_number);
        ins.text(3, op);
        if (had) {
          ins.blob(4, old_value);
          ins.text(5, old_type);
          if (old_expires_null) {
            ins.null(6);
          } else {
            ins.i64(6, old_expires);
          }
        } else {
          ins.null(4);
          ins.null(5);
          ins.null(6);
        }
        ins.blob(7, value);
        ins.text(8, content_type);
        ins.null(9);
        ins.i64(10, now);
        if (assign_seq) {
          ins.i64(11, next_seq++);
        }
        ins.step();
        ins.done();
      }

      upsert.text(1, key);
      upsert.blob(2, value);
      upsert.text(3, content_type);
      upsert.null(4);
      upsert.i64(5, created_at);
      upsert.i64(6, now);
      upsert.i64(7, op_number);
      upsert.step();
      upsert.done();
    }
    commit.step();
    commit.done();
    written += n;
    ++transactions;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  stop = true;
  if (ckpt.joinable()) {
    ckpt.join();
  }

  return {written,
          transactions,
          secs,
          stats.passive.load(),
          stats.restart.load(),
          static_cast<double>(stats.ns.load()) / 1e6,
          stats.max_frames.load(),
          file_size(path + "-wal")};
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse(argc, argv);
  std::string path = o.path;
  if (path.empty()) {
    path = (std::filesystem::temp_directory_path() /
            ("hoody-floor-" + std::to_string(getpid()) + ".db"))
               .string();
  }
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(path + suffix);
  }

  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    die("open " + path + ": " + sqlite3_errmsg(db));
  }
  exec(db, "PRAGMA journal_mode=WAL");
  exec(db, "PRAGMA synchronous=NORMAL");
  exec(db, "PRAGMA foreign_keys=ON");
  if (o.checkpoint != "writer") {
    exec(db, "PRAGMA wal_autocheckpoint=0");
  }
  create_schema(db, o.schema);

  const run_result r = write_rows(db, o, path);
  if (!o.keep) {
    // The files are removed anyway: no final checkpoint of a WAL that may be large.
    sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  }
  sqlite3_close_v2(db);
  if (!o.keep) {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(path + suffix);
    }
  }
  const double keys_per_s = static_cast<double>(r.written) / r.secs;
  std::fprintf(
      stderr,
      "floor: schema=%s%s checkpoint=%s keys=%lld batch=%lld distinct=%lld: %.0f keys/s "
      "(%.2f s; checkpoints: %lld passive, %lld restart, %.1f ms in them, at most %lld WAL "
      "frames seen; WAL file %.1f MB at the end)\n",
      o.schema.c_str(), o.op_from_kv ? " op-from-kv" : "", o.checkpoint.c_str(),
      static_cast<long long>(r.written), static_cast<long long>(o.batch),
      static_cast<long long>(o.distinct), keys_per_s, r.secs, static_cast<long long>(r.passive),
      static_cast<long long>(r.restart), r.checkpoint_ms, static_cast<long long>(r.max_frames),
      static_cast<double>(r.wal_bytes) / 1e6);
  std::printf(
      "FLOORJSON "
      "{\"schema\":\"%s\",\"op_from_kv\":%s,\"checkpoint\":\"%s\",\"keys\":%lld,\"batch\":%lld,"
      "\"distinct\":%lld,\"transactions\":%lld,\"duration_us\":%lld,\"keys_per_s\":%.1f,"
      "\"passive_checkpoints\":%lld,\"restart_checkpoints\":%lld,\"max_wal_frames\":%lld,\"wal_"
      "bytes_end\":%lld}\n",
      o.schema.c_str(), o.op_from_kv ? "true" : "false", o.checkpoint.c_str(),
      static_cast<long long>(r.written), static_cast<long long>(o.batch),
      static_cast<long long>(o.distinct), static_cast<long long>(r.transactions),
      static_cast<long long>(r.secs * 1e6), keys_per_s, static_cast<long long>(r.passive),
      static_cast<long long>(r.restart), static_cast<long long>(r.max_frames),
      static_cast<long long>(r.wal_bytes));
  return 0;
}
