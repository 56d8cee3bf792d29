// backup, restore and compact: the commands that copy or rewrite the store's
// files.
#include <atomic>
#include <cstdio>
#include <filesystem>

#include "storage/backup.h"
#include "storage/oplog.h"
#include "tools/admin.h"
#include "tools/progress.h"

namespace basis::tools {

using nlohmann::json;

namespace {

// The bytes of the regular files in `dir` written since `since`: what a
// restore has copied so far (it writes a staging directory beside the store).
uint64_t bytes_written_since(const std::string& dir, std::filesystem::file_time_type since) {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::error_code file_ec;
    if (e.is_regular_file(file_ec) && e.last_write_time(file_ec) >= since) total += e.file_size(file_ec);
  }
  return total;
}

// What the store of `args` holds, in words: its last sequence and digest,
// or why it cannot be opened (in use, damaged).
std::string describe_store(const StoreArgs& args) {
  std::unique_ptr<storage::Database> db;
  if (tree::Status s = open_store(args, &db); !s.is_ok()) return "a store that does not open (" + s.message() + ")";
  std::unique_ptr<storage::Oplog> log;
  if (tree::Status s = storage::Oplog::open(db.get(), &log); !s.is_ok()) {
    return "a log that cannot be read (" + s.message() + ")";
  }
  const auto digest = log->last_digest();
  return "operations through sequence " + std::to_string(log->last_sequence()) +
         (digest ? " (digest " + tree::to_hex(tree::ByteView(*digest)) + ")" : std::string(" (the empty tree)"));
}

json backup_json(const storage::BackupSummary& b) {
  return {{"id", b.id}, {"timestamp", b.timestamp}, {"bytes", b.bytes}, {"files", b.files}};
}

}  // namespace

int backup_command(int argc, char** argv) {
  CommandLine cli("basis-tree backup", "BACKUP_DIR [options]",
                  "Adds an incremental backup of the store to BACKUP_DIR and verifies it: every tree (the\n"
                  "default and the named ones, and the catalog of them) at one consistent point, as RocksDB\n"
                  "copies the whole database (its column families and write-ahead log) at once. Archives of\n"
                  "records that left the log (archive_dir) are files outside the store: copy them apart.");
  StoreArgs args;
  add_store_options(&cli, &args);
  cli.arguments("BACKUP_DIR", &args.rest, 1, 1);
  cli.footer("JSON: store, backup_dir, backup {id, timestamp (Unix seconds), bytes, files}, verified (true).");
  if (int code = parse_store_args(&cli, argc, argv, &args); code >= 0) return code;
  const std::string& dir = args.rest[0];
  std::unique_ptr<storage::Database> db;
  if (tree::Status s = open_store(args, &db); !s.is_ok()) return failed(args, s);
  {
    // The whole store: an incremental backup copies less and ends early.
    Progress progress(args.progress(), "backing up", "bytes", db->disk_bytes());
    if (tree::Status s = storage::create_backup(db.get(), dir, [&](uint64_t copied) { progress.update(copied); });
        !s.is_ok()) {
      return failed(args, s);
    }
  }
  {
    Progress progress(args.progress(), "verifying backup", "bytes");
    progress.poll([] { return 0; });  // the time it takes, nothing to count
    if (tree::Status s = storage::verify_latest_backup(dir); !s.is_ok()) return failed(args, s);
  }
  storage::BackupSummary b;
  if (tree::Status s = storage::latest_backup(dir, &b); !s.is_ok()) return failed(args, s);
  if (args.json) {
    print_json({{"store", db_path(args.config)}, {"backup_dir", dir}, {"backup", backup_json(b)}, {"verified", true}});
  } else {
    std::printf("backed up %s to %s (backup %u, %llu bytes, verified)\n", db_path(args.config).c_str(), dir.c_str(),
                b.id, static_cast<unsigned long long>(b.bytes));
  }
  return 0;
}

