// A running basis-treed for tests: the real binary on a free loopback port,
// with its own data directory and configuration.
#pragma once

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/storage_test_util.h"

namespace basis::testing {

using basis::storage::testing::TempDir;

// The daemon under test: this build's, or BASIS_DAEMON_UNDER_TEST (to run
// the tests against another build, an older one say).
inline const char* daemon_path() {
  const char* other = std::getenv("BASIS_DAEMON_UNDER_TEST");
  return other && *other ? other : BASIS_DAEMON_PATH;
}


// A running basis-treed with its own data directory and configuration.
class Daemon {
 public:
  // `storage_config` adds keys to [storage] (TOML allows one [storage] table).
  explicit Daemon(const TempDir& dir, const std::string& extra_config = "", const std::string& log_level = "warn",
                  const std::string& storage_config = "")
      : dir_(dir) {
    std::string config = dir.path("basis-treed.toml");
    std::ofstream(config) << "[storage]\ndata_dir = \"" << dir.path("data") << "\"\n" << storage_config
                          << "[logging]\nlevel = \"" << log_level << "\"\nfile = \"" << dir.path("daemon.log")
                          << "\"\n" << extra_config;
    start(config);
  }
  ~Daemon() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  int port() const { return port_; }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(30, 0);
    return c;
  }
  // SIGTERM; the exit code.
  int stop() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  void start(const std::string& config) {
    int out[2];
    REQUIRE(pipe(out) == 0);
    // The [server] section comes last so that extra_config may add keys to it.
    std::ofstream(config, std::ios::app) << "\n";
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      close(out[0]);
      execl(daemon_path(), daemon_path(), "--config", config.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    FILE* in = fdopen(out[0], "r");
    char host[64] = {0};
    REQUIRE(fscanf(in, "listening on %63[^:]:%d", host, &port_) == 2);
    fclose(in);
  }
  const TempDir& dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// GET `path`: the answer's status must be `expect`; its body, parsed.
inline nlohmann::json get_json(httplib::Client& c, const std::string& path, int expect) {
  auto r = c.Get(path.c_str());
  REQUIRE(r);
  INFO(path << " -> " << r->status << " " << r->body);
  REQUIRE(r->status == expect);
  return nlohmann::json::parse(r->body);
}

// A raw TCP connection: what a client that does not follow the rules sends.
class Raw {
  using Clock = std::chrono::steady_clock;

 public:
  explicit Raw(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  }
  ~Raw() { ::close(fd_); }
  Raw(const Raw&) = delete;
  Raw& operator=(const Raw&) = delete;

  void send(const std::string& bytes) { REQUIRE(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == ssize_t(bytes.size())); }
  bool try_send(const std::string& bytes) { return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) > 0; }
  // Everything the server sends until it closes or `wait` passes in silence.
  std::string read_all(std::chrono::milliseconds wait = std::chrono::milliseconds(2000)) {
    std::string out;
    char buf[65536];
    for (;;) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) break;
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, size_t(n));
    }
    return out;
  }
  // Whether the server closed the connection within `wait`.
  bool closed_within(std::chrono::milliseconds wait) {
    auto end = Clock::now() + wait;
    char buf[4096];
    while (Clock::now() < end) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) > 0) {
        ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n <= 0) return true;
        last_.append(buf, size_t(n));
      }
    }
    return false;
  }
  const std::string& received() const { return last_; }

 private:
  int fd_ = -1;
  std::string last_;
};

// The status of every answer in `answers` (as a Raw read them), in order.
inline std::vector<int> statuses(const std::string& answers) {
  std::vector<int> out;
  // A status line: "HTTP/1.1 " and three digits (an error message may say "HTTP/1.1" too).
  for (size_t at = answers.find("HTTP/1.1 "); at != std::string::npos; at = answers.find("HTTP/1.1 ", at + 1)) {
    std::string code = answers.substr(at + 9, 4);
    if (code.size() == 4 && std::isdigit(code[0]) && std::isdigit(code[1]) && std::isdigit(code[2]) && code[3] == ' ') {
      out.push_back(std::stoi(code));
    }
  }
  return out;
}

// One answer read off the wire: header names in lowercase.
struct Answer {
  int status = 0;
  std::multimap<std::string, std::string> headers;
  std::string body;
  std::string header(const std::string& lowercase_name) const {
    auto it = headers.find(lowercase_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// Splits pipelined answers (each with a Content-Length; `head_only` for
// answers to HEAD, which have none of the body they announce).
inline std::vector<Answer> parse_answers(std::string_view raw, bool head_only = false) {
  std::vector<Answer> out;
  while (!raw.empty()) {
    size_t end = raw.find("\r\n\r\n");
    if (end == std::string_view::npos || raw.substr(0, 9) != "HTTP/1.1 ") break;
    Answer a;
    a.status = std::atoi(std::string(raw.substr(9, 3)).c_str());
    std::string_view head = raw.substr(0, end);
    for (size_t line = head.find("\r\n"); line != std::string_view::npos;) {
      size_t next = head.find("\r\n", line + 2);
      std::string_view h = head.substr(line + 2, (next == std::string_view::npos ? head.size() : next) - line - 2);
      size_t colon = h.find(':');
      if (colon != std::string_view::npos) {
        std::string name(h.substr(0, colon));
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string_view value = h.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        a.headers.emplace(name, std::string(value));
      }
      line = next;
    }
    raw.remove_prefix(end + 4);
    size_t length = head_only || a.status == 100 ? 0 : std::strtoull(a.header("content-length").c_str(), nullptr, 10);
    length = std::min(length, raw.size());
    a.body = std::string(raw.substr(0, length));
    raw.remove_prefix(length);
    if (a.status != 100) out.push_back(std::move(a));
  }
  return out;
}

// One request on a connection of its own (the answer closes it): `headers`
// are whole lines ("Name: value\r\n"). A POST or DELETE, or any request
// with a body, says its Content-Length (unless `headers` do).
inline Answer exchange(int port, const std::string& method, const std::string& target, const std::string& body = "",
                       const std::string& headers = "") {
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n" + headers;
  const bool has_length = headers.find("Content-Length:") != std::string::npos;
  if (!has_length && (!body.empty() || method == "POST" || method == "DELETE" || method == "PUT" || method == "PATCH")) {
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  Raw r(port);
  r.send(request + "\r\n" + body);
  std::vector<Answer> answers = parse_answers(r.read_all(), method == "HEAD");
  // No Catch macro here: client threads call this, and Catch2 v2's INFO and
  // REQUIRE are not thread-safe (an INFO from eight threads crashed a test).
  // Not one answer: status -1, which every caller's status check refuses.
  if (answers.size() != 1) {
    Answer none;
    none.status = -1;
    none.body = method + " " + target + ": " + std::to_string(answers.size()) + " answers, not one";
    return none;
  }
  return answers.front();
}

}  // namespace basis::testing
