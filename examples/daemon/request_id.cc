#include "examples/daemon/request_id.h"

#include <random>
#include <vector>

#include "examples/daemon/request_checks.h"

namespace basis::daemon {

bool is_valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdBytes) return false;
  for (unsigned char c : id) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

std::string new_request_id() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  static const char kHex[] = "0123456789abcdef";
  std::string id;
  for (int half = 0; half < 2; ++half) {
    uint64_t bits = random();
    for (int i = 0; i < 16; ++i, bits >>= 4) id += kHex[bits & 15];
  }
  return id;
}

RequestIdChoice choose_request_id(std::string_view raw_head, const httplib::Request& req) {
  std::vector<std::string> given;
  if (!raw_head.empty()) {
    for (std::string_view v : raw_headers(raw_head, "X-Request-Id")) given.emplace_back(v);
  } else {
    auto [begin, end] = req.headers.equal_range("X-Request-Id");
    for (auto it = begin; it != end; ++it) given.push_back(it->second);
  }
  if (given.empty()) return {new_request_id(), {}};
  if (given.size() > 1) return {new_request_id(), "X-Request-Id is given " + std::to_string(given.size()) + " times"};
  if (!is_valid_request_id(given.front())) {
    return {new_request_id(), "X-Request-Id '" + printable(given.front(), 40) + "' is not 1.." +
                                  std::to_string(kMaxRequestIdBytes) + " visible ASCII bytes (0x21..0x7e)"};
  }
  return {given.front(), {}};
}

}  // namespace basis::daemon
