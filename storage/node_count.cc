#include "storage/node_count.h"

#include <memory>

#include "basis/tree/operation.h"
#include "storage/oplog.h"
#include "storage/tree_verify.h"

namespace basis::storage {

namespace {

// Forward from `base` over the log; false when the log does not lead there.
bool count_forward(Database* db, const CheckpointRecord& base, const Digest& digest, uint64_t last_sequence,
                   uint64_t* out, const Keyspace& keyspace) {
  if (base.node_count == 0 || base.node_count % 2 == 0 || base.last_sequence > last_sequence) return false;
  if (base.last_sequence == last_sequence) {
    *out = base.node_count;
    return base.digest == digest;
  }
  std::unique_ptr<Oplog> log;
  if (!Oplog::open(db, &log, keyspace).is_ok() || log->first_sequence() > base.last_sequence + 1) return false;
  int64_t keys = static_cast<int64_t>((base.node_count - 1) / 2);
  Digest at = base.digest;
  bool chained = true;
  Status s = log->scan(base.last_sequence + 1, last_sequence, [&](const OperationRecord& r) {
    const tree::ByteView previous = tree::view(r.previous);
    tree::UpdateDecision d;
    // A rollback's key count is not in its record: counted another way.
    if (r.digest_before != at || r.rollback ||
        !tree::decide_update(r.operation(), r.had_previous ? &previous : nullptr, &d).is_ok()) {
      chained = false;
      return false;
    }
    keys += (d.action == tree::UpdateDecision::Action::kStore ? 1 : 0) - (r.had_previous ? 1 : 0);
    at = r.digest_after;
    return true;
  });
  if (!s.is_ok() || !chained || at != digest || keys < 0) return false;
  *out = 2 * static_cast<uint64_t>(keys) + 1;
  return true;
}

}  // namespace

Status count_version_nodes(Database* db, const CheckpointRecord* base, const Digest& digest, uint64_t last_sequence,
                           int parallelism, uint64_t* out, const Keyspace& keyspace) {
  *out = 0;
  if (base && count_forward(db, *base, digest, last_sequence, out, keyspace)) return Status::ok();
  *out = 0;
  Status s = verify_tree(*db, digest, parallelism, out, nullptr, {}, keyspace);
  if (!s.is_ok()) *out = 0;
  return s;
}

}  // namespace basis::storage
