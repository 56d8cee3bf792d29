// Runtime methods that read or write storage directly, not through the
// prover: retained versions, pins, the log for audit.
#include <algorithm>
#include <shared_mutex>

#include "actors/protocol.h"
#include "actors/runtime_impl.h"
#include "storage/checkpoint_store.h"
#include "storage/node_store.h"
#include "storage/oplog.h"
#include "storage/retention.h"
#include "engine/tree_keyspace.h"

namespace basis {

using namespace actors;  // the facade is written over the actors' protocols
using namespace engine;

namespace {

// A proven lookup on the version `digest`, read lazily from the node store.
LookupResult prove_at(storage::Database* db, const config::Config& cfg, const tree::Digest& digest,
                      const tree::Bytes& key) {
  const storage::Keyspace keyspace = tree_keyspace(cfg);
  LookupResult r;
  r.digest = digest;
  // A small cache: one lookup touches a single path.
  storage::NodeStore resolver(db, size_t{1} << 20, keyspace);
  tree::BatchProver version(tree::TreeParams{cfg.tree.key_length, cfg.tree.value_length}, digest, &resolver);
  tree::Operation op = tree::Operation::lookup(tree::view(key));
  tree::WhatIfProof w;
  r.status = version.prove_operations(std::span<const tree::Operation>(&op, 1), &w);
  if (r.status.is_ok()) r.status = w.statuses[0];
  if (r.status.is_ok()) {
    r.outcome = std::move(w.outcomes[0]);
    r.proof = std::move(w.proof);
  }
  return r;
}

}  // namespace

LookupResult Runtime::lookup_at_checkpoint(uint64_t checkpoint_id, const tree::Bytes& key) {
  if (impl_->stopped) return LookupResult{Impl::shut_down(), {}, {}, {}};
  storage::CheckpointRecord cp;
  if (tree::Status s = storage::CheckpointStore(impl_->db, impl_->keyspace).read(checkpoint_id, &cp); !s.is_ok()) {
    return LookupResult{s, {}, {}, {}};
  }
  LookupResult r = prove_at(impl_->db, impl_->config, cp.digest, key);
  impl_->note_storage_failure(r.status);
  return r;
}

LookupResult Runtime::lookup_at_digest(const tree::Digest& digest, const tree::Bytes& key) {
  if (impl_->stopped) return LookupResult{Impl::shut_down(), {}, {}, {}};
  for (const auto& cp : checkpoints()) {
    if (cp.digest == digest) {
      LookupResult r = prove_at(impl_->db, impl_->config, cp.digest, key);
      impl_->note_storage_failure(r.status);
      return r;
    }
  }
  return LookupResult{tree::Status(tree::ErrorKind::kNotFound, "no retained checkpoint has digest " + tree::to_hex(digest)), {}, {}, {}};
}


tree::Status Runtime::verify_latest_checkpoint(uint64_t* nodes) {
  if (impl_->stopped) return Impl::shut_down();
  auto list = checkpoints();
  if (list.empty()) return tree::Status(tree::ErrorKind::kNotFound, "no checkpoint to verify");
  return storage::verify_tree(*impl_->db, list.front().digest,
                              static_cast<int>(impl_->config.persistence.recovery_parallelism), nodes, nullptr, {},
                              impl_->keyspace);
}

std::vector<CheckpointInfo> Runtime::checkpoints() {
  if (impl_->stopped) return {};
  std::vector<storage::CheckpointRecord> records;
  (void)storage::CheckpointStore(impl_->db, impl_->keyspace).list(&records);
  std::vector<CheckpointInfo> list;
  list.reserve(records.size());
  for (storage::CheckpointRecord& r : records) {
    list.push_back({r.id, r.timestamp_ms, r.digest, r.last_sequence, r.node_count, std::move(r.metadata)});
  }
  return list;
}

namespace {

// Pins go through the checkpointer, which applies retention: one owner for
// the decision which checkpoints stay.
tree::Status pin_on_checkpointer(Runtime::Impl& impl, uint64_t id, bool on) {
  std::shared_lock<std::shared_mutex> no_drop(impl.pin_mutex);
  if (impl.stopped) return Runtime::Impl::shut_down();
  checkpointer_actor checkpointer = impl.current<checkpointer_actor>(checkpointer_atom::value);
  if (!checkpointer) return tree::Status(tree::ErrorKind::kUnavailable, "the checkpointer is not running");
  HostCaller self{*impl.system};
  tree::Status result;
  self->request(checkpointer, caf::infinite, pin_atom::value, id, on)
      .receive([&](tree::Status& s) { result = std::move(s); },
               [&](caf::error& e) { result = impl.actor_failure("checkpointer", e); });
  return result;
}

}  // namespace

tree::Status Runtime::pin_checkpoint(uint64_t id) { return pin_on_checkpointer(*impl_, id, true); }

tree::Status Runtime::unpin_checkpoint(uint64_t id) { return pin_on_checkpointer(*impl_, id, false); }

std::set<uint64_t> Runtime::pinned_checkpoints() {
  if (impl_->stopped) return {};
  std::set<uint64_t> pins;
  (void)storage::pinned_checkpoints(*impl_->db, &pins, impl_->keyspace);
  return pins;
}

tree::Status Runtime::read_log(uint64_t from, size_t limit, std::vector<LogRecord>* out, uint64_t max_bytes) {
  out->clear();
  if (impl_->stopped) return Impl::shut_down();
  from = std::max<uint64_t>(from, 1);  // sequence numbers start at 1
  std::unique_ptr<storage::Oplog> log;
  if (tree::Status s = storage::Oplog::open(impl_->db, &log, impl_->keyspace); !s.is_ok()) return s;
  if (limit == 0 || from > log->last_sequence()) return tree::Status::ok();
  if (uint64_t first = log->first_sequence(); from < first) {
    return tree::Status(tree::ErrorKind::kNotFound,
                        "records before " + std::to_string(first) + " have left the live log" +
                            (impl_->config.archive_path().empty() ? std::string()
                                                                  : " (archived in " + impl_->config.archive_path() + ")"));
  }
  uint64_t to = std::min(log->last_sequence(), from + (limit - 1));
  uint64_t bytes = 0;
  return log->scan(from, to, [&](const storage::OperationRecord& r) {
    const uint64_t size = r.key.size() + r.value.size() + r.previous.size();
    if (!out->empty() && bytes + size > max_bytes) return false;  // the page is full
    bytes += size;
    out->push_back({r.sequence, r.type, r.timestamp_ms, r.key, r.value, r.delta, r.had_previous, r.previous,
                    r.digest_before, r.digest_after, r.rollback, r.rolled_back_to});
    return true;
  });
}


}  // namespace basis
