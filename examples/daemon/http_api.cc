// The API's gate and hooks: the checks every request passes before a route
// sees it, httplib's own refusals and exceptions as error answers, the
// request id on every answer, and the access log. The routes are in
// api_tree_routes.cc and api_admin_routes.cc.
#include "examples/daemon/http_api.h"

#include <algorithm>
#include <chrono>
#include <optional>

#include "examples/daemon/api_json.h"
#include "examples/daemon/api_routes.h"
#include "examples/daemon/connection_stream.h"
#include "examples/daemon/request_checks.h"
#include "examples/daemon/request_id.h"

namespace basis::daemon {

namespace {

constexpr char kRequestIdHeader[] = "X-Request-Id";

using HandlerResponse = httplib::Server::HandlerResponse;

// Answers a request before its body is read, and closes the connection
// after the answer when the stream cannot be trusted to start the next
// request (framing in doubt, or a body left unread).
HandlerResponse refuse_and_close(httplib::Response& res, ErrorCode code, const std::string& message) {
  res.set_header("Connection", "close");
  fail(res, code, message);
  return HandlerResponse::Handled;
}

HandlerResponse refuse(const httplib::Request& req, httplib::Response& res, ErrorCode code, const std::string& message) {
  if (has_body(req)) return refuse_and_close(res, code, message);
  fail(res, code, message);
  return HandlerResponse::Handled;
}

// The first part of the request that is not UTF-8, if any.
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

ErrorCode framing_code(int status) {
  switch (status) {
    case 413: return ErrorCode::kBodyTooLarge;
    case 501: return ErrorCode::kNotImplemented;
    case 417: return ErrorCode::kExpectationFailed;
    default: return ErrorCode::kMalformedRequest;
  }
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// Sets the answer's request id, once: an Expect: 100-continue request passes
// the checks twice. A client's id that is not valid is replaced here and
// refused by check_request.
RequestIdChoice set_request_id(std::string_view raw, const httplib::Request& req, httplib::Response& res) {
  RequestIdChoice choice = choose_request_id(raw, req);
  if (!res.has_header(kRequestIdHeader)) res.set_header(kRequestIdHeader, choice.id);
  return choice;
}

bool authorized(const ApiOptions& options, std::string_view raw, const httplib::Request& req) {
  // The token as sent: httplib's header value is percent-decoded.
  std::optional<std::string_view> raw_auth = raw.empty() ? std::nullopt : raw_header(raw, "Authorization");
  const std::string authorization = raw.empty() ? req.get_header_value("Authorization") : std::string(raw_auth.value_or(""));
  std::optional<std::string_view> token = bearer_token(authorization);  // a view into `authorization`
  return token && same_token(*token, options.token);
}

HandlerResponse check_request(const ApiOptions& options, const httplib::Request& req, httplib::Response& res) {
  // Framing first, on the bytes as received: a request whose body's length
  // is in doubt must not leave anything behind to be read as a request.
  const std::string_view raw = current_request_head();
  const RequestIdChoice id = set_request_id(raw, req, res);
  int status = 400;
  std::string error;
  if (!raw.empty() && !check_framing(raw, &status, &error)) return refuse_and_close(res, framing_code(status), error);
  if (!id.problem.empty()) return refuse(req, res, ErrorCode::kInvalidRequestId, id.problem);
  if (!check_query(req.target, &error)) return refuse_and_close(res, ErrorCode::kInvalidParameter, error);
  if ((req.method == "GET" || req.method == "HEAD") && has_body(req)) {
    return refuse_and_close(res, ErrorCode::kMalformedRequest, req.method + " takes no body");
  }
  if (req.has_header("Range")) {
    return refuse_and_close(res, ErrorCode::kMalformedRequest, "the API answers whole: drop the Range header");
  }
  std::string what;
  if (const char* where = bad_bytes(req, &what)) {
    return refuse(req, res, ErrorCode::kMalformedRequest, std::string("the request's ") + where + " is not valid UTF-8: " + what);
  }
  // The path is routed decoded: an encoded slash would route
  // "/v1/trees/a%2Fdigest" as "/v1/trees/a/digest", past any proxy rule
  // written for the tree "a/digest". No name or key holds a slash.
  const std::string_view raw_path = std::string_view(req.target).substr(0, req.target.find('?'));
  for (size_t at = raw_path.find('%'); at != std::string_view::npos; at = raw_path.find('%', at + 1)) {
    if (raw_path.size() >= at + 3 && raw_path[at + 1] == '2' && (raw_path[at + 2] == 'F' || raw_path[at + 2] == 'f')) {
      return refuse(req, res, ErrorCode::kInvalidParameter,
                    "the path holds an encoded slash (%2F): no route, tree name or key has one");
    }
  }
  const Route* route = find_route(req.path);
  if (!route) {
    return refuse(req, res, ErrorCode::kUnknownRoute, "no such route: " + printable(req.method, 20) + " " + printable(req.path));
  }
  if (std::find(route->methods.begin(), route->methods.end(), req.method) == route->methods.end()) {
    const std::string allow = joined(route->methods);
    res.set_header("Allow", allow);
    return refuse(req, res, ErrorCode::kMethodNotAllowed,
                  printable(req.method, 20) + " is not allowed on " + route->pattern + " (allowed: " + allow + ")");
  }
  if (!options.token.empty() && req.path != "/v1/health" && req.path != "/v1/health/ready" &&
      req.path != "/v1/health/live" && !authorized(options, raw, req)) {
    res.set_header("WWW-Authenticate", "Bearer");
    return refuse(req, res, ErrorCode::kUnauthorized, "missing or wrong bearer token");
  }
  for (auto it = req.params.begin(); it != req.params.end(); it = req.params.upper_bound(it->first)) {
    const std::string& name = it->first;
    if (std::find(route->parameters.begin(), route->parameters.end(), name) == route->parameters.end()) {
      const std::string known = joined(route->parameters);
      return refuse(req, res, ErrorCode::kInvalidParameter,
                    "unknown query parameter '" + printable(name) + "' for " + route->pattern +
                        " (it takes: " + (known.empty() ? "none" : known) + ")");
    }
    if (req.params.count(name) > 1) {
      return refuse(req, res, ErrorCode::kInvalidParameter, "query parameter '" + printable(name) + "' is given twice");
    }
  }
  return HandlerResponse::Unhandled;
}

std::string too_large(const ApiOptions& options) {
  return "the request body exceeds server.max_body_size (" + std::to_string(options.max_body_size) + " bytes)";
}

// httplib's own refusals (a malformed request, a body too large, a request
// line too long): the stream may be out of step, so the connection closes
// after the answer. A status without a code of its own (416 for a Range
// that does not parse, say) becomes MalformedRequest's 400, or Internal's
// 500: an answer's status is always its code's.
void answer_httplib_refusal(const ApiOptions& options, const httplib::Request& req, httplib::Response& res) {
  if (!res.body.empty()) return;
  if (res.status != 404) res.set_header("Connection", "close");
  switch (res.status) {
    case 404: return fail(res, ErrorCode::kUnknownRoute, "no such route: " + printable(req.method, 20) + " " + printable(req.path));
    case 413: return fail(res, ErrorCode::kBodyTooLarge, too_large(options));
    case 414: return fail(res, ErrorCode::kUriTooLong, "the request line exceeds 8192 bytes");
    case 400:
      return fail(res, ErrorCode::kMalformedRequest,
                  "bad request (malformed request line or headers; a POST needs a Content-Length header, even of 0)");
    case 416: return fail(res, ErrorCode::kMalformedRequest, "the Range header does not parse (the API answers whole: drop it)");
    default: {
      const int status = res.status;
      if (status >= 500) return fail(res, ErrorCode::kInternal, "HTTP " + std::to_string(status) + " from the HTTP layer");
      return fail(res, ErrorCode::kMalformedRequest, "HTTP " + std::to_string(status) + " from the HTTP layer");
    }
  }
}

// One line per answer, at debug level: method, path, status, latency from
// the request's first byte, body bytes, request id. Never a header's value
// but the id: the headers hold the token.
void log_access(Metrics& metrics, spdlog::logger& log, const httplib::Request& req, const httplib::Response& res) {
  metrics.request_answered(res.status);
  if (!log.should_log(spdlog::level::debug)) return;
  std::optional<std::chrono::steady_clock::time_point> started = current_request_started();
  const double ms = started ? std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - *started).count() : 0;
  log.debug("access {} {} status={} ms={:.3f} bytes={} request_id={}", printable(req.method, 20), printable(req.path),
            res.status, ms, res.body.size(), printable(res.get_header_value(kRequestIdHeader), kMaxRequestIdBytes));
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
    if (check_request(options, req, res) == HandlerResponse::Handled) {
      if (!res.has_header("Connection")) res.set_header("Connection", "close");  // the body is never read
      return res.status;
    }
    std::optional<uint64_t> length = parse_u64(req.get_header_value("Content-Length"));
    if (length && *length > options.max_body_size) {
      refuse_and_close(res, ErrorCode::kBodyTooLarge, too_large(options));
      return res.status;
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
    log->error("{} {}: internal error: {} (request_id={})", printable(req.method, 20), printable(req.path),
               printable(what), printable(res.get_header_value(kRequestIdHeader)));
    fail(res, ErrorCode::kInternal, "internal error: " + printable(what));
  });
  server.set_error_handler([options](const httplib::Request& req, httplib::Response& res) {
    answer_httplib_refusal(options, req, res);
  });
  // Every answer carries a request id, also those httplib writes before
  // routing (the gate sets it for every other).
  server.set_post_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.has_header(kRequestIdHeader)) set_request_id(current_request_head(), req, res);
  });
  server.set_logger([&metrics, log](const httplib::Request& req, const httplib::Response& res) {
    log_access(metrics, *log, req, res);
  });

  const ApiContext api{rt, metrics, options};
  install_tree_routes(server, api);
  install_admin_routes(server, api);
  install_tree_admin_routes(server, api);
}

}  // namespace basis::daemon
