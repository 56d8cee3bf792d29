// basis-tree: the admin command line tool. `basis-tree COMMAND --help`
// describes each command.
#include <cstdio>
#include <string>

#include "tools/admin.h"
#include "tools/cli.h"
#include "tools/differential.h"

namespace {

const char kUsage[] =
    "usage: basis-tree COMMAND [options]\n"
    "       basis-tree --version | --help | help COMMAND\n"
    "commands (each takes --help and --json):\n"
    "  conformance FILE...   replay conformance vector files; prints one line per\n"
    "                        file, then 'N passed, M failed'\n"
    "  differential          seeded random and hostile streams through the prover,\n"
    "                        the verifier and the reference oracle, compared\n"
    "  trees                 the store's trees: parameters, last sequence, digest\n"
    "  inspect               keys, nodes, bytes per family, last sequence, digest\n"
    "  verify                full integrity check; exit code 0 when healthy\n"
    "  checkpoints           the retained checkpoints\n"
    "  oplog                 print a range of operation records\n"
    "  backup DIR            incremental backup of every tree into DIR\n"
    "  restore DIR           replace the store with DIR's latest backup\n"
    "  rebuild --from oplog|notes   rebuild the tree and seal it\n"
    "  compact               compact every family\n"
    "  accept-loss --yes     serve a store whose write-ahead log was cut from where it\n"
    "                        recovers to (the lost range is noted)\n"
    "  rollback --to-seq N   make the tree an earlier version (or --to-checkpoint ID,\n"
    "                        --to-digest HEX); the log records it\n"
    "  verify-proof          check a lookup proof against a digest\n"
    "Store commands take --config FILE or --data-dir DIR, and the store must not be\n"
    "open in a daemon. inspect, verify, checkpoints, oplog, rebuild and rollback work\n"
    "on one tree: --tree NAME (default: the default tree); backup and restore cover\n"
    "every tree at once. Exit codes: 0 done (and healthy), 1 a problem found or the\n"
    "command failed, 2 bad usage.\n";

using Command = int (*)(int, char**);

Command find_command(const std::string& name) {
  static const std::pair<const char*, Command> kCommands[] = {
      {"conformance", basis::tools::conformance_command},
      {"differential", basis::tools::differential_command},
      {"trees", basis::tools::trees_command},
      {"inspect", basis::tools::inspect_command},
      {"verify", basis::tools::verify_command},
      {"checkpoints", basis::tools::checkpoints_command},
      {"oplog", basis::tools::oplog_command},
      {"backup", basis::tools::backup_command},
      {"restore", basis::tools::restore_command},
      {"rebuild", basis::tools::rebuild_command},
      {"compact", basis::tools::compact_command},
      {"accept-loss", basis::tools::accept_loss_command},
      {"rollback", basis::tools::rollback_command},
      {"verify-proof", basis::tools::verify_proof_command},
  };
  for (const auto& [n, run] : kCommands) {
    if (name == n) return run;
  }
  return nullptr;
}

int usage_error(const std::string& what) {
  std::fprintf(stderr, "basis-tree: %s (see basis-tree --help)\n", what.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string first = argv[1];
  if (first == "--help" || first == "-h") return std::fputs(kUsage, stdout), 0;
  if (first == "--version") {
    if (argc > 2) return usage_error("unexpected argument '" + std::string(argv[2]) + "'");
    std::printf("%s\n", basis::tools::version_line("basis-tree").c_str());
    return 0;
  }
  if (first == "help") {
    if (argc == 2) return std::fputs(kUsage, stdout), 0;
    Command run = find_command(argv[2]);
    if (!run || argc > 3) return usage_error(run ? "unexpected argument '" + std::string(argv[3]) + "'"
                                                 : "unknown command '" + std::string(argv[2]) + "'");
    char help[] = "--help";
    char* args[] = {help, nullptr};
    return run(1, args);
  }
  if (first.size() > 1 && first[0] == '-') return usage_error("unknown option '" + first + "'; the command comes first");
  Command run = find_command(first);
  if (!run) return usage_error("unknown command '" + first + "'");
  return run(argc - 2, argv + 2);
}
