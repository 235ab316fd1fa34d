// hoody/http/response_render.hpp — the only place errors become HTTP responses.
//
// `error_response` renders an api_error in the spec's envelope: {"error": message, "code":
// WIRE_NAME, ...details}. `response_for` turns any exception into a response (unknown ones
// become a logged 500 without internals). Pure functions; safe on any thread.
#pragma once

#include "hoody/core/error.hpp"
#include "hoody/http/request.hpp"

#include <exception>

namespace hoody::http {

[[nodiscard]] response error_response(const api_error& error);
[[nodiscard]] response response_for(std::exception_ptr error);

}  // namespace hoody::http
