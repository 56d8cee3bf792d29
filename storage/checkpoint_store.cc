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

// Reads and checks one node; appends its children's labels to `children`.
Status check_node(const Database& db, const Label& label, std::vector<Label>* children) {
  std::string_view key = chars_of(tree::ByteView(label));
  std::string value;
  Status s = db.get(Family::kNodes, key, &value);
  if (s.kind() == ErrorKind::kNotFound) {
    return Status(ErrorKind::kCorruption, record_name(kNodes, key) + " is missing");
  }
  if (!s.is_ok()) return s;
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

}  // namespace

Status verify_tree(const Database& db, const Digest& digest, int parallelism, uint64_t* nodes) {
  Label root;
  std::copy(digest.begin(), digest.begin() + tree::kLabelSize, root.begin());
  // Expand breadth-first until there is work for every thread.
  std::deque<Label> frontier{root};
  uint64_t count = 0;
  const size_t wanted = static_cast<size_t>(std::max(1, parallelism)) * 8;
  while (!frontier.empty() && frontier.size() < wanted) {
    Label l = frontier.front();
    frontier.pop_front();
    std::vector<Label> children;
    if (Status s = check_node(db, l, &children); !s.is_ok()) return s;
    ++count;
    frontier.insert(frontier.end(), children.begin(), children.end());
  }
  std::vector<Label> roots(frontier.begin(), frontier.end());
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> counted{count};
  std::mutex error_mutex;
  Status first_error;
  std::atomic<bool> failed{false};
  auto worker = [&] {
    std::vector<Label> stack;
    for (size_t i = next++; i < roots.size() && !failed; i = next++) {
      stack.assign(1, roots[i]);
      while (!stack.empty() && !failed) {
        Label l = stack.back();
        stack.pop_back();
        Status s = check_node(db, l, &stack);
        if (!s.is_ok()) {
          std::lock_guard<std::mutex> lock(error_mutex);
          if (!failed.exchange(true)) first_error = s;
          return;
        }
        ++counted;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 1; t < parallelism; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  if (failed) return first_error;
  *nodes = counted;
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
