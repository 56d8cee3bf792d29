// Helpers for the tests of the daemon's API contract (daemon_errors_test,
// daemon_api_test): keys, batches, and the error shape every refusal has.
// Include after <catch2/catch.hpp>.
#pragma once

#include <nlohmann/json.hpp>

#include <regex>
#include <string>

#include "examples/daemon/error_codes.h"
#include "tests/daemon_test_util.h"

namespace basis::testing {

inline const std::regex kGeneratedId("^[0-9a-f]{32}$");

inline std::string key(uint8_t b) {
  const char* hex = "0123456789abcdef";
  return std::string{hex[b >> 4], hex[b & 15]} + std::string(62, '5');
}

inline nlohmann::json insert(const std::string& k, const std::string& v) {
  return {{"type", "Insert"}, {"key", k}, {"value", v}};
}

inline std::string batch(const nlohmann::json& ops) { return nlohmann::json{{"ops", ops}}.dump(); }

// The answer is an error of exactly the documented shape, with `code` and its status.
inline void require_error(const Answer& a, int status, const std::string& code) {
  INFO(a.status << " " << a.body);
  REQUIRE(a.status == status);
  REQUIRE_FALSE(a.header("x-request-id").empty());
  REQUIRE(a.header("content-type") == "application/json");
  nlohmann::json body = nlohmann::json::parse(a.body, nullptr, false);
  REQUIRE(body.is_object());
  REQUIRE(body.size() == 1);
  const nlohmann::json& e = body["error"];
  REQUIRE(e.is_object());
  REQUIRE(e.size() == 2);
  REQUIRE(e["message"].is_string());
  REQUIRE_FALSE(e["message"].get<std::string>().empty());
  std::optional<basis::daemon::ErrorCode> parsed = basis::daemon::parse_error_code(e["code"].get<std::string>());
  REQUIRE(parsed);
  REQUIRE(basis::daemon::error_code_status(*parsed) == status);
  REQUIRE(e["code"] == code);
}

}  // namespace basis::testing
