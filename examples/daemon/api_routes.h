// Inside the daemon's HTTP API (http_api.h): how answers are written, and
// the two groups of routes. Not for other callers.
#pragma once

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <string>

#include "basis/runtime.h"
#include "examples/daemon/error_codes.h"
#include "examples/daemon/http_api.h"
#include "examples/daemon/metrics.h"

namespace basis::daemon {

// Never throws: bytes that are not UTF-8 (a client's, inside a message) are
// replaced, so no answer can take the server down.
void reply(httplib::Response& res, int status, const nlohmann::json& body);

// An error answer with the code's status: {"error":{"code":…,"message":…}}.
void fail(httplib::Response& res, ErrorCode code, const std::string& message);
void fail(httplib::Response& res, const ApiError& error);
// A runtime failure: its kind's code, and its message.
void fail(httplib::Response& res, const tree::Status& status);

// A flag of the query: absent -> false; true|false|1|0; anything else is an
// error (a typo must never commit a dry run).
bool query_flag(const httplib::Request& req, const char* name, bool* out, ApiError* error);
// An unsigned 64-bit number of the query; absent leaves `*out` as it is.
bool query_number(const httplib::Request& req, const char* name, uint64_t* out, ApiError* error);

// Whether the request carries a body (a length other than 0, or chunks).
bool has_body(const httplib::Request& req);

using BodyHandler = std::function<void(const httplib::Request&, httplib::Response&, const std::string& body)>;

// Registers `handler` for `method` ("POST" or "DELETE") on `pattern`,
// reading the body itself whatever its Content-Type (httplib would parse a
// form body and cap it at 8 KB) up to max_body_size, and with the same
// handling for requests without a body (httplib routes those to plain
// handlers). Routes whose body is ignored still read it, so the connection
// stays in step for the next request.
void route_with_body(httplib::Server& server, const char* method, const char* pattern, uint64_t max_body_size,
                     BodyHandler handler);

struct ApiContext {
  basis::Runtime& rt;
  Metrics& metrics;
  ApiOptions options;
};

// The `limit` of GET /v1/oplog when none is given (ApiOptions has the largest).
constexpr uint64_t kDefaultOplogLimit = 100;

// The tree a request is about: the default tree for /v1/…, a named one for
// /v1/trees/{name}/…. Holding `rt` keeps a dropped tree's runtime valid
// (its calls then answer that it is shut down).
struct TreeTarget {
  std::shared_ptr<basis::Runtime> rt;
  tree::TreeParams params;
  std::string name;
};
TreeTarget default_tree(const ApiContext& api);
// The tree named `name` ("default" included), or false after answering 404.
bool find_tree(const ApiContext& api, const std::string& name, TreeTarget* out, httplib::Response& res);

// A tree's routes, at /v1/… for the default tree and /v1/trees/{name}/… for
// any: POST batch, GET digest, GET lookup/{key}, GET oplog.
void install_tree_routes(httplib::Server& server, const ApiContext& api);
// A tree's checkpoints and pins (both forms, as above), /v1/admin/compact,
// /v1/health (ready, live), /metrics.
void install_admin_routes(httplib::Server& server, const ApiContext& api);
// GET and POST /v1/trees, DELETE /v1/trees/{name}, POST
// /v1/trees/{name}/rollback, POST /v1/transactions.
void install_tree_admin_routes(httplib::Server& server, const ApiContext& api);

}  // namespace basis::daemon
