// Checks every request passes before a route sees it: its bytes are UTF-8,
// its method is one the path takes, its query names only the parameters
// the route reads (each once), its flags are true|false|1|0, its numbers fit
// their type, and its bearer token (scheme case-insensitive, RFC 7235).
// Pure functions of the request's text; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace basis::daemon {

// Whether `text` is well-formed UTF-8 (no overlong forms, no surrogates).
bool is_utf8(std::string_view text);

// `text` with every byte outside printable ASCII as \xNN: safe to put into
// an error message, a log line or JSON.
std::string printable(std::string_view text, size_t max_bytes = 200);

// A route of the API: a path pattern ("{}" matches one non-empty segment),
// the methods it takes, and the query parameters it reads.
struct Route {
  const char* pattern;
  std::vector<std::string> methods;
  std::vector<std::string> parameters;
};

// The API's routes (see the README).
const std::vector<Route>& api_routes();

// The route `path` names, or null when none does.
const Route* find_route(std::string_view path);

// "true"/"1" -> true, "false"/"0" -> false; anything else -> nullopt.
std::optional<bool> parse_flag(std::string_view value);

// A decimal unsigned 64-bit number without sign, spaces or leading '+';
// nullopt when it is not one or does not fit.
std::optional<uint64_t> parse_u64(std::string_view value);

// The token of "Authorization: Bearer <token>", with the scheme compared
// case-insensitively and any spaces between; nullopt for another scheme.
std::optional<std::string_view> bearer_token(std::string_view authorization);

// A request target has no fragment, and its raw query ("/p?a=1&b=2" ->
// "a=1&b=2") only name=value pairs: one '=' each, a name, no ';', no empty
// pair, no name twice. False,
// with `error` naming the pair, otherwise (httplib would take "a=1=2" as
// a=2, say).
bool check_query(std::string_view target, std::string* error);

// The head of a request as received (request line, headers, the empty
// line). httplib percent-decodes header values and drops duplicates in
// ways a proxy may not, so the framing is checked on the raw bytes: header
// names are tokens followed at once by ':', values hold no control bytes,
// no line is folded, Content-Length appears at most once as digits,
// Transfer-Encoding at most once as "chunked" and never with
// Content-Length, Expect at most once, and HTTP/1.1 has one Host. False
// with `error` and the HTTP status to answer otherwise.
bool check_framing(std::string_view raw_head, int* status, std::string* error);

// The value of header `name` (case-insensitive) in a raw head, untouched
// (no percent-decoding); nullopt when absent.
std::optional<std::string_view> raw_header(std::string_view raw_head, std::string_view name);
// Every value of header `name`, in order.
std::vector<std::string_view> raw_headers(std::string_view raw_head, std::string_view name);

// Compares without stopping at the first difference.
bool same_token(std::string_view a, std::string_view b);

}  // namespace basis::daemon
