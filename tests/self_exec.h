// Runs a hidden test case of this test binary in a new process: fork, then
// exec. A child that is only forked inherits RocksDB's background thread
// pools without their threads, so its flushes and compactions never run once
// the parent has opened a database; an exec'd child starts clean.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

extern char** environ;

namespace basis::testing {

// Starts `test_name` (a hidden "[.]" case) with `env` added to the
// environment; its Catch2 report is discarded. Returns the child's pid.
inline pid_t run_self(const std::string& test_name, const std::vector<std::pair<std::string, std::string>>& env) {
  std::string exe = std::filesystem::read_symlink("/proc/self/exe").string();
  std::vector<std::string> vars;
  for (char** e = environ; *e; ++e) vars.emplace_back(*e);
  for (const auto& [k, v] : env) vars.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& v : vars) envp.push_back(v.data());
  envp.push_back(nullptr);
  std::string out = "/dev/null";
  std::vector<char*> argv = {exe.data(), const_cast<char*>(test_name.c_str()), const_cast<char*>("--out"),
                             out.data(), nullptr};
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    execve(exe.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  return pid;
}

// The value of `name` in a child's environment, or "" in a parent.
inline std::string child_env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace basis::testing
