// Reading the notes family as a whole: the source of the last-resort
// rebuild and of the cross-check between the tree's leaves and the notes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "storage/database.h"
#include "storage/keyspace.h"
#include "storage/keyspace_iterator.h"
#include "storage/records.h"


namespace basis::storage {

struct Note {
  Bytes key;
  NoteRecord record;
};

// Calls `fn` for every note in key order; stops at the first note that does
// not decode or has the wrong key length, and names it. `fn` may stop the
// scan by returning false.
Status scan_notes(const Database& db, uint32_t key_length, const std::function<bool(Note&&)>& fn,
                  const Keyspace& keyspace = Keyspace());

// Every note, ordered by the operation that first inserted its key (the
// order a rebuild inserts them in). Refuses, naming the note, one that does
// not decode, has the wrong key length, or whose first sequence is 0, beyond
// `last_sequence`, or shared with another key.
Status read_notes_in_insertion_order(const Database& db, uint32_t key_length, uint64_t last_sequence,
                                     std::vector<Note>* out, const Keyspace& keyspace = Keyspace());

// Reads notes at chosen places (the health check's samples). `db` must
// outlive the cursor. Not thread-safe: one cursor per thread. No copying.
class NoteCursor {
 public:
  explicit NoteCursor(const Database& db, const Keyspace& keyspace = Keyspace());
  ~NoteCursor();
  NoteCursor(const NoteCursor&) = delete;
  NoteCursor& operator=(const NoteCursor&) = delete;

  // The first note at or after `key` into *out, *found false when there is
  // none. An error names a note that does not decode, or the failed read.
  Status seek(tree::ByteView key, Note* out, bool* found);

 private:
  KeyspaceIterator it_;
};

}  // namespace basis::storage
