#include "hoody/db/db_list.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <system_error>

namespace hoody::db {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view sqlite_magic{"SQLite format 3\0", 16};

bool ends_with_any(std::string_view name) {
  for (const std::string_view suffix : {"-wal", "-shm", "-journal"}) {
    if (name.ends_with(suffix)) {
      return true;
    }
  }
  return false;
}

struct candidate {
  fs::path path;    ///< data_dir / rel
  std::string rel;  ///< '/' separated
  bool top_level = false;
};

class walker {
 public:
  explicit walker(const listing_limits& limits) : limits_(limits) {}

  void walk(const fs::path& dir, const std::string& rel, int depth) {
    std::error_code ec;
    fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
    for (const fs::directory_iterator end; !ec && it != end; it.increment(ec)) {
      if (++visited_ > limits_.scan_limit) {
        truncated = true;
        return;
      }
      const std::string name = it->path().filename().string();
      if (name.empty() || name.front() == '.') {
        continue;  // hidden, and the server's own .hoody-* files and directories
      }
      std::error_code sec;
      const auto status = it->symlink_status(sec);
      if (sec) {
        continue;
      }
      std::string child_rel = rel;
      if (!child_rel.empty()) {
        child_rel += '/';
      }
      child_rel += name;
      if (fs::is_directory(status)) {
        if (depth < limits_.max_depth) {
          walk(it->path(), child_rel, depth + 1);
          if (truncated) {
            return;
          }
        }
        continue;
      }
      if ((fs::is_regular_file(status) || fs::is_symlink(status)) && !ends_with_any(name)) {
        found.push_back({it->path(), child_rel, depth == 0});
      }
    }
  }

  std::vector<candidate> found;
  bool truncated = false;

 private:
  const listing_limits& limits_;
  std::size_t visited_ = 0;
};

// The file `name` opens (no directory mode), or nullopt when the name is refused.
std::optional<fs::path> opens(const std::string& name, const path_policy& policy) {
  try {
    if (resolve_kv_directory(name, policy)) {
      return std::nullopt;
    }
    return resolve_db_path(name, policy);
  } catch (...) {
    return std::nullopt;
  }
}

// The `db` name of a candidate and the file it opens: the shortest accepted name that opens the
// same file as its absolute path.
std::optional<std::pair<std::string, fs::path>> name_of(const candidate& c,
                                                        const path_policy& policy) {
  const std::string absolute = c.path.string();
  const auto target = opens(absolute, policy);
  if (!target) {
    return std::nullopt;  // e.g. a symbolic link leading outside the data directory
  }
  if (c.top_level) {
    std::vector<std::string> bare;
    if (c.rel.size() > 3 && c.rel.ends_with(".db")) {
      bare.push_back(c.rel.substr(0, c.rel.size() - 3));
    }
    bare.push_back(c.rel);
    for (const auto& name : bare) {
      if (auto t = opens(name, policy); t && *t == *target) {
        return std::pair{name, *target};
      }
    }
  }
  return std::pair{absolute, *target};
}

std::int64_t mtime_ms(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

// Size and mtime of an SQLite file, or nullopt when `file` is not a regular SQLite file.
std::optional<listed_database> inspect(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    return std::nullopt;
  }
  struct stat st {};
  std::array<char, 16> header{};
  const bool ok =
      ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
      ::pread(fd, header.data(), header.size(), 0) == static_cast<ssize_t>(header.size()) &&
      is_sqlite_header({header.data(), header.size()});
  ::close(fd);
  if (!ok) {
    return std::nullopt;
  }
  listed_database out;
  out.size_bytes = static_cast<std::uint64_t>(st.st_size);
  out.modified_ms = mtime_ms(st);
  struct stat wal {};
  if (::stat((file.string() + "-wal").c_str(), &wal) == 0 && S_ISREG(wal.st_mode)) {
    out.modified_ms = std::max(out.modified_ms, mtime_ms(wal));
  }
  return out;
}

}  // namespace

bool is_sqlite_header(std::string_view header) noexcept {
  return header.size() >= sqlite_magic.size() &&
         header.substr(0, sqlite_magic.size()) == sqlite_magic;
}

database_listing list_databases(const path_policy& policy, const listing_limits& limits,
                                const std::function<bool(std::string_view)>& visible) {
  // Never --allow-any-absolute-db-path here: a listed symbolic link must stay inside.
  const path_policy strict{policy.data_dir, false};
  walker w(limits);
  w.walk(strict.data_dir, "", 0);
  std::sort(w.found.begin(), w.found.end(),
            [](const candidate& a, const candidate& b) { return a.rel < b.rel; });
  database_listing out;
  out.truncated = w.truncated;
  for (const auto& c : w.found) {
    auto named = name_of(c, strict);
    if (!named) {
      continue;
    }
    auto entry = inspect(named->second);
    if (!entry || (visible && !visible(named->first))) {
      continue;
    }
    if (out.databases.size() >= limits.limit) {
      out.truncated = true;  // one more exists
      break;
    }
    entry->name = std::move(named->first);
    entry->file = c.rel;
    out.databases.push_back(std::move(*entry));
  }
  return out;
}

}  // namespace hoody::db
