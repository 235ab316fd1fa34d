// The embedded web UI: GET/HEAD of the files built from web/ and of CodeMirror 5, the SQL
// editor, from Debian's libjs-codemirror (see cmake/EmbedWebAssets.cmake).
#include "hoody/core/error.hpp"
#include "hoody/handlers/routes.hpp"
#include "hoody/web/assets.hpp"

namespace hoody::handlers {
namespace {

http::response serve_asset(const http::context& ctx, std::string_view path) {
  const auto* asset = web::find_asset(path);
  if (asset == nullptr) {
    throw api_error(errc::not_found, "no such file");
  }
  const auto if_none_match = ctx.req.header("if-none-match");
  http::response res;
  if (if_none_match && *if_none_match == asset->etag) {
    res = http::response::empty(304);
  } else {
    res = http::response::raw(std::string(asset->bytes), std::string(asset->mime));
  }
  res.headers.emplace_back("ETag", std::string(asset->etag));
  res.headers.emplace_back("Cache-Control", "no-cache");
  res.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return res;
}

}  // namespace

void register_ui_routes(http::router& router) {
  router.add({http::verb::get, "/", http::access::none, http::db_use::none,
              "The web UI (index.html)",
              [](http::context& ctx) { return serve_asset(ctx, "/index.html"); },
              /*open=*/true});
  router.add({http::verb::get, "/{file}", http::access::none, http::db_use::none,
              "A static file of the web UI (index.html, style.css, codemirror.css, ...)",
              [](http::context& ctx) { return serve_asset(ctx, "/" + ctx.req.path_param("file")); },
              /*open=*/true});
  router.add(
      {http::verb::get, "/js/{file}", http::access::none, http::db_use::none,
       "A script of the web UI (web/js/*.mjs; codemirror*.js: CodeMirror 5)",
       [](http::context& ctx) { return serve_asset(ctx, "/js/" + ctx.req.path_param("file")); },
       /*open=*/true});
}

}  // namespace hoody::handlers
