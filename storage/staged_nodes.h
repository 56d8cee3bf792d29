// Records read ahead for a replay: a flat, read-only table by label that
// is consulted before the cache and dropped once the replay is done.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/path_fetch.h"

namespace basis::storage {

class StagedNodes {
 public:
  // Replaces the table with `nodes`.
  void assign(std::vector<EncodedNode> nodes);
  // The stored record of `label`, or nullptr.
  const std::string* find(const tree::Label& label) const;
  void clear();
  size_t size() const { return nodes_.size(); }

 private:
  static uint64_t slot_of(const tree::Label& label);
  std::vector<EncodedNode> nodes_;
  std::vector<uint32_t> slots_;  // open addressing: index into nodes_ + 1, 0 = empty
  uint64_t mask_ = 0;
};

}  // namespace basis::storage
