#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "storage/backup.h"
#include "storage/checkpoint_store.h"
#include "storage/notes.h"
#include "storage/oplog.h"
#include "storage/oplog_archive.h"
#include "tools/admin.h"

namespace basis::tools {

using nlohmann::json;

namespace {

const char* kCommonHelp =
    "  --config FILE    the daemon's configuration (data_dir and tree parameters)\n"
    "  --data-dir DIR   the data directory (overrides the configuration's)\n"
    "  --json           print JSON\n";

int help(const char* usage, const char* what) {
  std::printf("usage: basis-tree %s\n%s\noptions:\n%s", usage, what, kCommonHelp);
  return 0;
}

int failed(const char* command, const tree::Status& s) {
  std::fprintf(stderr, "basis-tree %s: %s\n", command, s.to_string().c_str());
  return 1;
}

bool number(const std::string& text, uint64_t* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

json checkpoint_json(const storage::CheckpointRecord& c) {
  return {{"id", c.id}, {"timestamp_ms", c.timestamp_ms}, {"digest", tree::to_hex(tree::ByteView(c.digest))},
          {"last_seq", c.last_sequence}, {"node_count", c.node_count}};
}

}  // namespace

bool wants_help(int argc, char** argv) {
  for (int i = 0; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) return true;
  }
  return false;
}

std::string db_path(const config::Config& config) {
  return (std::filesystem::path(config.storage.data_dir) / "db").string();
}

bool parse_store_args(const char* command, int argc, char** argv, StoreArgs* out) {
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--json") {
      out->json = true;
    } else if ((a == "--config" || a == "--data-dir") && i + 1 < argc) {
      std::string v = argv[++i];
      if (a == "--data-dir") {
        out->config.storage.data_dir = v;
      } else if (config::Status s = config::load_file(v, &out->config); !s.is_ok()) {
        std::fprintf(stderr, "basis-tree %s: %s\n", command, s.message().c_str());
        return false;
      }
    } else {
      out->rest.push_back(a);
    }
  }
  return true;
}

tree::Status open_store(const StoreArgs& args, std::unique_ptr<storage::Database>* out) {
  storage::DatabaseOptions o;
  o.path = db_path(args.config);
  o.params = tree::TreeParams{args.config.tree.key_length, args.config.tree.value_length};
  o.create_if_missing = false;
  return storage::Database::open(o, out);
}

