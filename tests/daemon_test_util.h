// A running basis-treed for tests: the real binary on a free loopback port,
// with its own data directory and configuration.
#pragma once

#include <catch2/catch.hpp>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

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

}  // namespace basis::testing
