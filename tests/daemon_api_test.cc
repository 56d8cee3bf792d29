// The daemon's API contract against the real basis-treed: X-Request-Id is
// echoed, generated, or refused, and logged; the oplog's cursor reads the
// whole log; every route answers another method with 405 and Allow, unknown
// paths and unknown checkpoints with 404; checkpoints count their nodes;
// /metrics has one typed family per quantity.
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

TEST_CASE("api: X-Request-Id is echoed, generated, or refused, and logged with each access", "[daemon][api]") {
  TempDir dir;
  std::ofstream(dir.path("token")) << "request-id-token\n";
  Daemon d(dir, "[server]\nlisten = \"127.0.0.1:0\"\ntoken_file = \"" + dir.path("token") + "\"\n", "debug");
  const std::string auth = "Authorization: Bearer request-id-token\r\n";
  const int port = d.port();
  Answer echoed = exchange(port, "GET", "/v1/digest", "", auth + "X-Request-Id: trace-42/abc\r\n");
  REQUIRE(echoed.status == 200);
  REQUIRE(echoed.header("x-request-id") == "trace-42/abc");
  const std::string longest(128, '~');
  REQUIRE(exchange(port, "GET", "/v1/digest", "", auth + "X-Request-Id: " + longest + "\r\n").header("x-request-id") == longest);
  // As sent: not percent-decoded.
  REQUIRE(exchange(port, "GET", "/v1/digest", "", auth + "X-Request-Id: a%20b\r\n").header("x-request-id") == "a%20b");
  std::string first = exchange(port, "GET", "/v1/digest", "", auth).header("x-request-id");
  std::string second = exchange(port, "GET", "/v1/health").header("x-request-id");
  REQUIRE(std::regex_match(first, kGeneratedId));
  REQUIRE(std::regex_match(second, kGeneratedId));
  REQUIRE(first != second);
  // Errors carry one too: a refused token, a route that is not there.
  REQUIRE(exchange(port, "GET", "/v1/digest", "", "X-Request-Id: denied-1\r\n").header("x-request-id") == "denied-1");
  REQUIRE(exchange(port, "GET", "/v9", "", auth + "X-Request-Id: lost-1\r\n").header("x-request-id") == "lost-1");
  // Hostile ids: refused with a generated id, never echoed.
  const std::vector<std::string> hostile = {std::string(129, 'a'), "has space", "caf\xc3\xa9", "tab\there", ""};
  for (const std::string& id : hostile) {
    Answer a = exchange(port, "GET", "/v1/digest", "", auth + "X-Request-Id: " + id + "\r\n");
    INFO("id '" << id << "' -> " << a.status << " " << a.body);
    REQUIRE((a.status == 400));
    REQUIRE(json::parse(a.body)["error"]["code"] == "InvalidRequestId");
    REQUIRE(std::regex_match(a.header("x-request-id"), kGeneratedId));
  }
  {
    Answer twice = exchange(port, "GET", "/v1/digest", "", auth + "X-Request-Id: one\r\nX-Request-Id: two\r\n");
    REQUIRE(twice.status == 400);
    REQUIRE(twice.body.find("given 2 times") != std::string::npos);
  }
  {
    // Pipelined: each answer its own id, in order.
    Raw r(port);
    r.send("GET /v1/digest HTTP/1.1\r\nHost: t\r\n" + auth + "X-Request-Id: p-1\r\n\r\n" +
           "GET /v1/nothing HTTP/1.1\r\nHost: t\r\n" + auth + "X-Request-Id: p-2\r\n\r\n" +
           "GET /v1/digest HTTP/1.1\r\nHost: t\r\n" + auth + "X-Request-Id: p-3\r\nConnection: close\r\n\r\n");
    std::vector<Answer> a = basis::testing::parse_answers(r.read_all());
    REQUIRE(a.size() == 3);
    REQUIRE(a[0].header("x-request-id") == "p-1");
    REQUIRE(a[1].header("x-request-id") == "p-2");
    REQUIRE(a[1].status == 404);
    REQUIRE(a[2].header("x-request-id") == "p-3");
  }
  {
    Raw r(port);  // refused by httplib before routing: an id all the same
    r.send("GARBAGE\r\n\r\n");
    std::vector<Answer> a = basis::testing::parse_answers(r.read_all());
    REQUIRE(a.size() == 1);
    REQUIRE(std::regex_match(a[0].header("x-request-id"), kGeneratedId));
  }
  REQUIRE(d.stop() == 0);
  std::ifstream in(dir.path("daemon.log"));
  std::string logged((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  INFO(logged.substr(0, 4000));
  REQUIRE(std::regex_search(logged, std::regex(R"(access GET /v1/digest status=200 ms=[0-9]+\.[0-9]{3} bytes=[1-9][0-9]* request_id=trace-42/abc)")));
  REQUIRE(std::regex_search(logged, std::regex(R"(access GET /v1/digest status=401 ms=[0-9.]+ bytes=[0-9]+ request_id=denied-1)")));
  REQUIRE(std::regex_search(logged, std::regex(R"(access GET /v9 status=404 ms=[0-9.]+ bytes=[0-9]+ request_id=lost-1)")));
  REQUIRE(std::regex_search(logged, std::regex(R"(access GET /v1/digest status=400 ms=[0-9.]+ bytes=[0-9]+ request_id=[0-9a-f]{32})")));
  REQUIRE(logged.find("request-id-token") == std::string::npos);  // never the Authorization header
  REQUIRE(logged.find("has space") == std::string::npos);           // a refused id is not logged
}

TEST_CASE("api: following the oplog's next reads the whole log, page by page", "[daemon][api]") {
  TempDir dir;
  Daemon d(dir, "[server]\nlisten = \"127.0.0.1:0\"\n");
  auto c = d.client();
  uint64_t written = 0;
  for (int b = 0; b < 5; ++b) {
    json ops = json::array();
    for (int i = 0; i < 50; ++i) ops.push_back(insert(std::string(56, 'a') + std::to_string(10'000'000 + written + i), "01"));
    auto r = c.Post("/v1/batch", batch(ops), "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    written += 50;
  }
  REQUIRE(written == 250);
  for (const char* limit : {"", "&limit=7", "&limit=250", "&limit=10000"}) {
    INFO("limit " << limit);
    std::vector<uint64_t> seen;
    json next = 1;
    size_t pages = 0;
    while (!next.is_null()) {
      json page = get_json(c, "/v1/oplog?from=" + std::to_string(next.get<uint64_t>()) + limit, 200);
      REQUIRE(page.size() == 2);
      for (const auto& r : page["records"]) seen.push_back(r["seq"].get<uint64_t>());
      if (!page["next"].is_null()) REQUIRE(page["next"] == seen.back() + 1);  // the cursor never skips
      next = page["next"];
      REQUIRE(++pages < 100);
    }
    REQUIRE(seen.size() == 250);
    for (size_t i = 0; i < seen.size(); ++i) REQUIRE(seen[i] == i + 1);
    if (std::string(limit).empty()) REQUIRE(pages == 3);  // the default limit is 100
    if (std::string(limit) == "&limit=7") REQUIRE(pages == 36);
  }
  json zero = get_json(c, "/v1/oplog?from=0&limit=2", 200);  // sequence numbers start at 1
  REQUIRE(zero["records"][0]["seq"] == 1);
  REQUIRE(zero["next"] == 3);
  json first = get_json(c, "/v1/oplog", 200);
  REQUIRE(first["records"].size() == 100);
  REQUIRE(first["next"] == 101);
  json last = get_json(c, "/v1/oplog?from=250&limit=1", 200);
  REQUIRE(last["records"].size() == 1);
  REQUIRE(last["next"].is_null());  // nothing after 250 yet
  json beyond = get_json(c, "/v1/oplog?from=251", 200);
  REQUIRE(beyond["records"].empty());
  REQUIRE(beyond["next"].is_null());
  json exact = get_json(c, "/v1/oplog?from=151&limit=100", 200);  // a page that ends at the end
  REQUIRE(exact["records"].size() == 100);
  REQUIRE(exact["next"].is_null());
}

TEST_CASE("api: an oplog page ends at max_answer_bytes, and next goes on from there", "[daemon][api]") {
  TempDir dir;
  Daemon d(dir, "[server]\nlisten = \"127.0.0.1:0\"\n[persistence]\nmax_answer_bytes = \"1KB\"\n");
  auto c = d.client();
  for (int i = 0; i < 20; ++i) {  // a batch each: its answer stays within 1 KB too
    json ops = json::array({insert(std::string(56, 'b') + std::to_string(10'000'000 + i), std::string(400, 'c'))});
    auto r = c.Post("/v1/batch", batch(ops), "application/json");
    REQUIRE(r);
    INFO(r->body);
    REQUIRE(r->status == 200);
  }
  std::vector<uint64_t> seen;
  json next = 1;
  size_t pages = 0;
  while (!next.is_null()) {
    json page = get_json(c, "/v1/oplog?from=" + std::to_string(next.get<uint64_t>()) + "&limit=100", 200);
    REQUIRE(!page["records"].empty());
    REQUIRE(page["records"].size() <= 5);  // 232 bytes each (key and value), 1 KB a page
    for (const auto& rec : page["records"]) seen.push_back(rec["seq"].get<uint64_t>());
    next = page["next"];
    REQUIRE(++pages < 100);
  }
  REQUIRE(seen.size() == 20);
  for (size_t i = 0; i < seen.size(); ++i) REQUIRE(seen[i] == i + 1);
  REQUIRE(pages >= 4);
}

TEST_CASE("api: every route answers another method with 405 and Allow, other paths and ids 404", "[daemon][api]") {
  TempDir dir;
  Daemon d(dir, "[server]\nlisten = \"127.0.0.1:0\"\n");
  const int port = d.port();
  const std::vector<std::string> methods = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
  size_t refused = 0;
  for (const daemon::Route& route : daemon::api_routes()) {
    // Built by appending: g++ 12 -O3 warns -Wrestrict on replace() here (a false positive).
    const std::string pattern = route.pattern;
    std::string path;
    if (size_t hole = pattern.find("{}"); hole != std::string::npos) {
      path.append(pattern, 0, hole);
      path += '1';
      path.append(pattern, hole + 2);
    } else {
      path = pattern;
    }
    std::string allow;
    for (const auto& m : route.methods) allow += (allow.empty() ? "" : ", ") + m;
    for (const std::string& m : methods) {
      if (std::find(route.methods.begin(), route.methods.end(), m) != route.methods.end()) continue;
      Answer a = exchange(port, m, path);
      INFO(m << " " << path << " -> " << a.status << " " << a.body);
      REQUIRE(a.status == 405);
      REQUIRE(a.header("allow") == allow);
      if (m != "HEAD") require_error(a, 405, "MethodNotAllowed");
      ++refused;
    }
  }
  REQUIRE(refused > 40);
  for (const char* path : {"/", "/v1", "/v1/", "/v1/nothing", "/v1/lookup", "/v1/lookup/", "/v1/checkpoints/1",
                           "/v1/checkpoints/1/pin/x", "/v1/checkpoints//pin", "/metrics/x", "/v1/digest/", "/V1/digest"}) {
    for (const char* m : {"GET", "POST", "DELETE"}) {
      INFO(m << " " << path);
      require_error(exchange(port, m, path), 404, "UnknownRoute");
    }
  }
  // An unknown checkpoint is a 404 whichever way its pin is asked for.
  for (const char* m : {"POST", "DELETE"}) {
    Answer a = exchange(port, m, "/v1/checkpoints/99/pin");
    require_error(a, 404, "NotFound");
    REQUIRE(a.body.find("99") != std::string::npos);
  }
}

TEST_CASE("api: a checkpoint reports its version's real node count", "[daemon][api]") {
  TempDir dir;
  json sealed;
  {
    Daemon d(dir, "[server]\nlisten = \"127.0.0.1:0\"\n");
    auto c = d.client();
    json ops = json::array();
    for (int i = 0; i < 100; ++i) ops.push_back(insert(key(static_cast<uint8_t>(i + 1)), "01"));
    REQUIRE(c.Post("/v1/batch", batch(ops), "application/json")->status == 200);
    auto r = c.Post("/v1/checkpoints", "", "application/json");
    REQUIRE(r->status == 201);
    sealed = json::parse(r->body);
    REQUIRE(sealed["node_count"] == 2 * 100 + 1);
    json listed = get_json(c, "/v1/checkpoints", 200)["checkpoints"][0];
    REQUIRE(listed["id"] == sealed["id"]);
    REQUIRE(listed["node_count"] == sealed["node_count"]);
    REQUIRE(d.stop() == 0);
  }
  // The tree as stored has that many nodes.
  auto db = storage::testing::open_database(dir.path("data") + "/db");
  storage::CheckpointRecord cp;
  REQUIRE(storage::CheckpointStore(db.get()).read(sealed["id"].get<uint64_t>(), &cp).is_ok());
  uint64_t walked = 0;
  REQUIRE(storage::verify_tree(*db, cp.digest, 2, &walked).is_ok());
  REQUIRE(walked == sealed["node_count"].get<uint64_t>());
}

TEST_CASE("api: /metrics has one family per quantity, each with its type", "[daemon][api][metrics]") {
  TempDir dir;
  Daemon d(dir, "[server]\nlisten = \"127.0.0.1:0\"\n");
  auto c = d.client();
  REQUIRE(c.Post("/v1/batch", batch({insert(key(1), "01"), insert(key(2), "02")}), "application/json")->status == 200);
  REQUIRE(c.Post("/v1/checkpoints", "", "application/json")->status == 201);
  auto m = c.Get("/metrics");
  REQUIRE(m);
  REQUIRE(m->status == 200);
  std::map<std::string, std::string> types;
  std::map<std::string, std::string> samples;  // name{labels} -> value
  std::istringstream lines(m->body);
  std::string line;
  const std::regex type_line(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$)");
  const std::regex sample_line(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? ([-+0-9.eEInfa]+)$)");
  while (std::getline(lines, line)) {
    std::smatch match;
    if (std::regex_match(line, match, type_line)) {
      REQUIRE(types.emplace(match[1], match[2]).second);  // one TYPE per family
    } else if (line.rfind("#", 0) != 0 && !line.empty()) {
      INFO(line);
      REQUIRE(std::regex_match(line, match, sample_line));
      std::string family = match[1];
      for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        if (!types.count(family) && family.size() > strlen(suffix) && family.ends_with(suffix)) {
          family = family.substr(0, family.size() - strlen(suffix));
        }
      }
      REQUIRE(types.count(family) == 1);  // every sample under its family's TYPE line
      samples[std::string(match[1]) + std::string(match[2])] = match[3];
    }
  }
  const std::map<std::string, std::string> expected = {
      {"basis_batches_total", "counter"},
      {"basis_failed_batches_total", "counter"},
      {"basis_operations_total", "counter"},
      {"basis_http_requests_total", "counter"},
      {"basis_batch_durable_seconds", "histogram"},
      {"basis_actor_restarts_total", "counter"},
      {"basis_node_cache_hits_total", "counter"},
      {"basis_node_cache_misses_total", "counter"},
      {"basis_gc_runs_total", "counter"},
      {"basis_gc_failures_total", "counter"},
      {"basis_gc_removed_nodes_total", "counter"},
      {"basis_gc_removed_bytes_total", "counter"},
      {"basis_stalled_batches_total", "counter"},
      {"basis_health_checks_total", "counter"},
      {"basis_health_check_failures_total", "counter"},
      {"basis_last_sequence", "gauge"},
      {"basis_tree_nodes_in_memory", "gauge"},
      {"basis_tree_memory_bytes", "gauge"},
      {"basis_node_store_bytes", "gauge"},
      {"basis_oplog_bytes", "gauge"},
      {"basis_checkpoints_retained", "gauge"},
      {"basis_gc_live_nodes", "gauge"},
      {"basis_recovery_seconds", "gauge"},
      {"basis_recovery_fallbacks", "gauge"},
      {"basis_recovery_replayed_operations", "gauge"},
      {"basis_verification_failed", "gauge"},
      {"basis_ready", "gauge"},
      {"basis_serving", "gauge"},
      {"basis_writes_refused", "gauge"},
      {"basis_restart_needed", "gauge"},
      {"basis_storage_read_failed", "gauge"},
      {"basis_build_info", "gauge"},
      {"basis_tree_up", "gauge"},
      {"basis_tree_last_sequence", "gauge"},
  };
  REQUIRE(types == expected);
  for (const auto& [name, type] : types) {
    INFO(name);
    REQUIRE((type == "counter") == name.ends_with("_total"));
  }
  REQUIRE(samples.at("basis_build_info{version=\"" + std::string(basis::kVersion) + "\"}") == "1");
  REQUIRE(samples.at("basis_batches_total") == "1");
  REQUIRE(samples.at("basis_operations_total") == "2");
  REQUIRE(samples.at("basis_last_sequence") == "2");
  REQUIRE(std::stod(samples.at("basis_checkpoints_retained")) >= 1);
  REQUIRE(samples.at("basis_ready") == "1");
  REQUIRE(samples.at("basis_writes_refused") == "0");
  REQUIRE(samples.at("basis_batch_durable_seconds_count") == "1");
  REQUIRE(samples.at("basis_http_requests_total{code=\"201\"}") == "1");
  REQUIRE(m->body.find("basis_state") == std::string::npos);  // the one-gauge form is gone
}

TEST_CASE("api: a tree rolls back to a digest over HTTP, the log shows it, and batches go on from there",
          "[daemon][api][rollback]") {
  TempDir dir;
  Daemon d(dir, "[server]\nlisten = \"127.0.0.1:0\"\n");
  auto c = d.client();
  std::vector<json> answers;
  for (int b = 0; b < 3; ++b) {
    json ops = json::array();
    for (int i = 0; i < 10; ++i) ops.push_back(insert(std::string(56, 'b') + std::to_string(10'000'000 + b * 10 + i), "02"));
    auto r = c.Post("/v1/batch", batch(ops), "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    answers.push_back(json::parse(r->body));
  }
  json trees = get_json(c, "/v1/trees", 200);
  REQUIRE(trees["trees"].size() == 1);
  REQUIRE(trees["trees"][0]["name"] == "default");
  REQUIRE(trees["trees"][0]["last_seq"] == 30);
  const json target = answers[0]["digest_after"];
  auto r = c.Post("/v1/trees/default/rollback", json{{"digest", target}}.dump(), "application/json");
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 200);
  json back = json::parse(r->body);
  REQUIRE(back["digest"] == target);
  REQUIRE(back["digest_before"] == answers[2]["digest_after"]);
  REQUIRE(back["to_seq"] == 10);
  REQUIRE(back["seq"] == 31);
  REQUIRE(back["undone"] == 20);
  REQUIRE(get_json(c, "/v1/digest", 200)["digest"] == target);
  json log = get_json(c, "/v1/oplog?from=31", 200);
  REQUIRE(log["records"].size() == 1);
  REQUIRE(log["records"][0]["type"] == "Rollback");
  REQUIRE(log["records"][0]["to_seq"] == 10);
  // A key inserted after the version is gone; the next batch starts from it.
  auto gone = c.Get("/v1/lookup/" + std::string(56, 'b') + std::to_string(10'000'015));
  REQUIRE(gone);
  REQUIRE(json::parse(gone->body)["found"] == false);
  json ops = json::array({insert(std::string(56, 'b') + std::to_string(10'000'015), "03")});
  auto again = c.Post("/v1/batch", batch(ops), "application/json");
  REQUIRE(again);
  REQUIRE(again->status == 200);
  REQUIRE(json::parse(again->body)["digest_before"] == target);
  REQUIRE(json::parse(again->body)["first_seq"] == 32);
}
