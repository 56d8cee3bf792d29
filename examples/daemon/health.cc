#include "examples/daemon/health.h"

#include "basis/tree/hash.h"

namespace basis::daemon {

using nlohmann::json;

HealthSummary summarize_health(basis::Runtime& rt) {
  HealthSummary h;
  h.state = rt.state();
  h.background = rt.background();
  const bool checks_pass =
      h.background.last_health.ok && h.background.verification != basis::VerificationState::kFailed;
  const bool storage_reads = h.state.storage.is_ok();
  h.status = !h.state.served                     ? "unavailable"
             : !h.state.writes.is_ok()           ? "refusing_writes"
             : checks_pass && storage_reads      ? "ok"
                                                 : "degraded";
  h.ready = h.state.served && h.state.writes.is_ok() && checks_pass && storage_reads;
  // The named trees: one that is not served, or refuses batches, makes the
  // store degraded (the others serve); readiness is the default tree's.
  std::vector<TreeInfo> trees = rt.trees();
  for (size_t i = 1; i < trees.size(); ++i) {
    std::shared_ptr<basis::Runtime> t = trees[i].status.is_ok() ? rt.tree(trees[i].name) : nullptr;
    const basis::Runtime::TreeState state = t ? t->state() : basis::Runtime::TreeState{};
    if (!t || !state.served || !state.writes.is_ok()) {
      h.trees_not_ok.push_back({trees[i].name, !trees[i].status.is_ok() ? trees[i].status.to_string()
                                               : !state.served          ? "not served"
                                                                        : state.writes.to_string()});
    }
  }
  h.named_trees = trees.size() - 1;
  if (!h.trees_not_ok.empty() && h.status == std::string("ok")) h.status = "degraded";
  return h;
}

json health_json(const HealthSummary& h, const basis::Runtime::RecoveryReport& rec) {
  const basis::BackgroundStatus& bg = h.background;
  return {{"status", h.status},
          {"writes", h.state.writes.is_ok() ? std::string("ok") : h.state.writes.to_string()},
          {"digest", h.state.served ? json(tree::to_hex(tree::ByteView(h.state.digest))) : json(nullptr)},
          {"last_seq", h.state.served ? json(h.state.last_sequence) : json(nullptr)},
          // A read of the stored tree that failed, until a full health check passes.
          {"storage", h.state.storage.is_ok() ? std::string("ok") : h.state.storage.to_string()},
          {"recovery",
           {{"path", basis::recovery_path_name(rec.path)},
            {"checkpoint_id", rec.checkpoint_id},
            {"replayed", rec.replayed},
            {"milliseconds", rec.milliseconds},
            {"fallbacks", rec.fallbacks}}},
          {"verification",
           {{"state", basis::verification_state_name(bg.verification)},
            {"nodes", bg.verified_nodes},
            {"problem", bg.verification_problem}}},
          {"trees",
           {{"named", h.named_trees},
            {"not_ok", [&] {
               json list = json::array();
               for (const auto& [name, why] : h.trees_not_ok) list.push_back({{"name", name}, {"why", why}});
               return list;
             }()}}},
          {"health_check",
           {{"checks", bg.health_checks},
            {"failures", bg.health_check_failures},
            {"last_ok", bg.last_health.ok},
            {"last_problem", bg.last_health.problem}}}};
}

}  // namespace basis::daemon
