// basis-treed as a child process for the operations tests: any arguments
// and environment, standard output read for "listening on HOST:PORT",
// standard error kept in a file, signals, and the exit code.
#pragma once

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace basis::testing {

// Polls `done` every 20 ms until it holds or `timeout` passes; whether it held.
inline bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

inline std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

class DaemonProcess {
 public:
  // Starts `binary` with `args`, and `env` ("NAME=value") added to this
  // process's environment; standard error goes to `stderr_path`.
  DaemonProcess(const std::string& binary, const std::vector<std::string>& args, const std::vector<std::string>& env,
                const std::string& stderr_path) {
    std::vector<std::string> argv_text = {binary};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<std::string> env_text(env);
    for (char** e = environ; *e; ++e) env_text.emplace_back(*e);
    std::vector<char*> argv, envp;
    for (auto& a : argv_text) argv.push_back(a.data());
    for (auto& e : env_text) envp.push_back(e.data());
    argv.push_back(nullptr);
    envp.push_back(nullptr);
    int out[2];
    REQUIRE(pipe(out) == 0);
    std::fflush(nullptr);
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      dup2(out[1], 1);
      close(out[0]);
      close(out[1]);
      FILE* err = std::fopen(stderr_path.c_str(), "w");
      if (err) dup2(fileno(err), 2);
      execve(binary.c_str(), argv.data(), envp.data());
      _exit(127);
    }
    close(out[1]);
    stdout_ = fdopen(out[0], "r");
  }
  ~DaemonProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (stdout_) std::fclose(stdout_);
  }
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  pid_t pid() const { return pid_; }

  // Reads standard output up to "listening on HOST:PORT"; 0 if it ended first.
  int wait_listening() {
    char host[64] = {0};
    int port = 0;
    return std::fscanf(stdout_, "listening on %63[^:]:%d", host, &port) == 2 ? port : 0;
  }
  // Everything left on standard output (until the process closes it).
  std::string rest_of_stdout() {
    std::string text;
    for (int c; (c = std::fgetc(stdout_)) != EOF;) text += static_cast<char>(c);
    return text;
  }
  void send(int sig) const { kill(pid_, sig); }
  int wait_exit_after(int sig) {
    send(sig);
    return wait_exit();
  }
  // Waits for the exit; its code (128 + N after signal N).
  int wait_exit() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  FILE* stdout_ = nullptr;
};

}  // namespace basis::testing
