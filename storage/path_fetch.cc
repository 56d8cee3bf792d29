#include "storage/path_fetch.h"

#include "storage/coding.h"

#include <rocksdb/db.h>

#include <algorithm>
#include <thread>

#include "storage/records.h"
#include "basis/tree/node_resolver.h"

namespace basis::storage {

namespace {

// A node to read, and the keys whose paths cross it: keys[lo, hi).
struct Step {
  tree::Label label;
  size_t lo, hi;
};

// Reads `level` and every level below it; appends what it read to `out`.
// With `stop_at` > 0 it returns early, leaving the next level in `level`,
// once that level has at least `stop_at` nodes.
void walk(const Database& db, const Keyspace& keyspace, const std::vector<tree::Bytes>& keys,
          std::vector<Step>* level, size_t stop_at, std::vector<EncodedNode>* out) {
  rocksdb::ReadOptions ro;
  tree::NodeRecord rec;
  std::vector<Step> next;
  while (!level->empty() && (stop_at == 0 || level->size() < stop_at)) {
    std::vector<std::string> stored;
    std::vector<rocksdb::Slice> wanted;
    stored.reserve(level->size());
    wanted.reserve(level->size());
    if (keyspace.is_default()) {  // the hot path (recovery's read-ahead): no copy
      for (const Step& s : *level) wanted.emplace_back(reinterpret_cast<const char*>(s.label.data()), s.label.size());
    } else {
      for (const Step& s : *level) stored.push_back(keyspace.key(chars_of(tree::ByteView(s.label))));
      for (const std::string& k : stored) wanted.emplace_back(k);
    }
    std::vector<rocksdb::PinnableSlice> values(wanted.size());
    std::vector<rocksdb::Status> statuses(wanted.size());
    db.raw()->MultiGet(ro, db.handle(keyspace.family(Family::kNodes)), wanted.size(), wanted.data(), values.data(),
                       statuses.data());
    next.clear();
    for (size_t i = 0; i < wanted.size(); ++i) {
      if (!statuses[i].ok()) continue;
      const Step& s = (*level)[i];
      std::string_view key = chars_of(tree::ByteView(s.label));
      std::string_view value(values[i].data(), values[i].size());
      if (!decode(value, key, &rec).is_ok()) continue;
      out->emplace_back(s.label, std::string(value));
      if (rec.is_leaf) continue;
      // An internal node's key is the least key of its right subtree.
      auto first = keys.begin() + static_cast<std::ptrdiff_t>(s.lo);
      auto last = keys.begin() + static_cast<std::ptrdiff_t>(s.hi);
      auto mid = std::lower_bound(first, last, rec.key, [](const tree::Bytes& a, const tree::Bytes& b) {
        return tree::compare_bytes(tree::view(a), tree::view(b)) < 0;
      });
      size_t m = static_cast<size_t>(mid - keys.begin());
      if (m > s.lo) next.push_back({rec.left, s.lo, m});
      if (s.hi > m) next.push_back({rec.right, m, s.hi});
    }
    level->swap(next);
  }
}

}  // namespace

void fetch_paths(const Database& db, const tree::Label& root, const std::vector<tree::Bytes>& keys,
                 int threads, std::vector<EncodedNode>* out, const Keyspace& keyspace) {
  if (keys.empty()) return;
  std::vector<Step> level{{root, 0, keys.size()}};
  threads = std::max(1, threads);
  // The top levels on this thread, until there is a subtree for each thread
  // several times over, so that the parts come out about even.
  if (threads > 1) walk(db, keyspace, keys, &level, static_cast<size_t>(threads) * 4, out);
  if (level.empty()) return;
  if (threads == 1) {
    walk(db, keyspace, keys, &level, 0, out);
    return;
  }
  // Contiguous runs of subtrees with about as many keys each.
  std::vector<std::vector<Step>> parts(static_cast<size_t>(threads));
  const size_t total = level.back().hi - level.front().lo;
  for (const Step& s : level) {
    size_t part = std::min(parts.size() - 1, (s.lo - level.front().lo) * parts.size() / total);
    parts[part].push_back(s);
  }
  std::vector<std::vector<EncodedNode>> found(parts.size());
  std::vector<std::thread> workers;
  for (size_t t = 1; t < parts.size(); ++t) {
    workers.emplace_back([&, t] { walk(db, keyspace, keys, &parts[t], 0, &found[t]); });
  }
  walk(db, keyspace, keys, &parts[0], 0, &found[0]);
  for (auto& w : workers) w.join();
  for (auto& f : found) {
    out->insert(out->end(), std::make_move_iterator(f.begin()), std::make_move_iterator(f.end()));
  }
}

}  // namespace basis::storage
