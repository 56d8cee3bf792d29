// inspect, checkpoints and oplog: the commands that only read.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <set>

#include "storage/checkpoint_store.h"
#include "storage/keyspace_size.h"
#include "storage/notes.h"
#include "storage/oplog.h"
#include "storage/oplog_archive.h"
#include "storage/retention.h"
#include "tools/admin.h"
#include "tools/progress.h"

namespace basis::tools {

using nlohmann::json;

int inspect_command(int argc, char** argv) {
  CommandLine cli("basis-tree inspect", "[--tree NAME] [options]",
                  "Prints one tree's keys, nodes, bytes per family, last sequence, checkpoints and digest.");
  StoreArgs args;
  add_tree_option(&cli, &args);
  add_store_options(&cli, &args);
  cli.footer("JSON: data_dir, tree, keys, nodes_estimate, bytes {family: bytes}, last_seq, digest, checkpoints (the\n"
             "count), latest_checkpoint (as in `checkpoints`, or null). A named tree's bytes are RocksDB's estimate\n"
             "of its part of the t.* families, and its nodes are counted (the families are shared).");
  if (int code = parse_store_args(&cli, argc, argv, &args); code >= 0) return code;
  std::unique_ptr<storage::Database> db;
  if (tree::Status s = open_store(args, &db); !s.is_ok()) return failed(args, s);
  TreeChoice t;
  if (tree::Status s = choose_tree(*db, args, &t); !s.is_ok()) return failed(args, s);
  std::unique_ptr<storage::Oplog> log;
  if (tree::Status s = storage::Oplog::open(db.get(), &log, t.keyspace); !s.is_ok()) return failed(args, s);
  uint64_t keys = 0;
  {
    // t.notes holds every named tree's: no total for one of them.
    Progress progress(args.progress(), "counting keys", "keys",
                      t.is_default() ? db->estimated_keys(storage::Family::kNotes) : 0);
    tree::Status s = storage::scan_notes(*db, t.config.tree.key_length, [&](storage::Note&&) {
      if (++keys % 4096 == 0) progress.update(keys);
      return true;
    }, t.keyspace);
    if (!s.is_ok()) return failed(args, s);
  }
  uint64_t nodes = db->estimated_keys(storage::Family::kNodes);
  if (!t.is_default()) {
    // t.nodes holds every named tree's: this one's are counted.
    Progress progress(args.progress(), "counting nodes", "nodes", 2 * keys + 1);
    tree::Status s = storage::count_keyspace_records(*db, storage::Family::kNodes, t.keyspace, &nodes,
                                                     [&](uint64_t n) { progress.update(n); });
    if (!s.is_ok()) return failed(args, s);
  }
  std::vector<storage::CheckpointRecord> cps;
  if (tree::Status s = storage::CheckpointStore(db.get(), t.keyspace).list(&cps); !s.is_ok()) return failed(args, s);
  json bytes = json::object();
  for (auto f : storage::kFamilies) {
    bytes[std::string(storage::family_name(t.keyspace.family(f)))] = storage::keyspace_bytes(*db, f, t.keyspace);
  }
  json out = {{"data_dir", args.config.storage.data_dir},
              {"tree", t.name},
              {"keys", keys},
              {"nodes_estimate", nodes},
              {"bytes", bytes},
              {"last_seq", log->last_sequence()},
              {"digest", log->last_digest() ? tree::to_hex(tree::ByteView(*log->last_digest())) : ""},
              {"checkpoints", cps.size()},
              {"latest_checkpoint", cps.empty() ? json(nullptr) : checkpoint_json(cps.front())}};
  if (args.json) {
    print_json(out);
    return 0;
  }
  std::printf("data dir      %s\ntree          %s\nkeys          %llu\nnodes         %s%llu\nlast sequence %llu\n"
              "digest        %s\ncheckpoints   %zu%s\nbytes\n",
              args.config.storage.data_dir.c_str(), t.name.c_str(), static_cast<unsigned long long>(keys),
              t.is_default() ? "~" : "", static_cast<unsigned long long>(nodes),
              static_cast<unsigned long long>(log->last_sequence()), out["digest"].get<std::string>().c_str(),
              cps.size(), cps.empty() ? "" : (" (latest " + std::to_string(cps.front().id) + ")").c_str());
  for (auto& [family, n] : bytes.items()) {
    std::printf("  %-12s %s%llu\n", family.c_str(), t.is_default() ? "" : "~", static_cast<unsigned long long>(n));
  }
  return 0;
}

int trees_command(int argc, char** argv) {
  CommandLine cli("basis-tree trees", "[options]",
                  "Lists the store's trees (the default tree, then the named ones by name) with their\n"
                  "parameters, last sequence, digest and checkpoints.");
  StoreArgs args;
  add_store_options(&cli, &args);
  cli.footer("JSON: {\"trees\":[{name, id, key_length, value_length (null: any length), last_seq, digest (null:\n"
             "the empty tree), checkpoints (the count), latest_checkpoint (its id, or null)}]}, as the daemon's\n"
             "GET /v1/trees lists them (with id and the checkpoints beside).");
  if (int code = parse_store_args(&cli, argc, argv, &args); code >= 0) return code;
  std::unique_ptr<storage::Database> db;
  if (tree::Status s = open_store(args, &db); !s.is_ok()) return failed(args, s);
  std::vector<TreeChoice> trees;
  if (tree::Status s = store_trees(*db, args, &trees); !s.is_ok()) return failed(args, s);
  json list = json::array();
  for (const TreeChoice& t : trees) {
    std::unique_ptr<storage::Oplog> log;
    if (tree::Status s = storage::Oplog::open(db.get(), &log, t.keyspace); !s.is_ok()) return failed(args, s);
    std::vector<storage::CheckpointRecord> cps;
    if (tree::Status s = storage::CheckpointStore(db.get(), t.keyspace).list(&cps); !s.is_ok()) return failed(args, s);
    const auto& value_length = t.config.tree.value_length;
    const auto digest = log->last_digest();
    list.push_back({{"name", t.name},
                    {"id", t.config.tree.id},
                    {"key_length", t.config.tree.key_length},
                    {"value_length", value_length ? json(*value_length) : json(nullptr)},
                    {"last_seq", log->last_sequence()},
                    {"digest", digest ? json(tree::to_hex(tree::ByteView(*digest))) : json(nullptr)},
                    {"checkpoints", cps.size()},
                    {"latest_checkpoint", cps.empty() ? json(nullptr) : json(cps.front().id)}});
    if (!args.json) {
      std::printf("%-20s id %-4u key %-3u value %-5s seq %-8llu checkpoints %-3zu %s\n", t.name.c_str(),
                  t.config.tree.id, t.config.tree.key_length,
                  value_length ? std::to_string(*value_length).c_str() : "any",
                  static_cast<unsigned long long>(log->last_sequence()), cps.size(),
                  digest ? tree::to_hex(tree::ByteView(*digest)).c_str() : "(empty tree)");
    }
  }
  if (args.json) print_json({{"trees", list}});
  return 0;
}

int checkpoints_command(int argc, char** argv) {
  CommandLine cli("basis-tree checkpoints", "[--tree NAME] [options]",
                  "Lists one tree's retained checkpoints, newest first, and which are pinned.");
  StoreArgs args;
  add_tree_option(&cli, &args);
  add_store_options(&cli, &args);
  cli.footer("JSON: {\"tree\":NAME,\"checkpoints\":[{id, timestamp_ms, digest, last_seq, node_count, pinned}]},\n"
             "newest first, as the daemon's GET /v1/checkpoints answers.");
  if (int code = parse_store_args(&cli, argc, argv, &args); code >= 0) return code;
  std::unique_ptr<storage::Database> db;
  if (tree::Status s = open_store(args, &db); !s.is_ok()) return failed(args, s);
  TreeChoice t;
  if (tree::Status s = choose_tree(*db, args, &t); !s.is_ok()) return failed(args, s);
  std::vector<storage::CheckpointRecord> cps;
  if (tree::Status s = storage::CheckpointStore(db.get(), t.keyspace).list(&cps); !s.is_ok()) return failed(args, s);
  std::set<uint64_t> pinned;
  if (tree::Status s = storage::pinned_checkpoints(*db, &pinned, t.keyspace); !s.is_ok()) return failed(args, s);
  json list = json::array();
  for (const auto& c : cps) {
    json j = checkpoint_json(c);
    j["pinned"] = pinned.count(c.id) > 0;
    list.push_back(j);
    if (!args.json) {
      std::printf("%llu  seq %llu  nodes %llu  %s%s\n", static_cast<unsigned long long>(c.id),
                  static_cast<unsigned long long>(c.last_sequence), static_cast<unsigned long long>(c.node_count),
                  tree::to_hex(tree::ByteView(c.digest)).c_str(), pinned.count(c.id) ? "  pinned" : "");
    }
  }
  if (args.json) print_json({{"tree", t.name}, {"checkpoints", list}});
  return 0;
}

namespace {

// Prints the records of one page, as text lines or as the "records" array
// of one JSON object streamed as it is read (a page may be millions).
class OplogPrinter {
 public:
  OplogPrinter(bool as_json, const std::string& tree, uint64_t from, uint64_t to, Progress* progress)
      : json_(as_json), from_(from), to_(to), progress_(progress) {
    if (json_) {
      std::printf("{\"tree\":%s,\"records\":[", json(tree).dump(-1, ' ', false, json::error_handler_t::replace).c_str());
    }
  }

