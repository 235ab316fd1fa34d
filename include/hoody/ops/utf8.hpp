// hoody/ops/utf8.hpp — UTF-8 validation shared by the SQL and KV layers. Pure; any thread.
#pragma once

#include <string_view>

namespace hoody::ops {

/// True when `text` is well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF).
[[nodiscard]] bool is_valid_utf8(std::string_view text) noexcept;

}  // namespace hoody::ops
