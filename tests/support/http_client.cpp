#include "support/http_client.hpp"

#include "support/raw_socket.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace hoody::test {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return text;
}

}  // namespace

nlohmann::json http_response::json() const {
  try {
    return nlohmann::json::parse(body);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "response body is not JSON (status " << status << "): " << body;
    return nlohmann::json();
  }
}

std::string http_response::header(const std::string& lower_name) const {
  const auto it = headers.find(lower_name);
  return it == headers.end() ? std::string{} : it->second;
}

http_client::http_client(std::uint16_t port, std::chrono::milliseconds timeout)
    : port_(port), timeout_(timeout) {}

http_client::~http_client() {
  close();
}

void http_client::close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  buffer_.clear();
}

void http_client::connect() {
  close();
  fd_ = connect_loopback(port_);
  if (fd_ < 0) {
    throw std::runtime_error(std::string("connect() failed: ") + std::strerror(errno));
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

http_response http_client::request(std::string_view method, std::string_view target,
                                   std::string_view body,
                                   const std::map<std::string, std::string>& headers) {
  std::string out;
  out.reserve(256 + body.size());
  out.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  bool has_type = false;
  for (const auto& [name, value] : headers) {
    has_type = has_type || lower(name) == "content-type";
    out.append(name).append(": ").append(value).append("\r\n");
  }
  if (!has_type) {
    out.append("Content-Type: application/json\r\n");
  }
  out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n");
  out.append(body);
  const bool head = method == "HEAD";
  // One retry on a connection the server closed while it sat idle in our pool.
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool fresh = fd_ < 0;
    if (fresh) {
      connect();
    }
    try {
      send_all(out);
      auto res = read_response(head);
      if (lower(res.header("connection")) == "close") {
        close();
      }
      return res;
    } catch (const std::runtime_error&) {
      close();
      if (fresh || attempt == 1) {
        throw;
      }
    }
  }
  throw std::runtime_error("unreachable");
}

void http_client::send_all(std::string_view bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      throw std::runtime_error("send failed");
    }
    sent += static_cast<std::size_t>(n);
  }
}

http_response http_client::raw(std::string_view bytes) {
  connect();
  send_all(bytes);
  auto res = read_response(false);
  close();
  return res;
}

std::string http_client::raw_until_close(std::string_view bytes) {
  connect();
  send_all(bytes);
  std::string all;
  for (;;) {
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(timeout_.count())) <= 0) {
      throw std::runtime_error("timed out waiting for the server to close");
    }
    char chunk[65536];
    const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      break;
    }
    all.append(chunk, static_cast<std::size_t>(n));
  }
  close();
  return all;
}

http_response http_client::read_response(bool head_request) {
  auto fill = [this] {
    pollfd pfd{fd_, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(timeout_.count()));
    if (ready <= 0) {
      throw std::runtime_error("timed out waiting for the server");
    }
    char chunk[65536];
    const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      throw std::runtime_error("connection closed by the server");
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
  };
  for (;;) {
    std::size_t header_end = buffer_.find("\r\n\r\n");
    while (header_end == std::string::npos) {
      fill();
      header_end = buffer_.find("\r\n\r\n");
    }
    http_response res;
    const std::string head = buffer_.substr(0, header_end);
    buffer_.erase(0, header_end + 4);
    std::size_t line_end = head.find("\r\n");
    const std::string status_line = head.substr(0, line_end);
    res.status = std::stoi(status_line.substr(status_line.find(' ') + 1, 3));
    while (line_end != std::string::npos && line_end < head.size()) {
      const std::size_t start = line_end + 2;
      line_end = head.find("\r\n", start);
      const std::string line = head.substr(start, line_end - start);
      const auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        res.headers[lower(line.substr(0, colon))] = value;
      }
    }
    if (res.status == 100) {
      continue;  // interim response
    }
    std::size_t length = 0;
    if (!head_request && res.status != 204 && res.status != 304) {
      const auto cl = res.header("content-length");
      length = cl.empty() ? 0 : std::stoul(cl);
    }
    while (buffer_.size() < length) {
      fill();
    }
    res.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return res;
  }
}

std::string url_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4U]);
      out.push_back(hex[c & 15U]);
    }
  }
  return out;
}

}  // namespace hoody::test
