// The routes that change and read a tree: batches, the digest, lookups,
// and the operation log (api_routes.h), for the default tree at /v1/… and
// for any tree at /v1/trees/{name}/….
#include <algorithm>
#include <chrono>

#include "basis/tree/hash.h"
#include "examples/daemon/api_json.h"
#include "examples/daemon/api_routes.h"
#include "examples/daemon/request_checks.h"

namespace basis::daemon {

using nlohmann::json;

namespace {

void batch(const ApiContext& api, const TreeTarget& t, const httplib::Request& req, httplib::Response& res,
           const std::string& body) {
  const auto started = std::chrono::steady_clock::now();
  const ApiOptions& options = api.options;
  ApiError error;
  bool dry_run = false;
  if (!query_flag(req, "dry_run", &dry_run, &error)) return fail(res, error);
  if (!check_batch_shape(body, options.max_batch_operations, &error)) return fail(res, error);
  std::vector<basis::OwnedOperation> ops;
  if (!parse_batch(body, t.params, &ops, &error)) return fail(res, error);
  if (ops.empty()) return fail(res, ErrorCode::kInvalidBatch, "the batch has no operations");
  if (ops.size() > options.max_batch_operations) {
    return fail(res, ErrorCode::kBatchTooLarge,
                "the batch has " + std::to_string(ops.size()) + " operations; persistence.operation_batch_size is " +
                    std::to_string(options.max_batch_operations));
  }
  basis::BatchResult r = dry_run ? t.rt->what_if(std::move(ops)) : t.rt->try_apply(std::move(ops)).get();
  if (!r.status.is_ok()) {
    api.metrics.batch_failed();
    return fail(res, r.status);
  }
  if (!dry_run) {
    api.metrics.batch_applied(r.statuses.size(),
                              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  reply(res, 200, batch_json(r, dry_run));
}

void lookup(const TreeTarget& t, const std::string& key_hex, const httplib::Request& req, httplib::Response& res) {
  tree::Bytes key;
  ApiError error;
  bool with_proof = false;
  if (!query_flag(req, "proof", &with_proof, &error)) return fail(res, error);
  if (!parse_key(key_hex, t.params, &key, &error)) return fail(res, error);
  if (req.has_param("checkpoint")) {
    uint64_t id = 0;
    if (!query_number(req, "checkpoint", &id, &error)) return fail(res, error);
    basis::LookupResult r = t.rt->lookup_at_checkpoint(id, key);
    if (!r.status.is_ok()) return fail(res, r.status);
    json out = lookup_json(key, r, true);
    out["checkpoint"] = id;
    return reply(res, 200, out);
  }
  basis::LookupResult r = t.rt->lookup(key, with_proof);
  if (!r.status.is_ok()) return fail(res, r.status);
  reply(res, 200, lookup_json(key, r, with_proof));
}

// A page of the log and the cursor to the next: `next` is the sequence to
// ask for next, null once the page reaches the end of the log. One record
// more than asked for is read to know.
void oplog(const ApiContext& api, const TreeTarget& t, const httplib::Request& req, httplib::Response& res) {
  uint64_t from = 1, limit = std::min<uint64_t>(kDefaultOplogLimit, api.options.max_oplog_records);
  ApiError error;
  if (!query_number(req, "from", &from, &error) || !query_number(req, "limit", &limit, &error)) {
    return fail(res, error);
  }
  if (limit == 0 || limit > api.options.max_oplog_records) {
    return fail(res, ErrorCode::kInvalidParameter,
                "limit " + std::to_string(limit) + " is not within 1.." + std::to_string(api.options.max_oplog_records));
  }
  std::vector<LogRecord> records;
  if (tree::Status s = t.rt->read_log(from, limit + 1, &records, api.options.max_oplog_bytes); !s.is_ok()) {
    return fail(res, s);
  }
  json next = nullptr;
  if (records.size() > limit) {
    next = records[limit].sequence;
    records.resize(limit);
  } else if (!records.empty() && records.back().sequence < t.rt->last_sequence()) {
    next = records.back().sequence + 1;  // the page filled max_answer_bytes first
  }
  json list = json::array();
  for (const auto& r : records) list.push_back(operation_json(r));
  reply(res, 200, {{"records", list}, {"next", next}});
}

void digest(const TreeTarget& t, httplib::Response& res) {
  basis::Runtime::TreeState s = t.rt->state();
  if (!s.served) {
    return fail(res, s.writes.is_ok() ? tree::Status(tree::ErrorKind::kUnavailable, "no prover serves now") : s.writes);
  }
  reply(res, 200, {{"digest", tree::to_hex(tree::ByteView(s.digest))}, {"last_seq", s.last_sequence}});
}

}  // namespace

TreeTarget default_tree(const ApiContext& api) {
  return TreeTarget{std::shared_ptr<basis::Runtime>(&api.rt, [](basis::Runtime*) {}), api.options.params, "default"};
}

bool find_tree(const ApiContext& api, const std::string& name, TreeTarget* out, httplib::Response& res) {
  std::shared_ptr<basis::Runtime> rt = api.rt.tree(name);
  if (!rt) {
    fail(res, ErrorCode::kNotFound, "no tree named '" + printable(name) + "' is served (GET /v1/trees lists them)");
    return false;
  }
  const TreeInfo self = rt->trees().front();  // a tree's own runtime lists itself first
  *out = TreeTarget{std::move(rt), tree::TreeParams{self.key_length, self.value_length}, name};
  return true;
}

void install_tree_routes(httplib::Server& server, const ApiContext& api) {
  using Req = const httplib::Request&;
  using Res = httplib::Response&;
  const uint64_t max_body = api.options.max_body_size;
  route_with_body(server, "POST", "/v1/batch", max_body,
                  [api](Req req, Res res, const std::string& body) { batch(api, default_tree(api), req, res, body); });
  server.Get("/v1/digest", [api](Req, Res res) { digest(default_tree(api), res); });
  server.Get(R"(/v1/lookup/([^/]*))", [api](Req req, Res res) { lookup(default_tree(api), req.matches[1].str(), req, res); });
  server.Get("/v1/oplog", [api](Req req, Res res) { oplog(api, default_tree(api), req, res); });

  route_with_body(server, "POST", R"(/v1/trees/([^/]+)/batch)", max_body, [api](Req req, Res res, const std::string& body) {
    TreeTarget t;
    if (find_tree(api, req.matches[1].str(), &t, res)) batch(api, t, req, res, body);
  });
  server.Get(R"(/v1/trees/([^/]+)/digest)", [api](Req req, Res res) {
    TreeTarget t;
    if (find_tree(api, req.matches[1].str(), &t, res)) digest(t, res);
  });
  server.Get(R"(/v1/trees/([^/]+)/lookup/([^/]*))", [api](Req req, Res res) {
    TreeTarget t;
    if (find_tree(api, req.matches[1].str(), &t, res)) lookup(t, req.matches[2].str(), req, res);
  });
  server.Get(R"(/v1/trees/([^/]+)/oplog)", [api](Req req, Res res) {
    TreeTarget t;
    if (find_tree(api, req.matches[1].str(), &t, res)) oplog(api, t, req, res);
  });
}

}  // namespace basis::daemon
