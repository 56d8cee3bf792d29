#include "storage/staged_nodes.h"

#include <cstring>

namespace basis::storage {

uint64_t StagedNodes::slot_of(const tree::Label& label) {
  uint64_t h;
  std::memcpy(&h, label.data(), sizeof h);  // labels are uniformly random
  return h;
}

void StagedNodes::assign(std::vector<EncodedNode> nodes) {
  nodes_ = std::move(nodes);
  size_t capacity = 16;
  while (capacity < nodes_.size() * 2) capacity *= 2;  // at most half full
  slots_.assign(capacity, 0);
  mask_ = capacity - 1;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    uint64_t s = slot_of(nodes_[i].first) & mask_;
    while (slots_[s] != 0) {
      if (nodes_[slots_[s] - 1].first == nodes_[i].first) break;  // read twice: keep one
      s = (s + 1) & mask_;
    }
    slots_[s] = static_cast<uint32_t>(i + 1);
  }
}

const std::string* StagedNodes::find(const tree::Label& label) const {
  if (slots_.empty()) return nullptr;
  for (uint64_t s = slot_of(label) & mask_; slots_[s] != 0; s = (s + 1) & mask_) {
    const EncodedNode& n = nodes_[slots_[s] - 1];
    if (n.first == label) return &n.second;
  }
  return nullptr;
}

void StagedNodes::clear() {
  nodes_.clear();
  nodes_.shrink_to_fit();
  slots_.clear();
  slots_.shrink_to_fit();
  mask_ = 0;
}

}  // namespace basis::storage
