// Runtime methods over the store's trees: the catalog, creating and dropping
// named trees, and transactions across trees (basis/trees.h).
#include <algorithm>
#include <chrono>
#include <shared_mutex>

#include "actors/runtime_access.h"
#include "actors/runtime_impl.h"
#include "actors/transaction_gate.h"
#include "engine/logger.h"
#include "storage/oplog.h"
#include "storage/retention.h"

namespace basis {

using namespace actors;

namespace {

tree::Status only_on_store() {
  return tree::Status(tree::ErrorKind::kInvalidArgument, "trees are managed through the store's (default tree's) runtime");
}

TreeInfo info_of(const storage::TreeEntry& e, tree::Status status) {
  return TreeInfo{e.name, e.key_length, e.value_length, std::move(status)};
}

}  // namespace

tree::Status Runtime::Impl::stop_tree(bool seal_first) {
  if (stopped) return tree::Status::ok();
  checks.reset();  // its health checks read through the prover
  // Waits for every acknowledged batch first. The store flushes once after
  // the last tree (shutdown) or needs no flush (a dropped tree).
  tree::Status s = seal_first ? seal(false, /*flush=*/false) : tree::Status::ok();
  // Every actor of the tree is waited for: a dropped tree's records are
  // removed next, and none may be written after.
  std::vector<caf::actor> actors;
  if (prover_actor p = slot->prover()) actors.push_back(caf::actor_cast<caf::actor>(p));
  if (auto a = current<appender_actor>(appender_atom::value)) actors.push_back(caf::actor_cast<caf::actor>(a));
  if (auto w = current<node_writer_actor>(writer_atom::value)) actors.push_back(caf::actor_cast<caf::actor>(w));
  if (auto c = current<checkpointer_actor>(checkpointer_atom::value)) actors.push_back(caf::actor_cast<caf::actor>(c));
  actors.push_back(caf::actor_cast<caf::actor>(supervisor));
  stopped = true;
  {
    HostCaller self{*system};
    for (const caf::actor& a : actors) self->monitor(a);
    caf::anon_send_exit(supervisor, caf::exit_reason::user_shutdown);
    for (size_t i = 0; i < actors.size(); ++i) self->receive([](const caf::down_msg&) {});
  }
  supervisor = nullptr;
  return s;
}

std::vector<TreeInfo> Runtime::trees() {
  std::vector<TreeInfo> out;
  const config::Config::Tree& t = impl_->config.tree;
  out.push_back(TreeInfo{t.name, t.key_length, t.value_length, impl_->stopped ? Impl::shut_down() : tree::Status::ok()});
  if (!impl_->is_default() || impl_->stopped) return out;
  std::lock_guard<std::mutex> lock(impl_->named_mutex);
  for (const auto& [name, n] : impl_->named) {
    const bool stopped = n.runtime && RuntimeAccess::impl(*n.runtime).stopped;
    out.push_back(info_of(n.entry, stopped ? Impl::shut_down() : n.failed));
  }
  return out;
}

std::shared_ptr<Runtime> Runtime::tree(const std::string& name) {
  if (name == impl_->config.tree.name) return std::shared_ptr<Runtime>(this, [](Runtime*) {});  // not owned
  if (!impl_->is_default() || impl_->stopped) return nullptr;
  std::lock_guard<std::mutex> lock(impl_->named_mutex);
  auto it = impl_->named.find(name);
  return it == impl_->named.end() ? nullptr : it->second.runtime;
}

tree::Status Runtime::create_tree(const config::Config::Tree& params) {
  if (impl_->stopped) return Impl::shut_down();
  if (!impl_->is_default()) return only_on_store();
  if (config::Status s = config::check_tree_name(params.name); !s.is_ok()) {
    return tree::Status(tree::ErrorKind::kInvalidArgument, "tree name '" + params.name + "': " + s.message());
  }
  if (params.key_length < 1 || params.key_length > 255) {
    return tree::Status(tree::ErrorKind::kInvalidArgument, "key_length must be 1..255");
  }
  // A fixed length is allocated whole for the sentinels (and UINT32_MAX is
  // the catalog's "any length"): kMaxFixedValueLength at most.
  if (params.value_length && *params.value_length > kMaxFixedValueLength) {
    return tree::Status(tree::ErrorKind::kInvalidArgument,
                        "value_length must be at most " + std::to_string(kMaxFixedValueLength) +
                            " (or unset: any length)");
  }
  std::lock_guard<std::mutex> lock(impl_->named_mutex);
  if (impl_->named.count(params.name)) {
    return tree::Status(tree::ErrorKind::kInvalidArgument, "a tree named '" + params.name + "' exists");
  }
  // A tree the configuration declares (dropped since) comes back with its
  // declared parameters only: with others, the next start would refuse them.
  for (const config::Config::Tree& declared : impl_->config.trees) {
    if (declared.name == params.name &&
        (declared.key_length != params.key_length || declared.value_length != params.value_length)) {
      auto length = [](std::optional<uint32_t> v) { return v ? std::to_string(*v) : std::string("any"); };
      return tree::Status(tree::ErrorKind::kInvalidArgument,
                          "tree '" + params.name + "' is declared in the configuration ([[trees]]) with key_length " +
                              std::to_string(declared.key_length) + " and value_length " +
                              length(declared.value_length) + ": it can be created with those only (the next " +
                              "start would refuse other ones)");
    }
  }
  NamedTree t;
  if (tree::Status s = storage::create_tree(impl_->db, params.name, params.key_length, params.value_length, &t.entry);
      !s.is_ok()) {
    return s;
  }
  t.failed = RuntimeAccess::open_named(*impl_, t.entry, &t.runtime);
  caf::logger::set_current_actor_system(nullptr);  // this thread spawned its actors
  tree::Status result = t.failed;
  engine::runtime_logger(impl_->config)->info("created tree '{}' (key_length {})", params.name, params.key_length);
  impl_->named[params.name] = std::move(t);
  return result;
}

tree::Status Runtime::drop_tree(const std::string& name) {
  if (impl_->stopped) return Impl::shut_down();
  if (!impl_->is_default()) return only_on_store();
  // No transaction is in flight meanwhile: one holding a part for this tree
  // would write its records after the drop removed the tree's (and be
  // acknowledged for a tree that is gone). One that waits here is refused
  // once it runs: the tree is stopped. (Lock order: transactions, then trees.)
  std::lock_guard<std::mutex> no_transaction(impl_->transaction_mutex);
  std::lock_guard<std::mutex> lock(impl_->named_mutex);
  auto it = impl_->named.find(name);
  if (it == impl_->named.end()) {
    return tree::Status(tree::ErrorKind::kNotFound,
                        name == "default" ? "the default tree cannot be dropped" : "no tree named '" + name + "'");
  }
  const storage::Keyspace keyspace = storage::Keyspace::for_tree(it->second.entry.id);
  // No pin is taken from the check until the tree has stopped (and pins
  // then answer that it is shut down).
  std::unique_lock<std::shared_mutex> no_pin;
  if (it->second.runtime) no_pin = std::unique_lock<std::shared_mutex>(RuntimeAccess::impl(*it->second.runtime).pin_mutex);
  std::set<uint64_t> pins;
  if (tree::Status s = storage::pinned_checkpoints(*impl_->db, &pins, keyspace); !s.is_ok()) return s;
  if (!pins.empty()) {
    std::string ids;
    for (uint64_t id : pins) ids += (ids.empty() ? "" : ", ") + std::to_string(id);
    return tree::Status(tree::ErrorKind::kInvalidArgument,
                        "tree '" + name + "' has pinned checkpoints (" + ids + "): unpin them before dropping it");
  }
  if (it->second.runtime) (void)RuntimeAccess::impl(*it->second.runtime).stop_tree(/*seal_first=*/false);
  if (no_pin.owns_lock()) no_pin.unlock();  // before the erase below may destroy the tree's mutex
  if (tree::Status s = storage::drop_tree(impl_->db, it->second.entry); !s.is_ok()) return s;
  engine::runtime_logger(impl_->config)->info("dropped tree '{}'", name);
  impl_->named.erase(it);
  return tree::Status::ok();
}

TransactionResult Runtime::transact(std::vector<TransactionPart> parts) {
  TransactionResult result;
  auto refuse = [&](std::optional<size_t> part, tree::Status why) {
    result.status = std::move(why);
    result.refused_part = part;
    result.parts.clear();
    return result;
  };
  if (impl_->stopped) return refuse(std::nullopt, Impl::shut_down());
  if (!impl_->is_default()) return refuse(std::nullopt, only_on_store());
  if (parts.empty()) return refuse(std::nullopt, tree::Status(tree::ErrorKind::kInvalidArgument, "a transaction needs a part"));
  if (parts.size() > kMaxTransactionParts) {
    return refuse(std::nullopt, tree::Status(tree::ErrorKind::kLimitExceeded,
                                             "a transaction has at most " + std::to_string(kMaxTransactionParts) +
                                                 " parts, not " + std::to_string(parts.size())));
  }
  std::vector<std::shared_ptr<Runtime>> trees;
  for (size_t i = 0; i < parts.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (parts[j].tree == parts[i].tree) {
        return refuse(i, tree::Status(tree::ErrorKind::kInvalidArgument,
                                      "tree '" + parts[i].tree + "' has two parts: put its operations in one"));
      }
    }
    std::shared_ptr<Runtime> t = tree(parts[i].tree);
    if (!t) return refuse(i, tree::Status(tree::ErrorKind::kNotFound, "no tree named '" + parts[i].tree + "' is served"));
    trees.push_back(std::move(t));
  }
  // One at a time: two transactions each holding a tree the other waits for
  // would wait for ever. Batches to single trees go on meanwhile.
  std::lock_guard<std::mutex> one_at_a_time(impl_->transaction_mutex);
  auto gate = std::make_shared<TransactionGate>(parts.size());
  std::vector<std::future<BatchResult>> answers;
  for (size_t i = 0; i < parts.size(); ++i) {
    auto job = std::make_shared<BatchJob>();
    job->operations = std::move(parts[i].operations);
    job->txn = gate;
    job->txn_part = i;
    job->on_done = [gate, i] { gate->finished(i); };
    answers.push_back(RuntimeAccess::impl(*trees[i]).submit_job(std::move(job), true));
  }
  std::vector<BatchResult> done(parts.size());
  auto collect = [&] {
    for (size_t i = 0; i < answers.size(); ++i) done[i] = answers[i].get();
  };
  const std::optional<size_t> refused = gate->wait_prepared();
  std::vector<prover_actor> provers = gate->provers();
  if (refused) {
    for (const prover_actor& p : provers) {
      if (p) caf::anon_send(p, decide_atom::value, false);
    }
    collect();
    return refuse(*refused, done[*refused].status);
  }
  for (const prover_actor& p : provers) caf::anon_send(p, decide_atom::value, true);
  const bool grouped = gate->wait_grouped();
  std::vector<std::shared_ptr<RecordGroup>> groups = gate->groups();
  tree::Status written = tree::Status(tree::ErrorKind::kUnavailable, "a part's prover failed while applying it");
  bool attempted = false;
  if (grouped) {
    std::vector<std::unique_ptr<storage::Oplog>> logs(parts.size());
    std::vector<storage::Oplog::Part> write;
    written = tree::Status::ok();
    for (size_t i = 0; i < parts.size() && written.is_ok(); ++i) {
      if (groups[i]->records.empty()) continue;
      Impl& t = RuntimeAccess::impl(*trees[i]);
      written = storage::Oplog::open(impl_->db, &logs[i], t.keyspace);
      if (written.is_ok()) written = storage::resolve_first_sequences(*impl_->db, t.keyspace, &groups[i]->notes);
      const uint64_t stamp = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                       std::chrono::system_clock::now().time_since_epoch())
                                                       .count());
      for (auto& r : groups[i]->records) r.timestamp_ms = stamp;
      write.push_back(storage::Oplog::Part{logs[i].get(), groups[i]->records, groups[i]->notes});
    }
    if (written.is_ok() && !write.empty()) {
      attempted = true;
      written = storage::Oplog::append_together(impl_->db, write, impl_->config.storage.sync == config::SyncPolicy::kAlways);
    }
  }
  // Every part's prover hears how its log write went, as from its appender.
  for (size_t i = 0; i < parts.size(); ++i) {
    if (provers[i] && groups[i]) {
      caf::anon_send(provers[i], durable_atom::value,
                     DurableReport{groups[i]->batch_id, written, attempted && !written.is_ok()});
    }
  }
  collect();
  if (!written.is_ok()) {
    impl_->note_storage_failure(written);
    return refuse(std::nullopt, written);
  }
  result.status = tree::Status::ok();
  result.parts = std::move(done);
  return result;
}

}  // namespace basis
