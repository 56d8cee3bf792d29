#include "actors/protocol.h"

namespace basis::actors {

BatchJob::~BatchJob() {
  if (answered_) return;
  std::string why = "the tree prover stopped before answering this batch";
  if (logged_from > 0) {
    why += "; its operations from sequence " + std::to_string(logged_from) +
           " may still have been made durable: read the log from there before retrying";
  } else {
    why += ", which was not applied";
  }
  BatchResult r;
  r.status = tree::Status(tree::ErrorKind::kUnavailable, why);
  finish(std::move(r));
}

void BatchJob::finish(BatchResult result) {
  if (answered_) return;
  answered_ = true;
  promise.set_value(std::move(result));
  if (on_done) on_done();
}

ReadJob::~ReadJob() {
  if (!ran_ && fail) fail(tree::Status(tree::ErrorKind::kUnavailable, "the tree prover stopped before this read ran"));
}

void ReadJob::execute(ProverView& view) {
  ran_ = true;
  run(view);
}

}  // namespace basis::actors
