// Reading the notes family as a whole: the source of the last-resort
// rebuild and of the cross-check between the tree's leaves and the notes.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "storage/database.h"
#include "storage/records.h"

namespace basis::storage {

struct Note {
  Bytes key;
  NoteRecord record;
};

// Calls `fn` for every note in key order; stops at the first note that does
// not decode or has the wrong key length, and names it. `fn` may stop the
// scan by returning false.
Status scan_notes(const Database& db, uint32_t key_length, const std::function<bool(Note&&)>& fn);

// Every note, ordered by the operation that first inserted its key (the
// order a rebuild inserts them in). Refuses, naming the note, one that does
// not decode, has the wrong key length, or whose first sequence is 0, beyond
// `last_sequence`, or shared with another key.
Status read_notes_in_insertion_order(const Database& db, uint32_t key_length, uint64_t last_sequence,
                                     std::vector<Note>* out);

}  // namespace basis::storage
