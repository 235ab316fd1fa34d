#include "support/server_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace hoody::test {
namespace fs = std::filesystem;

temp_dir::temp_dir() {
  std::random_device rd;
  const auto base = fs::temp_directory_path();
  for (int i = 0; i < 100; ++i) {
    auto candidate =
        base / ("hoody-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::error_code ec;
    if (fs::create_directory(candidate, ec)) {
      path_ = fs::canonical(candidate);
      return;
    }
  }
  throw std::runtime_error("cannot create a temp dir");
}

temp_dir::~temp_dir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

fs::path server_binary() {
  if (const char* bin = std::getenv("HOODY_BIN")) {
    return bin;
  }
  return fs::path("build") / "hoody-sqlite";
}

server_process::server_process(std::vector<std::string> extra_args, fs::path data_dir) {
  if (const char* external = std::getenv("HOODY_E2E_PORT")) {
    port_ = static_cast<std::uint16_t>(std::stoi(external));
    data_dir_ = data_dir;
    return;
  }
  if (data_dir.empty()) {
    own_dir_ = std::make_unique<temp_dir>();
    data_dir = own_dir_->path();
  }
  data_dir_ = data_dir;
  const fs::path port_file = data_dir_ / ".port";
  log_file_ = data_dir_ / ".server.log";
  fs::remove(port_file);

  std::vector<std::string> args{server_binary().string(),
                                "--port",
                                "0",
                                "--port-file",
                                port_file.string(),
                                "--data-dir",
                                data_dir_.string(),
                                "--host",
                                "127.0.0.1"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  pid_ = ::fork();
  if (pid_ < 0) {
    throw std::runtime_error("fork failed");
  }
  if (pid_ == 0) {
    const int fd = ::open(log_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    std::vector<char*> argv;
    for (auto& a : args) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(port_file);
    unsigned port = 0;
    if (in >> port && port != 0) {
      port_ = static_cast<std::uint16_t>(port);
      return;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("server exited at start-up:\n" + output());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill9();
  throw std::runtime_error("server did not write its port file:\n" + output());
}

server_process::~server_process() {
  if (pid_ > 0) {
    if (stop(SIGTERM, 10000) == -1) {
      kill9();
    }
  }
}

int server_process::stop(int signal, int timeout_ms) {
  if (pid_ <= 0) {
    return -1;
  }
  ::kill(pid_, signal);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
      }
      return 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return -1;
}

void server_process::kill9() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
}

std::string server_process::output() const {
  std::ifstream in(log_file_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace hoody::test
