#include "storage/mark_check.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "storage/durable_mark.h"
#include "storage/oplog.h"
#include "storage/store_identity.h"

namespace basis::storage {

using tree::ErrorKind;

namespace {

// The table file RocksDB could not find, named in `message`, or "". RocksDB
// 7.8 tries the old ".ldb" name last, and names that one.
std::string missing_table(const std::string& message) {
  if (message.find("No such file") == std::string::npos) return "";
  size_t at = message.find(".sst");
  if (at == std::string::npos) at = message.find(".ldb");
  if (at == std::string::npos) return "";
  size_t begin = message.find_last_of(" /:", at);
  begin = begin == std::string::npos ? 0 : begin + 1;
  return message.substr(begin, at - begin) + ".sst";
}

std::string accept_hint(const std::string& db_path) {
  const std::string data_dir = std::filesystem::path(db_path).parent_path().string();
  return "basis-tree accept-loss --yes --data-dir " + (data_dir.empty() ? std::string(".") : data_dir);
}

// Where the store's log recovers to, read-only. `salvage`: read a damaged
// write-ahead log up to the damage.
Status probe(const DatabaseOptions& options, bool salvage, uint64_t* last, std::string* mark_id = nullptr) {
  DatabaseOptions p = options;
  p.read_only = true;
  p.salvage_log = salvage;
  p.accept_lost_log_tail = false;
  std::unique_ptr<Database> db;
  if (Status s = Database::open(p, &db); !s.is_ok()) return s;
  std::unique_ptr<Oplog> log;
  if (Status s = Oplog::open(db.get(), &log); !s.is_ok()) return s;
  *last = log->last_sequence();
  if (mark_id) {
    Status s = db->get(Family::kMetadata, kMarkIdKey, mark_id);
    if (s.kind() == ErrorKind::kNotFound) {
      mark_id->clear();  // a store from before the id, or a new one
    } else if (!s.is_ok()) {
      return s;
    }
  }
  return Status::ok();
}

}  // namespace

Status check_log_against_mark(const DatabaseOptions& options, MarkCheck* out) {
  const std::string& db = options.path;
  const std::string mark_file = DurableMark::path_for(db);
  *out = MarkCheck{};
  out->accepted = options.accept_lost_log_tail;
  // The mark first, the log after: on a store a daemon is writing (a tool
  // run by mistake; its open then fails on RocksDB's lock) the log read
  // later is never behind the mark read before.
  MarkState mark;
  Status m = DurableMark::read(db, &mark);
  uint64_t recovered = 0;
  std::string store_id;
  Status s = probe(options, options.salvage_log, &recovered, &store_id);
  if (std::string table = s.is_ok() ? std::string() : missing_table(s.message()); !table.empty()) {
    return Status(ErrorKind::kCorruption,
                  db + ": the table file " + table + " is missing (" + s.message() +
                      "): the store cannot be read, and nothing was changed on disk. Put the file back, or restore "
                      "a backup (basis-tree restore DIR)");
  }
  if (!s.is_ok() && s.kind() != ErrorKind::kCorruption) return s;
  if (!s.is_ok()) {
    // RocksDB refuses a log damaged in its middle: read what precedes the
    // damage, to name where it would recover to.
    out->log_damage = s.message();
    if (Status again = probe(options, true, &recovered, &store_id); !again.is_ok()) return s;
  }
  out->recovered = recovered;
  out->store_id = store_id;
  // The store itself records that it keeps a mark (its id, written inside
  // RocksDB once the mark exists): files beside it lost or swapped do not
  // make it a store from before marks.
  const bool keeps_mark = !store_id.empty() || identity_records_mark(db);
  if (m.kind() == ErrorKind::kNotFound && !keeps_mark && out->log_damage.empty()) {
    return Status::ok();  // a store from before marks: it gets one now
  }
  if (m.is_ok() && !store_id.empty() && mark.store_id != store_id && !options.accept_lost_log_tail) {
    return Status(ErrorKind::kCorruption,
                  db + ": " + mark_file + " belongs to another store (its id " +
                      (mark.store_id.empty() ? std::string("none") : mark.store_id) + ", this store's " + store_id +
                      "): the last durable sequence cannot be checked (the log recovers through " +
                      std::to_string(recovered) + "). Nothing was changed on disk. Put this store's own " + mark_file +
                      " back, restore a backup (basis-tree restore DIR), or, to serve the log as it recovers, run " +
                      accept_hint(db));
  }
  if (m.is_ok() && !store_id.empty() && mark.store_id != store_id) m = Status(ErrorKind::kNotFound, "foreign");
  if (!m.is_ok() && m.kind() != ErrorKind::kNotFound && m.kind() != ErrorKind::kCorruption) return m;
  if (!m.is_ok() && !options.accept_lost_log_tail) {
    const bool missing = m.kind() == ErrorKind::kNotFound;
    return Status(ErrorKind::kCorruption,
                  db + ": " + (missing ? mark_file + " is missing, but " +
                                             (store_id.empty() ? identity_path(db) : std::string("the store itself")) +
                                             " says this store keeps one"
                                       : m.message()) +
                      ": the last durable sequence cannot be checked, so a write-ahead log that was cut cannot be "
                      "told (the log recovers through " + std::to_string(recovered) + ")" +
                      (out->log_damage.empty() ? std::string() : "; RocksDB also refuses the log: " + out->log_damage) +
                      ". Nothing was changed on disk. Restore a backup (basis-tree restore DIR), or, to serve the "
                      "log as it recovers, run " + accept_hint(db));
  }
  out->had_mark = m.is_ok();
  out->mark = m.is_ok() ? mark.sequence : 0;
  if (m.is_ok() && out->log_damage.empty() && mark.sequence <= recovered) return Status::ok();
  if (m.is_ok() && out->log_damage.empty() && !mark.synced && mark.boot_id != DurableMark::current_boot_id()) {
    // storage.sync = "never" and the machine restarted: the page cache's
    // part of the log is legitimately gone.
    out->warning = "the log recovers through " + std::to_string(recovered) + ", below the durable mark " +
                   std::to_string(mark.sequence) + " written without sync before the machine restarted " +
                   "(storage.sync = \"never\"): operations " + std::to_string(recovered + 1) + ".." +
                   std::to_string(mark.sequence) + " are lost";
    return Status::ok();
  }
  if (options.accept_lost_log_tail) return Status::ok();
  const std::string damage = out->log_damage.empty() ? std::string() : " (RocksDB: " + out->log_damage + ")";
  if (mark.sequence <= recovered) {
    return Status(ErrorKind::kCorruption,
                  db + ": the write-ahead log is damaged" + damage + ": it recovers through sequence " +
                      std::to_string(recovered) + " only up to the damage (the durable mark says " +
                      std::to_string(mark.sequence) + "); what follows the damage would be lost. Nothing was changed "
                      "on disk. Restore a backup (basis-tree restore DIR), or, to serve from sequence " +
                      std::to_string(recovered) + ", run " + accept_hint(db));
  }
  return Status(ErrorKind::kCorruption,
                db + ": the write-ahead log was damaged or cut" + damage + ": operations through sequence " +
                    std::to_string(mark.sequence) + " were durable (" + mark_file + "), but the log recovers only "
                    "through sequence " + std::to_string(recovered) + ", " + std::to_string(mark.sequence - recovered) +
                    " acknowledged operations short. Nothing was changed on disk. Restore a backup (basis-tree "
                    "restore DIR), or, to accept the loss and serve from sequence " + std::to_string(recovered) +
                    ", run " + accept_hint(db));
}

Status reset_mark_to_log(const std::string& db_path, uint64_t* sequence) {
  DatabaseOptions o;
  o.path = db_path;
  o.create_if_missing = false;
  std::string store_id;
  if (Status s = probe(o, false, sequence, &store_id); !s.is_ok()) return s;
  MarkState old;
  const bool had = DurableMark::read(db_path, &old).is_ok();
  // A restored store without an id gets one at its first open.
  std::unique_ptr<DurableMark> mark;
  if (Status s = DurableMark::open(db_path, *sequence, store_id, &mark); !s.is_ok()) return s;
  if (Status s = mark->set(*sequence); !s.is_ok()) return s;
  note_accepted_loss(db_path, "restored from a backup: the durable mark moves from " +
                                  (had ? std::to_string(old.sequence) : std::string("none")) + " to " +
                                  std::to_string(*sequence));
  return Status::ok();
}

void note_accepted_loss(const std::string& db_path, const std::string& line) {
  std::string p = db_path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  const std::string path = p + ".losses";
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string text = "time_ms " + std::to_string(now) + " " + line + "\n";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  (void)!::write(fd, text.data(), text.size());
  (void)::fsync(fd);
  ::close(fd);
}

}  // namespace basis::storage
