// The daemon's errors against the real basis-treed: one list of codes the
// tree's kinds map onto, and every refusal, the gate's, a route's, the
// runtime's, httplib's and the connection's, as {"error":{"code","message"}}
// with a code of the list and its status.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstring>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "basis/version.h"
#include "examples/daemon/error_codes.h"
#include "examples/daemon/request_checks.h"
#include "storage/checkpoint_store.h"
#include "storage/tree_verify.h"
#include "tests/daemon_api_util.h"
#include "tests/daemon_test_util.h"

using nlohmann::json;
using namespace basis;
using basis::storage::testing::TempDir;
using basis::testing::Answer;
using basis::testing::Daemon;
using basis::testing::exchange;
using basis::testing::get_json;
using basis::testing::Raw;
using basis::testing::batch;
using basis::testing::insert;
using basis::testing::kGeneratedId;
using basis::testing::key;
using basis::testing::require_error;

TEST_CASE("api: the error codes are one list, and the tree's kinds map onto it", "[daemon][api]") {
  std::set<std::string> names;
  for (const auto& c : daemon::error_codes()) {
    REQUIRE(names.insert(std::string(c.name)).second);
    REQUIRE(daemon::parse_error_code(c.name) == c.code);
    REQUIRE(c.status >= 400);
    REQUIRE(c.status < 600);
  }
  REQUIRE_FALSE(daemon::parse_error_code("Busy"));
  using K = tree::ErrorKind;
  for (K kind = K::kKeyNotAboveNegInfinity; kind <= K::kUnavailable; kind = static_cast<K>(static_cast<int>(kind) + 1)) {
    const daemon::ErrorCode code = daemon::error_code_of(kind);
    INFO(tree::error_kind_name(kind));
    REQUIRE(code != daemon::ErrorCode::kInternal);
    // The operations' failures keep the reference's names (batch results carry them).
    if (kind <= K::kLongOverflow) REQUIRE(daemon::error_code_name(code) == tree::error_kind_name(kind));
  }
  REQUIRE(daemon::error_code_name(daemon::error_code_of(K::kBusy)) == "TooManyInflight");
  REQUIRE(daemon::error_code_status(daemon::error_code_of(K::kBusy)) == 503);
  REQUIRE(daemon::error_code_name(daemon::error_code_of(K::kResourceExhausted)) == "InsufficientStorage");
  REQUIRE(daemon::error_code_status(daemon::error_code_of(K::kResourceExhausted)) == 507);
  REQUIRE(daemon::error_code_status(daemon::error_code_of(K::kUnavailable)) == 503);
  REQUIRE(daemon::error_code_status(daemon::error_code_of(K::kNotFound)) == 404);
  REQUIRE(daemon::error_code_status(daemon::error_code_of(K::kLimitExceeded)) == 413);
  REQUIRE(daemon::error_code_status(daemon::error_code_of(K::kIOError)) == 500);
}

