// The tree prover actor: the only owner (and writer) of the tree. It applies
// batches, hands their log records to the oplog appender and their new nodes
// to the node writer, and answers a batch, or a read, only once every batch
// before it is durable.
#pragma once

#include <atomic>

#include <caf/all.hpp>
#include <functional>
#include <memory>

#include "actors/protocol.h"
#include "actors/prover_reports.h"
#include "basis/config.h"
#include "storage/node_store.h"
#include "basis/tree/batch_prover.h"

namespace basis::actors {

// What a read job may look at, on the prover's own thread.
class ProverView {
 public:
  ProverView(tree::BatchProver* prover, const storage::NodeStore* resolver, uint64_t last_sequence,
             std::function<void()> ship, tree::Status writes = tree::Status::ok())
      : prover_(prover),
        resolver_(resolver),
        last_sequence_(last_sequence),
        ship_(std::move(ship)),
        writes_(std::move(writes)) {}
  // OK, or why batches are refused now (a storage failure, a full disk).
  const tree::Status& writes() const { return writes_; }
  tree::BatchProver& prover() { return *prover_; }
  const storage::NodeStore* resolver() const { return resolver_; }  // may be null
  uint64_t last_sequence() const { return last_sequence_; }
  // Sends every node not stored yet to the node writer (before a seal).
  void ship_unstored_nodes() { ship_(); }

 private:
  tree::BatchProver* prover_;
  const storage::NodeStore* resolver_;
  uint64_t last_sequence_;
  std::function<void()> ship_;
  tree::Status writes_;
};

struct ProverSetup {
  storage::Database* db = nullptr;  // to engine::recover the durable tree after a failed write
  std::unique_ptr<storage::NodeStore> resolver;  // reads only; may be null
  std::unique_ptr<tree::BatchProver> prover;
  uint64_t last_sequence = 0;
  config::Config config;
  appender_actor appender;
  node_writer_actor node_writer;
  // Batches that waited for a checkpoint to catch up (read by stats()).
  std::shared_ptr<ProverReports> reports = std::make_shared<ProverReports>();
};

prover_actor::behavior_type tree_prover(prover_actor::pointer self, std::shared_ptr<ProverSetup> setup);

}  // namespace basis::actors
