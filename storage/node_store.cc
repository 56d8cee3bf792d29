#include "storage/node_store.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>

#include "storage/coding.h"
#include "storage/path_fetch.h"

namespace basis::storage {

tree::NodeRecord to_record(const tree::Node& n, const tree::NodePool& pool) {
  tree::NodeRecord rec;
  if (n.is_leaf()) {
    // Without its keys: whoever reads it comes down a path that gives them.
    rec.is_leaf = true;
    tree::ByteView value = pool.value(&n);
    rec.value.assign(value.begin(), value.end());
  } else {
    tree::ByteView key = pool.key(&n);
    rec.key.assign(key.begin(), key.end());
    rec.balance = n.balance;
    rec.left = n.left->label;
    rec.right = n.right->label;
  }
  return rec;
}

namespace {
constexpr size_t kPresizedEntries = 4096;
}  // namespace

NodeStore::NodeStore(Database* db, size_t cache_bytes, const Keyspace& keyspace)
    : db_(db), keyspace_(keyspace), batch_(std::make_unique<rocksdb::WriteBatch>()), cache_limit_(cache_bytes) {
  // Presized for a small tree, and grown with the cache beyond: the bound is
  // per tree (node_cache_size / 4), and zeroing buckets for all of it (8 MB)
  // in every tree of a store of 1,000 took most of its open and 8 GB.
  index_.reserve(std::min<size_t>(cache_bytes / 256, kPresizedEntries));
}

NodeStore::~NodeStore() { db_->memory_budget().charge(-static_cast<int64_t>(cache_used_)); }

void NodeStore::add(const tree::Node& n, const tree::NodePool& pool) {
  std::string encoded = encode(to_record(n, pool));
  std::string_view key = chars_of(tree::ByteView(n.label));
  if (keyspace_.is_default()) {
    batch_->Put(db_->handle(keyspace_.family(Family::kNodes)), rocksdb::Slice(key.data(), key.size()), encoded);
  } else {
    batch_->Put(db_->handle(keyspace_.family(Family::kNodes)), keyspace_.key(key), encoded);
  }
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
  const size_t before = cache_used_;
  auto it = index_.find(label);
  if (it != index_.end()) {
    cache_used_ -= charge(*it->second);
    lru_.erase(it->second);
    index_.erase(it);
  }
  lru_.emplace_front(label, std::move(encoded));
  index_[label] = lru_.begin();
  cache_used_ += charge(lru_.front());
  MemoryBudget& budget = db_->memory_budget();
  budget.charge(static_cast<int64_t>(cache_used_) - static_cast<int64_t>(before));
  // Over its own bound, or the store is over its budget: the oldest go (the
  // newest stays, so a lookup finds what it just read).
  while ((cache_used_ > cache_limit_ || budget.over()) && lru_.size() > 1) {
    // Evicting a queued node is safe: resolve() flushes the queue when it
    // misses a node that is not on disk yet.
    const Entry& victim = lru_.back();
    const size_t c = charge(victim);
    cache_used_ -= c;
    budget.charge(-static_cast<int64_t>(c));
    index_.erase(victim.first);
    lru_.pop_back();
  }
}

void NodeStore::prefetch_paths(const tree::Label& root, std::vector<tree::Bytes> keys, int threads) {
  std::sort(keys.begin(), keys.end(), [](const tree::Bytes& a, const tree::Bytes& b) {
    return tree::compare_bytes(tree::view(a), tree::view(b)) < 0;
  });
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  std::vector<EncodedNode> nodes;
  fetch_paths(*db_, root, keys, threads, &nodes, keyspace_);
  staged_.assign(std::move(nodes));
}

void NodeStore::drop_prefetched() { staged_.clear(); }

Status NodeStore::resolve(const tree::Label& label, tree::NodeRecord* out) {
  std::string_view key = chars_of(tree::ByteView(label));
  if (const std::string* staged = staged_.find(label)) {
    ++hits_;
    return decode(*staged, key, out);
  }
  auto it = index_.find(label);
  if (it != index_.end()) {
    ++hits_;
    lru_.splice(lru_.begin(), lru_, it->second);
    return decode(it->second->second, key, out);
  }
  ++misses_;
  std::string value;
  const std::string prefixed = keyspace_.is_default() ? std::string() : keyspace_.key(key);
  const std::string_view stored = keyspace_.is_default() ? key : std::string_view(prefixed);
  Status s = db_->get(keyspace_.family(Family::kNodes), stored, &value);
  if (s.kind() == tree::ErrorKind::kNotFound && pending_count_ > 0) {
    // Queued but evicted from the cache: write the queue out and read again.
    if (Status f = flush(false); !f.is_ok()) return f;
    s = db_->get(keyspace_.family(Family::kNodes), stored, &value);
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
