// tests/support/metrics_text.hpp — reading samples out of GET /metrics (Prometheus text format).
#pragma once

#include <sstream>
#include <string>

namespace hoody::test {

/// The value of the sample `series` (name with labels exactly as rendered), or 0 when absent.
inline double metric_value(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(series + " ", 0) == 0) {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return 0;
}

/// True when `text` has a sample line for `series`.
inline bool has_metric(const std::string& text, const std::string& series) {
  return text.rfind(series + " ", 0) == 0 || text.find("\n" + series + " ") != std::string::npos;
}

}  // namespace hoody::test
