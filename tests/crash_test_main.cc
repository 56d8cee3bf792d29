// crash-test [--kills N] [--seed S] [--dir DIR]: the crash harness's long mode.
// Prints a summary and exits non-zero on any lost batch, mismatch or failed open.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "tests/crash_harness.h"

int main(int argc, char** argv) {
  uint64_t kills = 300, seed = 1;
  std::string dir = (std::filesystem::temp_directory_path() / "basis-crash-test").string();
  for (int i = 1; i < argc; i += 2) {
    if (i + 1 < argc && !std::strcmp(argv[i], "--kills")) kills = std::strtoull(argv[i + 1], nullptr, 10);
    else if (i + 1 < argc && !std::strcmp(argv[i], "--seed")) seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (i + 1 < argc && !std::strcmp(argv[i], "--dir")) dir = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: crash-test [--kills N] [--seed S] [--dir DIR]\n");
      return 2;
    }
  }
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
