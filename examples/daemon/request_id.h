// X-Request-Id: every answer carries one, and the access log line names it.
// A client's id is echoed when it is 1..128 visible ASCII bytes (0x21..0x7e:
// no spaces, no control bytes, nothing a log line could be forged with) and
// given once; otherwise the request is refused (400 InvalidRequestId) with a
// generated id. Without one, the daemon generates one: 32 lowercase hex
// digits, random.
#pragma once

#include <httplib.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace basis::daemon {

constexpr size_t kMaxRequestIdBytes = 128;

bool is_valid_request_id(std::string_view id);

// 32 random lowercase hex digits. Thread-safe.
std::string new_request_id();

struct RequestIdChoice {
  std::string id;       // what the answer carries
  std::string problem;  // non-empty: the client's id was refused, and why
};

// From the raw head when there is one (httplib percent-decodes header values
// and keeps duplicates in ways a proxy may not), else from `req`.
RequestIdChoice choose_request_id(std::string_view raw_head, const httplib::Request& req);

}  // namespace basis::daemon
