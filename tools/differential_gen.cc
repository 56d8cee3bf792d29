#include "tools/differential_gen.h"

#include <algorithm>
#include <limits>
#include <map>
#include <random>

namespace basis::tools {

using namespace basis::tree;

namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
// Values this large make the oracle (Scala.js hashing) slow; a few per stream
// are enough to cover large leaves in proofs.
constexpr size_t kLargeValueMin = 1024;
constexpr size_t kLargeValueMax = 6 * 1024;

int64_t clamp64(__int128 v) {
  if (v > kMax) return kMax;
  if (v < kMin) return kMin;
  return static_cast<int64_t>(v);
}

// Kinds of batch the stream mixes; each stresses something else.
enum class Mode { kMixed, kDeletions, kEdgeAfterChange, kCounters, kFill };

class Generator {
 public:
  Generator(uint64_t seed, const TreeParams& params)
      : rng_(seed * 0x9e3779b97f4a7c15ULL + 1), p_(params),
        neg_inf_(params.key_length, 0x00), pos_inf_(params.key_length, 0xff) {
    // How large the tree should hover: small trees hit the sentinels and
    // empty-tree corners, large ones deep paths and rotations.
    static constexpr size_t kTargets[] = {8, 60, 400, 3000};
    target_ = kTargets[below(4)];
    if (p_.key_length == 1) target_ = std::min<size_t>(target_, 200);  // 254 keys exist
  }

  std::vector<GenBatch> stream(size_t ops) {
    std::vector<GenBatch> out;
    while (ops > 0) {
      size_t n = std::min(ops, batch_size());
      out.push_back(batch(n));
      ops -= n;
    }
    if (below(2)) out.emplace_back();  // an empty batch last, now and then
    return out;
  }

 private:
  uint64_t below(uint64_t n) { return n ? rng_() % n : 0; }
  bool percent(int p) { return static_cast<int>(below(100)) < p; }

  size_t batch_size() {
    uint64_t r = below(100);
    if (r < 5) return 0;
    if (r < 15) return 1;
    if (r < 45) return 2 + below(7);
    if (r < 80) return 9 + below(56);
    if (r < 95) return 65 + below(236);
    return 301 + below(1200);
  }

  GenBatch batch(size_t n) {
    Mode mode = Mode::kMixed;
    uint64_t r = below(100);
    if (r < 10) mode = Mode::kDeletions;
    else if (r < 25) mode = Mode::kEdgeAfterChange;
    else if (r < 35) mode = Mode::kCounters;
    else if (r < 42) mode = Mode::kFill;
    GenBatch b;
    b.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      GenOp op = make_op(mode, i);
      apply(op);
      b.push_back(std::move(op));
    }
    return b;
  }

  Bytes random_bytes(size_t n) {
    Bytes b(n);
    for (auto& x : b) x = static_cast<uint8_t>(rng_());
    return b;
  }

  Bytes fresh_key() {
    Bytes k = random_bytes(p_.key_length);
    if (p_.key_length > 1 && percent(40)) {
      // Clustered keys share long prefixes (deep common paths, neighbours).
      std::fill(k.begin(), k.end() - 1, static_cast<uint8_t>(below(3) * 0x7f));
    }
    return k;
  }

  // A key in the tree, if any (the first at or after a random one).
  Bytes existing_key() {
    if (model_.empty()) return fresh_key();
    auto it = model_.lower_bound(random_bytes(p_.key_length));
    if (it == model_.end()) it = model_.begin();
    return it->first;
  }

  // Valid keys right beside the sentinels: 00..01, ff..fe and close.
  Bytes near_sentinel_key() {
    Bytes k = below(2) ? neg_inf_ : pos_inf_;
    uint8_t step = static_cast<uint8_t>(1 + below(3));
    k.back() = k.back() == 0 ? step : static_cast<uint8_t>(0xff - step);
    return k;
  }

