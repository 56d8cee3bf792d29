// torture [--iterations N] [--seed S] [--dir DIR] [--faults MASK]: the torture harness's long
// mode (tests/torture.h). Prints a summary line; exits non-zero on any lost
// acknowledged batch, lost pin, silent rollback or child crash.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "tests/torture.h"

int main(int argc, char** argv) {
  uint64_t iterations = 100, seed = 1;
  unsigned faults = 15;
  std::string dir = (std::filesystem::temp_directory_path() / "basis-torture").string();
  for (int i = 1; i < argc; i += 2) {
    if (i + 1 < argc && !std::strcmp(argv[i], "--iterations")) iterations = std::strtoull(argv[i + 1], nullptr, 10);
    else if (i + 1 < argc && !std::strcmp(argv[i], "--seed")) seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (i + 1 < argc && !std::strcmp(argv[i], "--dir")) dir = argv[i + 1];
    else if (i + 1 < argc && !std::strcmp(argv[i], "--faults")) faults = static_cast<unsigned>(std::strtoul(argv[i + 1], nullptr, 0));
    else {
      std::fprintf(stderr, "usage: torture [--iterations N] [--seed S] [--dir DIR] [--faults MASK: 1 write, 2 sync, 4 read, 8 nospace]\n");
      return 2;
    }
  }
  std::filesystem::remove_all(dir);
  basis::testing::TortureReport r = basis::testing::run_torture(dir, iterations, seed, faults);
  std::printf("seed %llu: %s\n", static_cast<unsigned long long>(seed), r.summary().c_str());
  if (!r.first_refusal.empty()) std::printf("first refused open: %s\n", r.first_refusal.c_str());
  for (const std::string& p : r.problems) std::printf("problem: %s\n", p.c_str());
  std::filesystem::remove_all(dir);
  return r.ok() ? 0 : 1;
}