  // For a scan: false once past the page.
  bool operator()(const storage::OperationRecord& r) {
    if (r.sequence < from_) return true;
    if (r.sequence > to_) return false;
    if (json_) {
      std::printf("%s%s", printed_ ? "," : "", operation_json(r).dump(-1, ' ', false, json::error_handler_t::replace).c_str());
    } else if (r.rollback) {
      std::printf("%llu Rollback to %llu -> %s\n", static_cast<unsigned long long>(r.sequence),
                  static_cast<unsigned long long>(r.rolled_back_to), tree::to_hex(tree::ByteView(r.digest_after)).c_str());
    } else {
      std::printf("%llu %s %s %s -> %s\n", static_cast<unsigned long long>(r.sequence),
                  std::string(tree::op_type_name(r.type)).c_str(), tree::to_hex(tree::view(r.key)).c_str(),
                  r.type == tree::OpType::kUpdateLongBy ? std::to_string(r.delta).c_str()
                                                       : tree::to_hex(tree::view(r.value)).c_str(),
                  tree::to_hex(tree::ByteView(r.digest_after)).c_str());
    }
    if (++printed_ % 1024 == 0) progress_->update(printed_);
    return true;
  }

  // Ends the page: `next` is the --from of the page after it (0: none).
  int finish(const StoreArgs& args, const tree::Status& s, uint64_t next) {
    progress_->finish();
    if (!json_) return s.is_ok() ? 0 : failed(args, s);
    std::printf("],\"next\":%s", next && s.is_ok() ? std::to_string(next).c_str() : "null");
    if (!s.is_ok()) {
      json error = {{"code", std::string(tree::error_kind_name(s.kind()))}, {"message", s.message()}};
      std::printf(",\"error\":%s", error.dump(-1, ' ', false, json::error_handler_t::replace).c_str());
    }
    std::printf("}\n");
    return s.is_ok() ? 0 : 1;
  }

