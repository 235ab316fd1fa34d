#include "hoody/http/response_render.hpp"

#include <spdlog/spdlog.h>

namespace hoody::http {

response error_response(const api_error& error) {
  nlohmann::json body = {{"error", error.what()}, {"code", wire_name_of(error.code())}};
  for (const auto& [key, value] : error.details().items()) {
    if (key != "sqlite_code") {  // internal detail: logged, not sent
      body[key] = value;
    }
  }
  response res = response::json(body, status_of(error.code()));
  if (error.code() == errc::busy || error.code() == errc::too_many_requests ||
      error.code() == errc::unavailable || error.code() == errc::not_primary) {
    res.headers.emplace_back("Retry-After", "1");
  }
  return res;
}

response response_for(std::exception_ptr error) {
  try {
    std::rethrow_exception(std::move(error));
  } catch (const api_error& e) {
    return error_response(e);
  } catch (const nlohmann::json::exception& e) {
    spdlog::error("unexpected JSON error: {}", e.what());
    return error_response(
        api_error(errc::bad_request, std::string("invalid JSON value: ") + e.what()));
  } catch (const std::bad_alloc&) {
    spdlog::error("out of memory while handling a request");
    return error_response(api_error(errc::internal, "out of memory"));
  } catch (const std::exception& e) {
    spdlog::error("unexpected exception: {}", e.what());
    return error_response(api_error(errc::internal, "internal error"));
  } catch (...) {
    spdlog::error("unexpected non-standard exception");
    return error_response(api_error(errc::internal, "internal error"));
  }
}

}  // namespace hoody::http
