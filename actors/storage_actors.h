// The actors that own the write paths of storage: the oplog appender
// (operations and notes, group-committed and synced), the node writer (nodes,
// large unsynced batches) and the checkpointer (checkpoints and retention).
#pragma once

#include <caf/all.hpp>
#include <memory>

#include "actors/protocol.h"
#include "basis/config.h"
#include "storage/database.h"
#include "storage/keyspace.h"
#include "storage/oplog.h"
#include "storage/node_gc.h"
#include "storage/retention.h"

namespace basis::actors {

// Handles append_atom(shared_ptr<RecordGroup>) and answers each flush with
// durable_atom(DurableReport) to the sender of the appends. Every group that
// arrives while a write is in flight goes into the next single write.
// A write is refused (kResourceExhausted) while the database's files take
// `max_disk_size` bytes or more (0: no limit), or while the file system
// holding them has fewer than `min_free_space` bytes free (free space is
// checked at every write, the store's size at most every 100 ms), and goes
// through again once there is room (RocksDB resumed first if it stopped). RocksDB is
// never let run into a full disk: a write error in its log leaves it
// unable to write again without a restart (and RocksDB 7.8 aborts on the
// next log write, facebook/rocksdb#12448).
struct DiskLimits {
  uint64_t max_disk_size = 0;
  uint64_t min_free_space = 0;
};
appender_actor::behavior_type oplog_appender(appender_actor::pointer self, storage::Database* db,
                                             std::shared_ptr<storage::Oplog> log, bool sync, DiskLimits limits);
DiskLimits disk_limits(const config::Config& config);

// Handles nodes_atom(shared_ptr<NodeGroup>) and seal_atom(SealOrder): nodes
// are written as ingested, synced table files of ~32 MB or at a seal, which
// it then delegates, with the labels written since the last one, to
// `checkpointer`. A failed write makes it quit, so that it is restarted.
struct NodeGcSetup {
  uint32_t every_checkpoints = 0;  // 0: never
  std::shared_ptr<storage::GcCounters> counters;
};
// Every `gc.every_checkpoints` successful checkpoints, after the checkpoint,
// it removes the nodes no retained checkpoint reaches (writing nothing
// meanwhile).
node_writer_actor::behavior_type node_writer(node_writer_actor::pointer self, storage::Database* db,
                                             checkpointer_actor checkpointer, NodeGcSetup gc,
                                             storage::Keyspace keyspace);

// One garbage collection with the retained checkpoints as roots.
void collect_node_garbage(storage::Database* db, storage::GcCounters* counters, const storage::Keyspace& keyspace);

// Handles seal_atom(SealOrder) -> tree::Status: verifies the nodes written
// since the last checkpoint, writes the checkpoint, then applies `retention`
// (old checkpoints, old operation records, archived first).
checkpointer_actor::behavior_type checkpointer(checkpointer_actor::pointer self, storage::Database* db,
                                               storage::RetentionPolicy retention, storage::Keyspace keyspace);

// The retention policy of a configuration.
storage::RetentionPolicy retention_policy(const config::Config& config);

}  // namespace basis::actors
