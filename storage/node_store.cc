#include "storage/node_store.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <map>

#include "storage/coding.h"

namespace basis::storage {

tree::NodeRecord to_record(const tree::Node& n, const tree::NodePool& pool) {
  tree::NodeRecord rec;
  tree::ByteView key = pool.key(&n);
  rec.key.assign(key.begin(), key.end());
  if (n.is_leaf()) {
    rec.is_leaf = true;
    tree::ByteView value = pool.value(&n), next = pool.next_key(&n);
    rec.value.assign(value.begin(), value.end());
    rec.next_key.assign(next.begin(), next.end());
  } else {
    rec.balance = n.balance;
    rec.left = n.left->label;
    rec.right = n.right->label;
  }
  return rec;
}

NodeStore::NodeStore(Database* db, size_t cache_bytes)
    : db_(db), batch_(std::make_unique<rocksdb::WriteBatch>()), cache_limit_(cache_bytes) {
  index_.reserve(cache_bytes / 256);  // about the smallest charge of an entry
}

NodeStore::~NodeStore() = default;

void NodeStore::add(const tree::Node& n, const tree::NodePool& pool) {
  std::string encoded = encode(to_record(n, pool));
  std::string_view key = chars_of(tree::ByteView(n.label));
  batch_->Put(db_->handle(Family::kNodes), rocksdb::Slice(key.data(), key.size()), encoded);
  ++pending_count_;
  cache_put(n.label, std::move(encoded));  // new nodes are the likeliest to be read
}

Status NodeStore::flush(bool sync) {
  if (pending_count_ == 0 && !sync) return Status::ok();
  Status s = db_->write(batch_.get(), sync);
  if (!s.is_ok()) return s;
  batch_->Clear();
  pending_count_ = 0;
  return Status::ok();
}

void NodeStore::cache_put(const tree::Label& label, std::string encoded) {
  auto it = index_.find(label);
  if (it != index_.end()) {
    cache_used_ -= charge(*it->second);
    lru_.erase(it->second);
    index_.erase(it);
  }
  lru_.emplace_front(label, std::move(encoded));
  index_[label] = lru_.begin();
  cache_used_ += charge(lru_.front());
  while (cache_used_ > cache_limit_ && !lru_.empty()) {
    // Evicting a queued node is safe: resolve() flushes the queue when it
    // misses a node that is not on disk yet.
    const Entry& victim = lru_.back();
    cache_used_ -= charge(victim);
    index_.erase(victim.first);
    lru_.pop_back();
  }
}

Status NodeStore::prefetch_paths(const tree::Label& root, const std::vector<tree::Bytes>& keys) {
  struct Walker {
    size_t key;      // index into keys
    bool found;      // met its key: left all the way down from here
  };
  std::vector<std::pair<tree::Label, std::vector<Walker>>> level;
  std::vector<Walker> all;
  for (size_t i = 0; i < keys.size(); ++i) all.push_back({i, false});
  level.emplace_back(root, std::move(all));
  tree::NodeRecord rec;
  while (!level.empty()) {
    // Read what the cache lacks, in one batched call.
    std::vector<rocksdb::Slice> missing;
    std::vector<size_t> missing_at;
    for (size_t i = 0; i < level.size(); ++i) {
      if (!index_.count(level[i].first)) {
        missing.emplace_back(reinterpret_cast<const char*>(level[i].first.data()), tree::kLabelSize);
        missing_at.push_back(i);
      }
    }
    if (!missing.empty()) {
      std::vector<rocksdb::PinnableSlice> values(missing.size());
      std::vector<rocksdb::Status> statuses(missing.size());
      db_->raw()->MultiGet(rocksdb::ReadOptions(), db_->handle(Family::kNodes), missing.size(),
                           missing.data(), values.data(), statuses.data());
      for (size_t j = 0; j < missing.size(); ++j) {
        if (statuses[j].ok()) cache_put(level[missing_at[j]].first, values[j].ToString());
      }
    }
    // Step every walker one level down.
    std::map<tree::Label, std::vector<Walker>> next;
    for (auto& [label, walkers] : level) {
      auto it = index_.find(label);
      if (it == index_.end()) continue;  // unreadable: the replay will say so
      std::string_view key = chars_of(tree::ByteView(label));
      if (!decode(it->second->second, key, &rec).is_ok() || rec.is_leaf) continue;
      for (Walker w : walkers) {
        bool left;
        if (w.found) {
          left = true;
        } else {
          int c = tree::compare_bytes(tree::view(keys[w.key]), tree::view(rec.key));
          w.found = c == 0;
          left = c < 0;
        }
        next[left ? rec.left : rec.right].push_back(w);
      }
    }
    level.assign(std::make_move_iterator(next.begin()), std::make_move_iterator(next.end()));
  }
  return Status::ok();
}

Status NodeStore::resolve(const tree::Label& label, tree::NodeRecord* out) {
  std::string_view key = chars_of(tree::ByteView(label));
  auto it = index_.find(label);
  if (it != index_.end()) {
    ++hits_;
    lru_.splice(lru_.begin(), lru_, it->second);
    return decode(it->second->second, key, out);
  }
  ++misses_;
  std::string value;
  Status s = db_->get(Family::kNodes, key, &value);
  if (s.kind() == tree::ErrorKind::kNotFound && pending_count_ > 0) {
    // Queued but evicted from the cache: write the queue out and read again.
    if (Status f = flush(false); !f.is_ok()) return f;
    s = db_->get(Family::kNodes, key, &value);
  }
  if (s.kind() == tree::ErrorKind::kNotFound) {
    return Status(tree::ErrorKind::kCorruption, record_name(kNodes, key) + " is missing");
  }
  if (!s.is_ok()) return s;
  if (Status d = decode(value, key, out); !d.is_ok()) return d;
  cache_put(label, std::move(value));
  return Status::ok();
}

}  // namespace basis::storage
