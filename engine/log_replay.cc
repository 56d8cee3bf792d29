#include "engine/log_replay.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

namespace basis::engine {

namespace {

constexpr size_t kChunk = 10'000;        // records read ahead at a time
constexpr size_t kChunksAhead = 2;       // decoded and waiting, at most
constexpr uint64_t kCheckEvery = 1'000;  // records between digest comparisons

struct Chunk {
  std::vector<storage::OperationRecord> records;
  bool last = false;
  tree::Status status;  // of the scan, with the last chunk
};

// Decodes the log after `after` into chunks on its own thread.
class ChunkReader {
 public:
  ChunkReader(const storage::Oplog& log, uint64_t after, uint64_t through)
      : thread_([this, &log, after, through] { run(log, after, through); }) {}
  ~ChunkReader() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      cancelled_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }

  Chunk next() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return !ready_.empty(); });
    Chunk c = std::move(ready_.front());
    ready_.pop_front();
    changed_.notify_all();
    return c;
  }

 private:
  // False once the consumer is gone.
  bool push(Chunk c) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return cancelled_ || ready_.size() < kChunksAhead; });
    if (cancelled_) return false;
    ready_.push_back(std::move(c));
    changed_.notify_all();
    return true;
  }

  void run(const storage::Oplog& log, uint64_t after, uint64_t through) {
    Chunk current;
    bool open = true;
    tree::Status s = log.scan(after + 1, through, [&](const storage::OperationRecord& rec) {
      current.records.push_back(rec);
      if (current.records.size() == kChunk) {
        open = push(std::move(current));
        current = Chunk();
      }
      return open;
    });
    if (!open) return;
    current.last = true;
    current.status = s;
    push(std::move(current));
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Chunk> ready_;
  bool cancelled_ = false;
  std::thread thread_;  // last: starts once the rest is constructed
};

}  // namespace

tree::Status replay_log(const storage::Oplog& log, const ReplayOptions& options,
                        std::unique_ptr<tree::BatchProver>* prover_slot,
                        std::unique_ptr<storage::NodeStore>* resolver_slot, ReplayProgress* progress) {
  tree::Status failure;
  tree::OpOutcome out;
  uint64_t in_batch = 0, batch_first = options.after + 1;
  std::optional<tree::Digest> last_after;
  std::optional<tree::Label> prefetch_root = options.prefetch_root;
  auto check = [&](const tree::Digest& expected, const std::string& where) {
    tree::Digest actual = (*prover_slot)->digest();
    if (actual == expected) return true;
    failure = tree::Status(tree::ErrorKind::kCorruption, where + ": the tree's digest is " + tree::to_hex(actual) +
                                                             ", the log says " + tree::to_hex(expected));
    return false;
  };
  auto range = [&](uint64_t last) {
    return "after operations records " + std::to_string(batch_first) + ".." + std::to_string(last);
  };
  progress->last_sequence = options.after;
  const uint64_t last = std::min(log.last_sequence(), options.through);
  const uint64_t to_replay = last > options.after ? last - options.after : 0;
  // Most trees of a store have nothing to replay at an open: no thread then.
  std::optional<ChunkReader> reader;
  if (to_replay > 0) reader.emplace(log, options.after, last);
  for (;;) {
    if (options.progress) options.progress("replaying log", progress->replayed, to_replay);
    Chunk chunk;
    if (reader) {
      chunk = reader->next();
    } else {
      chunk.last = true;
    }
    if (prefetch_root && !chunk.records.empty()) {
      std::vector<tree::Bytes> keys;
      keys.reserve(chunk.records.size());
      for (const auto& rec : chunk.records) keys.push_back(rec.key);
      (*resolver_slot)->prefetch_paths(*prefetch_root, std::move(keys), options.threads);
    }
    for (const storage::OperationRecord& rec : chunk.records) {
      if (rec.sequence == options.after + 1 &&
          !check(rec.digest_before, "before operations record " + std::to_string(rec.sequence))) {
        break;
      }
      if (rec.rollback) {
        if (in_batch > 0 && !check(rec.digest_before, range(rec.sequence - 1))) break;
        (*prover_slot)->end_batch();
        (*resolver_slot)->drop_prefetched();
        RolledBackTree back;
        tree::Status s = options.rollback
                             ? options.rollback(rec.rolled_back_to, &back)
                             : tree::Status(tree::ErrorKind::kInvalidArgument, "this replay cannot build other versions");
        if (!s.is_ok()) {
          failure = tree::Status(tree::ErrorKind::kCorruption, "operations record " + std::to_string(rec.sequence) + ", a rollback to sequence " +
                                     std::to_string(rec.rolled_back_to) + ", does not replay: " + s.to_string());
          break;
        }
        *prover_slot = std::move(back.prover);
        *resolver_slot = std::move(back.resolver);
        prefetch_root.reset();  // the paths now start from another root
        progress->last_sequence = rec.sequence;
        ++progress->replayed;
        last_after = rec.digest_after;
        in_batch = 0;
        batch_first = rec.sequence + 1;
        if (!check(rec.digest_after, "after operations record " + std::to_string(rec.sequence) + " (a rollback)")) break;
        continue;
      }
      if (tree::Status s = (*prover_slot)->perform(rec.operation(), &out); !s.is_ok()) {
        failure = tree::Status(tree::ErrorKind::kCorruption,
                               "operations record " + std::to_string(rec.sequence) + " does not replay: " + s.to_string());
        break;
      }
      progress->last_sequence = rec.sequence;
      ++progress->replayed;
      last_after = rec.digest_after;
      if (++in_batch == kCheckEvery) {
        if (!check(rec.digest_after, range(rec.sequence))) break;
        (*prover_slot)->end_batch();
        in_batch = 0;
        batch_first = rec.sequence + 1;
      }
    }
    if (!failure.is_ok()) break;
    if (chunk.last) {
      failure = chunk.status;
      break;
    }
  }
  if (failure.is_ok() && in_batch > 0) (void)check(*last_after, range(progress->last_sequence));
  (*prover_slot)->end_batch();
  (*resolver_slot)->drop_prefetched();  // what the replay used is in the tree now
  if (!failure.is_ok()) return failure;
  if (progress->last_sequence != last) {
    return tree::Status(tree::ErrorKind::kCorruption,
                        "replay stopped at record " + std::to_string(progress->last_sequence) + " of " +
                            std::to_string(last));
  }
  return tree::Status::ok();
}

}  // namespace basis::engine
