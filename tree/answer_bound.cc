#include "basis/tree/answer_bound.h"

#include <algorithm>
#include <map>
#include <set>

namespace basis::tree {

namespace {

// The proof holds each leaf of the old tree it reveals once, each internal
// node passed (1 byte) and the label of each sibling not passed (33 bytes).
constexpr uint64_t kPerInternalNode = 1 + 33;
constexpr uint64_t kPerResult = 16;

bool may_delete(OpType t) {
  return t == OpType::kRemove || t == OpType::kRemoveIfExists || t == OpType::kUpdateLongBy;
}

bool stores_value(OpType t) {
  return t == OpType::kInsert || t == OpType::kUpdate || t == OpType::kInsertOrUpdate;
}

// `key` - 1, or false for the all-zero key.
bool predecessor_key(ByteView key, Bytes* out) {
  out->assign(key.begin(), key.end());
  for (size_t i = out->size(); i-- > 0;) {
    if ((*out)[i] != 0) {
      --(*out)[i];
      return true;
    }
    (*out)[i] = 0xff;
  }
  return false;
}

}  // namespace

std::optional<uint64_t> fixed_length_bound(const BatchProver& prover, size_t operations) {
  const TreeParams& params = prover.params();
  if (!params.value_length) return std::nullopt;
  const uint64_t value = *params.value_length;
  const uint64_t per_leaf = 1 + 2 * uint64_t{params.key_length} + 4 + value;
  const uint64_t path_nodes = static_cast<uint64_t>(prover.height()) + 2 + operations;
  const uint64_t per_op = kPerResult + value + 3 * per_leaf + 2 * kPerInternalNode * path_nodes;
  return per_op * operations;
}

Status bound_answer(BatchProver& prover, std::span<const Operation> ops, uint64_t limit, AnswerBound* out) {
  *out = {};
  const TreeParams& params = prover.params();
  const uint64_t per_leaf = 1 + 2 * uint64_t{params.key_length} + 4;
  // Height can grow by one per insertion; deletions walk the path twice.
  const uint64_t path_nodes = static_cast<uint64_t>(prover.height()) + 2 + ops.size();
  // The most a key's value can be after the operations so far (upper bound:
  // a removal may fail, so it keeps the size; a store may fail, so it keeps
  // the larger of both).
  std::map<Bytes, size_t, BytesLess> sizes;
  std::set<Bytes, BytesLess> revealed;  // leaves of the old tree, by key
  BatchProver::LeafSummary leaf;
  const Bytes positive_infinity(params.key_length, 0xff);
  Bytes pred;
  auto reveal = [&](ByteView key) -> Status {
    if (Status s = prover.leaf_summary_at(key, &leaf); !s.is_ok()) return s;
    if (revealed.insert(leaf.key).second) out->proof_bytes += per_leaf + leaf.value_size;
    return Status::ok();
  };
  for (const Operation& op : ops) {
    if (out->total() > limit) break;
    out->result_bytes += kPerResult;
    out->proof_bytes += kPerInternalNode * path_nodes * (may_delete(op.type) ? 2 : 1);
    if (op.key.size() != params.key_length) continue;  // fails at once: no value, nothing revealed
    if (Status s = reveal(op.key); !s.is_ok()) return s;
    const bool present_in_old = compare_bytes(view(leaf.key), op.key) == 0;
    const Bytes next = leaf.next_key;
    const size_t old_size = present_in_old ? leaf.value_size : 0;
    Bytes key(op.key.begin(), op.key.end());
    auto it = sizes.find(key);
    size_t now = it != sizes.end() ? it->second : old_size;
    out->result_bytes += now;
    if (may_delete(op.type)) {
      // A deletion also rewrites the neighbours: the leaf before and after.
      if (present_in_old && predecessor_key(op.key, &pred)) {
        if (Status s = reveal(view(pred)); !s.is_ok()) return s;
      }
      if (compare_bytes(view(next), view(positive_infinity)) < 0) {
        if (Status s = reveal(view(next)); !s.is_ok()) return s;
      }
    }
    size_t after = now;
    if (stores_value(op.type)) after = std::max(now, op.value.size());
    if (op.type == OpType::kUpdateLongBy) after = std::max<size_t>(now, 8);
    sizes[std::move(key)] = after;
  }
  return Status::ok();
}

}  // namespace basis::tree
