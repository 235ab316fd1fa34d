// libFuzzer: a raw request target ("METHOD /path?query") → http::request::from_target and
// router.match over the API's route patterns (captures percent-decoded), plus the typed
// getters. The table mirrors handlers/*.cpp with no-op handlers, so this target links no
// handler code (kept small; the real table is covered by tests/unit/http_router_test.cpp and the
// e2e tiers).
#include "hoody/core/error.hpp"
#include "hoody/http/request.hpp"
#include "hoody/http/router.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace {
const hoody::http::router& routes() {
  static const hoody::http::router r = [] {
    using hoody::http::verb;
    hoody::http::router built;
    const std::string p = "/api/v1/sqlite";
    const std::pair<verb, std::string> table[] = {{verb::get, p + "/health"},
                                                  {verb::get, p + "/health/cache"},
                                                  {verb::post, p + "/db"},
                                                  {verb::post, p + "/db/create"},
                                                  {verb::get, p + "/query"},
                                                  {verb::get, p + "/history"},
                                                  {verb::delete_, p + "/history"},
                                                  {verb::get, p + "/history/stats"},
                                                  {verb::delete_, p + "/history/{index}"},
                                                  {verb::get, p + "/kv"},
                                                  {verb::get, p + "/kv/{key+}"},
                                                  {verb::put, p + "/kv/{key+}"},
                                                  {verb::delete_, p + "/kv/{key+}"},
                                                  {verb::post, p + "/kv/{key+}/incr"},
                                                  {verb::post, p + "/kv/{key+}/decr"},
                                                  {verb::post, p + "/kv/{key+}/push"},
                                                  {verb::post, p + "/kv/{key+}/pop"},
                                                  {verb::post, p + "/kv/{key+}/remove"},
                                                  {verb::post, p + "/kv/batch/get"},
                                                  {verb::post, p + "/kv/batch/set"},
                                                  {verb::post, p + "/kv/batch/delete"},
                                                  {verb::get, p + "/kv/{key+}/history"},
                                                  {verb::get, p + "/kv/{key+}/snapshot"},
                                                  {verb::post, p + "/kv/{key+}/rollback"},
                                                  {verb::get, p + "/kv/snapshot"},
                                                  {verb::get, p + "/kv/diff"},
                                                  {verb::post, p + "/kv/rollback"},
                                                  {verb::post, p + "/maintenance"},
                                                  {verb::get, "/"},
                                                  {verb::get, "/{file}"},
                                                  {verb::get, "/js/{file}"}};
    for (const auto& [method, pattern] : table) {
      hoody::http::route r;
      r.method = method;
      r.pattern = pattern;
      r.handler = [](hoody::http::context&) { return hoody::http::response::empty(204); };
      built.add(std::move(r));
    }
    return built;
  }();
  return r;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto space = input.find(' ');
  const auto method = hoody::http::verb_from_string(input.substr(0, space));
  const std::string_view target = space == std::string_view::npos ? input : input.substr(space + 1);
  try {
    auto req = hoody::http::request::from_target(method, target);
    const auto match = routes().match(req.method, req.path);
    req.path_params = match.params;
    (void)req.flag("history", true);
    (void)req.int_param("limit", 0, 1000);
    (void)req.number_param("at_timestamp");
    (void)req.query_param("db");
  } catch (const hoody::api_error&) {
  }
  return 0;
}
