// tests/support/http_client.hpp — a tiny blocking HTTP/1.1 client over POSIX sockets for tests.
// One object = one keep-alive connection to 127.0.0.1:port (reconnects when the server closes).
// Not thread-safe: use one client per thread.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace hoody::test {

struct http_response {
  int status = 0;
  std::map<std::string, std::string> headers;  ///< lower-cased names
  std::string body;

  /// Parses the body as JSON (fails the calling test with a message when it is not JSON).
  [[nodiscard]] nlohmann::json json() const;
  [[nodiscard]] std::string header(const std::string& lower_name) const;
};

class http_client {
 public:
  explicit http_client(std::uint16_t port,
                       std::chrono::milliseconds timeout = std::chrono::seconds(30));
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;
  ~http_client();

  /// Sends one request. `target` is sent verbatim (encode it yourself: see `url_encode`).
  /// Always adds Host, Content-Length and (unless given in `headers`) Content-Type:
  /// application/json, like the official SDK.
  http_response request(std::string_view method, std::string_view target,
                        std::string_view body = {},
                        const std::map<std::string, std::string>& headers = {});

  http_response get(std::string_view target) { return request("GET", target); }
  http_response del(std::string_view target) { return request("DELETE", target); }
  http_response post(std::string_view target, const nlohmann::json& body) {
    return request("POST", target, body.dump());
  }
  http_response put(std::string_view target, std::string_view body,
                    const std::map<std::string, std::string>& headers = {}) {
    return request("PUT", target, body, headers);
  }

  /// Sends raw bytes and reads one response (for malformed-request tests).
  http_response raw(std::string_view bytes);
  /// Sends raw bytes and returns everything the server sends until it closes the connection.
  std::string raw_until_close(std::string_view bytes);

  void close();

 private:
  void connect();
  void send_all(std::string_view bytes);
  http_response read_response(bool head_request);

  std::uint16_t port_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  std::string buffer_;
};

/// Percent-encodes everything but unreserved characters (for keys and query values).
[[nodiscard]] std::string url_encode(std::string_view text);

}  // namespace hoody::test
