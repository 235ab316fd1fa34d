// tests/support/sse_client.hpp — a blocking Server-Sent Events reader over a POSIX socket, for
// the change-feed tests: sends one GET, parses the head, then yields events and comments as
// they arrive. Header-only; one object = one connection; not thread-safe.
#pragma once

#include "support/raw_socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

namespace hoody::test {

struct sse_event {
  std::string id;
  std::string event = "message";
  std::string data;
};

class sse_client {
 public:
  /// Connects and sends `GET target` with `headers`; `rcvbuf` > 0 shrinks the socket's receive
  /// buffer (a client that stops reading fills it sooner).
  sse_client(std::uint16_t port, const std::string& target,
             const std::map<std::string, std::string>& headers = {}, int rcvbuf = 0) {
    fd_ = connect_loopback(port, rcvbuf);
    if (fd_ < 0) {
      throw std::runtime_error("connect() failed");
    }
    std::string req =
        "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
    for (const auto& [name, value] : headers) {
      req += name + ": " + value + "\r\n";
    }
    req += "\r\n";
    if (::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
      throw std::runtime_error("send() failed");
    }
  }
  sse_client(const sse_client&) = delete;
  sse_client& operator=(const sse_client&) = delete;
  ~sse_client() { close(); }

  void close() {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

  /// Reads the status line and headers (within `timeout`); returns the status (0: none).
  int head(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    while (!head_done_) {
      const auto end = buffer_.find("\r\n\r\n");
      if (end != std::string::npos) {
        head_text_ = buffer_.substr(0, end);
        buffer_.erase(0, end + 4);
        head_done_ = true;
        if (head_text_.size() > 12) {
          status_ = std::stoi(head_text_.substr(9, 3));
        }
        break;
      }
      if (!fill(timeout)) {
        break;
      }
    }
    return status_;
  }
  [[nodiscard]] const std::string& head_text() const { return head_text_; }
  /// The body after the head, as received so far (for non-SSE answers: read until close).
  std::string rest(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    head(timeout);
    while (fill(timeout)) {
    }
    return buffer_;
  }

  /// The next event (comments are counted, not returned); nullopt when none completed within
  /// `timeout` (heartbeats do not extend it) or on close.
  std::optional<sse_event> next(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    if (head(timeout) == 0) {
      return std::nullopt;
    }
    sse_event e;
    bool any = false;
    for (;;) {
      const auto nl = buffer_.find('\n');
      if (nl == std::string::npos) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || !fill(left)) {
          return std::nullopt;
        }
        continue;
      }
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      if (line.empty()) {
        if (any) {
          return e;
        }
        continue;
      }
      if (line[0] == ':') {
        ++comments;
        continue;
      }
      const auto colon = line.find(':');
      const std::string field = line.substr(0, colon);
      std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
      if (!value.empty() && value[0] == ' ') {
        value.erase(0, 1);
      }
      if (field == "id") {
        e.id = value;
        any = true;
      } else if (field == "event") {
        e.event = value;
        any = true;
      } else if (field == "data") {
        e.data += e.data.empty() ? value : "\n" + value;
        any = true;
      }
    }
  }

  /// True once the server closed the connection (after what was buffered was read).
  [[nodiscard]] bool eof() const { return eof_; }
  int comments = 0;  ///< comment lines seen (`: heartbeat`, the opening line)

 private:
  bool fill(std::chrono::milliseconds timeout) {
    if (fd_ < 0 || eof_) {
      return false;
    }
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
      return false;
    }
    char chunk[65536];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buffer_;
  std::string head_text_;
  bool head_done_ = false;
  bool eof_ = false;
  int status_ = 0;
};

}  // namespace hoody::test
