#include "storage/checkpoint_store.h"

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <thread>
#include <unordered_set>

#include "storage/coding.h"
#include "tree/labels.h"

namespace basis::storage {

using tree::ErrorKind;
using tree::Label;

namespace {

// Checks one node's stored record against its label; appends its children.
Status check_record(std::string_view value, const Label& label, std::vector<Label>* children) {
  std::string_view key = chars_of(tree::ByteView(label));
  tree::NodeRecord rec;
  if (Status d = decode(value, key, &rec); !d.is_ok()) return d;
  Label actual = rec.is_leaf ? tree::leaf_label(tree::view(rec.key), tree::view(rec.value),
                                                tree::view(rec.next_key))
                             : tree::internal_label(static_cast<uint8_t>(rec.balance), rec.left, rec.right);
  if (actual != label) {
    return Status(ErrorKind::kCorruption, record_name(kNodes, key) + " hashes to " + tree::to_hex(actual));
  }
  if (!rec.is_leaf) {
    children->push_back(rec.left);
    children->push_back(rec.right);
  }
  return Status::ok();
}

// Reads and checks `labels` with batched reads; their children go to `next`.
Status check_level_part(const Database& db, std::span<const Label> labels, std::vector<Label>* next) {
  constexpr size_t kBatch = 4096;
  std::vector<rocksdb::Slice> keys;
  std::vector<rocksdb::PinnableSlice> values(kBatch);
  std::vector<rocksdb::Status> statuses(kBatch);
  for (size_t at = 0; at < labels.size(); at += kBatch) {
    size_t n = std::min(kBatch, labels.size() - at);
    keys.clear();
    for (size_t i = 0; i < n; ++i) {
      keys.emplace_back(reinterpret_cast<const char*>(labels[at + i].data()), tree::kLabelSize);
    }
    db.raw()->MultiGet(rocksdb::ReadOptions(), db.handle(Family::kNodes), n, keys.data(), values.data(),
                       statuses.data());
    for (size_t i = 0; i < n; ++i) {
      std::string_view key = chars_of(tree::ByteView(labels[at + i]));
      if (statuses[i].IsNotFound()) {
        return Status(ErrorKind::kCorruption, record_name(kNodes, key) + " is missing");
      }
      if (Status s = from_rocksdb(statuses[i], "reading " + record_name(kNodes, key)); !s.is_ok()) return s;
      if (Status s = check_record(std::string_view(values[i].data(), values[i].size()), labels[at + i], next);
          !s.is_ok()) {
        return s;
      }
      values[i].Reset();
    }
  }
  return Status::ok();
}

// Reads and checks one node; appends its children's labels to `children`.
Status check_node(const Database& db, const Label& label, std::vector<Label>* children) {
  std::string_view key = chars_of(tree::ByteView(label));
  std::string value;
  Status s = db.get(Family::kNodes, key, &value);
  if (s.kind() == ErrorKind::kNotFound) {
    return Status(ErrorKind::kCorruption, record_name(kNodes, key) + " is missing");
  }
  if (!s.is_ok()) return s;
  return check_record(value, label, children);
}

}  // namespace

Status verify_tree(const Database& db, const Digest& digest, int parallelism, uint64_t* nodes,
                   const std::atomic<bool>* cancel, const std::function<void(uint64_t)>& progress) {
  // Level by level: each level's nodes are read in batches, split over the
  // threads, and checked against their labels.
  Label root;
  std::copy(digest.begin(), digest.begin() + tree::kLabelSize, root.begin());
  std::vector<Label> level{root};
  const size_t threads = static_cast<size_t>(std::max(1, parallelism));
  uint64_t count = 0;
  while (!level.empty()) {
    if (cancel && cancel->load()) return Status(tree::ErrorKind::kBusy, "verification cancelled");
    count += level.size();
    std::vector<std::vector<Label>> next(threads);
    std::vector<Status> results(threads);
    size_t share = (level.size() + threads - 1) / threads;
    auto part = [&](size_t t) {
      size_t begin = std::min(level.size(), t * share), end = std::min(level.size(), begin + share);
      results[t] = check_level_part(db, std::span<const Label>(level.data() + begin, end - begin), &next[t]);
    };
    std::vector<std::thread> workers;
    for (size_t t = 1; t < threads && share * t < level.size(); ++t) workers.emplace_back(part, t);
    part(0);
    for (auto& w : workers) w.join();
    level.clear();
    for (size_t t = 0; t < threads; ++t) {
      if (!results[t].is_ok()) return results[t];
      level.insert(level.end(), next[t].begin(), next[t].end());
    }
    if (progress) progress(count);
  }
  *nodes = count;
  return Status::ok();
}

Status CheckpointStore::create(CheckpointRecord* record, int parallelism) {
  if (Status s = verify_tree(*db_, record->digest, parallelism, &record->node_count); !s.is_ok()) {
    return Status(s.kind(), "checkpoint " + std::to_string(record->id) + " not written: " + s.message());
  }
  return write(*record);
}

Status verify_nodes(const Database& db, std::span<const Label> labels) {
  struct LabelHash {
    size_t operator()(const Label& l) const {
      size_t h;
      std::memcpy(&h, l.data(), sizeof h);
      return h;
    }
  };
  std::unordered_set<Label, LabelHash> fresh(labels.begin(), labels.end());
  std::vector<Label> children;
  std::string value;
  for (const Label& l : labels) {
    children.clear();
    if (Status s = check_node(db, l, &children); !s.is_ok()) return s;
    for (const Label& c : children) {
      if (fresh.count(c)) continue;  // checked in its own right

      std::string_view key = chars_of(tree::ByteView(c));
      Status s = db.get(Family::kNodes, key, &value);
      if (s.kind() == ErrorKind::kNotFound) {
        return Status(ErrorKind::kCorruption, record_name(kNodes, key) + " is missing (a child of " +
                                                  tree::to_hex(l) + ")");
      }
      if (!s.is_ok()) return s;
    }
  }
  return Status::ok();
}

Status CheckpointStore::write(const CheckpointRecord& record) {
  rocksdb::WriteBatch batch;
  batch.Put(db_->handle(Family::kCheckpoints), sequence_key(record.id), encode(record));
  return db_->write(&batch, true);
}

Status CheckpointStore::read(uint64_t id, CheckpointRecord* out) const {
  std::string key = sequence_key(id), value;
  if (Status s = db_->get(Family::kCheckpoints, key, &value); !s.is_ok()) return s;
  return decode(value, key, out);
}

Status CheckpointStore::list(std::vector<CheckpointRecord>* out) const {
  out->clear();
  std::unique_ptr<rocksdb::Iterator> it(
      db_->raw()->NewIterator(rocksdb::ReadOptions(), db_->handle(Family::kCheckpoints)));
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    CheckpointRecord rec;
    std::string_view key(it->key().data(), it->key().size());
    if (Status s = decode(std::string_view(it->value().data(), it->value().size()), key, &rec); !s.is_ok()) {
      return s;
    }
    out->push_back(std::move(rec));
  }
  return from_rocksdb(it->status(), "listing checkpoints");
}

Status CheckpointStore::remove(uint64_t id) {
  rocksdb::WriteBatch batch;
  batch.Delete(db_->handle(Family::kCheckpoints), sequence_key(id));
  return db_->write(&batch, true);
}

}  // namespace basis::storage
