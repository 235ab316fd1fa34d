#include "hoody/handlers/routes.hpp"
namespace hoody::handlers {
void register_openapi_routes(http::router& router) {
  (void)router;
}
}  // namespace hoody::handlers
