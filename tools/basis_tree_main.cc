// basis-tree: the admin command line tool. `basis-tree COMMAND --help`
// describes each command.
#include <cstdio>
#include <cstring>
#include <string>

#include "tools/admin.h"
#include "tools/conformance.h"
#include "tools/differential.h"

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: basis-tree COMMAND ...\n"
               "commands (each takes --help):\n"
               "  conformance FILE...   replay conformance vector files; prints one line per\n"
               "                        file, then 'N passed, M failed'\n"
               "  differential          seeded random and hostile streams through the prover,\n"
               "                        the verifier and the reference oracle, compared\n"
               "  inspect               keys, nodes, bytes per family, last sequence, digest\n"
               "  verify                full integrity check; exit code 0 when healthy\n"
               "  checkpoints           the retained checkpoints\n"
               "  oplog                 print a range of operation records\n"
               "  backup DIR            incremental backup into DIR\n"
               "  restore DIR           replace the store with DIR's latest backup\n"
               "  rebuild --from oplog|notes   rebuild the tree and seal it\n"
               "  compact               compact every family\n"
               "  accept-loss --yes     serve a store whose write-ahead log was cut from where it\n"
               "                        recovers to (the lost range is noted)\n"
               "  verify-proof          check a lookup proof against a digest\n"
               "Store commands take --config FILE or --data-dir DIR, and the store must not be\n"
               "open in a daemon.\n");
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
  std::string command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") return usage(), 0;
  if (command == "conformance") {
    if (argc > 2 && (!std::strcmp(argv[2], "--help") || !std::strcmp(argv[2], "-h"))) {
      std::printf("usage: basis-tree conformance FILE...\nReplays conformance vector files.\n");
      return 0;
    }
    return conformance(argc - 2, argv + 2);
  }
  using Command = int (*)(int, char**);
  const std::pair<const char*, Command> commands[] = {
      {"inspect", basis::tools::inspect_command},   {"verify", basis::tools::verify_command},
      {"checkpoints", basis::tools::checkpoints_command}, {"oplog", basis::tools::oplog_command},
      {"backup", basis::tools::backup_command},     {"restore", basis::tools::restore_command},
      {"rebuild", basis::tools::rebuild_command},   {"compact", basis::tools::compact_command},
      {"accept-loss", basis::tools::accept_loss_command},
      {"verify-proof", basis::tools::verify_proof_command},
      {"differential", basis::tools::differential_command},
  };
  for (const auto& [name, run] : commands) {
    if (command == name) return run(argc - 2, argv + 2);
  }
  std::fprintf(stderr, "basis-tree: unknown command '%s'\n", argv[1]);
  return usage();
}
