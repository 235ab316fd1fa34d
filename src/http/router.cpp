#include "hoody/http/router.hpp"

#include <algorithm>

namespace hoody::http {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const auto slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash);
  }
  return parts;
}

bool is_capture(std::string_view segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

// Matches `parts` against `pattern`; returns the number of captures, or -1 when it does not match.
int match_pattern(const std::vector<std::string>& pattern,
                  const std::vector<std::string_view>& parts, string_pairs* captures) {
  if (pattern.size() != parts.size()) {
    return -1;
  }
  int count = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (is_capture(pattern[i])) {
      ++count;
      if (captures != nullptr) {
        captures->emplace_back(std::string(pattern[i].substr(1, pattern[i].size() - 2)),
                               percent_decode(parts[i], false));
      }
    } else if (pattern[i] != parts[i]) {
      return -1;
    }
  }
  return count;
}

}  // namespace

void router::add(route r) {
  std::vector<std::string> segments;
  for (const auto part : split_path(r.pattern)) {
    segments.emplace_back(part);
  }
  segments_.push_back(std::move(segments));
  routes_.push_back(std::move(r));
}

match_result router::match(verb method, std::string_view raw_path) const {
  const auto parts = split_path(raw_path);
  match_result result;
  const route* best = nullptr;
  const route* best_get = nullptr;  // HEAD falls back to GET
  int best_captures = 0;
  int best_get_captures = 0;
  // The fewest captures among all path matches: a literal route shadows a parameter route for
  // every verb ("/kv/snapshot" is never the key "snapshot").
  int fewest = -1;
  for (const auto& segments : segments_) {
    const int captures = match_pattern(segments, parts, nullptr);
    if (captures >= 0 && (fewest < 0 || captures < fewest)) {
      fewest = captures;
    }
  }
  if (fewest < 0) {
    return result;
  }
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const route& r = routes_[i];
    const int captures = match_pattern(segments_[i], parts, nullptr);
    if (captures != fewest) {
      continue;
    }
    if (std::find(result.allowed.begin(), result.allowed.end(), r.method) == result.allowed.end()) {
      result.allowed.push_back(r.method);
    }
    if (r.method == method && (best == nullptr || captures < best_captures)) {
      best = &r;
      best_captures = captures;
    }
    if (r.method == verb::get && (best_get == nullptr || captures < best_get_captures)) {
      best_get = &r;
      best_get_captures = captures;
    }
  }
  if (best == nullptr && method == verb::head) {
    best = best_get;
  }
  if (std::find(result.allowed.begin(), result.allowed.end(), verb::get) != result.allowed.end() &&
      std::find(result.allowed.begin(), result.allowed.end(), verb::head) == result.allowed.end()) {
    result.allowed.push_back(verb::head);
  }
  if (best != nullptr) {
    result.found = best;
    match_pattern(segments_[static_cast<std::size_t>(best - routes_.data())], parts,
                  &result.params);
  }
  return result;
}

}  // namespace hoody::http
