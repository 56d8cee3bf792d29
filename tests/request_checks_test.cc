// The daemon's request checks as functions: UTF-8, flags, numbers, routes,
// and the bearer scheme.
#include <catch2/catch.hpp>

#include "examples/daemon/request_checks.h"

using namespace basis::daemon;

TEST_CASE("is_utf8 takes well-formed UTF-8 only", "[daemon][checks]") {
  REQUIRE(is_utf8(""));
  REQUIRE(is_utf8("/v1/digest"));
  REQUIRE(is_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));  // é € 😀
  for (const char* bad : {"\xff", "\x80", "\xc3", "\xc3\x28", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
                          "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80", "a\xe2\x82"}) {
    INFO(printable(bad));
    REQUIRE_FALSE(is_utf8(bad));
  }
  REQUIRE(printable("a\xff\"\\b") == "a\\xff\\x22\\x5cb");
  REQUIRE(printable(std::string(300, 'x')).size() == 203);
}

TEST_CASE("flags and numbers mean exactly one thing", "[daemon][checks]") {
  REQUIRE(parse_flag("true") == true);
  REQUIRE(parse_flag("1") == true);
  REQUIRE(parse_flag("false") == false);
  REQUIRE(parse_flag("0") == false);
  for (const char* v : {"", "yes", "TRUE", "True", "on", "2", " true", "true "}) REQUIRE_FALSE(parse_flag(v));
  REQUIRE(parse_u64("0") == 0u);
  REQUIRE(parse_u64("18446744073709551615") == UINT64_MAX);
  for (const char* v : {"", "-1", "+1", " 1", "1 ", "18446744073709551616", "1e3", "0x10", "\xff"}) {
    REQUIRE_FALSE(parse_u64(v));
  }
}

TEST_CASE("routes name their methods and parameters", "[daemon][checks]") {
  REQUIRE(find_route("/v1/batch")->methods == std::vector<std::string>{"POST"});
  REQUIRE(find_route("/v1/lookup/abcd") != nullptr);
  REQUIRE(find_route("/v1/lookup/") == nullptr);
  REQUIRE(find_route("/v1/lookup/ab/cd") == nullptr);
  REQUIRE(std::string(find_route("/v1/checkpoints/7/pin")->pattern) == "/v1/checkpoints/{}/pin");
  REQUIRE(find_route("/v1/checkpoints//pin") == nullptr);
  REQUIRE(find_route("/v1/digestx") == nullptr);
  REQUIRE(find_route("/") == nullptr);
}

TEST_CASE("a query holds name=value pairs, each name once, and no fragment", "[daemon][checks]") {
  std::string error;
  REQUIRE(check_query("/v1/batch", &error));
  REQUIRE(check_query("/v1/lookup/ab?proof=true&checkpoint=3", &error));
  for (const char* bad : {"/v1/batch?dry_run=true=false", "/v1/batch?dry_run=true&dry_run=true", "/v1/batch?&&",
                          "/v1/batch?=", "/v1/batch?dry_run", "/v1/batch?a=1;b=2", "/v1/batch#?dry_run=true",
                          "/v1/batch?dry_run=true#x"}) {
    INFO(bad);
    REQUIRE_FALSE(check_query(bad, &error));
  }
}

TEST_CASE("the bearer scheme is case-insensitive, the token is not", "[daemon][checks]") {
  REQUIRE(bearer_token("Bearer abc") == std::string_view("abc"));
  REQUIRE(bearer_token("bearer abc") == std::string_view("abc"));
  REQUIRE(bearer_token("BEARER   abc  ") == std::string_view("abc"));
  for (const char* v : {"", "Bearer", "Bearer ", "Bearerabc", "Basic abc", "Token abc"}) REQUIRE_FALSE(bearer_token(v));
  REQUIRE(same_token("abc", "abc"));
  REQUIRE_FALSE(same_token("abc", "ABC"));
  REQUIRE_FALSE(same_token("abc", "abcd"));
  REQUIRE_FALSE(same_token("", "a"));
}
