// Where one tree's records live in a store: the prefix every key of its
// nodes, operations, checkpoints, notes and metadata starts with. The
// default tree (a store's first, and every store's only one so far) has no
// prefix: its records are where every store since format 1 keeps them.
// A named tree's keys start with its 4-byte id (big-endian), in the t.*
// families (docs/DESIGN.md, "Named trees"), so that no walk of the default
// tree's families ever meets them. A plain value; thread-safe to share.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/database.h"

namespace basis::storage {

class Keyspace {
 public:
  Keyspace() = default;  // the default tree
  explicit Keyspace(std::string prefix) : prefix_(std::move(prefix)) {}
  // The named tree with this id (1 and up; 0 is the default tree) and key
  // length (what checking its nodes needs; the default tree's is the store's).
  static Keyspace for_tree(uint32_t id, uint32_t key_length = 0);
  // 0: the store's (the default tree's, in its metadata).
  uint32_t key_length() const { return key_length_; }

  const std::string& prefix() const { return prefix_; }
  bool is_default() const { return prefix_.empty(); }
  // The family that holds, for this tree, what `f` holds for the default tree.
  Family family(Family f) const { return is_default() ? f : named_tree_family(f); }

  // The stored key of `key` in this keyspace.
  std::string key(std::string_view key) const {
    std::string out;
    out.reserve(prefix_.size() + key.size());
    out.append(prefix_);
    out.append(key);
    return out;
  }
  // `stored` without the prefix; false when it lies outside this keyspace.
  bool strip(std::string_view stored, std::string_view* key) const {
    if (stored.substr(0, prefix_.size()) != prefix_) return false;
    *key = stored.substr(prefix_.size());
    return true;
  }
  // The first stored key after every key of this keyspace; empty when none
  // is (the default tree, or a prefix of 0xFF bytes): no upper bound.
  std::string upper_bound() const;

 private:
  std::string prefix_;
  uint32_t key_length_ = 0;
};

}  // namespace basis::storage
