#include "hoody/ops/kv_dir.hpp"

#include "hoody/core/error.hpp"
#include "hoody/db/executors.hpp"
#include "hoody/ops/kv_schema.hpp"
#include "hoody/ops/utf8.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <system_error>
#include <unordered_set>

namespace hoody::ops {
namespace fs = std::filesystem;

namespace {

// An entry whose mtime is this close to the moment it was checked may change again within the
// same timestamp tick: it stays "racy" (checked again on every read) until the window passed.
constexpr std::int64_t racy_window_ns = 2'000'000'000;

class fd_guard {
 public:
  explicit fd_guard(int fd = -1) noexcept : fd_(fd) {}
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  fd_guard(fd_guard&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  fd_guard& operator=(fd_guard&& o) noexcept {
    if (this != &o) {
      reset(o.fd_);
      o.fd_ = -1;
    }
    return *this;
  }
  ~fd_guard() { reset(); }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = fd;
  }
  [[nodiscard]] int get() const noexcept { return fd_; }
  int release() noexcept {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t mtime_ns_of(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

[[noreturn]] void key_not_found() {
  throw api_error(errc::key_not_found, "Key not found");
}

[[noreturn]] void io_error(std::string_view what, std::string_view key, int err) {
  const std::string message = "directory mode: cannot " + std::string(what) + " '" +
                              std::string(key) + "': " + std::generic_category().message(err);
  throw api_error(err == EACCES || err == EPERM ? errc::forbidden : errc::internal, message);
}

[[noreturn]] void symlink_refused(std::string_view key) {
  throw api_error(errc::bad_request, "directory mode: key '" + std::string(key) +
                                         "' passes through a symbolic link (not followed)");
}

std::string join(const std::vector<std::string>& parts, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) {
      out.push_back('/');
    }
    out += parts[i];
  }
  return out;
}

std::string successor(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xFF) {
    prefix.pop_back();
  }
  if (!prefix.empty()) {
    prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  }
  return prefix;
}

bool valid_listed_key(const std::string& key) {
  if (key.size() > max_key_bytes || !is_valid_utf8(key)) {
    return false;
  }
  try {
    validate_key(key);
  } catch (const api_error&) {
    return false;
  }
  return true;
}

// Whether keys below directory `dir` ("" = the root) can start with `prefix`.
bool dir_relevant(const std::string& dir, std::string_view prefix) {
  if (prefix.empty() || dir.empty()) {
    return true;
  }
  const std::string slash = dir + "/";
  return slash.starts_with(prefix) || prefix.starts_with(slash);
}

// Reads up to `n` bytes from the start of `fd`.
std::string read_head(int fd, std::size_t n) {
  std::string out(n, '\0');
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::pread(fd, out.data() + got, n - got, static_cast<off_t>(got));
    if (r < 0 && errno == EINTR) {
      continue;
    }
    if (r <= 0) {
      break;
    }
    got += static_cast<std::size_t>(r);
  }
  out.resize(got);
  return out;
}

// Opens the directory made of the first `n` components below `root_fd`, one component at a time
// and never through a symbolic link. Returns -1 (errno ENOENT/ENOTDIR) when it does not exist;
// throws 400 for a symbolic link. `create`: missing directories are made.
int open_dir_chain(int root_fd, const std::vector<std::string>& parts, std::size_t n, bool create,
                   std::string_view key) {
  fd_guard cur(::dup(root_fd));
  if (cur.get() < 0) {
    io_error("open", key, errno);
  }
  for (std::size_t i = 0; i < n; ++i) {
    const char* name = parts[i].c_str();
    int next = ::openat(cur.get(), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0 && errno == ENOENT && create) {
      if (::mkdirat(cur.get(), name, 0755) != 0 && errno != EEXIST) {
        io_error("create the directory of", key, errno);
      }
      next = ::openat(cur.get(), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (next < 0) {
      const int err = errno;
      struct stat st {};
      if (::fstatat(cur.get(), name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISLNK(st.st_mode)) {
          symlink_refused(key);
        }
        if (!S_ISDIR(st.st_mode)) {
          if (create) {
            throw api_error(errc::conflict, "directory mode: '" + join(parts, i + 1) +
                                                "' is a file, not a directory");
          }
          errno = ENOTDIR;
          return -1;
        }
      }
      if (err == ENOENT || err == ENOTDIR) {
        errno = err;
        return -1;
      }
      io_error("open the directory of", key, err);
    }
    cur.reset(next);
  }
  return cur.release();
}

void fsync_dir(int fd) {
  (void)::fsync(fd);  // best effort: some file systems refuse fsync on directories
}

}  // namespace

std::string content_type_for_file(std::string_view name) {
  const auto slash = name.rfind('/');
  const std::string_view base = slash == std::string_view::npos ? name : name.substr(slash + 1);
  const auto dot = base.rfind('.');
  if (dot == std::string_view::npos || dot == 0) {
    return "application/octet-stream";
  }
  std::string ext(base.substr(dot + 1));
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const std::unordered_map<std::string, std::string> types = {
      {"json", "application/json"},          {"txt", "text/plain; charset=utf-8"},
      {"text", "text/plain; charset=utf-8"}, {"log", "text/plain; charset=utf-8"},
      {"ini", "text/plain; charset=utf-8"},  {"conf", "text/plain; charset=utf-8"},
      {"cfg", "text/plain; charset=utf-8"},  {"toml", "text/plain; charset=utf-8"},
      {"yaml", "text/plain; charset=utf-8"}, {"yml", "text/plain; charset=utf-8"},
      {"sh", "text/plain; charset=utf-8"},   {"md", "text/markdown; charset=utf-8"},
      {"csv", "text/csv; charset=utf-8"},    {"tsv", "text/tab-separated-values; charset=utf-8"},
      {"html", "text/html; charset=utf-8"},  {"htm", "text/html; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},    {"js", "text/javascript; charset=utf-8"},
      {"xml", "text/xml; charset=utf-8"},
  };
  const auto found = types.find(ext);
  return found == types.end() ? "application/octet-stream" : found->second;
}

std::vector<std::string> split_directory_key(std::string_view key) {
  validate_key(key);
  const auto bad = [&](std::string_view why) {
    throw api_error(errc::bad_request,
                    "directory mode: invalid key '" + std::string(key) + "': " + std::string(why));
  };
  if (key.front() == '/') {
    bad("absolute keys are not allowed");
  }
  if (key.back() == '/') {
    bad("a key names a file, not a directory (trailing '/')");
  }
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= key.size()) {
    const auto end = std::min(key.find('/', start), key.size());
    const std::string_view part = key.substr(start, end - start);
    if (part.empty()) {
      bad("empty path component");
    }
    if (part == "." || part == "..") {
      bad("'.' and '..' components are not allowed");
    }
    if (part.size() > 255) {
      bad("a path component is longer than 255 bytes");
    }
    if (part.starts_with(temp_file_prefix)) {
      bad("names starting with .hoody-tmp- are reserved");
    }
    parts.emplace_back(part);
    start = end + 1;
  }
  return parts;
}

// ---- kv_directory

kv_directory::kv_directory(fs::path root, const fs::path& index_file, const fs::path& index_dir)
    : root_(std::move(root)), index_(index_file, db::connection_options{.create = true}) {
  struct stat st {};
  if (::stat(index_dir.c_str(), &st) == 0) {
    index_dir_.dev = static_cast<std::int64_t>(st.st_dev);
    index_dir_.ino = static_cast<std::int64_t>(st.st_ino);
    have_index_dir_ = true;
  }
  index_.exec(
      "CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"
      "CREATE TABLE IF NOT EXISTS entries(key TEXT PRIMARY KEY, dir TEXT NOT NULL,"
      " size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ino INTEGER NOT NULL,"
      " checked_ns INTEGER NOT NULL, content_type TEXT NOT NULL, head BLOB)"
      " WITHOUT ROWID;"
      "CREATE INDEX IF NOT EXISTS entries_dir ON entries(dir);"
      "CREATE TABLE IF NOT EXISTS dirs(path TEXT PRIMARY KEY, parent TEXT,"
      " mtime_ns INTEGER NOT NULL, ino INTEGER NOT NULL, checked_ns INTEGER NOT NULL)"
      " WITHOUT ROWID;"
      "CREATE INDEX IF NOT EXISTS dirs_parent ON dirs(parent);");
  // The index belongs to exactly one directory: another one (a hash collision) starts over.
  std::optional<std::string> owner;
  {
    auto& stmt = index_.cached("SELECT value FROM meta WHERE name = 'root'");
    db::statement_reset_guard guard(stmt);
    if (stmt.step()) {
      owner = std::string(stmt.column_text(0));
    }
  }
  if (owner && *owner == root_.string()) {
    auto& stmt = index_.cached("SELECT value FROM meta WHERE name = 'scanned'");
    db::statement_reset_guard guard(stmt);
    scanned_ = stmt.step();
    return;
  }
  index_.exec("BEGIN IMMEDIATE; DELETE FROM entries; DELETE FROM dirs; DELETE FROM meta;");
  auto& stmt = index_.cached("INSERT INTO meta(name, value) VALUES ('root', ?1)");
  db::statement_reset_guard guard(stmt);
  stmt.bind_text(1, root_.string());
  stmt.run();
  index_.exec("COMMIT");
}

kv_directory::~kv_directory() = default;

int kv_directory::open_root() const {
  const int fd = ::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) {
      throw api_error(errc::db_not_found, "directory mode: the directory no longer exists");
    }
    io_error("open", root_.string(), errno);
  }
  return fd;
}

