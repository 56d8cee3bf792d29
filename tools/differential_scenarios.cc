#include "tools/differential_scenarios.h"

#include <limits>

namespace basis::tools {

using namespace basis::tree;

namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

constexpr OpType kAllTypes[] = {OpType::kLookup, OpType::kInsert, OpType::kUpdate,
                                OpType::kRemove, OpType::kInsertOrUpdate,
                                OpType::kRemoveIfExists, OpType::kUpdateLongBy};

// A key of the tree's length: `fill` everywhere, `last` in the last byte.
Bytes key(size_t kl, uint8_t fill, uint8_t last) {
  Bytes k(kl, fill);
  k.back() = last;
  return k;
}

GenOp op(OpType t, Bytes k, Bytes v = {}, int64_t delta = 0) {
  return GenOp{t, std::move(k), std::move(v), delta};
}

Bytes value_for(const TreeParams& p, uint8_t fill) {
  return Bytes(p.value_length ? *p.value_length : 3 + fill % 5, fill);
}

// The operation of type `t` on `k`, with a value that fits the tree.
GenOp typed(const TreeParams& p, OpType t, Bytes k, uint8_t fill) {
  switch (t) {
    case OpType::kInsert:
    case OpType::kUpdate:
    case OpType::kInsertOrUpdate: return op(t, std::move(k), value_for(p, fill));
    case OpType::kUpdateLongBy: return op(t, std::move(k), {}, 5);
    default: return op(t, std::move(k));
  }
}

// Every key-check failure on every operation type, each right after an
// operation that changed the tree in the same batch (the prover once
// judged such a failure by the previous operation's state and stopped).
Scenario key_checks(const std::string& name, const TreeParams& p) {
  size_t kl = p.key_length;
  Scenario s{name, "Key-check failures (KeyNotAboveNegInfinity, KeyNotBelowPosInfinity, "
                   "KeyLengthMismatch) on every operation type, each right after a changing "
                   "operation in the same batch; also keys beside the sentinels (00..01, ff..fe).",
             p, {}};
  GenBatch setup;
  for (uint8_t i = 1; i <= 6; ++i) setup.push_back(op(OpType::kInsert, key(kl, 0x40, i * 16), value_for(p, i)));
  setup.push_back(op(OpType::kInsert, key(kl, 0x00, 0x01), value_for(p, 7)));
  setup.push_back(op(OpType::kInsert, key(kl, 0xff, 0xfe), value_for(p, 8)));
  s.batches.push_back(setup);
  // The refused keys: the sentinels, and keys of wrong lengths on either side.
  std::vector<Bytes> bad = {Bytes(kl, 0x00), Bytes(kl - 1, 0x00), Bytes(kl, 0xff), Bytes(kl + 1, 0xff),
                            Bytes(kl + 1, 0x00), Bytes(kl - 1, 0xff), key(kl + 2, 0x40, 0x10)};
  if (kl > 1) bad.push_back(key(kl - 1, 0x40, 0x20));
  // The changing operations, in turn: each really changes the tree.
  uint8_t next = 0x80;  // above the setup's keys, also with 1-byte keys
  for (OpType failing : kAllTypes) {
    GenBatch b;
    for (size_t i = 0; i < bad.size(); ++i) {
      Bytes fresh = key(kl, 0x40, static_cast<uint8_t>(next++));
      switch (i % 6) {
        case 0: b.push_back(op(OpType::kInsert, fresh, value_for(p, 9))); break;
        case 1: b.push_back(op(OpType::kInsertOrUpdate, fresh, value_for(p, 10))); break;
        case 2:  // UpdateLongBy writes 8 bytes: a change only where values may have 8
          if (!p.value_length || *p.value_length == 8) {
            b.push_back(op(OpType::kUpdateLongBy, fresh, {}, 3));
          } else {
            b.push_back(op(OpType::kInsertOrUpdate, fresh, value_for(p, 10)));
          }
          break;
        case 3: b.push_back(op(OpType::kUpdate, key(kl, 0x40, 0x10), value_for(p, next))); break;
        case 4:
          b.push_back(op(OpType::kInsert, fresh, value_for(p, 11)));
          b.push_back(op(OpType::kRemove, fresh));
          break;
        default:
          b.push_back(op(OpType::kInsert, fresh, value_for(p, 12)));
          b.push_back(op(OpType::kRemoveIfExists, fresh));
          break;
      }
      b.push_back(typed(p, failing, bad[i], 13));
    }
    b.push_back(typed(p, failing, key(kl, 0x00, 0x01), 14));  // beside -inf: valid
    b.push_back(typed(p, failing, key(kl, 0xff, 0xfe), 15));  // beside +inf: valid
    s.batches.push_back(std::move(b));
  }
  // A batch of nothing but refused keys, and one key check failing first.
  GenBatch only_bad;
  for (const Bytes& k : bad) only_bad.push_back(typed(p, OpType::kInsert, k, 1));
  s.batches.push_back(std::move(only_bad));
  s.batches.push_back({typed(p, OpType::kRemove, Bytes(kl, 0xff), 0), op(OpType::kLookup, key(kl, 0x40, 0x10))});
  return s;
}

// UpdateLongBy's corners: short, exact and long stored values, overflow both
// ways, zero deltas, results reaching zero (removal) and negative.
Scenario long_edges(const std::string& name, const TreeParams& p) {
  size_t kl = p.key_length;
  bool var = !p.value_length;
  Scenario s{name, "UpdateLongBy edges: absent keys (insert, DecreaseNonExisting, zero delta), "
                   "INT64_MAX/INT64_MIN deltas and overflow both ways (LongOverflow), results "
                   "reaching zero (the key is removed) and negative (NegativeResult), stored "
                   "negative longs" +
                       std::string(var ? ", values shorter (LongValueTooShort) and longer than "
                                         "8 bytes, empty values."
                                       : "."),
             p, {}};
  auto k = [&](uint8_t i) { return key(kl, 0x20, i); };
  s.batches.push_back({
      op(OpType::kUpdateLongBy, k(1), {}, 0),     // absent, zero: nothing
      op(OpType::kUpdateLongBy, k(1), {}, -1),    // DecreaseNonExisting
      op(OpType::kUpdateLongBy, k(1), {}, kMin),  // DecreaseNonExisting
      op(OpType::kUpdateLongBy, k(1), {}, kMax),  // inserts INT64_MAX
      op(OpType::kUpdateLongBy, k(1), {}, 1),     // LongOverflow
      op(OpType::kUpdateLongBy, k(1), {}, kMin),  // -1: NegativeResult
      op(OpType::kUpdateLongBy, k(1), {}, -kMax), // exactly zero: removed
      op(OpType::kLookup, k(1)),
      op(OpType::kInsert, k(2), long_bytes(kMin)),
      op(OpType::kUpdateLongBy, k(2), {}, -1),    // LongOverflow downwards
      op(OpType::kUpdateLongBy, k(2), {}, kMax),  // -1: NegativeResult
      op(OpType::kUpdateLongBy, k(2), {}, 0),     // rewrites the same value
      op(OpType::kInsert, k(3), long_bytes(-5)),
      op(OpType::kUpdateLongBy, k(3), {}, 5),     // zero: removed
      op(OpType::kUpdateLongBy, k(4), {}, 7),
      op(OpType::kUpdateLongBy, k(4), {}, -8),    // NegativeResult
      op(OpType::kUpdateLongBy, k(4), {}, -7),    // removed
      op(OpType::kUpdateLongBy, k(4), {}, kMax),
      op(OpType::kUpdateLongBy, k(4), {}, kMin),  // -1: NegativeResult
  });
  s.batches.push_back({op(OpType::kUpdateLongBy, k(4), {}, -kMax)});  // removes in a batch of one
  s.batches.push_back({});
  if (var) {
    s.batches.push_back({
        op(OpType::kInsert, k(5), {}),
        op(OpType::kUpdateLongBy, k(5), {}, 1),   // LongValueTooShort (empty)
        op(OpType::kUpdateLongBy, k(5), {}, 0),   // zero: fine on a short value
        op(OpType::kInsert, k(6), Bytes{1, 2, 3, 4, 5, 6, 7}),
        op(OpType::kUpdateLongBy, k(6), {}, -1),  // LongValueTooShort
        op(OpType::kInsert, k(7), Bytes{0, 0, 0, 0, 0, 0, 0, 9, 0xaa, 0xbb}),
        op(OpType::kUpdateLongBy, k(7), {}, 1),   // read from the first 8: 10, stored as 8
        op(OpType::kLookup, k(7)),
        op(OpType::kInsert, k(8), Bytes{0, 0, 0, 0, 0, 0, 0, 3, 0xff}),
        op(OpType::kUpdateLongBy, k(8), {}, -3),  // zero from a long value: removed
        op(OpType::kInsert, k(9), Bytes{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1}),
        op(OpType::kUpdateLongBy, k(9), {}, 1),   // LongOverflow
        op(OpType::kUpdateLongBy, k(9), {}, 0),   // rewrites all 9 bytes
        op(OpType::kUpdate, k(5), Bytes(4000, 0x5a)),  // a large value
        op(OpType::kUpdateLongBy, k(5), {}, -1),  // 0x5a5a..: large positive, -1
    });
  }
  return s;
}

// Values of the wrong length in fixed-length trees fail only where a value
// would be written, after the key's own checks and the search.
Scenario value_lengths(const std::string& name, const TreeParams& p) {
  size_t kl = p.key_length, vl = *p.value_length;
  Scenario s{name, "Wrong value lengths in a fixed-length tree: Insert, Update and InsertOrUpdate "
                   "on present and absent keys (ValueLengthMismatch only where a value would be "
                   "written; KeyAlreadyExists / KeyNotFound first), UpdateLongBy writing 8 bytes.",
             p, {}};
  auto k = [&](uint8_t i) { return key(kl, 0x30, i); };
  Bytes good(vl, 0x11), shorter = vl ? Bytes(vl - 1, 0x22) : Bytes{}, longer(vl + 1, 0x33),
      empty;
  GenBatch b = {op(OpType::kInsert, k(1), good), op(OpType::kInsert, k(2), good)};
  for (const Bytes& v : {shorter, longer, empty, Bytes(vl + 4096, 0x44)}) {
    b.push_back(op(OpType::kInsert, k(3), v));          // absent: ValueLengthMismatch
    b.push_back(op(OpType::kInsert, k(1), v));          // present: KeyAlreadyExists
    b.push_back(op(OpType::kUpdate, k(1), v));          // present: ValueLengthMismatch
    b.push_back(op(OpType::kUpdate, k(4), v));          // absent: KeyNotFound
    b.push_back(op(OpType::kInsertOrUpdate, k(2), v));  // present
    b.push_back(op(OpType::kInsertOrUpdate, k(5), v));  // absent
    b.push_back(op(OpType::kInsertOrUpdate, k(2), good));
  }
  b.push_back(op(OpType::kUpdateLongBy, k(6), {}, 9));  // inserts 8 bytes
  b.push_back(op(OpType::kUpdateLongBy, k(1), {}, 0));  // zero delta: no value written
  b.push_back(op(OpType::kRemove, k(1)));
  s.batches.push_back(std::move(b));
  s.batches.push_back({op(OpType::kInsertOrUpdate, k(7), longer)});  // fails alone in its batch
  return s;
}

// A seeded stream from the generator, kept as a regression file.
Scenario sample(const std::string& name, const TreeParams& p, uint64_t seed, size_t ops) {
  return Scenario{name, "A seeded random and adversarial stream of basis-tree differential (seed " +
                            std::to_string(seed) + ", " + std::to_string(ops) + " operations).",
                  p, generate_stream(seed, p, ops)};
}

}  // namespace

std::vector<Scenario> curated_scenarios() {
  const TreeParams var32{32, std::nullopt}, fixed32_8{32, 8u}, var1{1, std::nullopt},
      fixed4_0{4, 0u}, fixed4_8{4, 8u}, var4{4, std::nullopt};
  return {
      key_checks("key_checks_var", var32),
      key_checks("key_checks_fixed8", fixed32_8),
      key_checks("key_checks_keylen1_var", var1),
      key_checks("key_checks_fixed0", fixed4_0),
      long_edges("long_edges_var", var32),
      long_edges("long_edges_fixed8", fixed4_8),
      value_lengths("value_lengths_fixed8", fixed32_8),
      value_lengths("value_lengths_fixed0", fixed4_0),
      sample("differential_sample_var", var4, 11, 600),
      sample("differential_sample_fixed8", fixed4_8, 12, 600),
  };
}

}  // namespace basis::tools