  // A key the validity checks must refuse, or one beside such a key.
  Bytes edge_key() {
    size_t kl = p_.key_length;
    switch (below(12)) {
      case 0: return neg_inf_;
      case 1: return pos_inf_;
      case 2: return Bytes(kl - 1, 0x00);  // below -inf: a prefix of it
      case 3: return Bytes(kl + 1, 0x00);  // above -inf, wrong length
      case 4: return Bytes(kl - 1, 0xff);  // below +inf, wrong length
      case 5: return Bytes(kl + 1, 0xff);  // above +inf
      case 6: return {};
      case 7: return random_bytes(kl - 1);
      case 8: return random_bytes(kl + 1 + below(40));
      case 9: {
        Bytes k = existing_key();
        k.push_back(static_cast<uint8_t>(below(2) ? 0x00 : rng_()));
        return k;
      }
      case 10: {
        Bytes k = existing_key();
        k.pop_back();
        return k;
      }
      default: return near_sentinel_key();
    }
  }

  // An existing key moved by one in its last byte: the neighbours of leaves.
  Bytes neighbour_key() {
    Bytes k = existing_key();
    k.back() = static_cast<uint8_t>(k.back() + (below(2) ? 1 : -1));
    return k;
  }

  Bytes pick_key(int edge_percent) {
    uint64_t r = below(100);
    if (static_cast<int>(r) < edge_percent) return edge_key();
    r = below(100);
    if (r < 55) return existing_key();
    if (r < 80) return fresh_key();
    if (r < 90) return neighbour_key();
    return near_sentinel_key();
  }

  int64_t interesting_long() {
    switch (below(10)) {
      case 0: return kMax;
      case 1: return kMax - static_cast<int64_t>(below(4));
      case 2: return kMin + static_cast<int64_t>(below(2));
      case 3: return -static_cast<int64_t>(1 + below(100));
      case 4: return 0;
      case 5: return static_cast<int64_t>(rng_());
      default: return static_cast<int64_t>(1 + below(1000));
    }
  }

  Bytes value() {
    if (p_.value_length) {
      size_t vl = *p_.value_length;
      if (percent(6)) {  // a wrong length: must fail only where a value is written
        switch (below(4)) {
          case 0: return Bytes(vl + 1, 0xaa);
          case 1: return vl ? random_bytes(vl - 1) : Bytes(8, 0x01);
          case 2: return vl ? Bytes{} : Bytes(1, 0x00);
          default: return random_bytes(vl + 8 + below(64));
        }
      }
      if (vl == 8 && percent(70)) return long_bytes(interesting_long());
      return random_bytes(vl);
    }
    uint64_t r = below(1000);
    if (r < 50) return {};
    if (r < 450) return long_bytes(interesting_long());
    if (r < 550) return random_bytes(1 + below(7));  // too short for a long
    if (r < 900) return random_bytes(9 + below(32));  // longer: read from its first 8
    if (r < 992) return random_bytes(41 + below(260));
    return random_bytes(kLargeValueMin + below(kLargeValueMax - kLargeValueMin));
  }

  int64_t delta_for(const Bytes& key) {
    auto it = model_.find(key);
    bool has_long = it != model_.end() && it->second.size() >= 8;
    __int128 o = 0;
    if (has_long) {
      int64_t v = 0;
      for (int i = 0; i < 8; ++i) v = static_cast<int64_t>(static_cast<uint64_t>(v) << 8 | it->second[i]);
      o = v;
    }
    switch (below(12)) {
      case 0: return 0;
      case 1: return kMax;
      case 2: return kMin;
      case 3: return clamp64(-o);      // reaches zero: the key is removed
      case 4: return clamp64(-o - 1);  // just negative
      case 5: return clamp64(__int128(kMax) - o + 1);  // overflows upwards
      case 6: return clamp64(__int128(kMin) - o - 1);  // overflows downwards
      case 7: return -static_cast<int64_t>(1 + below(50));
      case 8: return static_cast<int64_t>(rng_());
      default: return static_cast<int64_t>(1 + below(100));
    }
  }

  OpType pick_type() {
    bool grow = model_.size() < target_;
    // Lookup, Insert, Update, Remove, InsertOrUpdate, RemoveIfExists, UpdateLongBy
    int w[7] = {12, grow ? 26 : 10, 12, grow ? 6 : 18, 14, grow ? 5 : 14, 20};
    int total = 0;
    for (int x : w) total += x;
    int r = static_cast<int>(below(total));
    for (int i = 0; i < 7; ++i) {
      if (r < w[i]) return static_cast<OpType>(i);
      r -= w[i];
    }
    return OpType::kLookup;
  }

