#include "storage/tree_verify.h"

#include <rocksdb/db.h>

#include <cstring>
#include <memory>
#include <thread>
#include <algorithm>
#include <unordered_map>
#include <vector>

#include "storage/coding.h"
#include "basis/tree/labels.h"

namespace basis::storage {

using tree::ByteView;
using tree::ErrorKind;
using tree::Label;

namespace {

// Internal nodes' keys, at addresses stable for the whole verification: the
// bounds handed down to the nodes below point into it.
class KeyArena {
 public:
  explicit KeyArena(size_t key_length) : key_length_(key_length) {}
  const uint8_t* add(ByteView key) {
    if (used_ + key_length_ > kChunk || chunks_.empty()) {
      chunks_.push_back(std::make_unique<uint8_t[]>(std::max(kChunk, key_length_)));
      used_ = 0;
    }
    uint8_t* at = chunks_.back().get() + used_;
    std::copy(key.begin(), key.end(), at);
    used_ += key_length_;
    return at;
  }

 private:
  static constexpr size_t kChunk = size_t{1} << 20;
  size_t key_length_;
  std::vector<std::unique_ptr<uint8_t[]>> chunks_;
  size_t used_ = 0;
};

// A node to check, with the bounds of its subtree (its first leaf's key and
// its last leaf's next key).
struct Pending {
  Label label;
  const uint8_t* lo;
  const uint8_t* hi;
};

struct Context {
  size_t key_length;
  const Keyspace& keyspace;  // where the tree's nodes are
  Status corrupt(std::string_view key, const std::string& what) const {
    return Status(ErrorKind::kCorruption, record_name(kNodes, key) + " " + what);
  }
};

// Checks one node's stored record against its label; appends its children.
Status check_record(const Context& cx, std::string_view value, const Pending& p, KeyArena* arena,
                    std::vector<Pending>* children) {
  std::string_view key = chars_of(ByteView(p.label));
  tree::NodeRecord rec;
  if (Status d = decode(value, key, &rec); !d.is_ok()) return d;
  ByteView lo(p.lo, cx.key_length), hi(p.hi, cx.key_length);
  Label actual;
  if (rec.is_leaf) {
    // A leaf stored with its keys (an older record) must have the ones the path gives.
    bool has_keys = !rec.key.empty() || !rec.next_key.empty();
    if (has_keys && (tree::compare_bytes(tree::view(rec.key), lo) != 0 ||
                     tree::compare_bytes(tree::view(rec.next_key), hi) != 0)) {
      return cx.corrupt(key, "has keys its path does not lead to");
    }
    actual = tree::leaf_label(lo, tree::view(rec.value), hi);
  } else {
    if (rec.key.size() != cx.key_length) return cx.corrupt(key, "has a key of the wrong length");
    actual = tree::internal_label(static_cast<uint8_t>(rec.balance), rec.left, rec.right);
  }
  if (actual != p.label) return cx.corrupt(key, "hashes to " + tree::to_hex(actual));
  if (!rec.is_leaf) {
    const uint8_t* k = arena->add(tree::view(rec.key));
    children->push_back({rec.left, p.lo, k});
    children->push_back({rec.right, k, p.hi});
  }
  return Status::ok();
}

// Reads the nodes label_of(0..count-1) with batched reads and hands each
// record to `fn(i, record)`, in order. A missing one is a corruption that
// `missing` describes.
template <class LabelOf, class Fn>
Status read_nodes(const Database& db, const Context& cx, size_t count, LabelOf label_of, const char* missing, Fn fn) {
  constexpr size_t kBatch = 4096;
  std::vector<std::string> stored_keys(kBatch);
  std::vector<rocksdb::Slice> keys;
  std::vector<rocksdb::PinnableSlice> values(kBatch);
  std::vector<rocksdb::Status> statuses(kBatch);
  for (size_t at = 0; at < count; at += kBatch) {
    size_t n = std::min(kBatch, count - at);
    keys.clear();
    for (size_t i = 0; i < n; ++i) {
      std::string_view label = chars_of(ByteView(label_of(at + i)));
      if (cx.keyspace.is_default()) {  // the hot path: no copy
        keys.emplace_back(label.data(), label.size());
      } else {
        stored_keys[i] = cx.keyspace.key(label);
        keys.emplace_back(stored_keys[i]);
      }
    }
    db.raw()->MultiGet(rocksdb::ReadOptions(), db.handle(cx.keyspace.family(Family::kNodes)), n, keys.data(), values.data(),
                       statuses.data());
    for (size_t i = 0; i < n; ++i) {
      std::string_view key = chars_of(ByteView(label_of(at + i)));
      if (statuses[i].IsNotFound()) return cx.corrupt(key, missing);
      if (Status s = from_rocksdb(statuses[i], "reading " + record_name(kNodes, key)); !s.is_ok()) return s;
      if (Status s = fn(at + i, std::string_view(values[i].data(), values[i].size())); !s.is_ok()) return s;
      values[i].Reset();
    }
  }
  return Status::ok();
}

// Reads and checks `level`; their children go to `next`.
Status check_level_part(const Database& db, const Context& cx, std::span<const Pending> level, KeyArena* arena,
                        std::vector<Pending>* next) {
  return read_nodes(
      db, cx, level.size(), [&](size_t i) -> const Label& { return level[i].label; }, "is missing",
      [&](size_t i, std::string_view record) { return check_record(cx, record, level[i], arena, next); });
}

Label root_label(const Digest& digest) {
  Label root;
  std::copy(digest.begin(), digest.begin() + tree::kLabelSize, root.begin());
  return root;
}

}  // namespace

Status verify_tree(const Database& db, const Digest& digest, int parallelism, uint64_t* nodes,
                   const std::atomic<bool>* cancel, const std::function<void(uint64_t)>& progress,
                   const Keyspace& keyspace) {
  // Level by level: each level's nodes are read in batches, split over the
  // threads, and checked against their labels.
  const Context cx{keyspace.key_length() ? keyspace.key_length() : db.metadata().params.key_length, keyspace};
  const tree::Bytes lowest(cx.key_length, 0x00), highest(cx.key_length, 0xff);
  std::vector<Pending> level{{root_label(digest), lowest.data(), highest.data()}};
  const size_t threads = static_cast<size_t>(std::max(1, parallelism));
  std::vector<KeyArena> arenas;
  for (size_t t = 0; t < threads; ++t) arenas.emplace_back(cx.key_length);
  uint64_t count = 0;
  while (!level.empty()) {
    if (cancel && cancel->load()) return Status(ErrorKind::kBusy, "verification cancelled");
    count += level.size();
    std::vector<std::vector<Pending>> next(threads);
    std::vector<Status> results(threads);
    size_t share = (level.size() + threads - 1) / threads;
    auto part = [&](size_t t) {
      size_t begin = std::min(level.size(), t * share), end = std::min(level.size(), begin + share);
      results[t] = check_level_part(db, cx, std::span<const Pending>(level.data() + begin, end - begin), &arenas[t],
                                    &next[t]);
    };
    std::vector<std::thread> workers;
    for (size_t t = 1; t < threads && share * t < level.size(); ++t) workers.emplace_back(part, t);
    part(0);
    for (auto& w : workers) w.join();
    level.clear();
    for (size_t t = 0; t < threads; ++t) {
      if (!results[t].is_ok()) return results[t];
      level.insert(level.end(), next[t].begin(), next[t].end());
    }
    if (progress) progress(count);
  }
  *nodes = count;
  return Status::ok();
}

Status verify_written_nodes(const Database& db, const Digest& digest,
                            std::span<const std::pair<Label, std::string>> written, const Keyspace& keyspace) {
  struct LabelHash {
    size_t operator()(const Label& l) const {
      size_t h;
      std::memcpy(&h, l.data(), sizeof h);
      return h;
    }
  };
  const Context cx{keyspace.key_length() ? keyspace.key_length() : db.metadata().params.key_length, keyspace};
  const tree::Bytes lowest(cx.key_length, 0x00), highest(cx.key_length, 0xff);
  std::unordered_map<Label, const std::string*, LabelHash> unchecked;
  unchecked.reserve(written.size());
  for (const auto& [label, record] : written) unchecked.emplace(label, &record);
  KeyArena arena(cx.key_length);
  std::vector<Label> stored;  // named by the version, not written now: verified before, must be there
  // Down from the root through the written nodes.
  std::vector<Pending> stack, children;
  auto visit = [&](const Pending& p) {
    if (auto it = unchecked.find(p.label); it != unchecked.end() && it->second) {
      stack.push_back(p);
    } else {
      stored.push_back(p.label);
    }
  };
  visit({root_label(digest), lowest.data(), highest.data()});
  while (!stack.empty()) {
    Pending p = stack.back();
    stack.pop_back();
    auto it = unchecked.find(p.label);
    const std::string* record = it->second;
    it->second = nullptr;  // checked: a second path to it would be a malformed tree
    children.clear();
    if (Status s = check_record(cx, *record, p, &arena, &children); !s.is_ok()) return s;
    for (const Pending& c : children) visit(c);
  }
  // The rest must be stored: read in sorted batches.
  std::sort(stored.begin(), stored.end());
  return read_nodes(
      db, cx, stored.size(), [&](size_t i) -> const Label& { return stored[i]; },
      "is missing (the new version names it)", [](size_t, std::string_view) { return Status::ok(); });
}

}  // namespace basis::storage
