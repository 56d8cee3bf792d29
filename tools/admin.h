// The admin commands of basis-tree, each run on a store that no daemon holds
// open (RocksDB's lock says so otherwise). Exit codes: 0 done and healthy,
// 1 a problem found or the command failed, 2 bad usage.
//
// With --json a command prints one JSON object on stdout, whatever happens
// once its arguments are read: what it found or did, or
// {"error":{"code":KIND,"message":TEXT}} (KIND an error kind's name:
// "NotFound", "Corruption", "IOError", "InvalidArgument", ...), with the
// same exit codes. Bad usage is named on stderr only (see tools/cli.h).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "basis/config.h"
#include "storage/database.h"
#include "storage/keyspace.h"
#include "storage/tree_catalog.h"
#include "storage/records.h"
#include "tools/cli.h"

namespace basis::tools {

// Options every store command takes: --config FILE, --data-dir DIR, --json,
// --quiet.
struct StoreArgs {
  std::string command;  // "verify"
  config::Config config;
  std::string config_file;
  std::string data_dir;
  bool json = false;
  bool quiet = false;  // no progress line
  std::vector<std::string> rest;  // the positional arguments
  std::string tree = "default";   // --tree, for the commands of one tree

  // Whether a progress line is drawn (stderr a terminal, no --json or --quiet).
  bool progress() const;
};

// Adds the common options to `cli`, read into `args`.
void add_store_options(CommandLine* cli, StoreArgs* args);
// Parses; then loads --config and applies --data-dir over it. -1 to go on,
// else the exit code (after printing why).
int parse_store_args(CommandLine* cli, int argc, char** argv, StoreArgs* args);
// Opens the store of `args` (never creates one).
tree::Status open_store(const StoreArgs& args, std::unique_ptr<storage::Database>* out);
std::string db_path(const config::Config& config);

// One tree of the store, as the storage and engine calls of a command take
// it: its keyspace (every storage call's trailing argument) and the store's
// configuration with the tree's parameters and id (what engine/ reads).
struct TreeChoice {
  std::string name = "default";
  storage::Keyspace keyspace;  // the default tree's unless named
  config::Config config;
  bool is_default() const { return keyspace.is_default(); }
};

// Adds --tree NAME (default: the default tree) to a command of one tree.
void add_tree_option(CommandLine* cli, StoreArgs* args);
// The store's trees: the default tree (its parameters from `args`' configuration,
// which the open checked), then the catalog's, in name order.
tree::Status store_trees(const storage::Database& db, const StoreArgs& args, std::vector<TreeChoice>* out);
// The tree `args.tree` names; kNotFound naming every tree the store holds
// when it holds none of that name.
tree::Status choose_tree(const storage::Database& db, const StoreArgs& args, TreeChoice* out);

// A failed command: "basis-tree COMMAND: KIND: message" on stderr, or the
// error object on stdout with --json. Returns `exit_code`.
int failed(const StoreArgs& args, const tree::Status& s, int exit_code = 1);
int failed(const std::string& command, bool json, const tree::Status& s, int exit_code = 1);
// Prints `j` as one line on stdout.
void print_json(const nlohmann::json& j);

// The records as the daemon's API answers them (examples/daemon/api_json.cc).
nlohmann::json checkpoint_json(const storage::CheckpointRecord& c);
nlohmann::json operation_json(const storage::OperationRecord& r);

int inspect_command(int argc, char** argv);
int trees_command(int argc, char** argv);
int verify_command(int argc, char** argv);
int checkpoints_command(int argc, char** argv);
int oplog_command(int argc, char** argv);
int backup_command(int argc, char** argv);
int restore_command(int argc, char** argv);
int rebuild_command(int argc, char** argv);
int compact_command(int argc, char** argv);
int accept_loss_command(int argc, char** argv);
int rollback_command(int argc, char** argv);
int verify_proof_command(int argc, char** argv);  // needs no store
int conformance_command(int argc, char** argv);    // needs no store

}  // namespace basis::tools
