// hoody/ops/base64.hpp — base64 for BLOBs in JSON, GET /query's `sql`, and raw history values.
// Pure functions; safe on any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hoody::ops {

/// Standard alphabet with padding, or URL-safe (`-`/`_`) without padding.
[[nodiscard]] std::string base64_encode(std::string_view bytes, bool url_safe = false);

/// Decodes standard or URL-safe base64 (the alphabets may not be mixed), padding optional,
/// no whitespace. Returns nullopt for anything that is not valid base64 (including a length
/// of 1 mod 4 and non-zero trailing bits).
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view text);

}  // namespace hoody::ops
