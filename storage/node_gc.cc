#include "storage/node_gc.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <cstring>
#include <memory>
#include <unordered_set>

#include "storage/coding.h"
#include "tree/node_resolver.h"

namespace basis::storage {

using tree::ErrorKind;
using tree::Label;

namespace {

struct LabelHash {
  size_t operator()(const Label& l) const {
    size_t h;
    std::memcpy(&h, l.data(), sizeof h);  // labels are uniformly random
    return h;
  }
};

}  // namespace

Status collect_garbage(Database* db, const std::vector<Digest>& roots, GcReport* out) {
  *out = GcReport();
  // Mark, a level at a time; a subtree shared by several roots is read once.
  std::unordered_set<Label, LabelHash> live;
  std::vector<Label> level;
  for (const Digest& d : roots) {
    Label root;
    std::copy(d.begin(), d.begin() + tree::kLabelSize, root.begin());
    if (live.insert(root).second) level.push_back(root);
  }
  constexpr size_t kBatch = 4096;
  tree::NodeRecord rec;
  while (!level.empty()) {
    std::vector<Label> next;
    for (size_t at = 0; at < level.size(); at += kBatch) {
      size_t n = std::min(kBatch, level.size() - at);
      std::vector<rocksdb::Slice> keys;
      for (size_t i = 0; i < n; ++i) keys.emplace_back(reinterpret_cast<const char*>(level[at + i].data()), tree::kLabelSize);
      std::vector<rocksdb::PinnableSlice> values(n);
      std::vector<rocksdb::Status> statuses(n);
      db->raw()->MultiGet(rocksdb::ReadOptions(), db->handle(Family::kNodes), n, keys.data(), values.data(),
                          statuses.data());
      for (size_t i = 0; i < n; ++i) {
        std::string_view key(keys[i].data(), keys[i].size());
        if (statuses[i].IsNotFound()) {
          return Status(ErrorKind::kCorruption, "garbage collection stopped: " + record_name(kNodes, key) + " is missing");
        }
        if (Status s = from_rocksdb(statuses[i], "reading " + record_name(kNodes, key)); !s.is_ok()) return s;
        if (Status s = decode(std::string_view(values[i].data(), values[i].size()), key, &rec); !s.is_ok()) {
          return Status(s.kind(), "garbage collection stopped: " + s.message());
        }
        if (rec.is_leaf) continue;
        for (const Label& child : {rec.left, rec.right}) {
          if (live.insert(child).second) next.push_back(child);
        }
      }
    }
    level.swap(next);
  }
  out->live = live.size();
  // Sweep everything else.
  rocksdb::ReadOptions ro;
  ro.total_order_seek = true;  // the nodes family has a prefix extractor
  std::unique_ptr<rocksdb::Iterator> it(db->raw()->NewIterator(ro, db->handle(Family::kNodes)));
  rocksdb::WriteBatch batch;
  Label label;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() != tree::kLabelSize) continue;  // not a node: leave it for verify to report
    std::memcpy(label.data(), it->key().data(), tree::kLabelSize);
    if (live.count(label)) continue;
    batch.Delete(db->handle(Family::kNodes), it->key());
    ++out->removed;
    out->removed_bytes += it->key().size() + it->value().size();
    if (batch.Count() >= 10'000) {
      if (Status s = db->write(&batch, false); !s.is_ok()) return s;
      batch.Clear();
    }
  }
  if (Status s = from_rocksdb(it->status(), "scanning the nodes"); !s.is_ok()) return s;
  if (batch.Count() > 0) return db->write(&batch, false);
  return Status::ok();
}

}  // namespace basis::storage
