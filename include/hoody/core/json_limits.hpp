// hoody/core/json_limits.hpp — the nesting limit for JSON the server parses.
// nlohmann::json parses iteratively, but copying, dumping and comparing a document recurse once
// per level: a body of 100,000 nested arrays would overflow a thread's stack. Every JSON text
// from a client (request bodies, KV values) is checked with json_too_deep() before it is parsed.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string_view>

namespace hoody {

/// Deepest array/object nesting accepted in any JSON the server parses.
inline constexpr std::size_t max_json_depth = 512;

/// True when `text` opens more than `limit` nested arrays/objects at some point. Brackets inside
/// strings do not count; `text` need not be valid JSON (the parser reports that). O(n), no
/// allocation.
[[nodiscard]] inline bool json_too_deep(std::string_view text,
                                        std::size_t limit = max_json_depth) noexcept {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char ch : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (ch == '\\') {
        escaped = true;
      } else if (ch == '"') {
        in_string = false;
      }
      continue;
    }
    switch (ch) {
    case '"':
      in_string = true;
      break;
    case '[':
    case '{':
      if (++depth > limit) {
        return true;
      }
      break;
    case ']':
    case '}':
      if (depth > 0) {
        --depth;
      }
      break;
    default:
      break;
    }
  }
  return false;
}

}  // namespace hoody
