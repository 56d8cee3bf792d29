#include "storage/tree_catalog.h"

#include <rocksdb/write_batch.h>

#include "storage/coding.h"
#include "storage/crc32c.h"
#include "storage/keyspace.h"
#include <rocksdb/db.h>

namespace basis::storage {

using tree::ErrorKind;

namespace {

constexpr char kEntryPrefix[] = "tree/";  // then the name
constexpr char kNextIdKey[] = "tree_next_id";
constexpr uint8_t kEntryVersion = 1;
constexpr uint32_t kVariable = UINT32_MAX;

std::string entry_key(const std::string& name) { return kEntryPrefix + name; }

std::string encode_entry(const TreeEntry& e) {
  std::string out;
  put_u8(&out, kEntryVersion);
  put_u32(&out, e.id);
  put_u32(&out, e.key_length);
  put_u32(&out, e.value_length ? *e.value_length : kVariable);
  put_u32(&out, crc32c(out));
  return out;
}

Status decode_entry(std::string_view name, std::string_view value, TreeEntry* out) {
  Reader r(value);
  const uint8_t version = r.u8();
  out->name = std::string(name);
  out->id = r.u32();
  out->key_length = r.u32();
  const uint32_t value_length = r.u32();
  const uint32_t crc = r.u32();
  if (!r.ok() || !r.at_end() || version != kEntryVersion || crc != crc32c(value.substr(0, value.size() - 4)) ||
      out->id == 0 || out->key_length < 1 || out->key_length > 255) {
    return Status(ErrorKind::kCorruption, "the catalog entry of tree '" + std::string(name) + "' is damaged");
  }
  out->value_length = value_length == kVariable ? std::nullopt : std::optional<uint32_t>(value_length);
  return Status::ok();
}

}  // namespace

Status list_trees(const Database& db, std::vector<TreeEntry>* out) {
  out->clear();
  // The default tree's metadata family: a bounded iterator of its own (a
  // Keyspace with a prefix would be a named tree's, in t.metadata).
  const std::string lower = kEntryPrefix, upper = Keyspace(kEntryPrefix).upper_bound();
  rocksdb::Slice lower_slice(lower), upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_lower_bound = &lower_slice;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db.raw()->NewIterator(ro, db.handle(Family::kMetadata)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    TreeEntry e;
    std::string_view key(it->key().data(), it->key().size());
    std::string_view value(it->value().data(), it->value().size());
    if (Status s = decode_entry(key.substr(lower.size()), value, &e); !s.is_ok()) return s;
    out->push_back(std::move(e));
  }
  return from_rocksdb(it->status(), "reading the catalog of trees");
}

Status create_tree(Database* db, const std::string& name, uint32_t key_length,
                   std::optional<uint32_t> value_length, TreeEntry* out) {
  std::string existing;
  Status found = db->get(Family::kMetadata, entry_key(name), &existing);
  if (found.is_ok()) return Status(ErrorKind::kInvalidArgument, "a tree named '" + name + "' exists");
  if (found.kind() != ErrorKind::kNotFound) return found;
  uint32_t next = 1;
  std::string stored;
  if (Status s = db->get(Family::kMetadata, kNextIdKey, &stored); s.is_ok()) {
    Reader r(stored);
    next = r.u32();
    if (!r.ok() || !r.at_end() || next == 0) return Status(ErrorKind::kCorruption, "the catalog's next tree id is damaged");
  } else if (s.kind() != ErrorKind::kNotFound) {
    return s;
  }
  if (next == kVariable) return Status(ErrorKind::kLimitExceeded, "every tree id is used");
  TreeEntry e{name, next, key_length, value_length};
  std::string next_value;
  put_u32(&next_value, next + 1);
  rocksdb::WriteBatch batch;
  batch.Put(db->handle(Family::kMetadata), entry_key(name), encode_entry(e));
  batch.Put(db->handle(Family::kMetadata), kNextIdKey, next_value);
  if (Status s = db->write(&batch, true); !s.is_ok()) return s;
  *out = std::move(e);
  return Status::ok();
}

Status drop_tree(Database* db, const TreeEntry& entry) {
  const Keyspace ks = Keyspace::for_tree(entry.id);
  rocksdb::WriteBatch batch;
  batch.Delete(db->handle(Family::kMetadata), entry_key(entry.name));
  const std::string upper = ks.upper_bound();
  for (Family f : kFamilies) {
    rocksdb::ColumnFamilyHandle* h = db->handle(ks.family(f));
    if (upper.empty()) {
      // The last possible id: no upper bound; delete what the family holds from it on.
      batch.DeleteRange(h, ks.prefix(), std::string(ks.prefix().size() + 64, '\xff'));
    } else {
      batch.DeleteRange(h, ks.prefix(), upper);
    }
  }
  return db->write(&batch, true);
}

}  // namespace basis::storage
