// basis-tree: the admin command line tool.
//
//   basis-tree conformance FILE...   replay conformance vectors
#include <cstdio>
#include <cstring>
#include <string>

#include "tools/conformance.h"

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: basis-tree COMMAND ...\n"
               "commands:\n"
               "  conformance FILE...   replay conformance vector files; prints one line per\n"
               "                        file, then 'N passed, M failed'\n");
  return 2;
}

int conformance(int argc, char** argv) {
  if (argc < 1) {
    std::fprintf(stderr, "basis-tree conformance: no files given\n");
    return 2;
  }
  size_t passed = 0, failed = 0;
  for (int i = 0; i < argc; ++i) {
    basis::tools::ConformanceReport r = basis::tools::run_conformance_file(argv[i]);
    std::printf("%s\n", r.line.c_str());
    ++(r.passed ? passed : failed);
  }
  std::printf("%zu passed, %zu failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  if (std::strcmp(argv[1], "conformance") == 0) return conformance(argc - 2, argv + 2);
  std::fprintf(stderr, "basis-tree: unknown command '%s'\n", argv[1]);
  return usage();
}
