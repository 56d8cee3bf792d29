// Where the parts of one transaction across trees meet (basis/trees.h has
// the rule). Each part's prover reports that its part passed the checks a
// batch passes (and then holds its tree: nothing else is applied to it), the
// host decides, each prover applies its part and hands over its records,
// and the host writes every part's records in one synced write and reports
// it to every prover as their log write. Thread-safe: provers report from
// their threads, the host waits on its own.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "actors/protocol.h"

namespace basis::actors {

class TransactionGate {
 public:
  explicit TransactionGate(size_t parts) : parts_(parts) {}
  TransactionGate(const TransactionGate&) = delete;
  TransactionGate& operator=(const TransactionGate&) = delete;

  // From part `i`'s prover: OK (its tree is held until decide_atom), or why
  // the part is refused (its job is answered with that).
  void prepared(size_t i, tree::Status status, prover_actor prover);
  // From part `i`'s prover once applied: its records (maybe none).
  void grouped(size_t i, std::shared_ptr<RecordGroup> group);
  // Part `i`'s job was answered (every path: also a job dropped unrun).
  void finished(size_t i);
  // From a part's prover, before it reports prepared: adds its answer's
  // bound to the transaction's; refused (LimitExceeded) once the sum of the
  // parts' bounds would exceed `max_answer_bytes`.
  tree::Status charge_answer(uint64_t bytes, uint64_t max_answer_bytes);

  // Host: waits until every part is prepared or refused; the first refused
  // part, if one was.
  std::optional<size_t> wait_prepared();
  // Host: waits until every part handed over its records or was answered
  // without; true when all handed them over (false: a prover failed
  // applying its part).
  bool wait_grouped();
  // The provers that hold their trees (prepared OK), by part; invalid for others.
  std::vector<prover_actor> provers();
  std::vector<std::shared_ptr<RecordGroup>> groups();
  std::optional<tree::Status> refusal(size_t i);

 private:
  struct Part {
    bool prepared = false;
    bool refused = false;
    bool finished = false;
    std::optional<tree::Status> why;
    prover_actor prover;
    std::shared_ptr<RecordGroup> group;
  };
  bool all_prepared() const;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Part> parts_;
  uint64_t answer_bytes_ = 0;  // the parts' answer bounds, charged so far
};

}  // namespace basis::actors