 private:
  const bool json_;
  const uint64_t from_, to_;
  Progress* progress_;
  uint64_t printed_ = 0;
};

}  // namespace

int oplog_command(int argc, char** argv) {
  CommandLine cli("basis-tree oplog", "[--tree NAME] [--from SEQ] [--limit N] [--archive DIR] [options]",
                  "Prints one tree's operation records from SEQ, at most N, checking each; with --archive,\n"
                  "from the archive files in DIR (records that left the live log; a named tree's archive\n"
                  "is <archive_dir>/trees/NAME).");
  StoreArgs args;
  add_tree_option(&cli, &args);
  uint64_t from = 1, limit = 100;
  std::string archive;
  cli.number("--from", "SEQ", &from, "the first sequence (default 1)", 1);
  cli.number("--limit", "N", &limit, "at most this many records (default 100; at least 1)", 1);
  cli.text("--archive", "DIR", &archive, "read the archive files in DIR instead of the live log");
  add_store_options(&cli, &args);
  cli.footer("Text: SEQ TYPE KEY VALUE|DELTA -> DIGEST_AFTER, a line each.\n"
             "JSON: {\"tree\":NAME,\"records\":[...],\"next\":SEQ|null}, each record as the daemon's GET /v1/oplog gives it:\n"
             "seq, type, timestamp_ms, key, previous (the value before, or null), digest_before,\n"
             "digest_after, and value (Insert, Update, InsertOrUpdate) or delta (UpdateLongBy); next is\n"
             "the --from of the following page, null when no record follows. An error after records\n"
             "were printed ends the object with \"error\" beside them.");
  if (int code = parse_store_args(&cli, argc, argv, &args); code >= 0) return code;
  // The page's last sequence, saturating: --from near 2^64 must not wrap.
  const uint64_t to = from > UINT64_MAX - (limit - 1) ? UINT64_MAX : from + (limit - 1);
  // A line while records go to a file: on a terminal they are the progress.
  const bool show = args.progress() && isatty(STDOUT_FILENO) == 0;
  if (!archive.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_directory(archive, ec)) {  // a mistyped path is not an empty archive
      return failed(args, tree::Status(tree::ErrorKind::kNotFound, "no archive directory " + archive));
    }
    std::vector<storage::ArchiveFile> files;
    if (tree::Status s = storage::list_archives(archive, &files); !s.is_ok()) return failed(args, s);
    uint64_t total = 0, next = 0;
    for (const auto& f : files) {
      if (f.last >= from && f.first <= to) total += std::min(f.last, to) - std::max(f.first, from) + 1;
      // The first record after the page: in the earliest file that has one.
      if (f.last > to && to != UINT64_MAX) {
        const uint64_t after = std::max(to + 1, f.first);
        next = next == 0 ? after : std::min(next, after);
      }
    }
    Progress progress(show, "reading archive", "records", total);
    OplogPrinter print(args.json, args.tree, from, to, &progress);
    tree::Status s;
    for (const auto& f : files) {
      if (f.last < from || f.first > to) continue;
      if (s = storage::read_archive(f, std::ref(print)); !s.is_ok()) break;
    }
    return print.finish(args, s, next);
  }
  std::unique_ptr<storage::Database> db;
  if (tree::Status s = open_store(args, &db); !s.is_ok()) return failed(args, s);
  TreeChoice t;
  if (tree::Status s = choose_tree(*db, args, &t); !s.is_ok()) return failed(args, s);
  std::unique_ptr<storage::Oplog> log;
  if (tree::Status s = storage::Oplog::open(db.get(), &log, t.keyspace); !s.is_ok()) return failed(args, s);
  const uint64_t last = log->last_sequence();
  if (from <= last && from < log->first_sequence()) {
    return failed(args, tree::Status(tree::ErrorKind::kNotFound,
                                     "records before " + std::to_string(log->first_sequence()) +
                                         " have left the live log; read them with --archive"));
  }
  const uint64_t page_last = std::min(last, to);
  Progress progress(show, "reading log", "records", from <= page_last ? page_last - from + 1 : 0);
  OplogPrinter print(args.json, t.name, from, to, &progress);
  tree::Status s = from <= page_last ? log->scan(from, page_last, std::ref(print)) : tree::Status::ok();
  return print.finish(args, s, to < last ? to + 1 : 0);
}

}  // namespace basis::tools
