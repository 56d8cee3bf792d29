// The runtime a host embeds: a persistent authenticated AVL+ tree served by
// actors (prover, oplog appender, node writer, checkpointer). A batch is
// acknowledged only once its operation records are durable; a read waits for
// every batch applied before it. No type of CAF, RocksDB or the store's
// records appears here.
//
// Thread-safe: every method may be called from any number of threads at
// once, except that shutdown() and the destructor must not race with other
// calls (a host stops calling before it shuts down). Not copyable.
#pragma once

#include <future>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "basis/batch.h"
#include "basis/config.h"
#include "basis/reports.h"
#include "basis/rollback.h"
#include "basis/trees.h"
#include "basis/tree/status.h"

namespace basis {

namespace actors {
struct RuntimeAccess;  // opens a Runtime with what only tests hand in
}

class Runtime {
 public:
  // Recovers the tree in config.storage.data_dir (latest checkpoint, then the
  // operation log after it, every record's digests checked) and starts.
  static tree::Status open(const config::Config& config, std::unique_ptr<Runtime>* out);
  // Shuts down cleanly if shutdown() was not called.
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Waits while max_inflight_batches batches are applied but not durable.
  std::future<BatchResult> apply(std::vector<OwnedOperation> operations);
  // As apply(), but answers kBusy at once instead of waiting.
  std::future<BatchResult> try_apply(std::vector<OwnedOperation> operations);
  BatchResult apply_and_wait(std::vector<OwnedOperation> operations);
  // Makes the live tree an earlier version (basis/rollback.h) in order with
  // the batches: after every batch submitted before it, before every one
  // submitted after. Waits until its log record is durable; the new version
  // is checkpointed right after.
  RollbackResult rollback(const RollbackTarget& target);

  // While no prover serves (one failed and is being rebuilt, or the
  // supervisor gave up on it), calls answer at once: batches, lookups and
  // what-ifs with kUnavailable and why; digest() and last_sequence() with
  // zero, which state() tells apart.
  tree::Digest digest();
  uint64_t last_sequence();
  // Both at once: the digest after operation `last_sequence`.
  struct TreeState {
    tree::Digest digest{};
    uint64_t last_sequence = 0;
    tree::Status writes;  // OK, or why batches are refused now
    bool served = false;  // false: no prover serves now (`writes` says why; digest and sequence unknown)
    // The last read of the stored tree that failed (an I/O error, a damaged
    // record), until a full check_health passes; OK when none.
    tree::Status storage;
    // Only a restart heals it: RocksDB's write-ahead log failed (nothing is
    // written again until the store is reopened), or the prover failed too
    // often to be rebuilt. Every acknowledged batch is durable.
    bool restart_needed = false;
  };
  TreeState state();
  LookupResult lookup(const tree::Bytes& key, bool with_proof);
  // A lookup, with a proof, against a retained checkpoint: the one with this
  // id, or the one whose digest is `digest` (the digest confirmed on chain).
  LookupResult lookup_at_checkpoint(uint64_t checkpoint_id, const tree::Bytes& key);
  LookupResult lookup_at_digest(const tree::Digest& digest, const tree::Bytes& key);
  // The proof and digest of `operations` without applying them.
  BatchResult what_if(std::vector<OwnedOperation> operations);

  // Seals the current version as a checkpoint now.
  tree::Status checkpoint_now();
  // Seals a checkpoint, removes the nodes no retained version reaches, and
  // compacts the families that churn (nodes, operations, notes) so that what
  // was removed leaves the disk. Batches and reads go on meanwhile; the
  // compaction takes the machine's I/O for a while.
  tree::Status compact();
  // Reads every node of the latest checkpoint and checks it against its
  // label, on recovery_parallelism threads; `nodes` counts them.
  tree::Status verify_latest_checkpoint(uint64_t* nodes);
  std::vector<CheckpointInfo> checkpoints();
  // A pinned checkpoint stays through retention until unpinned (the version
  // whose digest is confirmed on chain, for example). kNotFound for an
  // unknown id.
  tree::Status pin_checkpoint(uint64_t id);
  tree::Status unpin_checkpoint(uint64_t id);
  std::set<uint64_t> pinned_checkpoints();

