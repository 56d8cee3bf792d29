#include "actors/transaction_gate.h"

#include <algorithm>
#include <string>

namespace basis::actors {

void TransactionGate::prepared(size_t i, tree::Status status, prover_actor prover) {
  std::lock_guard<std::mutex> lock(mutex_);
  Part& p = parts_.at(i);
  p.prepared = true;
  p.refused = !status.is_ok();
  if (p.refused) {
    p.why = std::move(status);
  } else {
    p.prover = std::move(prover);
  }
  changed_.notify_all();
}

void TransactionGate::grouped(size_t i, std::shared_ptr<RecordGroup> group) {
  std::lock_guard<std::mutex> lock(mutex_);
  parts_.at(i).group = std::move(group);
  changed_.notify_all();
}

void TransactionGate::finished(size_t i) {
  std::lock_guard<std::mutex> lock(mutex_);
  Part& p = parts_.at(i);
  p.finished = true;
  if (!p.prepared) {  // answered before its prover looked at it: refused
    p.prepared = true;
    p.refused = true;
  }
  changed_.notify_all();
}

tree::Status TransactionGate::charge_answer(uint64_t bytes, uint64_t max_answer_bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (bytes > max_answer_bytes - std::min(answer_bytes_, max_answer_bytes)) {
    return tree::Status(tree::ErrorKind::kLimitExceeded,
                        "the transaction's answer could take more than persistence.max_answer_bytes (" +
                            std::to_string(max_answer_bytes) + " bytes): this part up to " + std::to_string(bytes) +
                            " bytes, the parts checked before it (in any order) up to " + std::to_string(answer_bytes_) +
                            "; split it into smaller transactions");
  }
  answer_bytes_ += bytes;
  return tree::Status::ok();
}

bool TransactionGate::all_prepared() const {
  for (const Part& p : parts_) {
    if (!p.prepared) return false;
  }
  return true;
}

std::optional<size_t> TransactionGate::wait_prepared() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return all_prepared(); });
  for (size_t i = 0; i < parts_.size(); ++i) {
    if (parts_[i].refused) return i;
  }
  return std::nullopt;
}

bool TransactionGate::wait_grouped() {
  // Until every part has settled, not only until the first one failed: a
  // part still being applied groups later, holds its tree until it hears
  // how its write went, and would never hear it (groups() taken too soon
  // would not have it).
  std::unique_lock<std::mutex> lock(mutex_);
  bool all = false;
  changed_.wait(lock, [&] {
    size_t grouped = 0;
    for (const Part& p : parts_) {
      if (p.group) {
        ++grouped;
      } else if (!p.finished) {
        return false;  // still being applied
      }
    }
    all = grouped == parts_.size();
    return true;
  });
  return all;
}

std::vector<prover_actor> TransactionGate::provers() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<prover_actor> out;
  for (const Part& p : parts_) out.push_back(p.prover);
  return out;
}

std::vector<std::shared_ptr<RecordGroup>> TransactionGate::groups() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::shared_ptr<RecordGroup>> out;
  for (const Part& p : parts_) out.push_back(p.group);
  return out;
}

std::optional<tree::Status> TransactionGate::refusal(size_t i) {
  std::lock_guard<std::mutex> lock(mutex_);
  return parts_.at(i).why;
}

}  // namespace basis::actors
