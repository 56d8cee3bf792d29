#include "examples/daemon/http_api.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>

#include "examples/daemon/api_json.h"
#include "examples/daemon/connection_stream.h"
#include "examples/daemon/health.h"
#include "examples/daemon/request_checks.h"

namespace basis::daemon {

using nlohmann::json;

namespace {

// Never throws: bytes that are not UTF-8 (a client's, inside a message) are
// replaced, so no answer can take the server down.
void reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void fail(httplib::Response& res, int status, const std::string& message) {
  reply(res, status, error_json(message));
}

// The HTTP status for a runtime failure.
int status_of(const tree::Status& s) {
  switch (s.kind()) {
    case tree::ErrorKind::kBusy:
    case tree::ErrorKind::kUnavailable:
      return 503;
    case tree::ErrorKind::kResourceExhausted: return 507;  // Insufficient Storage
    case tree::ErrorKind::kNotFound: return 404;
    case tree::ErrorKind::kLimitExceeded: return 413;
    case tree::ErrorKind::kInvalidArgument: return 400;
    // An operation's own failures, as a lookup meets them (a key at a sentinel, say).
    case tree::ErrorKind::kKeyNotAboveNegInfinity:
    case tree::ErrorKind::kKeyNotBelowPosInfinity:
    case tree::ErrorKind::kKeyLengthMismatch:
    case tree::ErrorKind::kValueLengthMismatch:
      return 400;
    default: return 500;
  }
}

// A flag of the query: absent -> false; true|false|1|0; anything else is an
// error (a typo must never commit a dry run).
bool query_flag(const httplib::Request& req, const char* name, bool* out, std::string* error) {
  *out = false;
  if (!req.has_param(name)) return true;
  std::string v = req.get_param_value(name);
  std::optional<bool> flag = parse_flag(v);
  if (!flag) {
    *error = std::string(name) + " '" + printable(v) + "' is not one of true, false, 1, 0";
    return false;
  }
  *out = *flag;
  return true;
}

bool query_number(const httplib::Request& req, const char* name, uint64_t* out, std::string* error) {
  if (!req.has_param(name)) return true;
  std::string v = req.get_param_value(name);
  std::optional<uint64_t> n = parse_u64(v);
  if (!n) {
    *error = std::string(name) + " '" + printable(v) + "' is not an unsigned 64-bit integer";
    return false;
  }
  *out = *n;
  return true;
}

// The first header value that is not UTF-8, if any.
const char* bad_bytes(const httplib::Request& req, std::string* what) {
  if (!is_utf8(req.path)) return (*what = printable(req.path), "path");
  for (const auto& [k, v] : req.params) {
    if (!is_utf8(k) || !is_utf8(v)) return (*what = printable(k) + "=" + printable(v), "query");
  }
  for (const auto& [k, v] : req.headers) {
    if (!is_utf8(k) || !is_utf8(v)) return (*what = printable(k), "header");
  }
  return nullptr;
}

bool has_body(const httplib::Request& req) {
  return req.has_header("Transfer-Encoding") ||
         (req.has_header("Content-Length") && req.get_header_value("Content-Length") != "0");
}

// Answers a request before its body is read, and closes the connection
// after the answer when the stream cannot be trusted to start the next
// request (framing in doubt, or a body left unread).
httplib::Server::HandlerResponse refuse_and_close(httplib::Response& res, int status, const std::string& message) {
  res.set_header("Connection", "close");
  fail(res, status, message);
  return httplib::Server::HandlerResponse::Handled;
}

httplib::Server::HandlerResponse refuse(const httplib::Request& req, httplib::Response& res, int status,
                                        const std::string& message) {
  if (has_body(req)) return refuse_and_close(res, status, message);
  fail(res, status, message);
  return httplib::Server::HandlerResponse::Handled;
}

httplib::Server::HandlerResponse check_request(const ApiOptions& options, const httplib::Request& req,
                                               httplib::Response& res) {
  // Framing first, on the bytes as received: a request whose body's length
  // is in doubt must not leave anything behind to be read as a request.
  const std::string_view raw = current_request_head();
  int status = 400;
  std::string error;
  if (!raw.empty() && !check_framing(raw, &status, &error)) return refuse_and_close(res, status, error);
  if (!check_query(req.target, &error)) return refuse_and_close(res, 400, error);
  if ((req.method == "GET" || req.method == "HEAD") && has_body(req)) {
    return refuse_and_close(res, 400, req.method + " takes no body");
  }
  if (req.has_header("Range")) return refuse_and_close(res, 400, "the API answers whole: drop the Range header");
  std::string what;
  if (const char* where = bad_bytes(req, &what)) {
    return refuse(req, res, 400, std::string("the request's ") + where + " is not valid UTF-8: " + what);
  }
  const Route* route = find_route(req.path);
  if (!route) return refuse(req, res, 404, "no such route: " + req.method + " " + printable(req.path));
  if (std::find(route->methods.begin(), route->methods.end(), req.method) == route->methods.end()) {
    std::string allow;
    for (const auto& m : route->methods) allow += (allow.empty() ? "" : ", ") + m;
    res.set_header("Allow", allow);
    return refuse(req, res, 405, req.method + " is not allowed on " + route->pattern + " (allowed: " + allow + ")");
  }
  if (!options.token.empty() && req.path != "/v1/health" && req.path != "/v1/health/ready" &&
      req.path != "/v1/health/live") {
    // The token as sent: httplib's header value is percent-decoded.
    std::optional<std::string_view> raw_auth = raw.empty() ? std::nullopt : raw_header(raw, "Authorization");
    const std::string authorization = raw.empty() ? req.get_header_value("Authorization") : std::string(raw_auth.value_or(""));
    std::optional<std::string_view> token = bearer_token(authorization);  // a view into `authorization`
    if (!token || !same_token(*token, options.token)) {
      res.set_header("WWW-Authenticate", "Bearer");
      return refuse(req, res, 401, "missing or wrong bearer token");
    }
  }
  for (auto it = req.params.begin(); it != req.params.end(); it = req.params.upper_bound(it->first)) {
    const std::string& name = it->first;
    if (std::find(route->parameters.begin(), route->parameters.end(), name) == route->parameters.end()) {
      std::string known;
      for (const auto& p : route->parameters) known += (known.empty() ? "" : ", ") + p;
      return refuse(req, res, 400, "unknown query parameter '" + printable(name) + "' for " + route->pattern +
                                       " (it takes: " + (known.empty() ? "none" : known) + ")");
    }
    if (req.params.count(name) > 1) return refuse(req, res, 400, "query parameter '" + name + "' is given twice");
  }
  return httplib::Server::HandlerResponse::Unhandled;
}

using BodyHandler = std::function<void(const httplib::Request&, httplib::Response&, const std::string& body)>;

// A POST or DELETE route that reads its body itself, whatever its
// Content-Type (httplib would parse a form body and cap it at 8 KB), up to
// max_body_size.
httplib::Server::HandlerWithContentReader with_body(uint64_t max_body_size, BodyHandler handler) {
  return [max_body_size, handler](const httplib::Request& req, httplib::Response& res,
                                  const httplib::ContentReader& reader) {
    const std::string too_large = "the request body exceeds server.max_body_size (" +
                                  std::to_string(max_body_size) + " bytes)";
    if (req.is_multipart_form_data()) {
      res.set_header("Connection", "close");
      return fail(res, 415, "multipart bodies are not taken: send the JSON itself as the body");
    }
    if (req.has_header("Content-Length")) {
      std::optional<uint64_t> length = parse_u64(req.get_header_value("Content-Length"));
      if (length && *length > max_body_size) {
        res.set_header("Connection", "close");
        return fail(res, 413, too_large);
      }
    }
    std::string body;
    bool over = false;
    // Without a length or chunks there is no body (reading to the end of the
    // connection would wait for body_timeout).
    if (!has_body(req)) return handler(req, res, body);
    bool read = reader([&](const char* data, size_t n) {
      if (body.size() + n > max_body_size) {
        over = true;
        return false;
      }
      body.append(data, n);
      return true;
    });
    if (over || !read) {
      res.set_header("Connection", "close");
      return fail(res, over ? 413 : 400, over ? too_large : "the request body could not be read");
    }
    handler(req, res, body);
  };
}

// Runs `handler` with the same body handling for requests without a body
// (httplib routes those to the plain handlers).
httplib::Server::Handler without_body(BodyHandler handler) {
  return [handler](const httplib::Request& req, httplib::Response& res) { handler(req, res, req.body); };
}

}  // namespace

void install_api(httplib::Server& server, basis::Runtime& rt, Metrics& metrics, const ApiOptions& options,
                 std::shared_ptr<spdlog::logger> log) {
  server.set_payload_max_length(options.max_body_size);
  server.set_pre_routing_handler([options](const httplib::Request& req, httplib::Response& res) {
    return check_request(options, req, res);
  });
  // "Expect: 100-continue" is answered before routing: the same checks
  // first, and the body's size, so that a refused body is never invited.
  server.set_expect_100_continue_handler([options](const httplib::Request& req, httplib::Response& res) {
    if (check_request(options, req, res) == httplib::Server::HandlerResponse::Handled) {
      res.set_header("Connection", "close");
      return res.status;
    }
    std::optional<uint64_t> length = parse_u64(req.get_header_value("Content-Length"));
    if (length && *length > options.max_body_size) {
      refuse_and_close(res, 413, "the request body exceeds server.max_body_size (" +
                                     std::to_string(options.max_body_size) + " bytes)");
      return 413;
    }
    return 100;
  });
  // Nothing a handler throws leaves it: a 500 with a JSON body.
  server.set_exception_handler([log](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    log->error("{} {}: internal error: {}", req.method, printable(req.path), printable(what));
    fail(res, 500, "internal error: " + printable(what));
  });
  // httplib's own refusals (a malformed request, a body too large): the
  // stream may be out of step, so the connection closes after the answer.
  server.set_error_handler([options](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status != 404) res.set_header("Connection", "close");
    if (res.status == 404) {
      fail(res, 404, "no such route: " + req.method + " " + printable(req.path));
    } else if (res.status == 413) {
      fail(res, 413, "the request body exceeds server.max_body_size (" + std::to_string(options.max_body_size) +
                         " bytes)");
    } else if (res.status == 400) {
      fail(res, 400, "bad request (malformed request line or headers; a POST needs a Content-Length header, even of 0)");
    } else {
      fail(res, res.status, "HTTP " + std::to_string(res.status));
    }
  });
  server.set_logger([&metrics, log](const httplib::Request& req, const httplib::Response& res) {
    metrics.request_answered(res.status);
    log->debug("{} {} -> {}", req.method, printable(req.path), res.status);  // never the headers: they hold the token
  });

