#include "examples/daemon/http_api.h"

#include <charconv>
#include <chrono>
#include <set>

#include "examples/daemon/api_json.h"

namespace basis::daemon {

using nlohmann::json;

namespace {

void reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void fail(httplib::Response& res, int status, const std::string& message) {
  reply(res, status, error_json(message));
}

// The HTTP status for a runtime failure.
int status_of(const tree::Status& s) {
  switch (s.kind()) {
    case tree::ErrorKind::kBusy: return 503;
    case tree::ErrorKind::kResourceExhausted: return 507;  // Insufficient Storage
    case tree::ErrorKind::kNotFound: return 404;
    case tree::ErrorKind::kLimitExceeded: return 413;
    case tree::ErrorKind::kInvalidArgument: return 400;
    default: return 500;
  }
}

bool query_flag(const httplib::Request& req, const char* name) {
  return req.has_param(name) && (req.get_param_value(name) == "true" || req.get_param_value(name) == "1");
}

bool query_number(const httplib::Request& req, const char* name, uint64_t* out, std::string* error) {
  if (!req.has_param(name)) return true;
  std::string v = req.get_param_value(name);
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), *out);
  if (ec != std::errc() || end != v.data() + v.size()) {
    *error = std::string(name) + " '" + v + "' is not a non-negative integer";
    return false;
  }
  return true;
}

// Compares without stopping at the first difference.
bool same_token(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

}  // namespace

