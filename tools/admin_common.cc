// What every store command shares: its options, opening the store, and how
// results and failures are printed.
#include <cstdio>
#include <filesystem>

#include "tools/admin.h"
#include "engine/tree_keyspace.h"
#include "tools/progress.h"

namespace basis::tools {

using nlohmann::json;

bool StoreArgs::progress() const { return progress_wanted(json, quiet); }

namespace {

// A name as typed, for a message: control bytes as \xNN, cut at 64 bytes
// (a name is at most 64 characters) so that a hostile one stays one line.
std::string printable_name(const std::string& name) {
  std::string out;
  for (size_t i = 0; i < name.size() && i < 64; ++i) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7f) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (name.size() > 64) out += "...";
  return out;
}

}  // namespace

void add_store_options(CommandLine* cli, StoreArgs* args) {
  cli->text("--config", "FILE", &args->config_file, "the daemon's configuration (data_dir and tree parameters)");
  cli->text("--data-dir", "DIR", &args->data_dir, "the data directory (overrides the configuration's)");
  cli->flag("--json", &args->json, "print one JSON object (errors as {\"error\":{\"code\",\"message\"}})");
  cli->flag("--quiet", &args->quiet, "no progress line on stderr (there is none when stderr is not a terminal)");
}

int parse_store_args(CommandLine* cli, int argc, char** argv, StoreArgs* args) {
  args->command = cli->program().substr(cli->program().rfind(' ') + 1);
  if (int code = cli->parse(argc, argv); code >= 0) return code;
  if (!args->config_file.empty()) {
    if (config::Status s = config::load_file(args->config_file, &args->config); !s.is_ok()) {
      return failed(*args, tree::Status(tree::ErrorKind::kInvalidArgument, s.message()), 2);
    }
  }
  if (!args->data_dir.empty()) args->config.storage.data_dir = args->data_dir;
  return -1;
}

std::string db_path(const config::Config& config) {
  return (std::filesystem::path(config.storage.data_dir) / "db").string();
}

tree::Status open_store(const StoreArgs& args, std::unique_ptr<storage::Database>* out) {
  storage::DatabaseOptions o;
  o.path = db_path(args.config);
  o.params = tree::TreeParams{args.config.tree.key_length, args.config.tree.value_length};
  o.create_if_missing = false;
  return storage::Database::open(o, out);
}

void add_tree_option(CommandLine* cli, StoreArgs* args) {
  cli->text("--tree", "NAME", &args->tree, "the tree (default: the default tree; `basis-tree trees` lists them)");
}

tree::Status store_trees(const storage::Database& db, const StoreArgs& args, std::vector<TreeChoice>* out) {
  out->clear();
  std::vector<storage::TreeEntry> entries;
  if (tree::Status s = storage::list_trees(db, &entries); !s.is_ok()) return s;
  TreeChoice def;
  def.config = args.config;
  def.config.tree.name = "default";
  def.config.tree.id = 0;
  out->push_back(std::move(def));
  for (const storage::TreeEntry& e : entries) {
    TreeChoice t;
    t.name = e.name;
    t.config = engine::named_tree_config(args.config, e);
    t.keyspace = storage::Keyspace::for_tree(e.id, e.key_length);
    out->push_back(std::move(t));
  }
  return tree::Status::ok();
}

tree::Status choose_tree(const storage::Database& db, const StoreArgs& args, TreeChoice* out) {
  if (args.tree == "default") {
    // The default tree needs no catalog: a damaged entry of a named tree
    // must not keep an operator from the default tree.
    out->name = "default";
    out->keyspace = storage::Keyspace();
    out->config = args.config;
    out->config.tree.name = "default";
    out->config.tree.id = 0;
    return tree::Status::ok();
  }
  std::vector<TreeChoice> trees;
  if (tree::Status s = store_trees(db, args, &trees); !s.is_ok()) return s;
  std::string names;
  for (TreeChoice& t : trees) {
    if (t.name == args.tree) {
      *out = std::move(t);
      return tree::Status::ok();
    }
    names += (names.empty() ? "" : ", ") + t.name;
  }
  return tree::Status(tree::ErrorKind::kNotFound, "no tree named '" + printable_name(args.tree) +
                                                      "' in the store; it holds: " + names);
}

int failed(const std::string& command, bool as_json, const tree::Status& s, int exit_code) {
  if (as_json) {
    print_json({{"error", {{"code", std::string(tree::error_kind_name(s.kind()))}, {"message", s.message()}}}});
  } else {
    std::fprintf(stderr, "basis-tree %s: %s\n", command.c_str(), s.to_string().c_str());
  }
  return exit_code;
}

int failed(const StoreArgs& args, const tree::Status& s, int exit_code) {
  return failed(args.command, args.json, s, exit_code);
}

void print_json(const json& j) {
  // Replacement characters for bytes that are not UTF-8 (a path can hold
  // any): dump() would throw.
  std::printf("%s\n", j.dump(-1, ' ', false, json::error_handler_t::replace).c_str());
  std::fflush(stdout);
}

json checkpoint_json(const storage::CheckpointRecord& c) {
  return {{"id", c.id},
          {"timestamp_ms", c.timestamp_ms},
          {"digest", tree::to_hex(tree::ByteView(c.digest))},
          {"last_seq", c.last_sequence},
          {"node_count", c.node_count}};
}

json operation_json(const storage::OperationRecord& r) {
  json out = {{"seq", r.sequence},
              {"type", std::string(tree::op_type_name(r.type))},
              {"timestamp_ms", r.timestamp_ms},
              {"key", tree::to_hex(tree::view(r.key))},
              {"previous", r.had_previous ? json(tree::to_hex(tree::view(r.previous))) : json(nullptr)},
              {"digest_before", tree::to_hex(tree::ByteView(r.digest_before))},
              {"digest_after", tree::to_hex(tree::ByteView(r.digest_after))}};
  if (r.rollback) {
    // A rollback: the tree became the version after operation `to_seq`.
    out["type"] = "Rollback";
    out["to_seq"] = r.rolled_back_to;  // no key, no previous value
  } else if (r.type == tree::OpType::kUpdateLongBy) {
    out["delta"] = r.delta;
  } else if (r.type != tree::OpType::kRemove && r.type != tree::OpType::kRemoveIfExists) {
    out["value"] = tree::to_hex(tree::view(r.value));
  }
  return out;
}

}  // namespace basis::tools
