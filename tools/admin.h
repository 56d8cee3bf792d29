// The admin commands of basis-tree, each run on a store that no daemon holds
// open (RocksDB's lock says so otherwise). Exit codes: 0 done and healthy,
// 1 a problem found or the command failed, 2 bad usage.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "basis/config.h"
#include "storage/database.h"

namespace basis::tools {

// Options every store command takes: --config FILE, --data-dir DIR, --json.
struct StoreArgs {
  config::Config config;
  bool json = false;
  std::vector<std::string> rest;  // what the command itself reads
};

// Parses the common options; false (after printing why) on bad usage.
bool parse_store_args(const char* command, int argc, char** argv, StoreArgs* out);
// Opens the store of `args` (never creates one).
tree::Status open_store(const StoreArgs& args, std::unique_ptr<storage::Database>* out);
std::string db_path(const config::Config& config);
// Whether the arguments ask for --help (or -h).
bool wants_help(int argc, char** argv);

int inspect_command(int argc, char** argv);
int verify_command(int argc, char** argv);
int checkpoints_command(int argc, char** argv);
int oplog_command(int argc, char** argv);
int backup_command(int argc, char** argv);
int restore_command(int argc, char** argv);
int rebuild_command(int argc, char** argv);
int compact_command(int argc, char** argv);
int accept_loss_command(int argc, char** argv);
int verify_proof_command(int argc, char** argv);  // needs no store

}  // namespace basis::tools