int inspect_command(int argc, char** argv) {
  if (wants_help(argc, argv)) {
    return help("inspect [options]", "Prints keys, nodes, bytes per family, the last sequence, checkpoints and the digest.");
  }
  StoreArgs args;
  if (!parse_store_args("inspect", argc, argv, &args) || !args.rest.empty()) return 2;
  std::unique_ptr<storage::Database> db;
  if (tree::Status s = open_store(args, &db); !s.is_ok()) return failed("inspect", s);
  std::unique_ptr<storage::Oplog> log;
  if (tree::Status s = storage::Oplog::open(db.get(), &log); !s.is_ok()) return failed("inspect", s);
  uint64_t keys = 0;
  if (tree::Status s = storage::scan_notes(*db, args.config.tree.key_length, [&](storage::Note&&) { return ++keys, true; });
      !s.is_ok()) {
    return failed("inspect", s);
  }
  const uint64_t nodes = db->estimated_records(storage::Family::kNodes);
  std::vector<storage::CheckpointRecord> cps;
  if (tree::Status s = storage::CheckpointStore(db.get()).list(&cps); !s.is_ok()) return failed("inspect", s);
  json bytes = json::object();
  for (auto f : {storage::Family::kNodes, storage::Family::kOperations, storage::Family::kCheckpoints,
                 storage::Family::kMetadata, storage::Family::kNotes}) {
    bytes[std::string(storage::family_name(f))] = db->family_bytes(f);
  }
  json out = {{"data_dir", args.config.storage.data_dir},
              {"keys", keys},
              {"nodes_estimate", nodes},
              {"bytes", bytes},
              {"last_seq", log->last_sequence()},
              {"digest", log->last_digest() ? tree::to_hex(tree::ByteView(*log->last_digest())) : ""},
              {"checkpoints", cps.size()},
              {"latest_checkpoint", cps.empty() ? json(nullptr) : checkpoint_json(cps.front())}};
  if (args.json) {
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  std::printf("data dir      %s\nkeys          %llu\nnodes         ~%llu\nlast sequence %llu\ndigest        %s\n"
              "checkpoints   %zu%s\nbytes\n",
              args.config.storage.data_dir.c_str(), static_cast<unsigned long long>(keys),
              static_cast<unsigned long long>(nodes), static_cast<unsigned long long>(log->last_sequence()),
              out["digest"].get<std::string>().c_str(), cps.size(),
              cps.empty() ? "" : (" (latest " + std::to_string(cps.front().id) + ")").c_str());
  for (auto& [family, n] : bytes.items()) std::printf("  %-12s %llu\n", family.c_str(), static_cast<unsigned long long>(n));
  return 0;
}

int checkpoints_command(int argc, char** argv) {
  if (wants_help(argc, argv)) return help("checkpoints [options]", "Lists the retained checkpoints, newest first.");
  StoreArgs args;
  if (!parse_store_args("checkpoints", argc, argv, &args) || !args.rest.empty()) return 2;
  std::unique_ptr<storage::Database> db;
  if (tree::Status s = open_store(args, &db); !s.is_ok()) return failed("checkpoints", s);
  std::vector<storage::CheckpointRecord> cps;
  if (tree::Status s = storage::CheckpointStore(db.get()).list(&cps); !s.is_ok()) return failed("checkpoints", s);
  for (const auto& c : cps) {
    if (args.json) {
      std::printf("%s\n", checkpoint_json(c).dump().c_str());
    } else {
      std::printf("%llu  seq %llu  nodes %llu  %s\n", static_cast<unsigned long long>(c.id),
                  static_cast<unsigned long long>(c.last_sequence), static_cast<unsigned long long>(c.node_count),
                  tree::to_hex(tree::ByteView(c.digest)).c_str());
    }
  }
  return 0;
}

int oplog_command(int argc, char** argv) {
  if (wants_help(argc, argv)) {
    return help("oplog [--from SEQ] [--limit N] [--archive DIR] [options]",
                "Prints operation records from SEQ (default 1), at most N (default 100), checking each;\n"
                "with --archive, from the archive files in DIR (records that left the live log).");
  }
  StoreArgs args;
  if (!parse_store_args("oplog", argc, argv, &args)) return 2;
  uint64_t from = 1, limit = 100;
  std::string archive;
  for (size_t i = 0; i < args.rest.size(); i += 2) {
    if (args.rest[i] == "--archive" && i + 1 < args.rest.size()) {
      archive = args.rest[i + 1];
      continue;
    }
    uint64_t* target = args.rest[i] == "--from" ? &from : args.rest[i] == "--limit" ? &limit : nullptr;
    if (!target || i + 1 >= args.rest.size() || !number(args.rest[i + 1], target)) {
      std::fprintf(stderr, "basis-tree oplog: bad argument '%s'\n", args.rest[i].c_str());
      return 2;
    }
  }
  if (limit == 0) return 0;
  const uint64_t to = from + limit - 1;
  auto print = [&](const storage::OperationRecord& r) {
    if (r.sequence < from) return true;
    if (r.sequence > to) return false;
    json j = {{"seq", r.sequence}, {"type", std::string(tree::op_type_name(r.type))},
              {"key", tree::to_hex(tree::view(r.key))}, {"value", tree::to_hex(tree::view(r.value))},
              {"delta", r.delta}, {"digest_after", tree::to_hex(tree::ByteView(r.digest_after))}};
    if (args.json) {
      std::printf("%s\n", j.dump().c_str());
    } else {
      std::printf("%llu %s %s %s -> %s\n", static_cast<unsigned long long>(r.sequence),
                  std::string(tree::op_type_name(r.type)).c_str(), j["key"].get<std::string>().c_str(),
                  r.type == tree::OpType::kUpdateLongBy ? std::to_string(r.delta).c_str()
                                                       : j["value"].get<std::string>().c_str(),
                  j["digest_after"].get<std::string>().c_str());
    }
    return true;
  };
  if (!archive.empty()) {
    std::vector<storage::ArchiveFile> files;
    if (tree::Status s = storage::list_archives(archive, &files); !s.is_ok()) return failed("oplog", s);
    for (const auto& f : files) {
      if (f.last < from || f.first > to) continue;
      if (tree::Status s = storage::read_archive(f, print); !s.is_ok()) return failed("oplog", s);
    }
    return 0;
  }
  std::unique_ptr<storage::Database> db;
  if (tree::Status s = open_store(args, &db); !s.is_ok()) return failed("oplog", s);
  std::unique_ptr<storage::Oplog> log;
  if (tree::Status s = storage::Oplog::open(db.get(), &log); !s.is_ok()) return failed("oplog", s);
  if (from > log->last_sequence()) return 0;
  if (from < log->first_sequence()) {
    std::fprintf(stderr, "basis-tree oplog: records before %llu have left the live log; read them with --archive\n",
                 static_cast<unsigned long long>(log->first_sequence()));
    return 1;
  }
  tree::Status s = log->scan(from, std::min(log->last_sequence(), to), print);
  return s.is_ok() ? 0 : failed("oplog", s);
}

int backup_command(int argc, char** argv) {
  if (wants_help(argc, argv)) {
    return help("backup BACKUP_DIR [options]", "Adds an incremental backup of the store to BACKUP_DIR and verifies it.");
  }
  StoreArgs args;
  if (!parse_store_args("backup", argc, argv, &args) || args.rest.size() != 1) return 2;
  std::unique_ptr<storage::Database> db;
  if (tree::Status s = open_store(args, &db); !s.is_ok()) return failed("backup", s);
  if (tree::Status s = storage::create_backup(db.get(), args.rest[0]); !s.is_ok()) return failed("backup", s);
  if (tree::Status s = storage::verify_latest_backup(args.rest[0]); !s.is_ok()) return failed("backup", s);
  std::printf("backed up %s to %s\n", db_path(args.config).c_str(), args.rest[0].c_str());
  return 0;
}

int restore_command(int argc, char** argv) {
  if (wants_help(argc, argv)) {
    return help("restore BACKUP_DIR [options]",
                "Verifies the latest backup in BACKUP_DIR and replaces the store with it.");
  }
  StoreArgs args;
  if (!parse_store_args("restore", argc, argv, &args) || args.rest.size() != 1) return 2;
  if (tree::Status s = storage::verify_latest_backup(args.rest[0]); !s.is_ok()) return failed("restore", s);
  if (tree::Status s = storage::restore_latest_backup(args.rest[0], db_path(args.config)); !s.is_ok()) {
    return failed("restore", s);
  }
  std::printf("restored %s from %s\n", db_path(args.config).c_str(), args.rest[0].c_str());
  return 0;
}

int compact_command(int argc, char** argv) {
  if (wants_help(argc, argv)) return help("compact [options]", "Compacts every family of the store.");
  StoreArgs args;
  if (!parse_store_args("compact", argc, argv, &args) || !args.rest.empty()) return 2;
  std::unique_ptr<storage::Database> db;
  if (tree::Status s = open_store(args, &db); !s.is_ok()) return failed("compact", s);
  if (tree::Status s = db->compact({storage::Family::kNodes, storage::Family::kOperations, storage::Family::kCheckpoints,
                                     storage::Family::kMetadata, storage::Family::kNotes});
      !s.is_ok()) {
    return failed("compact", s);
  }
  std::printf("compacted %s\n", db_path(args.config).c_str());
  return 0;
}

}  // namespace basis::tools