bool kv_directory::is_index_dir(const stat_info& st) const noexcept {
  return have_index_dir_ && st.dev == index_dir_.dev && st.ino == index_dir_.ino;
}

void kv_directory::refuse_index_dir(int dir_fd, std::string_view key) const {
  struct stat s {};
  if (::fstat(dir_fd, &s) == 0 && is_index_dir({0, 0, static_cast<std::int64_t>(s.st_ino),
                                                static_cast<std::int64_t>(s.st_dev)})) {
    throw api_error(errc::bad_request, "directory mode: key '" + std::string(key) +
                                           "' names a file of the server's index");
  }
}

void kv_directory::upsert_entry(const std::string& key, const stat_info& st, std::string_view head,
                                std::int64_t now) {
  const auto slash = key.rfind('/');
  auto& stmt = index_.cached(
      "INSERT INTO entries(key, dir, size, mtime_ns, ino, checked_ns, content_type, head)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(key) DO UPDATE SET"
      " size = excluded.size, mtime_ns = excluded.mtime_ns, ino = excluded.ino,"
      " checked_ns = excluded.checked_ns, content_type = excluded.content_type,"
      " head = excluded.head");
  db::statement_reset_guard guard(stmt);
  stmt.bind_text(1, key);
  stmt.bind_text(2, slash == std::string::npos ? std::string() : key.substr(0, slash));
  stmt.bind_int64(3, st.size);
  stmt.bind_int64(4, st.mtime_ns);
  stmt.bind_int64(5, st.ino);
  stmt.bind_int64(6, now);
  stmt.bind_text(7, content_type_for_file(key));
  stmt.bind_blob(8, head.substr(0, std::min(head.size(), list_value_preview_bytes)));
  stmt.run();
}

