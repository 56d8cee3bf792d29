// How the API's answers are written, and the request helpers every route
// shares (api_routes.h).
#include <optional>

#include "examples/daemon/api_json.h"
#include "examples/daemon/api_routes.h"
#include "examples/daemon/request_checks.h"

namespace basis::daemon {

using nlohmann::json;

void reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void fail(httplib::Response& res, const ApiError& error) {
  reply(res, error_code_status(error.code), error_json(error));
}

void fail(httplib::Response& res, ErrorCode code, const std::string& message) { fail(res, ApiError{code, message}); }

void fail(httplib::Response& res, const tree::Status& status) {
  // The kind is the code now: the message is the status's own.
  fail(res, error_code_of(status.kind()), status.message().empty() ? status.to_string() : status.message());
}

bool query_flag(const httplib::Request& req, const char* name, bool* out, ApiError* error) {
  *out = false;
  if (!req.has_param(name)) return true;
  std::string v = req.get_param_value(name);
  std::optional<bool> flag = parse_flag(v);
  if (!flag) {
    *error = {ErrorCode::kInvalidParameter, std::string(name) + " '" + printable(v) + "' is not one of true, false, 1, 0"};
    return false;
  }
  *out = *flag;
  return true;
}

bool query_number(const httplib::Request& req, const char* name, uint64_t* out, ApiError* error) {
  if (!req.has_param(name)) return true;
  std::string v = req.get_param_value(name);
  std::optional<uint64_t> n = parse_u64(v);
  if (!n) {
    *error = {ErrorCode::kInvalidParameter, std::string(name) + " '" + printable(v) + "' is not an unsigned 64-bit integer"};
    return false;
  }
  *out = *n;
  return true;
}

bool has_body(const httplib::Request& req) {
  return req.has_header("Transfer-Encoding") ||
         (req.has_header("Content-Length") && req.get_header_value("Content-Length") != "0");
}

namespace {

std::string too_large(uint64_t max_body_size) {
  return "the request body exceeds server.max_body_size (" + std::to_string(max_body_size) + " bytes)";
}

httplib::Server::HandlerWithContentReader with_body(uint64_t max_body_size, BodyHandler handler) {
  return [max_body_size, handler](const httplib::Request& req, httplib::Response& res,
                                  const httplib::ContentReader& reader) {
    if (req.is_multipart_form_data()) {
      res.set_header("Connection", "close");
      return fail(res, ErrorCode::kUnsupportedMediaType, "multipart bodies are not taken: send the JSON itself as the body");
    }
    if (req.has_header("Content-Length")) {
      std::optional<uint64_t> length = parse_u64(req.get_header_value("Content-Length"));
      if (length && *length > max_body_size) {
        res.set_header("Connection", "close");
        return fail(res, ErrorCode::kBodyTooLarge, too_large(max_body_size));
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
      if (over) return fail(res, ErrorCode::kBodyTooLarge, too_large(max_body_size));
      return fail(res, ErrorCode::kMalformedRequest, "the request body could not be read");
    }
    handler(req, res, body);
  };
}

}  // namespace

void route_with_body(httplib::Server& server, const char* method, const char* pattern, uint64_t max_body_size,
                     BodyHandler handler) {
  httplib::Server::Handler plain = [handler](const httplib::Request& req, httplib::Response& res) {
    handler(req, res, req.body);
  };
  if (std::string_view(method) == "DELETE") {
    server.Delete(pattern, with_body(max_body_size, handler));
    server.Delete(pattern, plain);
  } else {
    server.Post(pattern, with_body(max_body_size, handler));
    server.Post(pattern, plain);
  }
}

}  // namespace basis::daemon
