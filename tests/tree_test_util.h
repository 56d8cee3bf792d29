// Helpers shared by the tree tests: a std::map model of the tree and seeded
// random operation streams.
#pragma once

#include <map>
#include <optional>
#include <random>
#include <vector>

#include "basis/tree/batch_prover.h"
#include "basis/tree/batch_verifier.h"
#include "basis/tree/tree_check.h"

namespace basis::tree::testing {

// An operation that owns its bytes.
struct OwnedOp {
  OpType type = OpType::kLookup;
  Bytes key;
  Bytes value;
  int64_t delta = 0;
  Operation op() const { return {type, view(key), view(value), delta}; }
};

// What the tree should hold, and what each operation should do to it.
class Model {
 public:
  explicit Model(const TreeParams& params) : params_(params) {}

  // Expected outcome of `op`; applies it when it succeeds.
  ErrorKind apply(const OwnedOp& op, std::optional<Bytes>* old) {
    auto it = map_.find(op.key);
    *old = it == map_.end() ? std::nullopt : std::optional<Bytes>(it->second);
    bool present = it != map_.end();
    auto store = [&](const Bytes& v) {
      if (params_.value_length && v.size() != *params_.value_length) return ErrorKind::kValueLengthMismatch;
      map_[op.key] = v;
      return ErrorKind::kOk;
    };
    switch (op.type) {
      case OpType::kLookup: return ErrorKind::kOk;
      case OpType::kInsert: return present ? ErrorKind::kKeyAlreadyExists : store(op.value);
      case OpType::kUpdate: return present ? store(op.value) : ErrorKind::kKeyNotFound;
      case OpType::kInsertOrUpdate: return store(op.value);
      case OpType::kRemove:
        if (!present) return ErrorKind::kKeyNotFound;
        map_.erase(it);
        return ErrorKind::kOk;
      case OpType::kRemoveIfExists:
        if (present) map_.erase(it);
        return ErrorKind::kOk;
      case OpType::kUpdateLongBy: {
        if (op.delta == 0) return present ? store(it->second) : ErrorKind::kOk;
        if (!present) return op.delta < 0 ? ErrorKind::kDecreaseNonExisting : store(long_bytes(op.delta));
        if (it->second.size() < 8) return ErrorKind::kLongValueTooShort;
        int64_t old_long = 0;
        for (int i = 0; i < 8; ++i) old_long = static_cast<int64_t>(static_cast<uint64_t>(old_long) << 8 | it->second[i]);
        int64_t sum;
        if (__builtin_add_overflow(old_long, op.delta, &sum)) return ErrorKind::kLongOverflow;
        if (sum < 0) return ErrorKind::kNegativeResult;
        if (sum == 0) {
          map_.erase(it);
          return ErrorKind::kOk;
        }
        return store(long_bytes(sum));
      }
    }
    return ErrorKind::kInvalidArgument;
  }

  static Bytes long_bytes(int64_t v) {
    Bytes b(8);
    for (int i = 7; i >= 0; --i) {
      b[i] = static_cast<uint8_t>(v);
      v = static_cast<int64_t>(static_cast<uint64_t>(v) >> 8);
    }
    return b;
  }

  const std::map<Bytes, Bytes, BytesLess>& map() const { return map_; }

 private:
  TreeParams params_;
  std::map<Bytes, Bytes, BytesLess> map_;
};

// Random operations over a key space small enough to make collisions,
// failures and deletions common.
class OpGenerator {
 public:
  OpGenerator(const TreeParams& params, uint64_t seed, uint32_t key_space)
      : params_(params), rng_(seed), key_space_(key_space) {}

  Bytes key() {
    Bytes k(params_.key_length, 0);
    uint32_t i = 1 + static_cast<uint32_t>(rng_() % key_space_);
    for (size_t b = 0; b < k.size() && b < 4; ++b) k[k.size() - 1 - b] = static_cast<uint8_t>(i >> (8 * b));
    if (k.size() > 4) k[0] = static_cast<uint8_t>(i * 131);  // spread keys over the space
    return k;
  }

  Bytes value() {
    size_t len = params_.value_length ? *params_.value_length : rng_() % 40;
    if (params_.value_length && rng_() % 50 == 0) len = len + 1;  // wrong length, sometimes
    Bytes v(len);
    for (auto& b : v) b = static_cast<uint8_t>(rng_());
    return v;
  }

  OwnedOp next() {
    OwnedOp op;
    op.type = static_cast<OpType>(rng_() % 7);
    op.key = key();
    if (op.type == OpType::kInsert || op.type == OpType::kUpdate || op.type == OpType::kInsertOrUpdate) {
      op.value = value();
    }
    if (op.type == OpType::kUpdateLongBy) op.delta = static_cast<int64_t>(rng_() % 2001) - 1000;
    return op;
  }

  std::mt19937_64& rng() { return rng_; }

 private:
  TreeParams params_;
  std::mt19937_64 rng_;
  uint32_t key_space_;
};

}  // namespace basis::tree::testing