  GenOp make_op(Mode mode, size_t index) {
    GenOp op;
    switch (mode) {
      case Mode::kDeletions: {
        // Runs of deletions empty the tree down to its sentinel now and then.
        static constexpr OpType kDel[] = {OpType::kRemove, OpType::kRemoveIfExists,
                                          OpType::kUpdateLongBy};
        op.type = kDel[below(percent(80) ? 2 : 3)];
        op.key = percent(90) ? existing_key() : pick_key(10);
        if (op.type == OpType::kUpdateLongBy) op.delta = delta_for(op.key);
        return op;
      }
      case Mode::kEdgeAfterChange:
        // A key-check failure right after a changing operation, alternately.
        if (index % 2 == 0) {
          op.type = below(2) ? OpType::kInsert : OpType::kRemove;
          op.key = op.type == OpType::kInsert ? fresh_key() : existing_key();
          if (op.type == OpType::kInsert) op.value = value();
          return op;
        }
        op.type = static_cast<OpType>(below(7));
        op.key = pick_key(70);
        break;
      case Mode::kCounters:
        op.type = percent(75) ? OpType::kUpdateLongBy : pick_type();
        op.key = percent(80) ? existing_key() : pick_key(8);
        break;
      case Mode::kFill:
        op.type = percent(70) ? OpType::kInsert : OpType::kInsertOrUpdate;
        op.key = percent(85) ? fresh_key() : pick_key(8);
        break;
      case Mode::kMixed:
        if (!model_.empty() && percent(4)) {
          // The value a key already holds: still a modification (the path is
          // rebuilt, labels come out the same).
          op.type = below(2) ? OpType::kUpdate : OpType::kInsertOrUpdate;
          op.key = existing_key();
          op.value = model_[op.key];
          return op;
        }
        op.type = pick_type();
        op.key = pick_key(8);
        break;
    }
    switch (op.type) {
      case OpType::kInsert:
      case OpType::kUpdate:
      case OpType::kInsertOrUpdate: op.value = value(); break;
      case OpType::kUpdateLongBy: op.delta = delta_for(op.key); break;
      default: break;
    }
    return op;
  }

  // Follows the operation in the generator's own model of the tree, which
  // only steers later choices (existing keys, deltas that reach zero): the
  // stream's expectations come from the reference, never from here.
  void apply(const GenOp& g) {
    ByteView k = view(g.key);
    if (compare_bytes(k, view(neg_inf_)) <= 0 || compare_bytes(k, view(pos_inf_)) >= 0 ||
        k.size() != p_.key_length || g.type == OpType::kLookup) {
      return;
    }
    auto it = model_.find(g.key);
    ByteView old;
    if (it != model_.end()) old = view(it->second);
    UpdateDecision d;
    Operation op = g.op();
    if (!decide_update(op, it != model_.end() ? &old : nullptr, &d).is_ok()) return;
    if (d.action == UpdateDecision::Action::kRemove) {
      if (it != model_.end()) model_.erase(it);
    } else if (d.action == UpdateDecision::Action::kStore) {
      if (p_.value_length && d.value.size() != *p_.value_length) return;
      model_[g.key] = Bytes(d.value.begin(), d.value.end());
    }
  }

  std::mt19937_64 rng_;
  TreeParams p_;
  Bytes neg_inf_, pos_inf_;
  size_t target_ = 0;
  std::map<Bytes, Bytes, BytesLess> model_;
};

}  // namespace

const std::vector<TreeParams>& differential_param_sets() {
  static const std::vector<TreeParams> sets = {
      {32, std::nullopt}, {4, 8u}, {1, std::nullopt}, {32, 8u},
      {4, std::nullopt},  {1, 8u}, {4, 0u},           {32, 32u},
  };
  return sets;
}

std::string describe_params(const TreeParams& params) {
  return "kl=" + std::to_string(params.key_length) +
         " vl=" + (params.value_length ? std::to_string(*params.value_length) : "var");
}

std::vector<GenBatch> generate_stream(uint64_t seed, const TreeParams& params, size_t ops) {
  Generator g(seed, params);
  return g.stream(ops);
}

Bytes long_bytes(int64_t v) {
  Bytes b(8);
  for (int i = 7; i >= 0; --i) {
    b[i] = static_cast<uint8_t>(static_cast<uint64_t>(v));
    v = static_cast<int64_t>(static_cast<uint64_t>(v) >> 8);
  }
  return b;
}

}  // namespace basis::tools
