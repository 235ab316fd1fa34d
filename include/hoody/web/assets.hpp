// hoody/web/assets.hpp — the web UI files embedded at build time (cmake/EmbedWebAssets.cmake).
// Immutable data; safe on any thread.
#pragma once

#include <span>
#include <string_view>

namespace hoody::web {

struct asset {
  std::string_view path;  ///< "/index.html"
  std::string_view mime;
  std::string_view bytes;
  std::string_view etag;  ///< quoted strong ETag
};

/// Every embedded file, sorted by path.
[[nodiscard]] std::span<const asset> all_assets() noexcept;

/// The asset at `path` ("/" means "/index.html"), or null.
[[nodiscard]] const asset* find_asset(std::string_view path) noexcept;

}  // namespace hoody::web
