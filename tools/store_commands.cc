// backup, restore and compact: the commands that copy or rewrite the store's
// files.
#include <atomic>
#include <cstdio>
#include <filesystem>

#include "storage/backup.h"
#include "tools/admin.h"
#include "tools/progress.h"

namespace basis::tools {

using nlohmann::json;

namespace {

const storage::Family kFamilies[] = {storage::Family::kNodes, storage::Family::kOperations,
                                     storage::Family::kCheckpoints, storage::Family::kMetadata,
                                     storage::Family::kNotes};

// The bytes of the regular files in `dir` written since `since`: what a
// restore has copied so far (it removes the store's old files as it goes).
uint64_t bytes_written_since(const std::string& dir, std::filesystem::file_time_type since) {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::error_code file_ec;
    if (e.is_regular_file(file_ec) && e.last_write_time(file_ec) >= since) total += e.file_size(file_ec);
  }
  return total;
}

json backup_json(const storage::BackupSummary& b) {
  return {{"id", b.id}, {"timestamp", b.timestamp}, {"bytes", b.bytes}, {"files", b.files}};
}

}  // namespace

int backup_command(int argc, char** argv) {
  CommandLine cli("basis-tree backup", "BACKUP_DIR [options]",
                  "Adds an incremental backup of the store to BACKUP_DIR and verifies it.");
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
  CommandLine cli("basis-tree restore", "BACKUP_DIR [options]",
                  "Verifies the latest backup in BACKUP_DIR and replaces the store with it.");
  StoreArgs args;
  add_store_options(&cli, &args);
  cli.arguments("BACKUP_DIR", &args.rest, 1, 1);
  cli.footer("JSON: store, backup_dir, backup {id, timestamp (Unix seconds), bytes, files}, restored (true).");
  if (int code = parse_store_args(&cli, argc, argv, &args); code >= 0) return code;
  const std::string& dir = args.rest[0];
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {  // RocksDB would create it, empty
    return failed(args, tree::Status(tree::ErrorKind::kNotFound, "no backup directory " + dir));
  }
  storage::BackupSummary b;
  if (tree::Status s = storage::latest_backup(dir, &b); !s.is_ok()) return failed(args, s);
  {
    Progress progress(args.progress(), "verifying backup", "bytes");
    progress.poll([] { return 0; });  // the time it takes, nothing to count
    if (tree::Status s = storage::verify_latest_backup(dir); !s.is_ok()) return failed(args, s);
  }
  const std::string store = db_path(args.config);
  {
    // RocksDB's restore reports nothing: its progress is what it has written.
    Progress progress(args.progress(), "restoring", "bytes", b.bytes);
    const auto started = std::filesystem::file_time_type::clock::now();
    progress.poll([&] { return bytes_written_since(store, started); });
    if (tree::Status s = storage::restore_latest_backup(dir, store); !s.is_ok()) return failed(args, s);
  }
  if (args.json) {
    print_json({{"store", store}, {"backup_dir", dir}, {"backup", backup_json(b)}, {"restored", true}});
  } else {
    std::printf("restored %s from %s (backup %u)\n", store.c_str(), dir.c_str(), b.id);
  }
  return 0;
}

int compact_command(int argc, char** argv) {
  CommandLine cli("basis-tree compact", "[options]", "Compacts every family of the store.");
  StoreArgs args;
  add_store_options(&cli, &args);
  cli.footer("JSON: store, compacted (the families), bytes_before and bytes_after {family: table bytes}.");
  if (int code = parse_store_args(&cli, argc, argv, &args); code >= 0) return code;
  std::unique_ptr<storage::Database> db;
  if (tree::Status s = open_store(args, &db); !s.is_ok()) return failed(args, s);
  json before = json::object(), after = json::object(), names = json::array();
  uint64_t total = 0;
  for (auto f : kFamilies) {
    before[std::string(storage::family_name(f))] = db->family_bytes(f);
    total += db->family_bytes(f);
  }
  {
    // One family at a time, counted by its bytes: RocksDB reports nothing
    // inside one.
    Progress progress(args.progress(), "compacting", "bytes", total);
    std::atomic<uint64_t> done{0};
    progress.poll([&] { return done.load(); });
    for (auto f : kFamilies) {
      uint64_t bytes = db->family_bytes(f);
      if (tree::Status s = db->compact({f}); !s.is_ok()) return failed(args, s);
      done += bytes;
      names.push_back(std::string(storage::family_name(f)));
    }
  }
  for (auto f : kFamilies) after[std::string(storage::family_name(f))] = db->family_bytes(f);
  if (args.json) {
    print_json({{"store", db_path(args.config)}, {"compacted", names}, {"bytes_before", before}, {"bytes_after", after}});
    return 0;
  }
  uint64_t sum_after = 0;
  for (auto f : kFamilies) sum_after += db->family_bytes(f);
  std::printf("compacted %s: %llu bytes of tables before, %llu after\n", db_path(args.config).c_str(),
              static_cast<unsigned long long>(total), static_cast<unsigned long long>(sum_after));
  return 0;
}

}  // namespace basis::tools
