// The routes that run the store: checkpoints and their pins, compaction,
// health, metrics (api_routes.h).
#include <optional>
#include <set>

#include "examples/daemon/api_json.h"
#include "examples/daemon/api_routes.h"
#include "examples/daemon/health.h"
#include "examples/daemon/request_checks.h"

namespace basis::daemon {

using nlohmann::json;

namespace {

void list_checkpoints(const TreeTarget& t, httplib::Response& res) {
  json list = json::array();
  std::set<uint64_t> pinned = t.rt->pinned_checkpoints();
  for (const auto& c : t.rt->checkpoints()) {
    json j = checkpoint_json(c);
    j["pinned"] = pinned.count(c.id) > 0;
    list.push_back(j);
  }
  reply(res, 200, {{"checkpoints", list}});
}

void seal_checkpoint(const TreeTarget& t, httplib::Response& res) {
  if (tree::Status s = t.rt->checkpoint_now(); !s.is_ok()) return fail(res, s);
  auto list = t.rt->checkpoints();
  if (list.empty()) {
    // A tree stopped (dropped) right after the seal lists no checkpoints.
    if (!t.rt->state().served) return fail(res, ErrorCode::kUnavailable, "the tree was stopped (dropped or shut down)");
    return fail(res, ErrorCode::kInternal, "no checkpoint after sealing one");
  }
  reply(res, 201, checkpoint_json(list.front()));
}

// Pinning keeps a checkpoint through retention (the version confirmed on
// chain); unpinning an id that is neither pinned nor retained is a 404.
void pin(const TreeTarget& t, bool on, const std::string& v, httplib::Response& res) {
  std::optional<uint64_t> id = parse_u64(v);
  if (!id) {
    return fail(res, ErrorCode::kInvalidParameter,
                "checkpoint id '" + printable(v) + "' is not an unsigned 64-bit integer");
  }
  tree::Status s = on ? t.rt->pin_checkpoint(*id) : t.rt->unpin_checkpoint(*id);
  if (!s.is_ok()) return fail(res, s);
  reply(res, 200, {{"id", *id}, {"pinned", on}});
}

// Operator-scheduled: a checkpoint, node garbage collection, and compaction
// of the families that churn. Answers once done, with what the disk holds.
void compact(const ApiContext& api, httplib::Response& res) {
  if (tree::Status s = api.rt.compact(); !s.is_ok()) return fail(res, s);
  auto st = api.rt.stats();
  reply(res, 200, json{{"node_bytes", st.node_bytes}, {"oplog_bytes", st.oplog_bytes}, {"gc_runs", st.gc_runs},
                       {"gc_removed_nodes", st.gc_removed_nodes}, {"gc_live_nodes", st.gc_live_nodes}});
}

}  // namespace

void install_admin_routes(httplib::Server& server, const ApiContext& api) {
  const uint64_t max_body = api.options.max_body_size;
  using Req = const httplib::Request&;
  using Res = httplib::Response&;
  server.Get("/v1/checkpoints", [api](Req, Res res) { list_checkpoints(default_tree(api), res); });
  route_with_body(server, "POST", "/v1/checkpoints", max_body,
                  [api](Req, Res res, const std::string&) { seal_checkpoint(default_tree(api), res); });
  for (bool on : {true, false}) {
    route_with_body(server, on ? "POST" : "DELETE", R"(/v1/checkpoints/([^/]+)/pin)", max_body,
                    [api, on](Req req, Res res, const std::string&) { pin(default_tree(api), on, req.matches[1].str(), res); });
    route_with_body(server, on ? "POST" : "DELETE", R"(/v1/trees/([^/]+)/checkpoints/([^/]+)/pin)", max_body,
                    [api, on](Req req, Res res, const std::string&) {
                      TreeTarget t;
                      if (find_tree(api, req.matches[1].str(), &t, res)) pin(t, on, req.matches[2].str(), res);
                    });
  }
  server.Get(R"(/v1/trees/([^/]+)/checkpoints)", [api](Req req, Res res) {
    TreeTarget t;
    if (find_tree(api, req.matches[1].str(), &t, res)) list_checkpoints(t, res);
  });
  route_with_body(server, "POST", R"(/v1/trees/([^/]+)/checkpoints)", max_body,
                  [api](Req req, Res res, const std::string&) {
                    TreeTarget t;
                    if (find_tree(api, req.matches[1].str(), &t, res)) seal_checkpoint(t, res);
                  });
  route_with_body(server, "POST", "/v1/admin/compact", max_body,
                  [api](Req, Res res, const std::string&) { compact(api, res); });

  // 503 whenever the service cannot do all it should: a load balancer or an
  // operator polling this must not read "ok" while writes are refused. The
  // 503 carries the health report, not an error.
  server.Get("/v1/health", [api](Req, Res res) {
    HealthSummary h = summarize_health(api.rt);
    reply(res, h.ready ? 200 : 503, health_json(h, api.rt.recovery()));
  });
  // For an orchestrator: ready (send traffic) is the same decision; live
  // (do not restart) holds while the process answers, unless only a restart
  // can heal the store.
  server.Get(R"(/v1/trees/([^/]+)/health)", [api](Req req, Res res) {
    TreeTarget t;
    if (!find_tree(api, req.matches[1].str(), &t, res)) return;
    HealthSummary h = summarize_health(*t.rt);
    reply(res, h.ready ? 200 : 503, health_json(h, t.rt->recovery()));
  });
  server.Get("/v1/health/ready", [api](Req, Res res) {
    HealthSummary h = summarize_health(api.rt);
    reply(res, h.ready ? 200 : 503, {{"status", h.status}});
  });
  server.Get("/v1/health/live", [api](Req, Res res) {
    const basis::Runtime::TreeState state = api.rt.state();
    if (state.restart_needed) return reply(res, 503, {{"status", "restart_needed"}, {"why", state.writes.to_string()}});
    reply(res, 200, {{"status", "live"}});
  });
  server.Get("/metrics", [api](Req, Res res) { res.set_content(api.metrics.render(api.rt), "text/plain; version=0.0.4"); });
}

}  // namespace basis::daemon
