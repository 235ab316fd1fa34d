// hoody/ops/json_path.hpp — the `path` parameter of the KV endpoints (read a leaf, update a leaf).
//
// Syntax: dot-separated segments `a.b.c`; array elements as `items[0]` or `items.0`; negative
// indexes count from the end (`items[-1]` = last). A leading `$` / `$.` is ignored, except for
// the array operations (json_path_root::literal).
// `\.`, `\[` and `\\` escape those characters inside a name. A numeric segment indexes an array
// and names a member of an object. Pure functions on nlohmann::json; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hoody::ops {

struct json_path_segment {
  std::string name;                   ///< member name (for `[n]` segments: the digits)
  std::optional<std::int64_t> index;  ///< set when the segment is an integer
  bool bracket = false;               ///< written as `[n]`: an array index only
};

struct json_path {
  std::string text;
  std::vector<json_path_segment> segments;
};

/// How a leading `$` is read.
enum class json_path_root {
  dollar_is_root,  ///< `$.a.b` / `$a` / `a.b` are the same path (GET, PUT, incr, decr)
  literal,         ///< bare dotted paths: `$.items` is the member "$", then "items"
                   ///< (push, pop, remove, as the official CLI documents for push)
};

/// Parses `text`; throws api_error(bad_request) `Invalid path: ...` when malformed or empty.
[[nodiscard]] json_path parse_json_path(std::string_view text,
                                        json_path_root root = json_path_root::dollar_is_root);

/// The leaf at `path` or nullptr when a member/element on the way is missing. Throws
/// api_error(bad_request) when the path goes through a scalar (or null) value or uses a
/// name on an array.
[[nodiscard]] const nlohmann::json* json_path_find(const nlohmann::json& doc,
                                                   const json_path& path);

/// The leaf at `path`, creating what is missing: missing members are added (intermediate ones
/// as objects, or arrays when the next segment is `[n]`), an index equal to an array's size
/// appends; the created leaf is `init`. Throws api_error(bad_request) for a path through a
/// scalar, a name on an array, or an index beyond the end.
nlohmann::json& json_path_resolve(nlohmann::json& doc, const json_path& path,
                                  const nlohmann::json& init);

/// Replaces (or creates, as json_path_resolve) the leaf at `path` with `value`.
void json_path_assign(nlohmann::json& doc, const json_path& path, nlohmann::json value);

}  // namespace hoody::ops