  auto batch = [&rt, &metrics, options](const httplib::Request& req, httplib::Response& res, const std::string& body) {
    auto started = std::chrono::steady_clock::now();
    std::vector<basis::OwnedOperation> ops;
    std::string error;
    bool dry_run = false;
    if (!query_flag(req, "dry_run", &dry_run, &error)) return fail(res, 400, error);
    bool too_large = false;
    if (!check_batch_shape(body, options.max_batch_operations, &too_large, &error)) {
      return fail(res, too_large ? 413 : 400, error);
    }
    if (!parse_batch(body, options.params, &ops, &error)) return fail(res, 400, error);
    if (ops.empty()) return fail(res, 400, "the batch has no operations");
    if (ops.size() > options.max_batch_operations) {
      return fail(res, 413, "the batch has " + std::to_string(ops.size()) +
                                " operations; persistence.operation_batch_size is " +
                                std::to_string(options.max_batch_operations));
    }
    basis::BatchResult r = dry_run ? rt.what_if(std::move(ops)) : rt.try_apply(std::move(ops)).get();
    if (!r.status.is_ok()) {
      metrics.batch_failed();
      return fail(res, status_of(r.status), r.status.to_string());
    }
    if (!dry_run) {
      metrics.batch_applied(r.statuses.size(),
                            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    reply(res, 200, batch_json(r, dry_run));
  };
  server.Post("/v1/batch", with_body(options.max_body_size, batch));
  server.Post("/v1/batch", without_body(batch));

  server.Get("/v1/digest", [&rt](const httplib::Request&, httplib::Response& res) {
    basis::Runtime::TreeState s = rt.state();
    if (!s.served) return fail(res, status_of(s.writes), s.writes.to_string());
    reply(res, 200, {{"digest", tree::to_hex(tree::ByteView(s.digest))}, {"last_seq", s.last_sequence}});
  });

  server.Get(R"(/v1/lookup/([^/]*))", [&rt, options](const httplib::Request& req, httplib::Response& res) {
    tree::Bytes key;
    std::string error;
    bool with_proof = false;
    if (!query_flag(req, "proof", &with_proof, &error)) return fail(res, 400, error);
    if (!parse_key(req.matches[1].str(), options.params, &key, &error)) return fail(res, 400, error);
    if (req.has_param("checkpoint")) {
      uint64_t id = 0;
      if (!query_number(req, "checkpoint", &id, &error)) return fail(res, 400, error);
      basis::LookupResult r = rt.lookup_at_checkpoint(id, key);
      if (!r.status.is_ok()) return fail(res, status_of(r.status), r.status.to_string());
      json out = lookup_json(key, r, true);
      out["checkpoint"] = id;
      return reply(res, 200, out);
    }
    basis::LookupResult r = rt.lookup(key, with_proof);
    if (!r.status.is_ok()) return fail(res, status_of(r.status), r.status.to_string());
    reply(res, 200, lookup_json(key, r, with_proof));
  });

  // Routes whose body is ignored still read it (up to max_body_size), so the
  // connection stays in step for the next request.
  auto post = [&server, options](const char* pattern, BodyHandler handler) {
    server.Post(pattern, with_body(options.max_body_size, handler));
    server.Post(pattern, without_body(handler));
  };
  post("/v1/checkpoints", [&rt](const httplib::Request&, httplib::Response& res, const std::string&) {
    if (tree::Status s = rt.checkpoint_now(); !s.is_ok()) return fail(res, status_of(s), s.to_string());
    auto list = rt.checkpoints();
    if (list.empty()) return fail(res, 500, "no checkpoint after sealing one");
    reply(res, 201, checkpoint_json(list.front()));
  });

  // Operator-scheduled: a checkpoint, node garbage collection, and compaction
  // of the families that churn. Answers once done, with what the disk holds.
  post("/v1/admin/compact", [&rt](const httplib::Request&, httplib::Response& res, const std::string&) {
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
    return [&rt, on](const httplib::Request& req, httplib::Response& res, const std::string&) {
      std::string v = req.matches[1].str();
      std::optional<uint64_t> id = parse_u64(v);
      if (!id) return fail(res, 400, "checkpoint id '" + printable(v) + "' is not an unsigned 64-bit integer");
      tree::Status s = on ? rt.pin_checkpoint(*id) : rt.unpin_checkpoint(*id);
      if (!s.is_ok()) return fail(res, status_of(s), s.to_string());
      reply(res, 200, {{"id", *id}, {"pinned", on}});
    };
  };
  post(R"(/v1/checkpoints/([^/]+)/pin)", pin(true));
  server.Delete(R"(/v1/checkpoints/([^/]+)/pin)", with_body(options.max_body_size, pin(false)));
  server.Delete(R"(/v1/checkpoints/([^/]+)/pin)", without_body(pin(false)));

  server.Get("/v1/oplog", [&rt, options](const httplib::Request& req, httplib::Response& res) {
    uint64_t from = 1, limit = 100;
    std::string error;
    if (!query_number(req, "from", &from, &error) || !query_number(req, "limit", &limit, &error)) {
      return fail(res, 400, error);
    }
    if (limit > options.max_oplog_records) {
      return fail(res, 400, "limit " + std::to_string(limit) + " exceeds " + std::to_string(options.max_oplog_records));
    }
    std::vector<LogRecord> records;
    if (tree::Status s = rt.read_log(from, limit, &records); !s.is_ok()) {
      return fail(res, status_of(s), s.to_string());
    }
    json list = json::array();
    for (const auto& r : records) list.push_back(operation_json(r));
    reply(res, 200, {{"records", list}});
  });

  // 503 whenever the service cannot do all it should: a load balancer or an
  // operator polling this must not read "ok" while writes are refused.
  server.Get("/v1/health", [&rt](const httplib::Request&, httplib::Response& res) {
    HealthSummary h = summarize_health(rt);
    reply(res, h.ready ? 200 : 503, health_json(h, rt.recovery()));
  });
  // For an orchestrator: ready (send traffic) is the same decision; live
  // (do not restart) holds while the process answers, unless only a restart
  // can heal the store.
  server.Get("/v1/health/ready", [&rt](const httplib::Request&, httplib::Response& res) {
    HealthSummary h = summarize_health(rt);
    reply(res, h.ready ? 200 : 503, {{"status", h.status}});
  });
  server.Get("/v1/health/live", [&rt](const httplib::Request&, httplib::Response& res) {
    const basis::Runtime::TreeState state = rt.state();
    if (state.restart_needed) return reply(res, 503, {{"status", "restart_needed"}, {"why", state.writes.to_string()}});
    reply(res, 200, {{"status", "live"}});
  });

  server.Get("/metrics", [&rt, &metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics.render(rt), "text/plain; version=0.0.4");
  });
}

}  // namespace basis::daemon
