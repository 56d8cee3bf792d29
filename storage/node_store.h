// The node store: new nodes written in large unsynced batches, read back by
// label through a least-recently-used cache bounded in bytes. It is the
// resolver a prover uses to reach nodes that are not in memory.
#pragma once

#include <list>
#include <string>
#include <unordered_map>
#include <vector>

#include "storage/database.h"
#include "storage/keyspace.h"
#include "storage/staged_nodes.h"
#include "basis/tree/node.h"
#include "basis/tree/node_resolver.h"

namespace rocksdb {
class WriteBatch;
}

namespace basis::storage {

class NodeStore : public tree::NodeResolver {
 public:
  // `db` must outlive the store. `cache_bytes` bounds the record cache, and
  // so does the store's memory budget (Database::memory_budget), charged
  // with what the cache holds. The nodes of the tree in `keyspace`.
  NodeStore(Database* db, size_t cache_bytes, const Keyspace& keyspace = Keyspace());
  ~NodeStore() override;

  // Queues `n` (labelled) for the next flush; it is readable at once.
  void add(const tree::Node& n, const tree::NodePool& pool);
  size_t pending() const { return pending_count_; }
  // Writes every queued node. `sync` also waits for the disk.
  Status flush(bool sync);

  Status resolve(const tree::Label& label, tree::NodeRecord* out) override;

  // Loads into the cache every node on the search paths of `keys` from the
  // root `root`, reading on `threads` threads, so that a replay of
  // operations on those keys finds its nodes in memory. Stops quietly at
  // nodes it cannot read (the replay then reports them).
  // They stay, outside the cache's bound, until drop_prefetched().
  void prefetch_paths(const tree::Label& root, std::vector<tree::Bytes> keys, int threads);
  void drop_prefetched();

  size_t cache_bytes() const { return cache_used_; }
  uint64_t cache_hits() const { return hits_; }
  uint64_t cache_misses() const { return misses_; }

 private:
  struct LabelHash {
    size_t operator()(const tree::Label& l) const {
      size_t h;
      std::memcpy(&h, l.data(), sizeof h);  // labels are uniformly random
      return h;
    }
  };
  using Entry = std::pair<tree::Label, std::string>;  // label, encoded record

  void cache_put(const tree::Label& label, std::string encoded);
  static size_t charge(const Entry& e) { return e.second.size() + sizeof(Entry) + 64; }

  Database* db_;
  const Keyspace keyspace_;
  std::unique_ptr<rocksdb::WriteBatch> batch_;
  size_t pending_count_ = 0;
  size_t cache_limit_;
  size_t cache_used_ = 0;
  std::list<Entry> lru_;  // most recent first
  std::unordered_map<tree::Label, std::list<Entry>::iterator, LabelHash> index_;
  StagedNodes staged_;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

// The stored form of an in-memory node (children must be labelled); a leaf
// leaves out its keys, which the path to it gives.
tree::NodeRecord to_record(const tree::Node& n, const tree::NodePool& pool);

}  // namespace basis::storage
