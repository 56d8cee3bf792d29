// crash-test [--kills N] [--seed S] [--dir DIR]: the crash harness's long mode.
// Prints a summary and exits non-zero on any lost batch, mismatch or failed open.
#include <cstdio>
#include <filesystem>
#include <string>

#include "tests/crash_harness.h"
#include "tools/cli.h"

int main(int argc, char** argv) {
  uint64_t kills = 300, seed = 1;
  std::string dir = (std::filesystem::temp_directory_path() / "basis-crash-test").string();
  basis::tools::CommandLine cli("crash-test", "[--kills N] [--seed S] [--dir DIR]",
                                "The crash harness's long mode: a runtime under seeded churn, killed with SIGKILL at\n"
                                "random moments and restarted; every restart must keep every acknowledged batch and\n"
                                "be exactly a prefix of the submitted batches.");
  cli.number("--kills", "N", &kills, "kills (default 300)", 1);
  cli.number("--seed", "S", &seed, "the seed (default 1)");
  cli.text("--dir", "DIR", &dir, "the scratch directory (removed before and after; default in $TMPDIR)");
  cli.footer("Exit code 0: nothing lost; 1: a lost batch, a mismatch or a failed open; 2: bad usage.");
  if (int code = cli.parse(argc - 1, argv + 1); code >= 0) return code;
  std::filesystem::remove_all(dir);
  basis::testing::CrashReport r = basis::testing::run_crash_harness(dir, kills, seed);
  std::printf("kills %llu, acknowledged batches %llu, lost acknowledged %llu, digest mismatches %llu, failed opens %llu\n",
              static_cast<unsigned long long>(r.kills), static_cast<unsigned long long>(r.acknowledged_batches),
              static_cast<unsigned long long>(r.lost_acknowledged), static_cast<unsigned long long>(r.digest_mismatches),
              static_cast<unsigned long long>(r.failed_opens));
  if (!r.ok()) std::printf("first problem: %s\n", r.first_problem.c_str());
  std::filesystem::remove_all(dir);
  return r.ok() ? 0 : 1;
}
