#include "hoody/web/assets.hpp"

#include <algorithm>

namespace hoody::web {

const asset* find_asset(std::string_view path) noexcept {
  if (path.empty() || path == "/") {
    path = "/index.html";
  }
  const auto assets = all_assets();
  const auto it = std::lower_bound(assets.begin(), assets.end(), path,
                                   [](const asset& a, std::string_view p) { return a.path < p; });
  return (it != assets.end() && it->path == path) ? &*it : nullptr;
}

}  // namespace hoody::web
