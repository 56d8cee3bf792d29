// rollback: a closed store's tree becomes an earlier version, as
// POST /v1/trees/{name}/rollback makes a running one's (engine/rollback.h).
// The next start replays through the rollback record and checkpoints it.
#include <cstdio>

#include "engine/recovery.h"
#include "engine/rollback.h"
#include "storage/oplog.h"
#include "tools/admin.h"

namespace basis::tools {

namespace {

nlohmann::json hex(const tree::Digest& d) { return tree::to_hex(tree::ByteView(d)); }

}  // namespace

int rollback_command(int argc, char** argv) {
  CommandLine cli("basis-tree rollback",
                  "(--to-seq N | --to-checkpoint ID | --to-digest HEX) [--tree NAME] [--yes] [options]",
                  "Makes one tree the version after operation N, of a retained checkpoint, or the newest\n"
                  "retained version with a digest. The log records the rollback as an entry of its own (the\n"
                  "undone records stay, for audit); later operations continue the sequence; pins stay.\n"
                  "Without --yes it only says what would be undone.");
  StoreArgs args;
  uint64_t seq = UINT64_MAX, checkpoint = UINT64_MAX;
  std::string digest_hex;
  bool yes = false;
  cli.number("--to-seq", "N", &seq, "the version after operation N (0: the empty tree)", 0);
  cli.number("--to-checkpoint", "ID", &checkpoint, "a retained checkpoint's version", 0);
  cli.text("--to-digest", "HEX", &digest_hex, "the newest retained version with this digest (66 hex digits)");
  cli.flag("--yes", &yes, "roll back (without it: only say what would be undone)");
  add_tree_option(&cli, &args);
  add_store_options(&cli, &args);
  cli.footer("JSON: rolled_back, store, tree, digest_before, digest, to_seq, undone, seq (the rollback's record;\n"
             "null when nothing was written).\n"
             "Exit code 0: rolled back, or nothing to undo; 1: refused, failed, or not confirmed.");
  if (int code = parse_store_args(&cli, argc, argv, &args); code >= 0) return code;
  const int given = (seq != UINT64_MAX) + (checkpoint != UINT64_MAX) + !digest_hex.empty();
  if (given != 1) return cli.usage_error("give exactly one of --to-seq, --to-checkpoint, --to-digest");
  RollbackTarget target = seq != UINT64_MAX ? RollbackTarget::sequence(seq) : RollbackTarget::checkpoint(checkpoint);
  if (!digest_hex.empty()) {
    tree::Digest d;
    if (!tree::digest_from_hex(digest_hex, &d)) {
      return cli.usage_error("--to-digest takes " + std::to_string(2 * tree::kDigestSize) + " hex digits");
    }
    target = RollbackTarget::to_digest(d);
  }
  std::unique_ptr<storage::Database> db;
  if (tree::Status s = open_store(args, &db); !s.is_ok()) return failed(args, s);
  TreeChoice t;
  if (tree::Status s = choose_tree(*db, args, &t); !s.is_ok()) return failed(args, s);
  engine::Recovered live;
  if (tree::Status s = engine::recover(db.get(), t.config, &live); !s.is_ok()) return failed(args, s);
  engine::RollbackPlan plan;
  if (tree::Status s = engine::plan_rollback(db.get(), t.config, *live.prover, live.last_sequence, target, &plan);
      !s.is_ok()) {
    return failed(args, s);
  }
  const RollbackResult& r = plan.result;
  if (plan.needed && yes) {
    std::unique_ptr<storage::Oplog> log;
    tree::Status s = storage::Oplog::open(db.get(), &log, t.keyspace);
    // The append moves the durable mark when it is the default tree's log
    // (the mark follows that log only).
    if (s.is_ok()) s = log->append(std::span<const storage::OperationRecord>(&plan.record, 1), plan.notes, true);
    if (!s.is_ok()) return failed(args, s);
  }
  const bool done = plan.needed && yes;
  const std::string label = t.is_default() ? "" : "tree " + t.name + ": ";  // the default tree's lines as before
  if (args.json) {
    print_json({{"rolled_back", done},
                {"store", db_path(args.config)},
                {"tree", t.name},
                {"digest_before", hex(r.digest_before)},
                {"digest", hex(plan.needed ? r.digest : r.digest_before)},
                {"to_seq", r.rolled_back_to},
                {"undone", r.undone},
                {"seq", done ? nlohmann::json(r.sequence) : nlohmann::json(nullptr)}});
  } else if (!plan.needed) {
    std::printf("%snothing to undo: the tree is the version after operation %llu already\n", label.c_str(),
                static_cast<unsigned long long>(r.rolled_back_to));
  } else {
    std::printf("%s%s the version after operation %llu (digest %s): %llu log records undone%s\n", label.c_str(),
                done ? "rolled back to" : "would roll back to", static_cast<unsigned long long>(r.rolled_back_to),
                tree::to_hex(tree::ByteView(r.digest)).c_str(), static_cast<unsigned long long>(r.undone),
                done ? (", recorded as operation " + std::to_string(r.sequence)).c_str() : "; run again with --yes");
  }
  return !plan.needed || done ? 0 : 1;
}

}  // namespace basis::tools
