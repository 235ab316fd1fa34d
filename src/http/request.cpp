#include "hoody/http/request.hpp"

#include "hoody/core/error.hpp"
#include "hoody/core/json_limits.hpp"
#include "hoody/core/text.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>

namespace hoody::http {
namespace {

/// Builds the document like nlohmann's own DOM parser, but refuses numbers it cannot keep
/// exactly: an integer literal beyond the 64-bit range would silently become a double.
class exact_number_parser : public nlohmann::detail::json_sax_dom_parser<nlohmann::json> {
 public:
  using json_sax_dom_parser::json_sax_dom_parser;

  bool number_float(double value, const std::string& literal) {
    if (literal.find_first_of(".eE") == std::string::npos) {
      throw api_error(errc::bad_request,
                      "integer out of range: " + literal + " exceeds the 64-bit integer range");
    }
    return json_sax_dom_parser::number_float(value, literal);
  }
};

int hex_value(char ch) {
  if (ch >= '0' && ch <= '9') {
    return ch - '0';
  }
  if (ch >= 'a' && ch <= 'f') {
    return ch - 'a' + 10;
  }
  if (ch >= 'A' && ch <= 'F') {
    return ch - 'A' + 10;
  }
  return -1;
}

const std::string* find(const string_pairs& pairs, std::string_view name) {
  for (const auto& [key, value] : pairs) {
    if (key == name) {
      return &value;
    }
  }
  return nullptr;
}

}  // namespace

std::string_view to_string(verb v) noexcept {
  switch (v) {
  case verb::get:
    return "GET";
  case verb::head:
    return "HEAD";
  case verb::post:
    return "POST";
  case verb::put:
    return "PUT";
  case verb::delete_:
    return "DELETE";
  case verb::options:
    return "OPTIONS";
  case verb::patch:
    return "PATCH";
  case verb::other:
    break;
  }
  return "OTHER";
}

verb verb_from_string(std::string_view name) noexcept {
  constexpr std::array<verb, 7> known{verb::get,     verb::head,    verb::post, verb::put,
                                      verb::delete_, verb::options, verb::patch};
  for (const verb v : known) {
    if (to_string(v) == name) {
      return v;
    }
  }
  return verb::other;
}

std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (ch == '%') {
      const int hi = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
      const int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
      if (i + 2 >= text.size() || hi < 0 || lo < 0) {
        throw api_error(errc::bad_request, "invalid percent-encoding in request target");
      }
      out.push_back(static_cast<char>((hi << 4) | lo));
      i += 2;
    } else if (ch == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

request request::from_target(verb method, std::string_view target) {
  request req;
  req.method = method;
  const auto question = target.find('?');
  req.path = std::string(target.substr(0, question));
  if (question == std::string_view::npos) {
    return req;
  }
  std::string_view query = target.substr(question + 1);
  const auto hash = query.find('#');
  query = query.substr(0, hash);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (part.empty()) {
      continue;
    }
    const auto eq = part.find('=');
    std::string key = percent_decode(part.substr(0, eq), true);
    std::string value =
        eq == std::string_view::npos ? std::string{} : percent_decode(part.substr(eq + 1), true);
    req.query.emplace_back(std::move(key), std::move(value));
  }
  return req;
}

std::optional<std::string> request::query_param(std::string_view name) const {
  const auto* found = find(query, name);
  return found == nullptr ? std::nullopt : std::optional<std::string>(*found);
}

bool request::has_query_param(std::string_view name) const {
  return find(query, name) != nullptr;
}

std::string request::path_param(std::string_view name) const {
  const auto* found = find(path_params, name);
  return found == nullptr ? std::string{} : *found;
}

std::optional<std::string> request::header(std::string_view lower_name) const {
  const auto* found = find(headers, lower_name);
  return found == nullptr ? std::nullopt : std::optional<std::string>(*found);
}

bool request::flag(std::string_view name, bool fallback) const {
  const auto value = query_param(name);
  if (!value || value->empty()) {
    return fallback;
  }
  for (const char* yes : {"true", "1", "yes", "on"}) {
    if (iequals(*value, yes)) {
      return true;
    }
  }
  for (const char* no : {"false", "0", "no", "off"}) {
    if (iequals(*value, no)) {
      return false;
    }
  }
  throw api_error(errc::bad_request,
                  std::string(name) + " must be true or false, got '" + *value + "'");
}

std::optional<std::int64_t> request::int_param(std::string_view name, std::int64_t min,
                                               std::int64_t max) const {
  const auto value = query_param(name);
  if (!value || value->empty()) {
    return std::nullopt;
  }
  std::int64_t parsed = 0;
  const char* end = value->data() + value->size();
  const auto [ptr, ec] = std::from_chars(value->data(), end, parsed);
  if (ec != std::errc{} || ptr != end) {
    throw api_error(errc::bad_request, std::string(name) + " must be an integer");
  }
  if (parsed < min || parsed > max) {
    throw api_error(errc::bad_request, std::string(name) + " must be between " +
                                           std::to_string(min) + " and " + std::to_string(max));
  }
  return parsed;
}

std::optional<double> request::number_param(std::string_view name) const {
  const auto value = query_param(name);
  if (!value || value->empty()) {
    return std::nullopt;
  }
  double parsed = 0;
  const char* end = value->data() + value->size();
  const auto [ptr, ec] = std::from_chars(value->data(), end, parsed);
  if (ec != std::errc{} || ptr != end || !std::isfinite(parsed)) {
    throw api_error(errc::bad_request, std::string(name) + " must be a number");
  }
  return parsed;
}

std::optional<std::string> request::database_param() const {
  if (auto db = query_param("db")) {
    return db;
  }
  return query_param("path");
}

nlohmann::json request::json_body() const {
  // nlohmann stops at a NUL byte as if the input ended there: "{...}\0junk" would pass.
  if (body.find('\0') != std::string::npos) {
    throw api_error(errc::invalid_json, "Invalid JSON body: raw NUL byte");
  }
  if (json_too_deep(body)) {
    throw api_error(errc::invalid_json, "Invalid JSON body: nested deeper than " +
                                            std::to_string(max_json_depth) + " levels");
  }
  nlohmann::json out;
  exact_number_parser sax(out);
  try {
    nlohmann::json::sax_parse(body, &sax);
  } catch (const nlohmann::json::parse_error&) {
    throw api_error(errc::invalid_json, "Invalid JSON body");
  } catch (const nlohmann::json::out_of_range&) {  // a float literal beyond double (1e400)
    throw api_error(errc::bad_request, "number out of range: beyond the range of a double");
  }
  return out;
}

response response::json(const nlohmann::json& value, int status) {
  response res;
  res.status = status;
  res.body = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return res;
}

response response::raw(std::string body, std::string content_type, int status) {
  response res;
  res.status = status;
  res.body = std::move(body);
  res.content_type = std::move(content_type);
  return res;
}

response response::empty(int status) {
  response res;
  res.status = status;
  res.content_type.clear();
  return res;
}

}  // namespace hoody::http