void kv_directory::erase_entry(const std::string& key) {
  auto& stmt = index_.cached("DELETE FROM entries WHERE key = ?1");
  db::statement_reset_guard guard(stmt);
  stmt.bind_text(1, key);
  stmt.run();
}

void kv_directory::drop_subtree(const std::string& rel) {
  const std::string lo = rel + "/";
  const std::string hi = successor(lo);
  for (const char* sql : {"DELETE FROM entries WHERE key >= ?1 AND key < ?2",
                          "DELETE FROM dirs WHERE path >= ?1 AND path < ?2"}) {
    auto& stmt = index_.cached(sql);
    db::statement_reset_guard guard(stmt);
    stmt.bind_text(1, lo);
    stmt.bind_text(2, hi);
    stmt.run();
  }
  auto& stmt = index_.cached("DELETE FROM dirs WHERE path = ?1");
  db::statement_reset_guard guard(stmt);
  stmt.bind_text(1, rel);
  stmt.run();
}

// Reconciles the index with the directory `rel` (open as `dir_fd`, stat'ed as `st` BEFORE it is
// read, so a change during the read shows as a changed mtime next time). New subdirectories
// are scanned whole; known ones only with `recurse_all` (their own mtime says when to).
void kv_directory::sync_dir(const std::string& rel, int dir_fd, const stat_info& st,
                            bool recurse_all, std::int64_t now) {
  std::unordered_map<std::string, stat_info> files;
  std::vector<std::pair<std::string, stat_info>> subdirs;
  {
    const int dup_fd = ::dup(dir_fd);
    DIR* d = dup_fd >= 0 ? ::fdopendir(dup_fd) : nullptr;
    if (d == nullptr) {
      if (dup_fd >= 0) {
        ::close(dup_fd);
      }
      io_error("read the directory", rel, errno);
    }
    while (const dirent* e = ::readdir(d)) {  // NOLINT(concurrency-mt-unsafe): `d` is this call's
      const std::string name = e->d_name;
      if (name == "." || name == ".." || name.starts_with(temp_file_prefix)) {
        continue;
      }
      struct stat s {};
      if (::fstatat(dir_fd, name.c_str(), &s, AT_SYMLINK_NOFOLLOW) != 0) {
        continue;  // removed meanwhile
      }
      std::string key = rel;
      if (!key.empty()) {
        key += '/';
      }
      key += name;
      stat_info info{static_cast<std::int64_t>(s.st_size), mtime_ns_of(s),
                     static_cast<std::int64_t>(s.st_ino), static_cast<std::int64_t>(s.st_dev)};
      if (S_ISREG(s.st_mode)) {
        if (valid_listed_key(key)) {
          files.emplace(key, info);
        }
      } else if (S_ISDIR(s.st_mode) && !is_index_dir(info) && key.size() < max_key_bytes) {
        subdirs.emplace_back(key, info);
      }
    }
    ::closedir(d);
  }
  // Files: drop vanished entries, refresh changed ones, add new ones.
  std::unordered_set<std::string> fresh;
  {
    auto& stmt =
        index_.cached("SELECT key, size, mtime_ns, ino, checked_ns FROM entries WHERE dir = ?1");
    db::statement_reset_guard guard(stmt);
    stmt.bind_text(1, rel);
    std::vector<std::string> gone;
    while (stmt.step()) {
      std::string key(stmt.column_text(0));
      const auto found = files.find(key);
      if (found == files.end()) {
        gone.push_back(std::move(key));
        continue;
      }
      const auto& f = found->second;
      const std::int64_t mtime = stmt.column_int64(2);
      if (!recurse_all && f.size == stmt.column_int64(1) && f.mtime_ns == mtime &&
          f.ino == stmt.column_int64(3) && stmt.column_int64(4) - mtime >= racy_window_ns) {
        fresh.insert(std::move(key));
      }
    }
    stmt.reset();
    for (const auto& key : gone) {
      erase_entry(key);
    }
  }
  for (const auto& [key, info] : files) {
    if (fresh.contains(key)) {
      continue;
    }
    const auto slash = key.rfind('/');
    const std::string name = slash == std::string::npos ? key : key.substr(slash + 1);
    fd_guard fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (fd.get() < 0) {
      continue;  // unreadable or removed meanwhile: not listed
    }
    struct stat s {};
    if (::fstat(fd.get(), &s) != 0 || !S_ISREG(s.st_mode)) {
      continue;
    }
    const stat_info now_info{static_cast<std::int64_t>(s.st_size), mtime_ns_of(s),
                             static_cast<std::int64_t>(s.st_ino),
                             static_cast<std::int64_t>(s.st_dev)};
    upsert_entry(key, now_info, read_head(fd.get(), list_value_preview_bytes), now);
  }
  // Subdirectories: drop vanished ones, scan new ones (all of them with recurse_all).
  std::unordered_set<std::string> known;
  {
    auto& stmt = index_.cached("SELECT path FROM dirs WHERE parent = ?1");
    db::statement_reset_guard guard(stmt);
    stmt.bind_text(1, rel);
    while (stmt.step()) {
      known.emplace(stmt.column_text(0));
    }
  }
  for (const auto& [key, info] : subdirs) {
    const bool was_known = known.erase(key) > 0;
    if (was_known && !recurse_all) {
      continue;
    }
    const auto slash = key.rfind('/');
    const std::string name = slash == std::string::npos ? key : key.substr(slash + 1);
    fd_guard fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    struct stat s {};
    if (fd.get() < 0 || ::fstat(fd.get(), &s) != 0) {
      continue;
    }
    sync_dir(key, fd.get(),
             {0, mtime_ns_of(s), static_cast<std::int64_t>(s.st_ino),
              static_cast<std::int64_t>(s.st_dev)},
             recurse_all, now);
  }
  for (const auto& gone : known) {
    drop_subtree(gone);
  }
  auto& stmt = index_.cached(
      "INSERT INTO dirs(path, parent, mtime_ns, ino, checked_ns) VALUES (?1, ?2, ?3, ?4, ?5)"
      " ON CONFLICT(path) DO UPDATE SET mtime_ns = excluded.mtime_ns, ino = excluded.ino,"
      " checked_ns = excluded.checked_ns");
  db::statement_reset_guard guard(stmt);
  stmt.bind_text(1, rel);
  if (rel.empty()) {
    stmt.bind_null(2);
  } else {
    const auto slash = rel.rfind('/');
    stmt.bind_text(2, slash == std::string::npos ? std::string() : rel.substr(0, slash));
  }
  stmt.bind_int64(3, st.mtime_ns);
  stmt.bind_int64(4, st.ino);
  stmt.bind_int64(5, now);
  stmt.run();
}