  // Up to `limit` operation records from sequence `from` on (0 reads from
  // 1), in order, for audit, and fewer once their keys and values take
  // `max_bytes` (the first always comes). A gap or a damaged record is an
  // error naming it.
  tree::Status read_log(uint64_t from, size_t limit, std::vector<LogRecord>* out,
                        uint64_t max_bytes = UINT64_MAX);

  // Waits for every acknowledged batch, seals a checkpoint, stops the actors.
  tree::Status shutdown();

  // How the last open() recovered (for tests and logs).
  struct RecoveryReport {
    RecoveryPath path = RecoveryPath::kEmpty;
    uint64_t checkpoint_id = 0;     // 0: started from the empty tree
    uint64_t replayed = 0;          // operations replayed from the log
    double milliseconds = 0;        // all of open()
    double open_ms = 0;             // opening the database
    double load_ms = 0;             // resolving the checkpoint (and verifying it, with "full")
    double replay_ms = 0;           // reading the log and the nodes it touches, replaying it
    std::vector<std::string> fallbacks;  // candidates refused, and why (also logged)
    uint64_t verified_nodes = 0;    // checked before serving (recovery_validation = "full")
  };
  const RecoveryReport& recovery() const;

  struct Stats {
    uint64_t tree_nodes = 0;         // nodes of the tree in memory
    uint64_t tree_memory_bytes = 0;  // what they take
    uint64_t restarts = 0;           // actors restarted by the supervisor
    uint64_t last_sequence = 0;
    uint64_t node_cache_hits = 0;    // node reads served by the node store's cache
    uint64_t node_cache_misses = 0;  // node reads that went to RocksDB
    uint64_t node_bytes = 0;         // the nodes family's table files
    uint64_t oplog_bytes = 0;        // the operations and notes families' table files
    uint64_t checkpoints = 0;        // retained
    uint64_t gc_runs = 0, gc_failures = 0;         // node garbage collections
    uint64_t gc_removed_nodes = 0, gc_removed_bytes = 0;
    uint64_t gc_live_nodes = 0;      // at the last collection
    uint64_t stalled_batches = 0;    // batches that waited for a lagging checkpoint
    // The store's one memory budget (node_cache_size), shared by every tree:
    // what the trees in memory and the node caches hold against it.
    uint64_t store_memory_bytes = 0, store_memory_budget = 0;
    BackgroundStatus background;     // background verification and health checks
  };
  Stats stats();
  // Only stats().background, without asking the actors anything.
  BackgroundStatus background();

  // Checks the tree against its digest and the notes now (see
  // check_health in health_check.h): sampled with
  // persistence.health_check_samples keys, or every key with `full`. Counted
  // with the periodic checks.
  HealthReport check_health(bool full);

  // Actors restarted by the supervisor so far.
  uint64_t restarts();

  // Named trees (basis/trees.h). open() recovers every tree of the store,
  // recovery_parallelism of them at a time, and creates the ones the
  // configuration declares that the store does not hold yet. These are
  // called on the runtime open() returned (the default tree's); on a named
  // tree's, trees() lists it alone and the rest answer kInvalidArgument.
  //
  // Every tree: the default tree first, then the named ones by name.
  std::vector<TreeInfo> trees();
  // A tree's runtime: the same interface as this one's, for that tree
  // ("default": this runtime itself, not owned). Null when no tree has that
  // name, or its recovery failed (trees() says why). Valid until the tree
  // is dropped or this runtime shuts down: after that, every call on it
  // answers "runtime is shut down".
  std::shared_ptr<Runtime> tree(const std::string& name);
  // A new named tree, served at once (synced in the catalog first).
  tree::Status create_tree(const config::Config::Tree& params);
  // Stops the tree and removes every record of it. Refused while one of its
  // checkpoints is pinned (kInvalidArgument naming the pins): a pinned
  // version is kept until unpinned. A tree the configuration declares comes
  // back, empty, at the next start.
  tree::Status drop_tree(const std::string& name);
  // Applies the parts together (the rule in basis/trees.h): waits until
  // every batch submitted to those trees before it is durable, and answers
  // once all parts are durable together.
  TransactionResult transact(std::vector<TransactionPart> parts);

  struct Impl;

 private:
  friend struct actors::RuntimeAccess;
  explicit Runtime(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace basis
