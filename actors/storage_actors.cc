#include "actors/storage_actors.h"

#include <chrono>
#include <map>

#include "actors/protocol.h"
#include "storage/checkpoint_store.h"
#include "storage/node_count.h"
#include "storage/node_gc.h"
#include "storage/retention.h"
#include "storage/coding.h"
#include "storage/seal_window.h"

namespace basis::actors {

using storage::Family;

namespace {

// For the one walk of a version whose count cannot follow from the last
// checkpoint's (the first checkpoint of a store, or of one written before
// checkpoints counted their nodes).
constexpr int kNodeCountThreads = 2;

// A checkpoint flushes the memtables once they hold this much: less is
// replayed from the log at a reopen in a few milliseconds, and flushing each
// tree's few records would leave a small table file per checkpoint.
constexpr uint64_t kCheckpointFlushBytes = 4u << 20;

uint64_t now_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// About what a write of these records and notes takes in RocksDB's log.
uint64_t write_bytes(const std::vector<storage::OperationRecord>& records,
                     const std::vector<storage::NoteUpdate>& notes) {
  constexpr uint64_t kRecordOverhead = 128;  // digests, sequence, framing
  uint64_t bytes = 0;
  for (const auto& r : records) bytes += kRecordOverhead + r.key.size() + r.value.size() + r.previous.size();
  for (const auto& n : notes) bytes += kRecordOverhead + n.key.size() + (n.note ? n.note->value.size() : 0);
  return bytes;
}

}  // namespace

appender_actor::behavior_type oplog_appender(appender_actor::pointer self, storage::Database* db,
                                             std::shared_ptr<storage::Oplog> log, bool sync, DiskLimits limits) {
  struct State {
    std::vector<std::shared_ptr<RecordGroup>> queued;
    bool flush_scheduled = false;
    prover_actor reply_to;
    uint64_t in_use = 0;  // bytes on disk, as last measured
    uint64_t free_space = UINT64_MAX;  // bytes free on its file system, as last measured
    bool write_failed = false;  // the last write failed: RocksDB may need resuming first
    std::chrono::steady_clock::time_point measured;
  };
  auto st = std::make_shared<State>();
  return {
      [=](append_atom, std::shared_ptr<RecordGroup>& group) {
        st->queued.push_back(std::move(group));
        st->reply_to = caf::actor_cast<prover_actor>(self->current_sender());
        if (!st->flush_scheduled) {
          // Queued behind every append already in the mailbox: one write for all.
          self->send(self, flush_atom::value);
          st->flush_scheduled = true;
        }
      },
      [=](flush_atom) {
        st->flush_scheduled = false;
        if (st->queued.empty()) return;
        std::vector<storage::OperationRecord> records;
        std::vector<storage::NoteUpdate> notes;
        uint64_t highest = 0;
        const uint64_t stamp = now_ms();
        for (auto& g : st->queued) {
          highest = std::max(highest, g->batch_id);
          // A group resent after a restart may be durable already: groups are
          // written whole, so its first record tells.
          if (!g->records.empty() && g->records.front().sequence <= log->last_sequence()) continue;
          for (const auto& r : g->records) {  // copies: the prover keeps its group until durable
            records.push_back(r);
            records.back().timestamp_ms = stamp;
          }
          notes.insert(notes.end(), g->notes.begin(), g->notes.end());
        }
        st->queued.clear();
        const uint64_t disk_budget = limits.max_disk_size;
        // Free space at every write (one statvfs): compactions and flushes
        // take space between writes. The store's size (a directory walk) at
        // most every 100 ms.
        if (limits.min_free_space > 0) st->free_space = storage::free_bytes(db->path());
        if (disk_budget > 0 && std::chrono::steady_clock::now() - st->measured > std::chrono::milliseconds(100)) {
          st->in_use = db->disk_bytes();
          st->measured = std::chrono::steady_clock::now();
        }
        // The first reason to refuse wins; the notes are read only for a write.
        tree::Status s;
        bool attempted = false;  // the write was tried: a failed one may have left records in the log
        if (records.empty()) {
          s = tree::Status::ok();
        } else if (const uint64_t needed = limits.min_free_space + 2 * write_bytes(records, notes) +
                                           (limits.min_free_space > 0 ? db->memtable_bytes() : 0);
                   limits.min_free_space > 0 && st->free_space < needed) {
          // The write itself counts (in the WAL, then in a flushed table),
          // and so do the memtables a flush will write: neither one large
          // batch nor the next flush may carry RocksDB past the reserve.
          s = tree::Status(tree::ErrorKind::kResourceExhausted,
                           "the file system holding " + db->path() + " has " + std::to_string(st->free_space) +
                               " bytes free, below storage.min_free_space (" +
                               std::to_string(limits.min_free_space) + " bytes) with this write and the "
                               "memtables to flush (" + std::to_string(needed - limits.min_free_space) + " bytes)");
        } else if (disk_budget > 0 && st->in_use >= disk_budget) {
          s = tree::Status(tree::ErrorKind::kResourceExhausted,
                           "storage.max_disk_size (" + std::to_string(disk_budget) + " bytes) reached: " +
                               std::to_string(st->in_use) + " bytes in use");
        } else if (s = st->write_failed ? db->resume() : tree::Status::ok(); !s.is_ok()) {
          // RocksDB still holds its background error (the disk is still full, say).
        } else if (s = storage::resolve_first_sequences(*db, log->keyspace(), &notes); s.is_ok()) {
          s = log->append(records, notes, sync);
          attempted = true;
        }
        if (!records.empty()) st->write_failed = !s.is_ok();
        self->send(st->reply_to, durable_atom::value, DurableReport{highest, s, attempted && !s.is_ok()});
      },
      [=](reset_atom) { st->queued.clear(); },
  };
}

node_writer_actor::behavior_type node_writer(node_writer_actor::pointer self, storage::Database* db,
                                             checkpointer_actor checkpointer, NodeGcSetup gc,
                                             storage::Keyspace keyspace) {
  struct State {
    checkpointer_actor checkpointer;
    NodeGcSetup gc;
    uint32_t checkpoints_since_gc = 0;
    std::unique_ptr<storage::SealWindow> window;
    uint64_t highest_ship = 0;  // of the nodes queued or written
    prover_actor shipper;       // told which shipments are durable
  };
  auto st = std::make_shared<State>();
  st->checkpointer = std::move(checkpointer);
  st->gc = std::move(gc);
  st->window = std::make_unique<storage::SealWindow>(db, storage::SealWindow::Limits{}, keyspace);
  return {
      [=](nodes_atom, std::shared_ptr<NodeGroup>& group) {
        auto sender = caf::actor_cast<prover_actor>(self->current_sender());
        if (sender != st->shipper) {
          // A rebuilt prover numbers its shipments from 1 again: "stored
          // through N" must count its own, never the old prover's higher ids.
          st->shipper = std::move(sender);
          st->highest_ship = 0;
        }
        st->highest_ship = std::max(st->highest_ship, group->ship_id);
        bool wrote = false;
        if (tree::Status s = st->window->add(std::move(group->nodes), &wrote); !s.is_ok()) {
          // No room: nothing was written, the nodes wait for the next write.
          if (s.kind() == tree::ErrorKind::kResourceExhausted) return;
          // Fail loudly: the supervisor restarts this actor and the prover
          // writes every node again.
          self->quit(caf::sec::runtime_error);
          return;
        }
        if (wrote) self->send(st->shipper, stored_atom::value, st->highest_ship);
      },
      [=](seal_atom, SealOrder& order) -> caf::result<tree::Status> {
        // A background error (a compaction that met a full disk) stops every
        // write until resumed: try, in case no batch came by to do it.
        (void)db->resume();
        if (tree::Status s = st->window->flush(); !s.is_ok()) {
          if (s.kind() == tree::ErrorKind::kResourceExhausted) {
            return tree::Status(s.kind(), "checkpoint not written: " + s.message());  // nothing written
          }
          self->quit(caf::sec::runtime_error);  // restarted; the prover rewrites every node
          return s;
        }
        if (st->shipper) self->send(st->shipper, stored_atom::value, st->highest_ship);
        if (tree::Status s = st->window->seal(order.digest, &order.new_nodes); !s.is_ok()) {
          return tree::Status(s.kind(), "checkpoint not written: " + s.message());
        }
        // Await: no shipment is written until the checkpoint (and a garbage
        // collection after it) is done, so the collection never races a write.
        auto answer = self->make_response_promise<tree::Status>();
        const bool collect = order.collect_garbage;
        self->request(st->checkpointer, caf::infinite, seal_atom::value, std::move(order))
            .await(
                [=](tree::Status& done) mutable {
                  if (done.is_ok() && (collect || (st->gc.every_checkpoints > 0 &&
                                           ++st->checkpoints_since_gc >= st->gc.every_checkpoints))) {
                    st->checkpoints_since_gc = 0;
                    collect_node_garbage(db, st->gc.counters.get(), keyspace);
                  }
                  answer.deliver(std::move(done));
                },
                [=](caf::error& e) mutable {
                  // Down: the tree is stopping (shut down or dropped), not damaged.
                  const bool down = e == caf::sec::request_receiver_down;
                  answer.deliver(tree::Status(down ? tree::ErrorKind::kUnavailable : tree::ErrorKind::kIOError,
                                              "checkpointer: " + self->system().render(e)));
                });
        return answer;
      },
      [=](restarted_atom, checkpointer_atom, checkpointer_actor& a) { st->checkpointer = std::move(a); },
  };
}

void collect_node_garbage(storage::Database* db, storage::GcCounters* counters, const storage::Keyspace& keyspace) {
  // Every retained checkpoint is a version in use; the current tree's stored
  // nodes all belong to the latest one (nodes are stored only at seals).
  // Every pinned version is a root too, from the copy its pin holds. Nodes
  // are removed for ever, so the checkpoints are listed twice and must
  // agree: RocksDB 7.8's iterators can pass over a block they failed to
  // read, and a root left out would lose its whole version.
  std::vector<storage::CheckpointRecord> kept, again, pinned;
  std::vector<storage::Digest> roots;
  tree::Status s = storage::CheckpointStore(db, keyspace).list(&kept);
  if (s.is_ok()) s = storage::pinned_checkpoint_records(*db, &pinned, keyspace);
  if (s.is_ok()) s = storage::CheckpointStore(db, keyspace).list(&again);
  auto ids = [](const std::vector<storage::CheckpointRecord>& v) {
    std::vector<uint64_t> out;
    for (const auto& c : v) out.push_back(c.id);
    return out;
  };
  if (s.is_ok() && ids(kept) != ids(again)) {
    s = tree::Status(tree::ErrorKind::kIOError, "two listings of the checkpoints disagree: no garbage collected");
  }
  for (const auto& c : kept) roots.push_back(c.digest);
  for (const auto& c : pinned) roots.push_back(c.digest);
  storage::GcReport report;
  if (s.is_ok() && !roots.empty()) s = storage::collect_garbage(db, roots, &report, keyspace);
  if (!counters) return;
  ++counters->runs;
  if (!s.is_ok()) {
    ++counters->failures;
    return;
  }
  counters->removed += report.removed;
  counters->removed_bytes += report.removed_bytes;
  counters->live = report.live;
}

DiskLimits disk_limits(const config::Config& config) {
  return DiskLimits{config.storage.max_disk_size, config.storage.min_free_space};
}

storage::RetentionPolicy retention_policy(const config::Config& config) {
  storage::RetentionPolicy p;
  p.checkpoints = config.persistence.checkpoint_retention;
  p.oplog_age = config.persistence.operation_log_retention;
  p.archive_dir = config.archive_path();
  return p;
}

checkpointer_actor::behavior_type checkpointer(checkpointer_actor::pointer self, storage::Database* db,
                                               storage::RetentionPolicy retention, storage::Keyspace keyspace) {
  auto store = std::make_shared<storage::CheckpointStore>(db, keyspace);
  (void)self;
  return {
      [=](seal_atom, SealOrder& order) -> tree::Status {
        std::vector<storage::CheckpointRecord> existing;
        if (tree::Status s = store->list(&existing); !s.is_ok()) return s;
        if (!existing.empty() && existing.front().digest == order.digest &&
            existing.front().last_sequence == order.last_sequence) {
          return tree::Status::ok();  // nothing changed since the last one
        }
        storage::CheckpointRecord record;
        record.id = existing.empty() ? 1 : existing.front().id + 1;
        record.timestamp_ms = now_ms();
        record.digest = order.digest;
        record.last_sequence = order.last_sequence;
        record.metadata = "verified " + std::to_string(order.new_nodes) + " new nodes";
        // A count that cannot be had (0) does not keep the checkpoint from
        // being written: the version itself was verified by the node writer.
        (void)storage::count_version_nodes(db, existing.empty() ? nullptr : &existing.front(), order.digest,
                                           order.last_sequence, kNodeCountThreads, &record.node_count, keyspace);
        if (tree::Status s = store->write(record); !s.is_ok()) return s;
        // Everything up to here is recoverable from this checkpoint and the
        // log after it: flushing lets a reopen skip replaying the WAL.
        if (order.flush) (void)db->flush_async(kCheckpointFlushBytes);
        storage::RetentionReport report;
        return storage::apply_retention(db, retention, now_ms(), &report, keyspace);
      },
      // Between seals, never inside one: retention reads the pins it keeps.
      [=](pin_atom, uint64_t id, bool on) -> tree::Status {
        return on ? storage::pin_checkpoint(db, id, keyspace) : storage::unpin_checkpoint(db, id, keyspace);
      },
  };
}

}  // namespace basis::actors
