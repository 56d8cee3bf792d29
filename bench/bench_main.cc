// basis-bench WORKLOAD... [--quick] [--no-fork]
//
// Runs each workload of docs/BENCHMARKS.md in a process of its own (so
// that peak RSS is the workload's own) and prints one JSON object per line.
// --no-fork runs them in this process, for profilers that follow one process.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/workloads.h"
#include "tools/cli.h"

namespace {

const char* const kWorkloads[] = {"W1", "W2", "W3", "storage", "w1-d", "w2-d", "reopen", "http", "rollback", "trees"};

bool known_workload(std::string name) {
  auto upper = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
    return s;
  };
  name = upper(name);
  return std::any_of(std::begin(kWorkloads), std::end(kWorkloads), [&](const char* w) { return upper(w) == name; });
}

long peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss * 1024L;  // Linux reports KiB
}

int run_one(const std::string& name, bool quick) {
  basis::bench::WorkloadResult r;
  if (!basis::bench::run_workload(name, quick, &r)) {
    std::fprintf(stderr, "basis-bench: unknown workload '%s' (known: W1 W2 W3 storage w1-d w2-d reopen http rollback trees)\n", name.c_str());
    return 2;
  }
  nlohmann::ordered_json j;
  j["workload"] = r.workload;
  j["variant"] = quick ? "quick" : "full";
  j["n"] = r.n;
  j["ops"] = r.ops;
  j["seconds"] = r.seconds;
  j["ops_per_sec"] = r.seconds > 0 ? static_cast<double>(r.ops) / r.seconds : 0.0;
  j["proof_bytes"] = r.proof_bytes;
  j["proof_bytes_per_op"] = r.ops ? static_cast<double>(r.proof_bytes) / r.ops : 0.0;
  j["final_digest"] = r.final_digest;
  for (const auto& [field, value] : r.extra) j[field] = value;
  for (const auto& [field, value] : r.text) j[field] = value;
  j["peak_rss_bytes"] = peak_rss_bytes();
  std::printf("%s\n", j.dump().c_str());
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  basis::tools::CommandLine cli("basis-bench", "WORKLOAD... [--quick] [--no-fork]",
                                "Runs the workloads of docs/BENCHMARKS.md, each in a process of its own (so that\n"
                                "peak RSS is the workload's own), and prints one JSON object per line.\n"
                                "Workloads (any case): W1 W2 W3 storage w1-d w2-d reopen http rollback trees.");
  bool quick = false, no_fork = false;
  std::vector<std::string> workloads;
  cli.flag("--quick", &quick, "100,000 keys and operations instead of 1,000,000");
  cli.flag("--no-fork", &no_fork, "run them in this process, for profilers that follow one process");
  cli.arguments("WORKLOAD", &workloads, 1, SIZE_MAX);
  cli.footer("BASIS_REOPEN_TEMPLATE=DIR keeps reopen's killed store in DIR and reuses it on later runs;\n"
             "BASIS_TREES_TEMPLATE=DIR does the same for the store of trees (later runs only reopen it);\n"
             "BASIS_BENCH_CONFIG=FILE configures w1-d, w2-d and trees.");
  if (int code = cli.parse(argc - 1, argv + 1); code >= 0) return code;
  for (const std::string& w : workloads) {
    if (!known_workload(w)) return cli.usage_error("unknown workload '" + w + "'");
  }
  const bool fork_each = !no_fork;
  int status = 0;
  for (const std::string& w : workloads) {
    if (!fork_each) {
      if (int code = run_one(w, quick); code != 0) status = code;
      continue;
    }
    std::fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
      std::perror("basis-bench: fork");
      return 1;
    }
    if (pid == 0) std::_Exit(run_one(w, quick));
    int wstatus = 0;
    waitpid(pid, &wstatus, 0);
    int code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 1;
    if (code != 0) status = code;
  }
  return status;
}
