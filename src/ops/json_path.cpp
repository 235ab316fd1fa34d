// JSON path parsing and traversal for the KV store (see hoody/ops/json_path.hpp).
#include "hoody/ops/json_path.hpp"

#include "hoody/core/error.hpp"
#include "hoody/ops/utf8.hpp"

#include <charconv>

namespace hoody::ops {
namespace {

[[noreturn]] void invalid_path(std::string_view text, std::string_view why) {
  throw api_error(errc::bad_request,
                  "Invalid path: '" + std::string(text) + "' (" + std::string(why) + ")");
}

std::optional<std::int64_t> parse_index(std::string_view s) {
  if (s.empty() || s.size() > 19) {
    return std::nullopt;
  }
  std::size_t start = s[0] == '-' ? 1 : 0;
  if (start == s.size()) {
    return std::nullopt;
  }
  for (std::size_t i = start; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') {
      return std::nullopt;
    }
  }
  std::int64_t v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc{} || r.ptr != s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

std::string prefix_text(const json_path& path, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count && i < path.segments.size(); ++i) {
    const auto& seg = path.segments[i];
    if (seg.bracket) {
      out += "[" + seg.name + "]";
    } else {
      if (!out.empty()) {
        out += '.';
      }
      out += seg.name;
    }
  }
  return out;
}

[[noreturn]] void through_scalar(const json_path& path, std::size_t depth) {
  const std::string at =
      depth == 0 ? std::string("the root") : "'" + prefix_text(path, depth) + "'";
  throw api_error(errc::bad_request,
                  "Path '" + path.text + "' goes through a non-container value at " + at);
}

[[noreturn]] void index_on_object(const json_path& path, std::size_t depth) {
  throw api_error(errc::bad_request, "Path '" + path.text + "': '[" + path.segments[depth].name +
                                         "]' indexes an object, not an array");
}

[[noreturn]] void name_on_array(const json_path& path, std::size_t depth) {
  throw api_error(errc::bad_request, "Path '" + path.text + "': segment '" +
                                         path.segments[depth].name + "' is not an array index");
}

/// Array position of `seg` in an array of `size`, or nullopt when outside [0, size).
std::optional<std::size_t> array_pos(const json_path_segment& seg, std::size_t size) {
  std::int64_t i = *seg.index;
  if (i < 0) {
    i += static_cast<std::int64_t>(size);
  }
  if (i < 0 || i >= static_cast<std::int64_t>(size)) {
    return std::nullopt;
  }
  return static_cast<std::size_t>(i);
}

}  // namespace

json_path parse_json_path(std::string_view text, json_path_root root) {
  json_path out;
  out.text = std::string(text);
  std::string_view s = text;
  if (root == json_path_root::dollar_is_root) {
    if (s.starts_with("$.")) {
      s.remove_prefix(2);
    } else if (s.starts_with("$")) {
      s.remove_prefix(1);
    }
  }
  if (s.empty()) {
    invalid_path(text, "empty");
  }
  if (!is_valid_utf8(text)) {
    // Member names end up in the stored document, which must stay printable JSON.
    invalid_path(text, "not valid UTF-8");
  }
  std::size_t i = 0;
  bool expect_segment = true;  // at start or after '.'
  while (i < s.size()) {
    if (s[i] == '[') {
      const auto close = s.find(']', i);
      if (close == std::string_view::npos) {
        invalid_path(text, "unclosed '['");
      }
      const auto inner = s.substr(i + 1, close - i - 1);
      const auto idx = parse_index(inner);
      if (!idx) {
        invalid_path(text, "'[" + std::string(inner) + "]' is not an integer index");
      }
      out.segments.push_back({std::string(inner), idx, true});
      i = close + 1;
      expect_segment = false;
      if (i < s.size()) {
        if (s[i] == '.') {
          ++i;
          expect_segment = true;
          if (i == s.size()) {
            invalid_path(text, "ends with '.'");
          }
        } else if (s[i] != '[') {
          invalid_path(text, "expected '.' or '[' after ']'");
        }
      }
      continue;
    }
    if (!expect_segment) {
      invalid_path(text, "expected '.'");
    }
    std::string name;
    while (i < s.size() && s[i] != '.' && s[i] != '[') {
      if (s[i] == '\\' && i + 1 < s.size()) {
        name.push_back(s[i + 1]);
        i += 2;
        continue;
      }
      if (s[i] == ']') {
        invalid_path(text, "unexpected ']'");
      }
      name.push_back(s[i]);
      ++i;
    }
    if (name.empty()) {
      invalid_path(text, "empty segment");
    }
    auto idx = parse_index(name);
    out.segments.push_back({name, idx, false});
    expect_segment = false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      expect_segment = true;
      if (i == s.size()) {
        invalid_path(text, "ends with '.'");
      }
    }
  }
  return out;
}

const nlohmann::json* json_path_find(const nlohmann::json& doc, const json_path& path) {
  const nlohmann::json* cur = &doc;
  for (std::size_t d = 0; d < path.segments.size(); ++d) {
    const auto& seg = path.segments[d];
    if (cur->is_object() && !seg.bracket) {
      const auto it = cur->find(seg.name);
      if (it == cur->end()) {
        return nullptr;
      }
      cur = &*it;
    } else if (cur->is_object()) {
      index_on_object(path, d);
    } else if (cur->is_array()) {
      if (!seg.index) {
        name_on_array(path, d);
      }
      const auto pos = array_pos(seg, cur->size());
      if (!pos) {
        return nullptr;
      }
      cur = &(*cur)[*pos];
    } else {
      through_scalar(path, d);
    }
  }
  return cur;
}

nlohmann::json& json_path_resolve(nlohmann::json& doc, const json_path& path,
                                  const nlohmann::json& init) {
  nlohmann::json* cur = &doc;
  const std::size_t n = path.segments.size();
  for (std::size_t d = 0; d < n; ++d) {
    const auto& seg = path.segments[d];
    const bool last = d + 1 == n;
    const auto fresh = [&]() -> nlohmann::json {
      if (last) {
        return init;
      }
      return path.segments[d + 1].bracket ? nlohmann::json::array() : nlohmann::json::object();
    };
    if (cur->is_object() && !seg.bracket) {
      auto it = cur->find(seg.name);
      if (it == cur->end()) {
        it = cur->emplace(seg.name, fresh()).first;
      }
      cur = &*it;
    } else if (cur->is_object()) {
      index_on_object(path, d);
    } else if (cur->is_array()) {
      if (!seg.index) {
        name_on_array(path, d);
      }
      const auto pos = array_pos(seg, cur->size());
      if (pos) {
        cur = &(*cur)[*pos];
      } else if (*seg.index == static_cast<std::int64_t>(cur->size())) {
        cur->push_back(fresh());
        cur = &cur->back();
      } else {
        throw api_error(errc::bad_request, "Path '" + path.text + "': array index " + seg.name +
                                               " is out of range (size " +
                                               std::to_string(cur->size()) + ")");
      }
    } else {
      through_scalar(path, d);
    }
  }
  return *cur;
}

void json_path_assign(nlohmann::json& doc, const json_path& path, nlohmann::json value) {
  json_path_resolve(doc, path, nullptr) = std::move(value);
}

}  // namespace hoody::ops