int restore_command(int argc, char** argv) {
  CommandLine cli("basis-tree restore", "BACKUP_DIR [--yes] [options]",
                  "Verifies the latest backup in BACKUP_DIR and replaces the store with it: every tree is\n"
                  "as it was at the backup (trees created since are gone, trees dropped since are back). A\n"
                  "store that exists is replaced only with --yes (what it holds after the backup is lost); a\n"
                  "store a running process holds is never touched.");
  StoreArgs args;
  bool yes = false;
  cli.flag("--yes", &yes, "replace a store that exists (without it: only say what it holds)");
  add_store_options(&cli, &args);
  cli.arguments("BACKUP_DIR", &args.rest, 1, 1);
  cli.footer("JSON: store, backup_dir, backup {id, timestamp (Unix seconds), bytes, files}, restored, replaced_store_kept_in (or null);\n"
             "without --yes over a store that exists: restored false, store_holds (what it holds).\n"
             "Exit code 0: restored; 1: refused (a store without --yes, a store in use) or failed.");
  if (int code = parse_store_args(&cli, argc, argv, &args); code >= 0) return code;
  const std::string& dir = args.rest[0];
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {  // RocksDB would create it, empty
    return failed(args, tree::Status(tree::ErrorKind::kNotFound, "no backup directory " + dir));
  }
  storage::BackupSummary b;
  if (tree::Status s = storage::latest_backup(dir, &b); !s.is_ok()) return failed(args, s);
  if (std::filesystem::exists(std::filesystem::path(db_path(args.config)) / "CURRENT", ec)) {
    // A store is there: say what it holds (it may be the damaged store the
    // backup is meant to replace) and replace it only when told to.
    std::string holds = describe_store(args);
    if (!yes) {
      if (args.json) {
        print_json({{"store", db_path(args.config)}, {"backup_dir", dir}, {"backup", backup_json(b)},
                    {"restored", false}, {"store_holds", holds}});
      } else {
        std::printf("%s exists and holds %s.\nRestoring backup %u replaces it: whatever it holds after the "
                    "backup is lost. Run again with --yes to restore.\n",
                    db_path(args.config).c_str(), holds.c_str(), b.id);
      }
      return 1;
    }
  }
  {
    Progress progress(args.progress(), "verifying backup", "bytes");
    progress.poll([] { return 0; });  // the time it takes, nothing to count
    if (tree::Status s = storage::verify_latest_backup(dir); !s.is_ok()) return failed(args, s);
  }
  const std::string store = db_path(args.config);
  std::string replaced;
  {
    // RocksDB's restore reports nothing: its progress is what it has written.
    Progress progress(args.progress(), "restoring", "bytes", b.bytes);
    const auto started = std::filesystem::file_time_type::clock::now();
    progress.poll([&] { return bytes_written_since(store + ".restoring", started); });
    if (tree::Status s = storage::restore_latest_backup(dir, store, &replaced); !s.is_ok()) return failed(args, s);
  }
  if (args.json) {
    print_json({{"store", store}, {"backup_dir", dir}, {"backup", backup_json(b)}, {"restored", true},
                {"replaced_store_kept_in", replaced.empty() ? json(nullptr) : json(replaced)}});
  } else {
    std::printf("restored %s from %s (backup %u)\n", store.c_str(), dir.c_str(), b.id);
    if (!replaced.empty()) std::printf("the store it replaced is kept in %s: remove it when done\n", replaced.c_str());
  }
  return 0;
}

int compact_command(int argc, char** argv) {
  CommandLine cli("basis-tree compact", "[options]",
                  "Compacts every family of the store: the default tree's, then the named trees' (t.*).");
  StoreArgs args;
  add_store_options(&cli, &args);
  cli.footer("JSON: store, compacted (the families), bytes_before and bytes_after {family: table bytes}.");
  if (int code = parse_store_args(&cli, argc, argv, &args); code >= 0) return code;
  std::unique_ptr<storage::Database> db;
  if (tree::Status s = open_store(args, &db); !s.is_ok()) return failed(args, s);
  std::vector<storage::Family> families;
  for (int f = 0; f < storage::kFamilyCount; ++f) {
    if (db->handle(static_cast<storage::Family>(f)) != nullptr) families.push_back(static_cast<storage::Family>(f));
  }
  json before = json::object(), after = json::object(), names = json::array();
  uint64_t total = 0;
  for (auto f : families) {
    before[std::string(storage::family_name(f))] = db->family_bytes(f);
    total += db->family_bytes(f);
  }
  {
    // One family at a time, counted by its bytes: RocksDB reports nothing
    // inside one.
    Progress progress(args.progress(), "compacting", "bytes", total);
    std::atomic<uint64_t> done{0};
    progress.poll([&] { return done.load(); });
    for (auto f : families) {
      uint64_t bytes = db->family_bytes(f);
      if (tree::Status s = db->compact({f}); !s.is_ok()) return failed(args, s);
      done += bytes;
      names.push_back(std::string(storage::family_name(f)));
    }
  }
  for (auto f : families) after[std::string(storage::family_name(f))] = db->family_bytes(f);
  if (args.json) {
    print_json({{"store", db_path(args.config)}, {"compacted", names}, {"bytes_before", before}, {"bytes_after", after}});
    return 0;
  }
  uint64_t sum_after = 0;
  for (auto f : families) sum_after += db->family_bytes(f);
  std::printf("compacted %s: %llu bytes of tables before, %llu after\n", db_path(args.config).c_str(),
              static_cast<unsigned long long>(total), static_cast<unsigned long long>(sum_after));
  return 0;
}

}  // namespace basis::tools
