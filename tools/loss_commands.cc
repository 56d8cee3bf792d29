// accept-loss: the operator's confirmation that a store whose write-ahead log
// was damaged or cut serves from where its log recovers to.
#include <cstdio>
#include <filesystem>
#include <cstring>

#include "storage/durable_mark.h"
#include "storage/oplog.h"
#include "tools/admin.h"

namespace basis::tools {

int accept_loss_command(int argc, char** argv) {
  CommandLine cli("basis-tree accept-loss", "--yes [options]",
                  "For a store refused because its write-ahead log recovers below its durable mark\n"
                  "(the log was damaged or cut), or because the mark is missing or damaged: reads the log\n"
                  "up to the damage, moves the mark back to where it ends, and notes the lost range in\n"
                  "<data_dir>/db.losses. The operations after it are lost for good; new operations are\n"
                  "numbered from the recovered sequence + 1. Restoring a backup loses less, if there is one.\n"
                  "Without --yes it only says what would be lost.");
  StoreArgs args;
  bool yes = false;
  cli.flag("--yes", &yes, "accept the loss (without it: only say what is refused)");
  add_store_options(&cli, &args);
  cli.footer("JSON: accepted, refused, store; when nothing is refused: recovered_seq, mark; when refused\n"
             "without --yes: reason; when accepted: serves_from, digest (null: the empty tree), mark,\n"
             "lost {first, last} or null, next_seq, losses_file.\n"
             "Exit code 0: nothing to accept, or accepted; 1: refused without --yes, or failed.");
  if (int code = parse_store_args(&cli, argc, argv, &args); code >= 0) return code;
  storage::DatabaseOptions o;
  o.path = db_path(args.config);
  o.params = tree::TreeParams{args.config.tree.key_length, args.config.tree.value_length};
  o.create_if_missing = false;
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::path(o.path) / "CURRENT", ec)) {  // nothing to lose
    return failed(args, tree::Status(tree::ErrorKind::kNotFound, "no store in " + o.path));
  }
  std::unique_ptr<storage::Database> db;
  // First as a start would open it: is anything refused at all?
  tree::Status refused = storage::Database::open(o, &db);
  if (refused.is_ok()) {
    const storage::MarkCheck& c = db->mark_check();
    if (args.json) {
      print_json({{"accepted", false}, {"refused", false}, {"store", o.path}, {"recovered_seq", c.recovered},
                  {"mark", c.mark}});
    } else {
      std::printf("nothing to accept: %s opens, its log recovers through %llu (durable mark %llu)\n", o.path.c_str(),
                  static_cast<unsigned long long>(c.recovered), static_cast<unsigned long long>(c.mark));
    }
    return 0;
  }
  if (refused.kind() == tree::ErrorKind::kBusy) return failed(args, refused);  // in use: nothing to accept
  if (!yes) {
    if (args.json) {
      print_json({{"accepted", false}, {"refused", true}, {"store", o.path}, {"reason", refused.message()}});
    } else {
      std::printf("%s is refused: %s\nRun again with --yes to accept the loss.\n", o.path.c_str(),
                  refused.message().c_str());
    }
    return 1;
  }
  o.accept_lost_log_tail = true;
  if (tree::Status s = storage::Database::open(o, &db); !s.is_ok()) return failed(args, s);
  const storage::MarkCheck& c = db->mark_check();
  std::unique_ptr<storage::Oplog> log;
  if (tree::Status s = storage::Oplog::open(db.get(), &log); !s.is_ok()) return failed(args, s);
  const uint64_t mark = c.had_mark ? c.mark : c.recovered;
  const bool lost = c.had_mark && c.mark > c.recovered;
  const std::string digest = log->last_digest() ? tree::to_hex(tree::ByteView(*log->last_digest())) : "";
  if (args.json) {
    print_json({{"accepted", true},
                {"refused", true},
                {"store", o.path},
                {"serves_from", c.recovered},
                {"digest", digest.empty() ? nlohmann::json(nullptr) : nlohmann::json(digest)},
                {"mark", mark},
                {"lost", lost ? nlohmann::json{{"first", c.recovered + 1}, {"last", c.mark}} : nlohmann::json(nullptr)},
                {"next_seq", c.recovered + 1},
                {"losses_file", o.path + ".losses"}});
    return 0;
  }
  std::printf("accepted: %s serves from sequence %llu (digest %s); the durable mark said %llu", o.path.c_str(),
              static_cast<unsigned long long>(c.recovered), digest.empty() ? "(empty tree)" : digest.c_str(),
              static_cast<unsigned long long>(mark));
  if (lost) {
    std::printf(", so operations %llu..%llu are lost", static_cast<unsigned long long>(c.recovered + 1),
                static_cast<unsigned long long>(c.mark));
  }
  std::printf("; new operations are numbered from %llu. Noted in %s.losses\n",
              static_cast<unsigned long long>(c.recovered + 1), o.path.c_str());
  return 0;
}

}  // namespace basis::tools
