#include "hoody/http/router.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>

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

bool is_rest_capture(std::string_view segment) {
  return is_capture(segment) && segment.size() >= 3 && segment[segment.size() - 2] == '+';
}

std::string capture_name(std::string_view segment) {
  segment = segment.substr(1, segment.size() - 2);
  if (!segment.empty() && segment.back() == '+') {
    segment.remove_suffix(1);
  }
  return std::string(segment);
}

struct match_score {
  int literals = 0;
  int captures = 0;
};

// Matches `parts` against `p`; nullopt when it does not match. A rest capture takes as many
// segments as the pattern's other segments leave (at least one); its value is the raw text
// from its first to its last segment (inner slashes kept), percent-decoded.
std::optional<match_score> match_pattern(const compiled_pattern& p,
                                         const std::vector<std::string_view>& parts,
                                         string_pairs* captures) {
  const std::size_t n = p.segments.size();
  if (p.rest < 0 ? parts.size() != n : parts.size() < n) {
    return std::nullopt;
  }
  const std::size_t extra = parts.size() - n;  // segments the rest capture takes beyond one
  match_score score;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string& seg = p.segments[i];
    const bool rest = static_cast<int>(i) == p.rest;
    const bool after_rest = p.rest >= 0 && i > static_cast<std::size_t>(p.rest);
    const std::size_t first = after_rest ? i + extra : i;  // index into parts
    if (!is_capture(seg)) {
      if (seg != parts[first]) {
        return std::nullopt;
      }
      ++score.literals;
      continue;
    }
    ++score.captures;
    if (captures != nullptr) {
      std::string_view raw = parts[first];
      if (rest) {
        const std::string_view last = parts[first + extra];
        raw = std::string_view(raw.data(),
                               static_cast<std::size_t>(last.data() + last.size() - raw.data()));
      }
      captures->emplace_back(capture_name(seg), percent_decode(raw, false));
    }
  }
  return score;
}

// More literal segments first, then fewer captures.
bool better(const match_score& a, const match_score& b) {
  return a.literals != b.literals ? a.literals > b.literals : a.captures < b.captures;
}

}  // namespace

std::string public_pattern(std::string_view pattern) {
  std::string out;
  out.reserve(pattern.size());
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '+' && i + 1 < pattern.size() && pattern[i + 1] == '}') {
      continue;
    }
    out.push_back(pattern[i]);
  }
  return out;
}

void router::add(route r) {
  compiled_pattern p;
  for (const auto part : split_path(r.pattern)) {
    if (is_rest_capture(part)) {
      if (p.rest >= 0) {
        throw std::invalid_argument("route pattern with two rest captures: " + r.pattern);
      }
      p.rest = static_cast<int>(p.segments.size());
    }
    p.segments.emplace_back(part);
  }
  patterns_.push_back(std::move(p));
  routes_.push_back(std::move(r));
}

match_result router::match(verb method, std::string_view raw_path) const {
  const auto parts = split_path(raw_path);
  match_result result;
  // A route without captures shadows every parameter route for every verb ("/kv/snapshot" is
  // never the key "snapshot"). Otherwise each verb takes its most specific route, so that a
  // trailing "/history" is the sub-route for GET but part of the key for PUT.
  bool any = false;
  bool literal_match = false;
  for (const auto& p : patterns_) {
    if (const auto score = match_pattern(p, parts, nullptr)) {
      any = true;
      literal_match = literal_match || score->captures == 0;
    }
  }
  if (!any) {
    return result;
  }
  std::size_t best = routes_.size();
  std::size_t best_get = routes_.size();  // HEAD falls back to GET
  match_score best_score;
  match_score best_get_score;
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const auto score = match_pattern(patterns_[i], parts, nullptr);
    if (!score || (literal_match && score->captures != 0)) {
      continue;
    }
    const route& r = routes_[i];
    if (std::find(result.allowed.begin(), result.allowed.end(), r.method) == result.allowed.end()) {
      result.allowed.push_back(r.method);
    }
    if (r.method == method && (best == routes_.size() || better(*score, best_score))) {
      best = i;
      best_score = *score;
    }
    if (r.method == verb::get && (best_get == routes_.size() || better(*score, best_get_score))) {
      best_get = i;
      best_get_score = *score;
    }
  }
  if (best == routes_.size() && method == verb::head) {
    best = best_get;
  }
  if (std::find(result.allowed.begin(), result.allowed.end(), verb::get) != result.allowed.end() &&
      std::find(result.allowed.begin(), result.allowed.end(), verb::head) == result.allowed.end()) {
    result.allowed.push_back(verb::head);
  }
  if (best != routes_.size()) {
    result.found = &routes_[best];
    match_pattern(patterns_[best], parts, &result.params);
  }
  return result;
}

}  // namespace hoody::http