void kv_directory::full_scan_locked() {
  fd_guard root(open_root());
  struct stat s {};
  if (::fstat(root.get(), &s) != 0) {
    io_error("read", root_.string(), errno);
  }
  index_.exec("BEGIN IMMEDIATE");
  try {
    sync_dir("", root.get(),
             {0, mtime_ns_of(s), static_cast<std::int64_t>(s.st_ino),
              static_cast<std::int64_t>(s.st_dev)},
             true, now_ns());
    index_.exec("INSERT OR REPLACE INTO meta(name, value) VALUES ('scanned', '1')");
    index_.exec("COMMIT");
  } catch (...) {
    index_.exec("ROLLBACK");
    throw;
  }
  scanned_ = true;
}

void kv_directory::ensure_scanned() {
  if (!scanned_) {
    full_scan_locked();
  }
}

// Re-reads every indexed directory (relevant to `prefix`) whose mtime or inode changed, or
// that was racy when last read; drops the ones that are gone.
void kv_directory::refresh_dirs_locked(std::string_view prefix) {
  struct dir_row {
    std::string path;
    std::int64_t mtime_ns;
    std::int64_t ino;
    std::int64_t checked_ns;
  };
  std::vector<dir_row> rows;
  {
    auto& stmt = index_.cached("SELECT path, mtime_ns, ino, checked_ns FROM dirs ORDER BY path");
    db::statement_reset_guard guard(stmt);
    while (stmt.step()) {
      std::string path(stmt.column_text(0));
      if (dir_relevant(path, prefix)) {
        rows.push_back(
            {std::move(path), stmt.column_int64(1), stmt.column_int64(2), stmt.column_int64(3)});
      }
    }
  }
  fd_guard root(open_root());
  const std::int64_t now = now_ns();
  std::vector<std::string> dropped;
  bool in_tx = false;
  const auto begin = [&] {
    if (!in_tx) {
      index_.exec("BEGIN IMMEDIATE");
      in_tx = true;
    }
  };
  try {
    for (const auto& row : rows) {
      const bool under_dropped = std::any_of(dropped.begin(), dropped.end(), [&](const auto& d) {
        return row.path.starts_with(d + "/");
      });
      if (under_dropped) {
        continue;
      }
      fd_guard fd;
      if (row.path.empty()) {
        fd.reset(::dup(root.get()));
      } else {
        std::vector<std::string> parts;
        try {
          parts = split_directory_key(row.path);
          fd.reset(open_dir_chain(root.get(), parts, parts.size(), false, row.path));
        } catch (const api_error&) {
          fd.reset();  // became a symbolic link: no longer part of the tree
        }
      }
      struct stat s {};
      if (fd.get() < 0 || ::fstat(fd.get(), &s) != 0) {
        if (!row.path.empty()) {
          begin();
          drop_subtree(row.path);
          dropped.push_back(row.path);
        }
        continue;
      }
      const std::int64_t mtime = mtime_ns_of(s);
      if (mtime == row.mtime_ns && static_cast<std::int64_t>(s.st_ino) == row.ino &&
          row.checked_ns - row.mtime_ns >= racy_window_ns) {
        continue;
      }
      begin();
      sync_dir(row.path, fd.get(),
               {0, mtime, static_cast<std::int64_t>(s.st_ino), static_cast<std::int64_t>(s.st_dev)},
               false, now);
    }
    if (in_tx) {
      index_.exec("COMMIT");
    }
  } catch (...) {
    if (in_tx) {
      index_.exec("ROLLBACK");
    }
    throw;
  }
}