void install_api(httplib::Server& server, actors::Runtime& rt, Metrics& metrics, const ApiOptions& options,
                 std::shared_ptr<spdlog::logger> log) {
  server.set_payload_max_length(options.max_body_size);
  server.set_pre_routing_handler([options](const httplib::Request& req, httplib::Response& res) {
    if (options.token.empty() || req.path == "/v1/health") return httplib::Server::HandlerResponse::Unhandled;
    std::string auth = req.get_header_value("Authorization");
    const std::string prefix = "Bearer ";
    if (auth.rfind(prefix, 0) == 0 && same_token(auth.substr(prefix.size()), options.token)) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    res.set_header("WWW-Authenticate", "Bearer");
    fail(res, 401, "missing or wrong bearer token");
    return httplib::Server::HandlerResponse::Handled;
  });
  server.set_error_handler([options](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404) {
      fail(res, 404, "no such route: " + req.method + " " + req.path);
    } else if (res.status == 413) {
      fail(res, 413, "the request body exceeds server.max_body_size (" + std::to_string(options.max_body_size) +
                         " bytes)");
    } else if (res.status == 400) {
      fail(res, 400, "bad request (a POST needs a Content-Length header, even of 0)");
    } else {
      fail(res, res.status, "HTTP " + std::to_string(res.status));
    }
  });
  server.set_logger([&metrics, log](const httplib::Request& req, const httplib::Response& res) {
    metrics.request_answered(res.status);
    log->debug("{} {} -> {}", req.method, req.path, res.status);  // never the headers: they hold the token
  });

  server.Post("/v1/batch", [&rt, &metrics, options](const httplib::Request& req, httplib::Response& res) {
    auto started = std::chrono::steady_clock::now();
    std::vector<actors::OwnedOperation> ops;
    std::string error;
    if (!parse_batch(req.body, options.params, &ops, &error)) return fail(res, 400, error);
    if (ops.empty()) return fail(res, 400, "the batch has no operations");
    if (ops.size() > options.max_batch_operations) {
      return fail(res, 413, "the batch has " + std::to_string(ops.size()) +
                                " operations; persistence.operation_batch_size is " +
                                std::to_string(options.max_batch_operations));
    }
    bool dry_run = query_flag(req, "dry_run");
    actors::BatchResult r = dry_run ? rt.what_if(std::move(ops)) : rt.try_apply(std::move(ops)).get();
    if (!r.status.is_ok()) {
      metrics.batch_failed();
      return fail(res, status_of(r.status), r.status.to_string());
    }
    if (!dry_run) {
      metrics.batch_applied(r.statuses.size(),
                            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    reply(res, 200, batch_json(r, dry_run));
  });

  server.Get("/v1/digest", [&rt](const httplib::Request&, httplib::Response& res) {
    actors::Runtime::TreeState s = rt.state();
    reply(res, 200, {{"digest", tree::to_hex(tree::ByteView(s.digest))}, {"last_seq", s.last_sequence}});
  });

  server.Get(R"(/v1/lookup/([^/]*))", [&rt, options](const httplib::Request& req, httplib::Response& res) {
    tree::Bytes key;
    std::string error;
    if (!parse_key(req.matches[1].str(), options.params, &key, &error)) return fail(res, 400, error);
    if (req.has_param("checkpoint")) {
      uint64_t id = 0;
      if (!query_number(req, "checkpoint", &id, &error)) return fail(res, 400, error);
      actors::LookupResult r = rt.lookup_at_checkpoint(id, key);
      if (!r.status.is_ok()) return fail(res, status_of(r.status), r.status.to_string());
      json out = lookup_json(key, r, true);
      out["checkpoint"] = id;
      return reply(res, 200, out);
    }
    bool with_proof = query_flag(req, "proof");
    actors::LookupResult r = rt.lookup(key, with_proof);
    if (!r.status.is_ok()) return fail(res, status_of(r.status), r.status.to_string());
    reply(res, 200, lookup_json(key, r, with_proof));
  });

  server.Post("/v1/checkpoints", [&rt](const httplib::Request&, httplib::Response& res) {
    if (tree::Status s = rt.checkpoint_now(); !s.is_ok()) return fail(res, status_of(s), s.to_string());
    auto list = rt.checkpoints();
    if (list.empty()) return fail(res, 500, "no checkpoint after sealing one");
    reply(res, 201, checkpoint_json(list.front()));
  });

  // Operator-scheduled: a checkpoint, node garbage collection, and compaction
  // of the families that churn. Answers once done, with what the disk holds.
  server.Post("/v1/admin/compact", [&rt](const httplib::Request&, httplib::Response& res) {
    if (tree::Status s = rt.compact(); !s.is_ok()) return fail(res, status_of(s), s.to_string());
    auto st = rt.stats();
    reply(res, 200, json{{"node_bytes", st.node_bytes}, {"oplog_bytes", st.oplog_bytes},
                         {"gc_runs", st.gc_runs}, {"gc_removed_nodes", st.gc_removed_nodes},
                         {"gc_live_nodes", st.gc_live_nodes}});
  });

  server.Get("/v1/checkpoints", [&rt](const httplib::Request&, httplib::Response& res) {
    json list = json::array();
    std::set<uint64_t> pinned = rt.pinned_checkpoints();
    for (const auto& c : rt.checkpoints()) {
      json j = checkpoint_json(c);
      j["pinned"] = pinned.count(c.id) > 0;
      list.push_back(j);
    }
    reply(res, 200, {{"checkpoints", list}});
  });

  // Pinning keeps a checkpoint through retention (the version confirmed on chain).
  auto pin = [&rt](bool on) {
    return [&rt, on](const httplib::Request& req, httplib::Response& res) {
      uint64_t id = 0;
      std::string v = req.matches[1].str();
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), id);
      if (ec != std::errc() || end != v.data() + v.size()) return fail(res, 400, "checkpoint id '" + v + "' is not a number");
      tree::Status s = on ? rt.pin_checkpoint(id) : rt.unpin_checkpoint(id);
      if (!s.is_ok()) return fail(res, status_of(s), s.to_string());
      reply(res, 200, {{"id", id}, {"pinned", on}});
    };
  };
  server.Post(R"(/v1/checkpoints/([^/]+)/pin)", pin(true));
  server.Delete(R"(/v1/checkpoints/([^/]+)/pin)", pin(false));

  server.Get("/v1/oplog", [&rt, options](const httplib::Request& req, httplib::Response& res) {
    uint64_t from = 1, limit = 100;
    std::string error;
    if (!query_number(req, "from", &from, &error) || !query_number(req, "limit", &limit, &error)) {
      return fail(res, 400, error);
    }
    if (limit > options.max_oplog_records) {
      return fail(res, 400, "limit " + std::to_string(limit) + " exceeds " + std::to_string(options.max_oplog_records));
    }
    std::vector<storage::OperationRecord> records;
    if (tree::Status s = rt.read_log(from, limit, &records); !s.is_ok()) {
      return fail(res, status_of(s), s.to_string());
    }
    json list = json::array();
    for (const auto& r : records) list.push_back(operation_json(r));
    reply(res, 200, {{"records", list}});
  });

  server.Get("/v1/health", [&rt](const httplib::Request&, httplib::Response& res) {
    const auto& rec = rt.recovery();
    actors::Runtime::TreeState state = rt.state();
    actors::BackgroundStatus bg = rt.background();
    bool healthy = bg.last_health.ok && bg.verification != actors::VerificationState::kFailed;
    reply(res, 200,
          {{"status", healthy ? "ok" : "degraded"},
           {"digest", tree::to_hex(tree::ByteView(state.digest))},
           {"last_seq", state.last_sequence},
           {"recovery",
            {{"path", actors::recovery_path_name(rec.path)},
             {"checkpoint_id", rec.checkpoint_id},
             {"replayed", rec.replayed},
             {"milliseconds", rec.milliseconds},
             {"fallbacks", rec.fallbacks}}},
           {"verification",
            {{"state", actors::verification_state_name(bg.verification)},
             {"nodes", bg.verified_nodes},
             {"problem", bg.verification_problem}}},
           {"health_check",
            {{"checks", bg.health_checks},
             {"failures", bg.health_check_failures},
             {"last_ok", bg.last_health.ok},
             {"last_problem", bg.last_health.problem}}}});
  });

  server.Get("/metrics", [&rt, &metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics.render(rt), "text/plain; version=0.0.4");
  });
}

}  // namespace basis::daemon
