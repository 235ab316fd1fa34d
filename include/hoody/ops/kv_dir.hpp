// hoody/ops/kv_dir.hpp — directory mode: the regular files below a directory served as a KV
// store (semantics: docs/kv.md, "Directory mode").
//
// Key = the file's path relative to the directory ('/' separators), value = its bytes, content
// type from the extension. Every path is opened component by component from the directory with
// O_NOFOLLOW (openat), so no key can leave the directory: `..`, `.`, empty components, absolute
// keys and symbolic links are refused (400) before anything outside is touched.
// An index of the tree (key, size, mtime, inode, content type, first bytes; and every directory
// with its mtime) lives in an SQLite file outside the tree (<data-dir>/.hoody-dirindex/), so
// list and prefix scans read the index: only directories whose mtime changed are read again,
// and each listed file is stat'ed (a changed size/mtime/inode refreshes its entry).
// Blocking file-system and SQLite work: call only from the pools (db::on_db_thread()), never
// from an I/O thread. Thread-safety: a kv_directory serializes its own operations (mutex).
#pragma once

#include "hoody/db/connection.hpp"
#include "hoody/ops/kv.hpp"

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace hoody::ops {

/// Content type of a file by its extension: .json → application/json; text extensions
/// (.txt .md .csv .html .css .js .xml .yaml ...) → their text type; anything else →
/// application/octet-stream. Pure.
[[nodiscard]] std::string content_type_for_file(std::string_view name);

/// Splits a directory-mode key into its path components; throws 400 for keys that could leave
/// the directory or name nothing (absolute, `.`/`..`/empty components, trailing '/', NUL,
/// components over 255 bytes, the temporary-file prefix). Pure.
[[nodiscard]] std::vector<std::string> split_directory_key(std::string_view key);

/// Name prefix of the temporary files of atomic PUTs (never listed, never served).
inline constexpr std::string_view temp_file_prefix = ".hoody-tmp-";

struct dir_file {
  std::string key;
  std::string bytes;
  std::string content_type;
  std::int64_t updated_at_ms = 0;
};

struct dir_put_result {
  bool created = false;
  std::int64_t size = 0;
  std::string content_type;
  std::int64_t updated_at_ms = 0;
};

class kv_directory {
 public:
  /// `root`: canonical directory; `index_file`: its SQLite index (created when missing);
  /// `index_dir`: the directory holding index files, never listed nor served.
  kv_directory(std::filesystem::path root, const std::filesystem::path& index_file,
               const std::filesystem::path& index_dir);
  kv_directory(const kv_directory&) = delete;
  kv_directory& operator=(const kv_directory&) = delete;
  ~kv_directory();

  [[nodiscard]] const std::filesystem::path& root() const noexcept { return root_; }

  /// GET: the file's bytes (404 `Key not found` when no regular file is there; 413 above
  /// `max_bytes`). Refreshes the key's index entry. `rebuild`: rescan the whole tree first.
  dir_file get(std::string_view key, bool rebuild, std::size_t max_bytes);
  /// GET /kv: a page as kv_list gives one (no expiry; both times are the file's mtime).
  /// `rebuild`: rescan first.
  kv_page list(const kv_list_request& req, bool rebuild);
  /// PUT: writes atomically (temporary file in the same directory, fsync, rename, fsync of the
  /// directory); creates missing parent directories.
  dir_put_result put(std::string_view key, std::string_view bytes);
  /// DELETE: removes the file (404 when missing).
  void remove(std::string_view key);
  /// Rescans the whole tree (also done on first use).
  void rebuild();

 private:
  struct stat_info {
    std::int64_t size = 0;
    std::int64_t mtime_ns = 0;
    std::int64_t ino = 0;
    std::int64_t dev = 0;
  };
  int open_root() const;
  bool is_index_dir(const stat_info& st) const noexcept;
  void refuse_index_dir(int dir_fd, std::string_view key) const;
  void ensure_scanned();
  void full_scan_locked();
  void refresh_dirs_locked(std::string_view prefix);
  void sync_dir(const std::string& rel, int dir_fd, const stat_info& st, bool recurse_all,
                std::int64_t now_ns);
  void drop_subtree(const std::string& rel);
  void upsert_entry(const std::string& key, const stat_info& st, std::string_view head,
                    std::int64_t now_ns);
  void erase_entry(const std::string& key);
  /// The directory that holds `key`'s file, opened (the caller owns the descriptor), and the
  /// file's lstat in `st`. A missing file (its index row dropped), a symlink and anything but a
  /// regular file are refused; `op` names the operation in I/O errors. Under `mutex_`.
  int open_parent_of_file_locked(const std::vector<std::string>& parts, std::string_view key,
                                 const char* op, struct stat& st);

  std::filesystem::path root_;
  stat_info index_dir_{};
  bool have_index_dir_ = false;
  std::mutex mutex_;
  db::connection index_;
  bool scanned_ = false;
};

/// The kv_directory of each served directory, created on first use (index files under
/// `<data-dir>/.hoody-dirindex/`, named by a hash of the canonical path). Thread-safe.
class kv_directory_registry {
 public:
  explicit kv_directory_registry(const std::filesystem::path& data_dir);
  /// Blocking (opens the index): call from a pool thread.
  std::shared_ptr<kv_directory> open(const std::filesystem::path& dir);

 private:
  std::filesystem::path index_dir_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<kv_directory>> open_;
};

}  // namespace hoody::ops
