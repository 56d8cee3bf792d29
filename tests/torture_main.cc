// torture [--iterations N] [--seed S] [--dir DIR] [--faults MASK]: the torture harness's long
// mode (tests/torture.h). Prints a summary line; exits non-zero on any lost
// acknowledged batch, lost pin, silent rollback or child crash.
#include <cstdio>
#include <filesystem>
#include <string>

#include "tests/torture.h"
#include "tools/cli.h"

int main(int argc, char** argv) {
  uint64_t iterations = 100, seed = 1, faults = 15;
  std::string dir = (std::filesystem::temp_directory_path() / "basis-torture").string();
  basis::tools::CommandLine cli("torture", "[--iterations N] [--seed S] [--dir DIR] [--faults MASK]",
                                "The torture harness's long mode (tests/torture.h): each iteration a child runs the\n"
                                "runtime on a fault-injecting file system, killed or losing power at a random moment;\n"
                                "every restart must keep every acknowledged batch and pin. Prints a summary line.");
  cli.number("--iterations", "N", &iterations, "iterations (default 100)", 1);
  cli.number("--seed", "S", &seed, "the first seed (default 1)");
  cli.text("--dir", "DIR", &dir, "the scratch directory (removed before and after; default in $TMPDIR)");
  cli.number("--faults", "MASK", &faults, "the faults: 1 write, 2 sync, 4 read, 8 ENOSPC (default 15, all)", 0, 15);
  cli.footer("Exit code 0: nothing lost; 1: a lost batch or pin, a silent rollback or a child crash; 2: bad usage.");
  if (int code = cli.parse(argc - 1, argv + 1); code >= 0) return code;
  std::filesystem::remove_all(dir);
  basis::testing::TortureReport r = basis::testing::run_torture(dir, iterations, seed, static_cast<unsigned>(faults));
  std::printf("seed %llu: %s\n", static_cast<unsigned long long>(seed), r.summary().c_str());
  if (!r.first_refusal.empty()) std::printf("first refused open: %s\n", r.first_refusal.c_str());
  if (!r.first_rocksdb_abort.empty()) std::printf("first RocksDB assertion abort: %s\n", r.first_rocksdb_abort.c_str());
  for (const std::string& p : r.problems) std::printf("problem: %s\n", p.c_str());
  std::filesystem::remove_all(dir);
  return r.ok() ? 0 : 1;
}
