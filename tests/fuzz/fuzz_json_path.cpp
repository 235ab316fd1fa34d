// libFuzzer: the KV JSON path. Input = "<path>\n<json document>": parse_json_path, then find,
// and assign on a copy of the document (bounded like the server: json_too_deep first).
#include "hoody/core/error.hpp"
#include "hoody/core/json_limits.hpp"
#include "hoody/ops/json_path.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  const std::string_view path_text = input.substr(0, newline);
  const std::string_view doc_text =
      newline == std::string_view::npos ? std::string_view{} : input.substr(newline + 1);
  try {
    const auto path = hoody::ops::parse_json_path(path_text);
    if (hoody::json_too_deep(doc_text)) {
      return 0;
    }
    auto doc = nlohmann::json::parse(doc_text, nullptr, false);
    if (doc.is_discarded()) {
      doc = nlohmann::json::object();
    }
    (void)hoody::ops::json_path_find(doc, path);
    hoody::ops::json_path_assign(doc, path, nlohmann::json(42));
    (void)doc.dump();
  } catch (const hoody::api_error&) {
  }
  return 0;
}
