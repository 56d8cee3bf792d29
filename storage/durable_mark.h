// The durable-sequence mark: the highest operation sequence number the store
// made durable, kept in "<db_path>.durable" beside the identity file, outside
// RocksDB and its write-ahead log. A log that recovers below it was damaged
// or cut: Database::open refuses it (see check_log_against_mark).
//
// The file has two slots, written in turn (pwrite, one page apart), each with
// a generation, the sequence, whether the write it follows was synced, the
// boot it was written in, and a CRC-32C; the valid slot with the highest
// generation counts. A slot torn by a power loss leaves the other one.
//
// A mark is written only after the write it names returned, so it never runs
// ahead of the log: with synced writes not even after a power loss, since the
// log was on disk before the mark was written. The pwrite is not synced (a
// process kill keeps it, in the page cache); sync() (at checkpoints and
// shutdown) makes it durable, so after a power loss the mark may lag the log,
// never lead it. With unsynced writes a power loss may leave the mark ahead of
// the log, legitimately: that is told apart by the boot it was written in.
//
// Thread-safe: advance() and sync() may be called from different threads.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "basis/tree/status.h"

namespace basis::storage {

using Status = tree::Status;

struct MarkState {
  uint64_t sequence = 0;
  bool synced = true;   // written after a synced write of the log
  std::string boot_id;  // the boot it was written in
  // The store it belongs to: the same id is kept inside the store (RocksDB,
  // metadata "mark_id"), so a mark copied from another store is told apart.
  std::string store_id;
};

// Up to this many bytes of a store id are kept.
constexpr size_t kMarkStoreIdBytes = 32;

class DurableMark {
 public:
  // "<db_path>.durable".
  static std::string path_for(const std::string& db_path);
  // kNotFound when the file is absent; kCorruption (naming the file) when no
  // slot is valid.
  static Status read(const std::string& db_path, MarkState* out);
  // Opens (creating) the mark of `db_path` for the store `store_id` (every
  // later write carries it); `initial` is written when the file is new or no
  // slot reads.
  static Status open(const std::string& db_path, uint64_t initial, const std::string& store_id,
                     std::unique_ptr<DurableMark>* out);
  // A new random store id.
  static std::string new_store_id();
  ~DurableMark();
  DurableMark(const DurableMark&) = delete;
  DurableMark& operator=(const DurableMark&) = delete;

  // Records `sequence` once a write of the log up to it has returned. Never
  // moves back (set() does).
  Status advance(uint64_t sequence, bool synced);
  // Moves the mark to `sequence`, also back (an operator accepted a loss), synced.
  Status set(uint64_t sequence);
  // fdatasync: the mark survives a power loss from here on.
  Status sync();
  uint64_t sequence() const;

  // Writes `state` as the whole mark of `db_path`, synced: for tests that
  // stand in for an earlier boot, and tools.
  static Status write_state(const std::string& db_path, const MarkState& state);

  // The id of the running boot ("" when it cannot be read).
  static std::string current_boot_id();

 private:
  DurableMark(std::string path, int fd, std::string store_id)
      : path_(std::move(path)), fd_(fd), store_id_(std::move(store_id)) {}
  Status write_locked(uint64_t sequence, bool synced);

  const std::string path_;
  const int fd_;
  const std::string store_id_;
  mutable std::mutex mu_;
  uint64_t generation_ = 0;
  uint64_t sequence_ = 0;
  bool dirty_ = false;  // written since the last sync
};

}  // namespace basis::storage
