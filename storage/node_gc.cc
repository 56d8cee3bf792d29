#include "storage/node_gc.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <cstring>
#include <memory>
#include <algorithm>
#include <array>
#include <bit>

#include "storage/coding.h"
#include "storage/keyspace_iterator.h"

namespace basis::storage {

using tree::ErrorKind;
using tree::Label;

Status collect_garbage(Database* db, const std::vector<Digest>& roots, GcReport* out, const Keyspace& keyspace) {
  *out = GcReport();
  // One sequential pass over the family reads every node's links (random
  // reads of the same nodes cost several times more): labels come sorted,
  // so a child is found by binary search. Then mark from the roots, and
  // sweep what is unmarked.
  struct Stored {
    uint32_t bytes;   // key and value, for the report
    uint32_t links;   // index of its children in `children`, or kLeaf
  };
  constexpr uint32_t kLeaf = UINT32_MAX;
  std::vector<Label> labels;
  std::vector<Stored> stored;
  std::vector<std::array<Label, 2>> children;
  rocksdb::ReadOptions ro;
  ro.total_order_seek = true;  // the nodes family has a prefix extractor
  ro.fill_cache = false;
  ro.readahead_size = size_t{2} << 20;
  auto it = std::make_unique<KeyspaceIterator>(*db, Family::kNodes, keyspace, ro);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view key = it->key();
    if (key.size() != tree::kLabelSize) continue;  // not a node: leave it for verify to report
    Label label, left, right;
    std::memcpy(label.data(), key.data(), tree::kLabelSize);
    bool is_leaf = true;
    Status s = decode_links(it->value(), key, &is_leaf, &left, &right);
    if (!s.is_ok()) return Status(s.kind(), "garbage collection stopped: " + s.message());
    if (labels.size() >= kLeaf - 1 || children.size() >= kLeaf - 1) {
      return Status(ErrorKind::kResourceExhausted, "garbage collection stopped: more nodes than it can index");
    }
    labels.push_back(label);
    uint32_t links = kLeaf;
    if (!is_leaf) {
      links = static_cast<uint32_t>(children.size());
      children.push_back({left, right});
    }
    stored.push_back({static_cast<uint32_t>(key.size() + it->value().size()), links});
  }
  if (Status s = from_rocksdb(it->status(), "scanning the nodes"); !s.is_ok()) return s;
  it.reset();

  // Labels are uniformly random: their first bits say where in the sorted
  // list to look, so a lookup touches a few entries, not a binary search's
  // twenty scattered ones.
  const int bits = std::clamp(static_cast<int>(std::bit_width(labels.size())) - 1, 1, 24);
  auto bucket_of = [bits](const Label& l) {
    uint32_t top = (uint32_t{l[0]} << 24) | (uint32_t{l[1]} << 16) | (uint32_t{l[2]} << 8) | l[3];
    return top >> (32 - bits);
  };
  std::vector<uint32_t> bucket_start((size_t{1} << bits) + 1, 0);
  for (const Label& l : labels) ++bucket_start[bucket_of(l) + 1];
  for (size_t b = 1; b < bucket_start.size(); ++b) bucket_start[b] += bucket_start[b - 1];
  auto find = [&](const Label& l) -> size_t {
    uint32_t b = bucket_of(l);
    auto first = labels.begin() + bucket_start[b], last = labels.begin() + bucket_start[b + 1];
    auto at = std::lower_bound(first, last, l);
    return at != last && *at == l ? static_cast<size_t>(at - labels.begin()) : labels.size();
  };
  std::vector<bool> live(labels.size(), false);
  std::vector<size_t> stack;
  auto reach = [&](const Label& l, const char* what) -> Status {
    size_t i = find(l);
    if (i == labels.size()) {
      return Status(ErrorKind::kCorruption, std::string("garbage collection stopped: ") + what + " " +
                                                record_name(kNodes, chars_of(tree::ByteView(l))) + " is missing");
    }
    if (!live[i]) {
      live[i] = true;
      ++out->live;
      stack.push_back(i);
    }
    return Status::ok();
  };
  for (const Digest& d : roots) {
    Label root;
    std::copy(d.begin(), d.begin() + tree::kLabelSize, root.begin());
    if (Status s = reach(root, "root"); !s.is_ok()) return s;
  }
  while (!stack.empty()) {
    size_t i = stack.back();
    stack.pop_back();
    if (stored[i].links == kLeaf) continue;
    for (const Label& c : children[stored[i].links]) {
      if (Status s = reach(c, "node"); !s.is_ok()) return s;
    }
  }

  rocksdb::WriteBatch batch;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (live[i]) continue;
    batch.Delete(db->handle(keyspace.family(Family::kNodes)), keyspace.key(chars_of(tree::ByteView(labels[i]))));
    ++out->removed;
    out->removed_bytes += stored[i].bytes;
    if (batch.Count() >= 10'000) {
      if (Status s = db->write(&batch, false); !s.is_ok()) return s;
      batch.Clear();
    }
  }
  if (batch.Count() > 0) return db->write(&batch, false);
  return Status::ok();
}

}  // namespace basis::storage
