#include "storage/seal_window.h"

#include "storage/node_ingest.h"
#include "storage/tree_verify.h"

namespace basis::storage {

Status SealWindow::add(std::vector<std::pair<tree::Label, std::string>>&& nodes, bool* wrote) {
  *wrote = false;
  for (auto& entry : nodes) {
    size_t bytes = entry.second.size() + tree::kLabelSize;
    queued_bytes_ += bytes;
    kept_bytes_ += bytes;
    records_.push_back(std::move(entry));
  }
  if (queued_bytes_ < limits_.write_bytes) return Status::ok();
  *wrote = true;
  return flush();
}

Status SealWindow::flush() {
  if (Status s = ingest_nodes(db_, EncodedNodes(records_).subspan(written_), keyspace_); !s.is_ok()) return s;
  written_ = records_.size();
  queued_bytes_ = 0;
  if (kept_bytes_ > limits_.keep_bytes) {
    check_from_disk_ = true;
    records_.clear();
    written_ = 0;
    kept_bytes_ = 0;
  }
  return Status::ok();
}

Status SealWindow::seal(const tree::Digest& digest, uint64_t* checked) {
  *checked = 0;
  if (written_ != records_.size()) return Status(tree::ErrorKind::kInvalidArgument, "sealing a window not flushed");
  // What was written now checks against its labels; everything else the
  // version names was checked with an earlier one.
  Status verified = check_from_disk_ ? verify_tree(*db_, digest, limits_.disk_check_threads, checked, nullptr, {}, keyspace_)
                                     : verify_written_nodes(*db_, digest, records_, keyspace_);
  if (!check_from_disk_) *checked = records_.size();
  records_.clear();
  written_ = 0;
  kept_bytes_ = 0;
  check_from_disk_ = !verified.is_ok();
  return verified;
}

}  // namespace basis::storage