TEST_CASE("api: every error answer has the error shape and a code of the list", "[daemon][api]") {
  TempDir dir;
  std::ofstream(dir.path("token")) << "api-token\n";
  Daemon d(dir, "[tree]\nvalue_length = 2\n[persistence]\noperation_batch_size = 10\nmax_answer_bytes = \"4KB\"\n"
                "[server]\nlisten = \"127.0.0.1:0\"\nmax_body_size = \"64KB\"\ntoken_file = \"" + dir.path("token") + "\"\n");
  const std::string auth = "Authorization: Bearer api-token\r\n";
  const int port = d.port();
  auto call = [&](const std::string& method, const std::string& target, const std::string& body = "",
                  const std::string& headers = "") { return exchange(port, method, target, body, auth + headers); };
  REQUIRE(call("POST", "/v1/batch", batch({insert(key(1), "0001"), insert(key(2), "0002")})).status == 200);
  std::string many_ops = "{\"ops\":[0";
  for (int i = 0; i < 200; ++i) many_ops += ",0";
  many_ops += "]}";
  json ten_lookups = json::array();
  for (int i = 0; i < 11; ++i) ten_lookups.push_back({{"type", "Lookup"}, {"key", key(1)}});
  struct Case {
    std::string method, target, body, headers;
    int status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"POST", "/v1/batch", "{\"ops\":[", "", 400, "MalformedJson"},
      {"POST", "/v1/batch", std::string(20, '[') + std::string(20, ']'), "", 400, "MalformedJson"},
      {"POST", "/v1/batch", R"({"ops":[],"ops":[]})", "", 400, "MalformedJson"},
      {"POST", "/v1/batch", "[1,2]", "", 400, "InvalidBatch"},
      {"POST", "/v1/batch", batch({{{"type", "Upsert"}, {"key", key(3)}}}), "", 400, "InvalidBatch"},
      {"POST", "/v1/batch", batch({{{"type", "Insert"}, {"key", key(3)}}}), "", 400, "InvalidBatch"},
      {"POST", "/v1/batch", batch({{{"type", "Lookup"}, {"key", "zz" + key(3).substr(2)}}}), "", 400, "InvalidBatch"},
      {"POST", "/v1/batch", batch({{{"type", "UpdateLongBy"}, {"key", key(3)}, {"delta", "x"}}}), "", 400, "InvalidBatch"},
      {"POST", "/v1/batch", batch(json::array()), "", 400, "InvalidBatch"},
      {"POST", "/v1/batch", batch({{{"type", "Lookup"}, {"key", "abcd"}}}), "", 400, "KeyLengthMismatch"},
      {"POST", "/v1/batch", batch(json::array({insert(key(3), "01")})), "", 400, "ValueLengthMismatch"},
      {"POST", "/v1/batch", batch(ten_lookups), "", 413, "BatchTooLarge"},
      {"POST", "/v1/batch", many_ops, "", 413, "BatchTooLarge"},
      {"POST", "/v1/batch", std::string(70'000, ' '), "", 413, "BodyTooLarge"},
      {"POST", "/v1/batch", "", "Expect: 100-continue\r\nContent-Length: 999999\r\n", 413, "BodyTooLarge"},
      {"POST", "/v1/batch", "--x\r\n\r\n--x--", "Content-Type: multipart/form-data; boundary=x\r\n", 415,
       "UnsupportedMediaType"},
      {"POST", "/v1/batch?dry_run=yes", batch(json::array({insert(key(3), "0003")})), "", 400, "InvalidParameter"},
      {"POST", "/v1/batch?dryrun=1", batch(json::array({insert(key(3), "0003")})), "", 400, "InvalidParameter"},
      {"POST", "/v1/batch?dry_run=1&dry_run=1", batch(json::array({insert(key(3), "0003")})), "", 400, "InvalidParameter"},
      {"GET", "/v1/digest?a=1=2", "", "", 400, "InvalidParameter"},
      {"GET", "/v1/lookup/zz", "", "", 400, "InvalidParameter"},
      {"GET", "/v1/lookup/1234", "", "", 400, "KeyLengthMismatch"},
      {"GET", "/v1/lookup/" + std::string(64, '0'), "", "", 400, "KeyNotAboveNegInfinity"},
      {"GET", "/v1/lookup/" + std::string(64, 'f') + "?proof=1", "", "", 400, "KeyNotBelowPosInfinity"},
      {"GET", "/v1/lookup/" + key(1) + "?checkpoint=x", "", "", 400, "InvalidParameter"},
      {"GET", "/v1/lookup/" + key(1) + "?checkpoint=77", "", "", 404, "NotFound"},
      {"GET", "/v1/oplog?from=-1", "", "", 400, "InvalidParameter"},
      {"GET", "/v1/oplog?limit=0", "", "", 400, "InvalidParameter"},
      {"GET", "/v1/oplog?limit=10001", "", "", 400, "InvalidParameter"},
      {"POST", "/v1/checkpoints/x/pin", "", "", 400, "InvalidParameter"},
      {"POST", "/v1/checkpoints/99/pin", "", "", 404, "NotFound"},
      {"DELETE", "/v1/checkpoints/99/pin", "", "", 404, "NotFound"},
      {"GET", "/v1/nothing", "", "", 404, "UnknownRoute"},
      {"DELETE", "/v1/digest", "", "", 405, "MethodNotAllowed"},
      {"GET", "/v1/digest", "x", "", 400, "MalformedRequest"},  // GET with a body
      {"GET", "/v1/digest", "", "Range: bytes=0-1\r\n", 400, "MalformedRequest"},
      {"GET", "/v1/digest", "", "Range: garbage\r\n", 400, "MalformedRequest"},  // httplib's 416, as its code's 400
      {"GET", "/v1/%ff", "", "", 400, "MalformedRequest"},
      {"GET", "/v1/digest", "", "Content-Length: 0\r\nContent-Length: 0\r\n", 400, "MalformedRequest"},
      {"GET", "/v1/digest", "", "Expect: 100-continue\r\nExpect: 100-continue\r\n", 400, "MalformedRequest"},
      {"GET", "/v1/digest", "", "Expect: 200-ok\r\n", 417, "ExpectationFailed"},
      {"POST", "/v1/checkpoints", "", "Transfer-Encoding: gzip\r\n", 501, "NotImplemented"},
      {"GET", "/v1/oplog?" + std::string(9000, 'a') + "=1", "", "", 414, "UriTooLong"},
      {"GET", "/v1/digest", "", "X-Request-Id: a b\r\n", 400, "InvalidRequestId"},
      {"GET", "/v1/digest", "", "X-Request-Id: a\x01" "b\r\n", 400, "MalformedRequest"},  // a control byte: framing
  };
  for (const Case& c : cases) {
    INFO(c.method << " " << c.target.substr(0, 80) << " " << c.headers);
    require_error(call(c.method, c.target, c.body, c.headers), c.status, c.code);
  }
  // Without the token, and on requests httplib itself refuses.
  require_error(exchange(port, "GET", "/v1/digest"), 401, "Unauthorized");
  require_error(exchange(port, "GET", "/metrics", "", "Authorization: Basic eDp5\r\n"), 401, "Unauthorized");
  {
    Raw r(port);
    r.send("GARBAGE\r\n\r\n");
    std::vector<Answer> a = basis::testing::parse_answers(r.read_all());
    REQUIRE(a.size() == 1);
    require_error(a[0], 400, "MalformedRequest");
  }
  {
    Raw r(port);
    r.send("GET /v1/digest HTTP/1.1\r\n" + auth + "\r\n");  // no Host
    std::vector<Answer> a = basis::testing::parse_answers(r.read_all());
    REQUIRE(a.size() == 1);
    require_error(a[0], 400, "MalformedRequest");
  }
  // Per-operation failures are bare codes of the same list.
  Answer failed = call("POST", "/v1/batch", batch({insert(key(1), "0009"), {{"type", "Remove"}, {"key", key(9)}}}));
  REQUIRE(failed.status == 200);
  json results = json::parse(failed.body)["results"];
  REQUIRE(results[0]["error"] == "KeyAlreadyExists");
  REQUIRE(results[1]["error"] == "KeyNotFound");
  for (const auto& r : results) REQUIRE(daemon::parse_error_code(r["error"].get<std::string>()));
}

TEST_CASE("api: refusals from the runtime (too many batches in flight) are in the error shape", "[daemon][api]") {
  TempDir dir;
  Daemon d(dir, "[persistence]\nmax_inflight_batches = 1\n[server]\nlisten = \"127.0.0.1:0\"\n");
  std::atomic<int> busy{0}, applied{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&, t] {
      for (int b = 0; b < 25 && busy < 5; ++b) {
        json ops = json::array();
        for (int i = 0; i < 20; ++i) {
          char k[16];
          std::snprintf(k, sizeof k, "%02x%04x%04x", t, b, i);
          ops.push_back(insert(k + std::string(54, '5'), "01"));
        }
        Answer a = exchange(d.port(), "POST", "/v1/batch", batch(ops));
        if (a.status == 200) ++applied;
        if (a.status != 503) continue;
        ++busy;
        json e = json::parse(a.body)["error"];
        if (e["code"] != "TooManyInflight" || e["message"].get<std::string>().find("in flight") == std::string::npos) {
          busy = -1000;  // checked below, on the test's thread
          return;
        }
      }
    });
  }
  for (auto& c : clients) c.join();
  INFO(busy << " busy, " << applied << " applied");
  REQUIRE(busy > 0);
  REQUIRE(applied > 0);
}

TEST_CASE("api: connection-level refusals are in the error shape too", "[daemon][api]") {
  TempDir dir;
  Daemon d(dir, "[server]\nlisten = \"127.0.0.1:0\"\nmax_connections = 2\nheader_timeout = \"1 s\"\n");
  {
    std::vector<std::unique_ptr<Raw>> held;
    for (int i = 0; i < 2; ++i) held.push_back(std::make_unique<Raw>(d.port()));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    Raw extra(d.port());
    std::vector<Answer> a = basis::testing::parse_answers(extra.read_all());
    REQUIRE(a.size() == 1);
    require_error(a[0], 503, "TooManyConnections");
    REQUIRE(std::regex_match(a[0].header("x-request-id"), kGeneratedId));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the held ones close
  Raw slow(d.port());
  slow.send("GET /v1/dig");
  std::vector<Answer> a = basis::testing::parse_answers(slow.read_all(std::chrono::milliseconds(4000)));
  REQUIRE(a.size() == 1);
  require_error(a[0], 408, "RequestTimeout");
}

