// Running the project's binaries as a user does, for the command line tests:
// stdout and stderr apart, stderr on a pipe or on a pseudo-terminal.
#pragma once

#include <chrono>

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "basis/runtime.h"
#include "bench/benchmark_data.h"

namespace basis::testing {

struct Ran {
  int code = -1;  // the exit code; -1 when killed by a signal
  std::string out, err;
};

// Runs `args` (args[0] the binary's path) in `cwd` (empty: here) with stdin
// from /dev/null, stdout on a pipe and stderr on a pipe, or on a
// pseudo-terminal when `stderr_tty`. Returns once it exits and both are read.
inline Ran run_binary(const std::vector<std::string>& args, bool stderr_tty = false, const std::string& cwd = "") {
  Ran r;
  int out_pipe[2], err_pipe[2];
  if (pipe(out_pipe) != 0) return r;
  if (stderr_tty) {
    if (openpty(&err_pipe[0], &err_pipe[1], nullptr, nullptr, nullptr) != 0) return r;
  } else if (pipe(err_pipe) != 0) {
    return r;
  }
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    int in = open("/dev/null", O_RDONLY);
    dup2(in, 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    close(out_pipe[0]);
    close(err_pipe[0]);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out_pipe[1]);
  // A pseudo-terminal's slave stays open here: once the child's last copy
  // closes, Linux may drop what it wrote and not read yet (the read gets
  // EIO), so the end of the child's output is found by waiting for it and
  // then draining what is left.
  if (!stderr_tty) close(err_pipe[1]);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* into[2] = {&r.out, &r.err};
  int open_fds = 2;
  int status = 0;
  bool exited = false;
  auto waited = std::chrono::steady_clock::now();
  while (open_fds > 0) {
    int ready = poll(fds, 2, 50);
    if (ready < 0) break;
    if (ready > 0) waited = std::chrono::steady_clock::now();
    if (std::chrono::steady_clock::now() - waited > std::chrono::minutes(2)) break;  // no byte for two minutes
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        into[i]->append(buf, static_cast<size_t>(n));
      } else {  // EOF, or EIO from a pseudo-terminal whose other end closed
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
    if (!exited && waitpid(pid, &status, WNOHANG) == pid) exited = true;
    if (exited && stderr_tty && fds[1].fd >= 0 && fds[0].fd < 0) {
      // The child is gone and its stdout is read: take what the terminal holds.
      fcntl(fds[1].fd, F_SETFL, fcntl(fds[1].fd, F_GETFL) | O_NONBLOCK);
      char buf[4096];
      ssize_t n;
      while ((n = read(fds[1].fd, buf, sizeof buf)) > 0) r.err.append(buf, static_cast<size_t>(n));
      close(fds[1].fd);
      fds[1].fd = -1;
      --open_fds;
    }
  }
  for (auto& f : fds) {
    if (f.fd >= 0) close(f.fd);
  }
  if (stderr_tty) close(err_pipe[1]);
  if (!exited) waitpid(pid, &status, 0);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// A store of `keys` benchmark keys written through the runtime and closed,
// with one Update of key 0 after them when `update`.
inline tree::Digest build_store(const std::string& data_dir, uint64_t keys, bool update = false) {
  config::Config c;
  c.storage.data_dir = data_dir;
  c.logging.level = "off";
  std::unique_ptr<basis::Runtime> rt;
  if (!basis::Runtime::open(c, &rt).is_ok()) return {};
  std::vector<basis::OwnedOperation> ops;
  for (uint64_t i = 0; i < keys; ++i) {
    tree::Label k = bench::benchmark_key(i);
    auto v = bench::benchmark_value(i, 0);
    ops.push_back({tree::OpType::kInsert, tree::Bytes(k.begin(), k.end()), tree::Bytes(v.begin(), v.end()), 0});
    if (ops.size() == 500) (void)rt->apply_and_wait(std::exchange(ops, {}));
  }
  if (!ops.empty()) (void)rt->apply_and_wait(std::move(ops));
  if (update) {
    tree::Label k = bench::benchmark_key(0);
    auto v = bench::benchmark_value(0, 1);
    (void)rt->apply_and_wait({{tree::OpType::kUpdate, tree::Bytes(k.begin(), k.end()), tree::Bytes(v.begin(), v.end()), 0}});
  }
  tree::Digest d = rt->digest();
  (void)rt->shutdown();
  return d;
}

}  // namespace basis::testing
