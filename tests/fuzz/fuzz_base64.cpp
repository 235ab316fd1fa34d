// libFuzzer: base64_decode on arbitrary text (standard and URL-safe, padding optional), and
// the round trip encode → decode for arbitrary bytes.
#include "hoody/ops/base64.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)hoody::ops::base64_decode(input);
  for (const bool url_safe : {false, true}) {
    const auto encoded = hoody::ops::base64_encode(input, url_safe);
    const auto decoded = hoody::ops::base64_decode(encoded);
    if (!decoded || *decoded != input) {
      std::abort();  // the round trip must be exact
    }
  }
  return 0;
}
