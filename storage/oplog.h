// The operation log: every tree-changing operation, in sequence, with the
// notes (current value of each key) updated in the same atomic write.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "storage/database.h"
#include "storage/keyspace.h"
#include "storage/records.h"

namespace rocksdb {
class WriteBatch;
}

namespace basis::storage {

// A change to the notes family: set the note of `key`, or delete it.
struct NoteUpdate {
  Bytes key;
  std::optional<NoteRecord> note;  // nothing = the key was removed
};

// Gives every note update with first_sequence 0 ("keep the key's") the
// first sequence its stored note has (or an earlier update in `notes`). A
// stored note that cannot be read fails: writing 0 would store a note that
// reads as corrupt and blocks a rebuild from the notes.
Status resolve_first_sequences(const Database& db, const Keyspace& keyspace, std::vector<NoteUpdate>* notes);

class Oplog {
 public:
  // Reads the last sequence number and digest of the tree in `keyspace`.
  // `db` must outlive the log.
  static Status open(Database* db, std::unique_ptr<Oplog>* out, const Keyspace& keyspace = Keyspace());

  // 0 when the log is empty (sequence numbers start at 1).
  uint64_t last_sequence() const { return last_sequence_; }
  // The first record still in the live log (last_sequence() + 1 when none is).
  uint64_t first_sequence() const;
  // digest_after of the last record (unset when empty).
  const std::optional<Digest>& last_digest() const { return last_digest_; }
  const Keyspace& keyspace() const { return keyspace_; }

  // Appends `records` and applies `notes` in one atomic write. The records
  // must continue the log: consecutive sequence numbers, each digest_before
  // equal to the previous digest_after. `sync` waits for the disk.
  // When the first record does not continue what this object last saw,
  // the log's end is read again first: another Oplog of the same tree may
  // have appended (a transaction, append_together).
  Status append(std::span<const OperationRecord> records, std::span<const NoteUpdate> notes,
                bool sync);

  // Several trees' records and notes in one atomic write (a transaction
  // across trees): each part checked as append() checks it. No two parts
  // may be of the same tree.
  struct Part {
    Oplog* log;
    std::span<const OperationRecord> records;
    std::span<const NoteUpdate> notes;
  };
  static Status append_together(Database* db, std::span<const Part> parts, bool sync);

  // Calls `fn` for records from..to (inclusive) in order, checking that
  // there is no gap and that the digests chain (across a rebase, from the
  // accepted digest). `fn` may stop the scan by
  // returning false. Every record comes with its digest_before, also where
  // the stored record leaves it to the one before.
  Status scan(uint64_t from, uint64_t to, const std::function<bool(const OperationRecord&)>& fn) const;

  // Continues the log after `sequence` from `digest` instead of its last
  // record's digest (synced): for a tree an operator accepted after a
  // rebuild. Records already in the log stay, for audit.
  Status rebase(uint64_t sequence, const Digest& digest);

  // Removes every record with sequence <= `through` (notes are kept). The
  // log remembers where it continues even when no record is left.
  Status remove_through(uint64_t through);

 private:
  Oplog(Database* db, const Keyspace& keyspace) : db_(db), keyspace_(keyspace) {}
  // digest_after of record `sequence` (kCorruption when it is missing).
  Status digest_after(uint64_t sequence, std::optional<Digest>* out) const;
  // Reads the log's end (last sequence, digest, base) from the store.
  Status refresh();
  // Adds the records and notes to `batch` once they continue the log; the
  // log's end after them in `*last` and `*digest`.
  Status stage(std::span<const OperationRecord> records, std::span<const NoteUpdate> notes,
               rocksdb::WriteBatch* batch, uint64_t* last, std::optional<Digest>* digest);
  // After the write of what stage() added returned OK.
  void advance(uint64_t last, const std::optional<Digest>& digest, bool sync);
  Database* db_;
  const Keyspace keyspace_;
  uint64_t last_sequence_ = 0;
  std::optional<Digest> last_digest_;
  // Where the log continues from another digest than its record's (an
  // accepted rebuild): the one break in the digest chain a scan accepts.
  std::optional<LogBaseRecord> base_;
};

}  // namespace basis::storage
