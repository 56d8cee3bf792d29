#include "storage/notes.h"

#include <rocksdb/db.h>

#include <algorithm>
#include <memory>

namespace basis::storage {

using tree::ErrorKind;

Status scan_notes(const Database& db, uint32_t key_length, const std::function<bool(Note&&)>& fn,
                  const Keyspace& keyspace) {
  KeyspaceIterator it(db, Family::kNotes, keyspace);
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    std::string_view key = it.key();
    Note note;
    if (Status s = decode(it.value(), key, &note.record); !s.is_ok()) return s;
    if (key.size() != key_length) {
      return Status(ErrorKind::kCorruption, record_name(kNotes, key) + ": key of " + std::to_string(key.size()) +
                                                " bytes, the tree's keys have " + std::to_string(key_length));
    }
    note.key.assign(key.begin(), key.end());
    if (!fn(std::move(note))) return Status::ok();
  }
  return from_rocksdb(it.status(), "reading the notes");
}

NoteCursor::NoteCursor(const Database& db, const Keyspace& keyspace) : it_(db, Family::kNotes, keyspace) {}

NoteCursor::~NoteCursor() = default;

Status NoteCursor::seek(tree::ByteView key, Note* out, bool* found) {
  *found = false;
  it_.Seek(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
  if (!it_.Valid()) return from_rocksdb(it_.status(), "reading the notes");
  std::string_view at = it_.key();
  if (Status s = decode(it_.value(), at, &out->record); !s.is_ok()) return s;
  out->key.assign(at.begin(), at.end());
  *found = true;
  return Status::ok();
}

Status read_notes_in_insertion_order(const Database& db, uint32_t key_length, uint64_t last_sequence,
                                     std::vector<Note>* out, const Keyspace& keyspace) {
  out->clear();
  Status bad;
  Status s = scan_notes(db, key_length, [&](Note&& n) {
    uint64_t first = n.record.first_sequence;
    if (first == 0 || first > last_sequence) {
      std::string_view key(reinterpret_cast<const char*>(n.key.data()), n.key.size());
      bad = Status(ErrorKind::kCorruption, record_name(kNotes, key) + ": first inserted by operation " +
                                               std::to_string(first) + ", but the log ends at " +
                                               std::to_string(last_sequence));
      return false;
    }
    out->push_back(std::move(n));
    return true;
  }, keyspace);
  if (!s.is_ok()) return s;
  if (!bad.is_ok()) return bad;
  std::sort(out->begin(), out->end(), [](const Note& a, const Note& b) {
    return a.record.first_sequence < b.record.first_sequence;
  });
  for (size_t i = 1; i < out->size(); ++i) {
    if ((*out)[i].record.first_sequence == (*out)[i - 1].record.first_sequence) {
      const Bytes& k = (*out)[i].key;
      return Status(ErrorKind::kCorruption,
                    record_name(kNotes, std::string_view(reinterpret_cast<const char*>(k.data()), k.size())) +
                        ": first inserted by operation " + std::to_string((*out)[i].record.first_sequence) +
                        ", as another key's note says");
    }
  }
  return Status::ok();
}

}  // namespace basis::storage