void kv_directory::rebuild() {
  std::lock_guard lock(mutex_);
  full_scan_locked();
}

dir_file kv_directory::get(std::string_view key, bool rebuild_first, std::size_t max_bytes) {
  const auto parts = split_directory_key(key);
  std::lock_guard lock(mutex_);
  if (rebuild_first) {
    full_scan_locked();
  }
  const std::string k(key);
  struct stat s {};
  fd_guard parent(open_parent_of_file_locked(parts, key, "read", s));
  fd_guard fd(
      ::openat(parent.get(), parts.back().c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) {
    if (errno == ENOENT) {
      erase_entry(k);
      key_not_found();
    }
    if (errno == ELOOP) {
      symlink_refused(key);
    }
    io_error("read", key, errno);
  }
  if (::fstat(fd.get(), &s) != 0 || !S_ISREG(s.st_mode)) {
    key_not_found();
  }
  if (static_cast<std::uint64_t>(s.st_size) > max_bytes) {
    throw api_error(errc::payload_too_large,
                    "directory mode: the file is larger than the value size limit",
                    {{"size", static_cast<std::int64_t>(s.st_size)}, {"limit", max_bytes}});
  }
  dir_file out;
  out.key = k;
  out.bytes = read_head(fd.get(), static_cast<std::size_t>(s.st_size));
  out.content_type = content_type_for_file(key);
  out.updated_at_ms = mtime_ns_of(s) / 1'000'000;
  struct stat after {};
  if (::fstat(fd.get(), &after) == 0) {
    s = after;  // what was read is at least as new as this
  }
  upsert_entry(k,
               {static_cast<std::int64_t>(s.st_size), mtime_ns_of(s),
                static_cast<std::int64_t>(s.st_ino), static_cast<std::int64_t>(s.st_dev)},
               out.bytes, now_ns());
  return out;
}

kv_page kv_directory::list(const kv_list_request& req, bool rebuild_first) {
  std::lock_guard lock(mutex_);
  if (rebuild_first || !scanned_) {
    full_scan_locked();
  } else {
    refresh_dirs_locked(req.prefix);
  }
  std::string where;
  const std::string upper = successor(req.prefix);
  if (!req.prefix.empty()) {
    where = " WHERE key >= ?1";
    if (!upper.empty()) {
      where += " AND key < ?2";
    }
  }
  const auto bind_filter = [&](db::statement& stmt) {
    if (!req.prefix.empty()) {
      stmt.bind_text(1, req.prefix);
      if (!upper.empty()) {
        stmt.bind_text(2, upper);
      }
    }
  };
  struct row {
    std::string key;
    std::int64_t size;
    std::int64_t mtime_ns;
    std::int64_t ino;
    std::int64_t checked_ns;
    std::string content_type;
    std::string head;
  };
  std::vector<row> rows;
  {
    auto& stmt = index_.cached(
        "SELECT key, size, mtime_ns, ino, checked_ns, content_type, head FROM entries" + where +
        " ORDER BY key LIMIT ?3 OFFSET ?4");
    db::statement_reset_guard guard(stmt);
    bind_filter(stmt);
    stmt.bind_int64(3, req.limit);
    stmt.bind_int64(4, req.offset);
    while (stmt.step()) {
      rows.push_back({std::string(stmt.column_text(0)), stmt.column_int64(1), stmt.column_int64(2),
                      stmt.column_int64(3), stmt.column_int64(4), std::string(stmt.column_text(5)),
                      std::string(stmt.column_bytes(6))});
    }
  }
  std::int64_t total = 0;
  {
    auto& stmt = index_.cached("SELECT count(*) FROM entries" + where);
    db::statement_reset_guard guard(stmt);
    bind_filter(stmt);
    if (stmt.step()) {
      total = stmt.column_int64(0);
    }
  }
  // Each listed file is stat'ed: a change in place (same directory mtime) refreshes its entry.
  fd_guard root(open_root());
  const std::int64_t now = now_ns();
  kv_page out;
  out.limit = req.limit;
  out.offset = req.offset;
  out.items.reserve(rows.size());
  bool in_tx = false;
  try {
    for (auto& r : rows) {
      struct stat s {};
      const bool present =
          ::fstatat(root.get(), r.key.c_str(), &s, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(s.st_mode);
      const bool same = present && s.st_size == r.size && mtime_ns_of(s) == r.mtime_ns &&
                        static_cast<std::int64_t>(s.st_ino) == r.ino &&
                        r.checked_ns - r.mtime_ns >= racy_window_ns;
      if (!same) {
        if (!in_tx) {
          index_.exec("BEGIN IMMEDIATE");
          in_tx = true;
        }
        fd_guard fd;
        if (present) {
          const auto parts = split_directory_key(r.key);
          fd_guard parent(open_dir_chain(root.get(), parts, parts.size() - 1, false, r.key));
          if (parent.get() >= 0) {
            fd.reset(::openat(parent.get(), parts.back().c_str(),
                              O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
          }
        }
        if (fd.get() < 0 || ::fstat(fd.get(), &s) != 0 || !S_ISREG(s.st_mode)) {
          erase_entry(r.key);
          --total;
          continue;
        }
        r.head = read_head(fd.get(), list_value_preview_bytes);
        r.size = s.st_size;
        r.mtime_ns = mtime_ns_of(s);
        upsert_entry(r.key,
                     {r.size, r.mtime_ns, static_cast<std::int64_t>(s.st_ino),
                      static_cast<std::int64_t>(s.st_dev)},
                     r.head, now);
      }
      kv_list_item item;
      item.key = std::move(r.key);
      item.preview = value_preview(r.head, r.size);
      item.content_type = std::move(r.content_type);
      item.size = r.size;
      item.updated_at_ms = r.mtime_ns / 1'000'000;
      item.created_at_ms = item.updated_at_ms;
      out.items.push_back(std::move(item));
    }
    if (in_tx) {
      index_.exec("COMMIT");
    }
  } catch (...) {
    if (in_tx) {
      index_.exec("ROLLBACK");
    }
    throw;
  }
  out.total = total;
  return out;
}

dir_put_result kv_directory::put(std::string_view key, std::string_view bytes) {
  const auto parts = split_directory_key(key);
  std::lock_guard lock(mutex_);
  fd_guard root(open_root());
  fd_guard parent(open_dir_chain(root.get(), parts, parts.size() - 1, true, key));
  if (parent.get() < 0) {
    throw api_error(errc::conflict,
                    "directory mode: a parent of '" + std::string(key) + "' is not a directory");
  }
  refuse_index_dir(parent.get(), key);
  const std::string& leaf = parts.back();
  dir_put_result out;
  struct stat s {};
  if (::fstatat(parent.get(), leaf.c_str(), &s, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISLNK(s.st_mode)) {
      symlink_refused(key);
    }
    if (!S_ISREG(s.st_mode)) {
      throw api_error(errc::conflict,
                      "directory mode: '" + std::string(key) + "' is a directory, not a file");
    }
  } else if (errno == ENOENT) {
    out.created = true;
  } else {
    io_error("write", key, errno);
  }
  std::random_device rd;
  std::array<char, 17> suffix{};
  std::snprintf(suffix.data(), suffix.size(), "%08x%08x", rd(), rd());
  const std::string tmp = std::string(temp_file_prefix) + suffix.data();
  fd_guard fd(::openat(parent.get(), tmp.c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (fd.get() < 0) {
    io_error("write", key, errno);
  }
  const auto fail = [&](int err) {
    fd.reset();
    ::unlinkat(parent.get(), tmp.c_str(), 0);
    io_error("write", key, err);
  };
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t w = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (w < 0 && errno == EINTR) {
      continue;
    }
    if (w <= 0) {
      fail(w < 0 ? errno : EIO);
    }
    done += static_cast<std::size_t>(w);
  }
  if (::fsync(fd.get()) != 0) {
    fail(errno);
  }
  if (::fstat(fd.get(), &s) != 0) {
    fail(errno);
  }
  fd.reset();
  if (::renameat(parent.get(), tmp.c_str(), parent.get(), leaf.c_str()) != 0) {
    const int err = errno;
    ::unlinkat(parent.get(), tmp.c_str(), 0);
    io_error("write", key, err);
  }
  fsync_dir(parent.get());
  const std::string k(key);
  upsert_entry(k,
               {static_cast<std::int64_t>(s.st_size), mtime_ns_of(s),
                static_cast<std::int64_t>(s.st_ino), static_cast<std::int64_t>(s.st_dev)},
               bytes, now_ns());
  out.size = static_cast<std::int64_t>(bytes.size());
  out.content_type = content_type_for_file(key);
  out.updated_at_ms = mtime_ns_of(s) / 1'000'000;
  return out;
}

int kv_directory::open_parent_of_file_locked(const std::vector<std::string>& parts,
                                             std::string_view key, const char* op,
                                             struct stat& st) {
  const std::string k(key);
  fd_guard root(open_root());
  fd_guard parent(open_dir_chain(root.get(), parts, parts.size() - 1, false, key));
  if (parent.get() < 0) {
    erase_entry(k);
    key_not_found();
  }
  refuse_index_dir(parent.get(), key);
  if (::fstatat(parent.get(), parts.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno != ENOENT) {
      io_error(op, key, errno);
    }
    erase_entry(k);
    key_not_found();
  }
  if (S_ISLNK(st.st_mode)) {
    symlink_refused(key);
  }
  if (!S_ISREG(st.st_mode)) {
    key_not_found();  // a directory (or a device, a socket...) is not a key
  }
  return parent.release();
}

void kv_directory::remove(std::string_view key) {
  const auto parts = split_directory_key(key);
  std::lock_guard lock(mutex_);
  const std::string k(key);
  struct stat s {};
  fd_guard parent(open_parent_of_file_locked(parts, key, "delete", s));
  if (::unlinkat(parent.get(), parts.back().c_str(), 0) != 0) {
    if (errno == ENOENT) {
      erase_entry(k);
      key_not_found();
    }
    io_error("delete", key, errno);
  }
  fsync_dir(parent.get());
  erase_entry(k);
}

// ---- registry

namespace {

std::string fnv1a_hex(std::string_view text) {
  std::uint64_t h = 14695981039346656037ULL;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  std::array<char, 17> buf{};
  std::snprintf(buf.data(), buf.size(), "%016llx", static_cast<unsigned long long>(h));
  return buf.data();
}

bool path_inside(const fs::path& candidate, const fs::path& dir) {
  auto c = candidate.begin();
  for (auto d = dir.begin(); d != dir.end(); ++d, ++c) {
    if (d->empty()) {
      continue;
    }
    if (c == candidate.end() || *c != *d) {
      return false;
    }
  }
  return true;
}

}  // namespace

kv_directory_registry::kv_directory_registry(const fs::path& data_dir)
    : index_dir_(data_dir / ".hoody-dirindex") {}

std::shared_ptr<kv_directory> kv_directory_registry::open(const fs::path& dir) {
  assert(db::on_db_thread());
  if (path_inside(dir, index_dir_)) {
    throw api_error(errc::invalid_db_path,
                    "directory mode cannot serve the server's index directory");
  }
  std::lock_guard lock(mutex_);
  if (auto found = open_.find(dir.string()); found != open_.end()) {
    return found->second;
  }
  std::error_code ec;
  fs::create_directories(index_dir_, ec);
  ::chmod(index_dir_.c_str(), 0700);
  if (open_.size() >= 64) {
    open_.clear();  // requests in flight keep theirs alive
  }
  auto store = std::make_shared<kv_directory>(
      dir, index_dir_ / (fnv1a_hex(dir.string()) + ".sqlite"), index_dir_);
  open_.emplace(dir.string(), store);
  return store;
}

}  // namespace hoody::ops
