// One byte budget shared by every tree of a store (persistence.node_cache_size):
// the trees in memory and the node stores' caches each charge what they
// hold, and each gives back its own (unloads, evicts) while the store is
// over. Thread-safe (atomics). No copying.
#pragma once

#include <atomic>
#include <cstdint>

namespace basis::storage {

class MemoryBudget {
 public:
  explicit MemoryBudget(uint64_t limit = UINT64_MAX) : limit_(limit) {}
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  void set_limit(uint64_t limit) { limit_.store(limit, std::memory_order_relaxed); }
  uint64_t limit() const { return limit_.load(std::memory_order_relaxed); }
  uint64_t used() const { return used_.load(std::memory_order_relaxed); }
  // Adds (or, negative, gives back) bytes held.
  void charge(int64_t bytes) { used_.fetch_add(static_cast<uint64_t>(bytes), std::memory_order_relaxed); }
  bool over() const { return used() > limit(); }

 private:
  std::atomic<uint64_t> limit_;
  std::atomic<uint64_t> used_{0};
};

}  // namespace basis::storage
