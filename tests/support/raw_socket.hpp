// tests/support/raw_socket.hpp — a plain TCP connection to the server under test, for the tests
// that need what http_client hides: sending bytes and hanging up without reading, half-closing,
// a small receive buffer (a client that stops reading), pipelining.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace hoody::test {

/// A socket connected to 127.0.0.1:`port`, or -1. `rcvbuf` > 0 shrinks its receive buffer.
inline int connect_loopback(std::uint16_t port, int rcvbuf = 0) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  if (rcvbuf > 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// A connected socket, closed on destruction (or by `close`).
class raw_socket {
 public:
  explicit raw_socket(std::uint16_t port, int rcvbuf = 0) : fd_(connect_loopback(port, rcvbuf)) {}
  raw_socket(const raw_socket&) = delete;
  raw_socket& operator=(const raw_socket&) = delete;
  raw_socket(raw_socket&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  raw_socket& operator=(raw_socket&&) = delete;
  ~raw_socket() { close(); }

  [[nodiscard]] bool ok() const { return fd_ >= 0; }
  bool send(std::string_view bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  /// Ends the sending side only (FIN); what the server answers can still be read.
  void shutdown_send() { ::shutdown(fd_, SHUT_WR); }
  void close() {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  /// True when the peer closed (EOF or reset) within `timeout_ms`; data read is appended to `got`.
  bool closed_within(int timeout_ms, std::string* got = nullptr) {
    using clock_type = std::chrono::steady_clock;
    const auto deadline = clock_type::now() + std::chrono::milliseconds(timeout_ms);
    while (clock_type::now() < deadline) {
      pollfd pfd{fd_, POLLIN, 0};
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now())
              .count();
      if (::poll(&pfd, 1, static_cast<int>(std::max<std::int64_t>(left, 1))) <= 0) {
        continue;
      }
      char buf[4096];
      const auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        return true;
      }
      if (got != nullptr) {
        got->append(buf, static_cast<std::size_t>(n));
      }
    }
    return false;
  }
  /// Reads until `got` holds `count` occurrences of `marker` or `timeout_ms` passes; true if so.
  bool read_until_count(std::string& got, std::string_view marker, int count, int timeout_ms) {
    using clock_type = std::chrono::steady_clock;
    const auto deadline = clock_type::now() + std::chrono::milliseconds(timeout_ms);
    const auto occurrences = [&] {
      int n = 0;
      for (auto at = got.find(marker); at != std::string::npos; at = got.find(marker, at + 1)) {
        ++n;
      }
      return n;
    };
    while (occurrences() < count) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now())
              .count();
      if (left <= 0) {
        return false;
      }
      pollfd pfd{fd_, POLLIN, 0};
      if (::poll(&pfd, 1, static_cast<int>(left)) <= 0) {
        continue;
      }
      char buf[4096];
      const auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        return occurrences() >= count;
      }
      got.append(buf, static_cast<std::size_t>(n));
    }
    return true;
  }

 private:
  int fd_ = -1;
};

}  // namespace hoody::test
