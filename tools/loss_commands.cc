// accept-loss: the operator's confirmation that a store whose write-ahead log
// was damaged or cut serves from where its log recovers to.
#include <cstdio>
#include <cstring>

#include "storage/durable_mark.h"
#include "storage/oplog.h"
#include "tools/admin.h"

namespace basis::tools {

int accept_loss_command(int argc, char** argv) {
  if (wants_help(argc, argv)) {
    std::printf(
        "usage: basis-tree accept-loss --yes [--config FILE] [--data-dir DIR]\n"
        "For a store refused because its write-ahead log recovers below its durable mark\n"
        "(the log was damaged or cut), or because the mark is missing or damaged: reads the log\n"
        "up to the damage, moves the mark back to where it ends, and notes the lost range in\n"
        "<data_dir>/db.losses. The operations after it are lost for good; new operations are\n"
        "numbered from the recovered sequence + 1. Restoring a backup loses less, if there is one.\n"
        "Without --yes it only says what would be lost.\n");
    return 0;
  }
  StoreArgs args;
  if (!parse_store_args("accept-loss", argc, argv, &args)) return 2;
  bool yes = false;
  for (const std::string& a : args.rest) {
    if (a != "--yes") {
      std::fprintf(stderr, "basis-tree accept-loss: bad argument '%s'\n", a.c_str());
      return 2;
    }
    yes = true;
  }
  storage::DatabaseOptions o;
  o.path = db_path(args.config);
  o.params = tree::TreeParams{args.config.tree.key_length, args.config.tree.value_length};
  o.create_if_missing = false;
  std::unique_ptr<storage::Database> db;
  // First as a start would open it: is anything refused at all?
  tree::Status refused = storage::Database::open(o, &db);
  if (refused.is_ok()) {
    std::printf("nothing to accept: %s opens, its log recovers through %llu (durable mark %llu)\n", o.path.c_str(),
                static_cast<unsigned long long>(db->mark_check().recovered),
                static_cast<unsigned long long>(db->mark_check().mark));
    return 0;
  }
  if (!yes) {
    std::printf("%s is refused: %s\nRun again with --yes to accept the loss.\n", o.path.c_str(),
                refused.message().c_str());
    return 1;
  }
  o.accept_lost_log_tail = true;
  if (tree::Status s = storage::Database::open(o, &db); !s.is_ok()) {
    std::fprintf(stderr, "basis-tree accept-loss: %s\n", s.to_string().c_str());
    return 1;
  }
  const storage::MarkCheck& c = db->mark_check();
  std::unique_ptr<storage::Oplog> log;
  if (tree::Status s = storage::Oplog::open(db.get(), &log); !s.is_ok()) {
    std::fprintf(stderr, "basis-tree accept-loss: %s\n", s.to_string().c_str());
    return 1;
  }
  std::printf("accepted: %s serves from sequence %llu (digest %s); the durable mark said %llu",
              o.path.c_str(), static_cast<unsigned long long>(c.recovered),
              log->last_digest() ? tree::to_hex(tree::ByteView(*log->last_digest())).c_str() : "(empty tree)",
              static_cast<unsigned long long>(c.had_mark ? c.mark : c.recovered));
  if (c.had_mark && c.mark > c.recovered) {
    std::printf(", so operations %llu..%llu are lost", static_cast<unsigned long long>(c.recovered + 1),
                static_cast<unsigned long long>(c.mark));
  }
  std::printf("; new operations are numbered from %llu. Noted in %s.losses\n",
              static_cast<unsigned long long>(c.recovered + 1), o.path.c_str());
  return 0;
}

}  // namespace basis::tools
