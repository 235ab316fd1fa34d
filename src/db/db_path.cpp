#include "hoody/db/db_path.hpp"

#include "hoody/core/error.hpp"

#include <string>
#include <system_error>

namespace hoody::db {
namespace fs = std::filesystem;
namespace {

[[noreturn]] void reject(std::string message) {
  throw api_error(errc::invalid_db_path, std::move(message));
}

bool is_inside(const fs::path& candidate, const fs::path& dir) {
  auto c = candidate.begin();
  for (auto d = dir.begin(); d != dir.end(); ++d, ++c) {
    if (d->empty()) {
      continue;  // trailing separator
    }
    if (c == candidate.end() || *c != *d) {
      return false;
    }
  }
  return true;
}

// Follows `file` if it is a symlink (also a dangling one, which SQLite would create through)
// and returns where it leads.
fs::path final_target(const fs::path& file) {
  std::error_code ec;
  fs::path current = file;
  for (int hops = 0; hops < 40; ++hops) {
    const auto status = fs::symlink_status(current, ec);
    if (ec || !fs::is_symlink(status)) {
      return fs::weakly_canonical(current, ec);
    }
    fs::path target = fs::read_symlink(current, ec);
    if (ec) {
      reject("database path cannot be resolved");
    }
    current = target.is_absolute() ? target : current.parent_path() / target;
  }
  reject("database path has too many symbolic links");
}

}  // namespace

std::optional<fs::path> resolve_kv_directory(std::string_view name, const path_policy& policy) {
  if (name.empty() || name.size() > 1024 || name.find('\0') != std::string_view::npos ||
      name == ":memory:" || name.starts_with("file:")) {
    return std::nullopt;  // resolve_db_path reports these
  }
  std::error_code ec;
  if (name.front() == '/') {
    const fs::path lexical = fs::path(name).lexically_normal();
    const fs::path dir = fs::canonical(lexical, ec);
    if (ec || !fs::is_directory(dir, ec)) {
      return std::nullopt;
    }
    if (!policy.allow_absolute) {
      if (dir == policy.data_dir) {
        return std::nullopt;  // resolve_db_path: outside the data directory
      }
      if (!is_inside(lexical, policy.data_dir) || !is_inside(dir, policy.data_dir)) {
        reject("absolute database paths outside " + policy.data_dir.string() + " are disallowed");
      }
    } else if (dir == policy.data_dir) {
      reject("directory mode cannot serve the data directory itself");
    }
    return dir;
  }
  std::string_view bare = name;
  if (bare.starts_with("./")) {
    bare.remove_prefix(2);
  }
  const fs::path rel{std::string(bare)};
  for (const auto& part : rel) {
    if (part == "..") {
      return std::nullopt;  // never probe outside the data directory
    }
  }
  bool directory = !bare.empty() && bare.back() == '/';
  if (!directory && !bare.empty() && bare != ".") {
    fs::path file = rel;
    if (!file.has_extension()) {
      file += ".db";
    }
    directory =
        fs::is_directory(policy.data_dir / file, ec) ||
        (fs::is_directory(policy.data_dir / rel, ec) &&
         (bare.find('/') != std::string_view::npos || !fs::exists(policy.data_dir / file, ec)));
  }
  if (directory) {
    reject("directory-mode: invalid path input: path must be absolute");
  }
  return std::nullopt;
}

fs::path resolve_db_path(std::string_view name, const path_policy& policy) {
  if (name.empty()) {
    throw api_error(errc::bad_request, "missing db parameter");
  }
  if (name.find('\0') != std::string_view::npos) {
    reject("database name must not contain NUL bytes");
  }
  if (name == ":memory:" || name.starts_with("file:")) {
    throw api_error(errc::bad_request, "in-memory databases are not supported");
  }
  if (name.size() > 1024) {
    reject("database name is too long");
  }
  if (name.front() == '/') {
    std::error_code ec;
    auto file = fs::weakly_canonical(fs::path(name).lexically_normal(), ec);
    if (ec || file.filename().empty()) {
      reject("invalid absolute database path");
    }
    const std::string outside =
        "absolute database paths outside " + policy.data_dir.string() + " are disallowed";
    if (!policy.allow_absolute && (!is_inside(file, policy.data_dir) || file == policy.data_dir)) {
      reject(outside);
    }
    // SQLite creates files, not directories: say so instead of failing to open.
    if (!fs::is_directory(file.parent_path(), ec)) {
      reject("the directory of the database does not exist: " + file.parent_path().string());
    }
    if (policy.allow_absolute) {
      return file;
    }
    // Inside the data directory (where it may name the same file as a bare name), wherever its
    // symbolic links lead.
    fs::path target = final_target(file);
    if (!is_inside(target, policy.data_dir) || target == policy.data_dir) {
      reject(outside);
    }
    return target;
  }
  std::string_view bare = name;
  if (bare.starts_with("./")) {
    bare.remove_prefix(2);
  }
  if (bare.empty() || bare == "." || bare == "..") {
    reject("invalid database name");
  }
  if (bare.find('/') != std::string_view::npos || bare.find('\\') != std::string_view::npos) {
    reject("relative database paths with directories are not allowed; use a bare name");
  }
  if (bare.size() > 255) {
    reject("database name is too long");
  }
  fs::path file_name{std::string(bare)};
  if (!file_name.has_extension()) {
    file_name += ".db";
  }
  const fs::path file = policy.data_dir / file_name;
  fs::path target = final_target(file);
  if (!is_inside(target, policy.data_dir)) {
    reject("database path leads outside the data directory");
  }
  return target;
}

}  // namespace hoody::db
