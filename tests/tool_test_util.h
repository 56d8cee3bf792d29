// Running the project's binaries as a user does, for the command line tests:
// stdout and stderr apart, stderr on a pipe or on a pseudo-terminal.
#pragma once

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
  close(err_pipe[1]);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* into[2] = {&r.out, &r.err};
  int open_fds = 2;
  while (open_fds > 0) {
    if (poll(fds, 2, 120000) <= 0) break;  // two minutes without a byte: give up
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
  }
  for (auto& f : fds) {
    if (f.fd >= 0) close(f.fd);
  }
  int status = 0;
  waitpid(pid, &status, 0);
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
