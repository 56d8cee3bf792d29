// docs/openapi.json against the daemon: the document lists every route the
// server has (api_routes(), methods, query parameters) and only those, its
// error codes are error_codes.h's, and the real basis-treed's answers,
// successes and errors, conform to the documented status codes and schemas.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <fstream>
#include <set>

#include "examples/daemon/error_codes.h"
#include "examples/daemon/request_checks.h"
#include "tests/daemon_test_util.h"
#include "tests/json_schema_check.h"

using nlohmann::json;
using namespace basis;
using basis::storage::testing::TempDir;
using basis::testing::Answer;
using basis::testing::Daemon;
using basis::testing::SchemaChecker;

namespace {

json load_document() {
  std::ifstream in(BASIS_OPENAPI_PATH);
  REQUIRE(in);
  json doc = json::parse(in, nullptr, false);
  REQUIRE_FALSE(doc.is_discarded());
  return doc;
}

// "/v1/lookup/{key}" -> "/v1/lookup/{}" (request_checks' pattern form).
std::string pattern_of(const std::string& path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '{') {
      out += "{}";
      i = path.find('}', i);
    } else {
      out += path[i];
    }
  }
  return out;
}

const std::vector<std::string> kMethods = {"get", "post", "put", "delete", "patch", "options", "head"};

// Every "$ref" anywhere in `node`.
void collect_refs(const json& node, std::vector<std::string>* out) {
  if (node.is_object()) {
    for (const auto& item : node.items()) {
      if (item.key() == "$ref") out->push_back(item.value().get<std::string>());
      collect_refs(item.value(), out);
    }
  } else if (node.is_array()) {
    for (const auto& v : node) collect_refs(v, out);
  }
}

// The documented path whose template matches `target`'s path, if any.
const json* operation_for(const json& doc, const std::string& method, const std::string& target, std::string* path) {
  std::string p = target.substr(0, target.find('?'));
  const daemon::Route* route = daemon::find_route(p);
  if (!route) return nullptr;
  for (const auto& item : doc["paths"].items()) {
    if (pattern_of(item.key()) != route->pattern) continue;
    *path = item.key();
    std::string m = method == "HEAD" ? "get" : method;
    for (char& c : m) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return item.value().contains(m) ? &item.value()[m] : nullptr;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("openapi: the document lists every route, method and parameter the server has, and only those",
          "[daemon][api][openapi]") {
  const json doc = load_document();
  REQUIRE(doc["openapi"].get<std::string>().rfind("3.", 0) == 0);
  SchemaChecker checker(doc);
  std::vector<std::string> refs;
  collect_refs(doc, &refs);
  REQUIRE(refs.size() > 20);
  for (const auto& ref : refs) {
    INFO(ref);
    REQUIRE_NOTHROW(checker.resolve(ref));
  }

  std::set<std::string> documented;
  for (const auto& item : doc["paths"].items()) documented.insert(pattern_of(item.key()));
  std::set<std::string> served;
  for (const daemon::Route& route : daemon::api_routes()) {
    served.insert(route.pattern);
    INFO(route.pattern);
    REQUIRE(documented.count(route.pattern) == 1);
    const json* path = nullptr;
    for (const auto& item : doc["paths"].items()) {
      if (pattern_of(item.key()) == route.pattern) path = &item.value();
    }
    std::set<std::string> methods, doc_methods;
    for (std::string m : route.methods) {
      for (char& c : m) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (m != "head") methods.insert(m);  // every GET takes HEAD (the document's info says so)
    }
    for (const std::string& m : kMethods) {
      if (path->contains(m)) doc_methods.insert(m);
    }
    REQUIRE(methods == doc_methods);
    for (const std::string& m : doc_methods) {
      std::set<std::string> query, doc_query;
      for (const auto& p : route.parameters) query.insert(p);
      for (const auto& p : (*path)[m]["parameters"]) {
        const json& param = p.contains("$ref") ? checker.resolve(p["$ref"].get<std::string>()) : p;
        if (param["in"] == "query") doc_query.insert(param["name"].get<std::string>());
      }
      INFO(m);
      REQUIRE(query == doc_query);
      REQUIRE((*path)[m]["responses"].size() >= 2);
      REQUIRE_FALSE((*path)[m]["responses"].contains("default"));  // every status is named
    }
  }
  REQUIRE(served == documented);

  // The error codes: the same list, in the same order, each with its status's response.
  std::vector<std::string> names;
  for (const auto& c : daemon::error_codes()) names.push_back(std::string(c.name));
  REQUIRE(doc["components"]["schemas"]["ErrorCode"]["enum"].get<std::vector<std::string>>() == names);
}

TEST_CASE("openapi: the daemon's answers, successes and errors, conform to the document", "[daemon][api][openapi]") {
  const json doc = load_document();
  SchemaChecker checker(doc);
  TempDir dir;
  const std::string token = "openapi-test-token";
  std::ofstream(dir.path("token")) << token << "\n";
  Daemon d(dir, "[persistence]\noperation_batch_size = 20\n[server]\nlisten = \"127.0.0.1:0\"\nmax_body_size = \"64KB\"\n"
                "token_file = \"" + dir.path("token") + "\"\n");
  const std::string auth = "Authorization: Bearer " + token + "\r\n";
  const std::string k1 = std::string(62, '1') + "01", k2 = std::string(62, '1') + "02", k3 = std::string(62, '1') + "03";
  auto batch = [](const json& ops) { return json{{"ops", ops}}.dump(); };
  struct Exchange {
    std::string method, target, body;
    int status;
    std::string headers = "";
  };
  const std::vector<Exchange> exchanges = {
      {"POST", "/v1/batch", batch({{{"type", "Insert"}, {"key", k1}, {"value", "0000000000000005"}},
                                   {{"type", "Insert"}, {"key", k2}, {"value", "aa"}},
                                   {{"type", "UpdateLongBy"}, {"key", k1}, {"delta", 3}},
                                   {{"type", "Lookup"}, {"key", k2}}}), 200},
      {"POST", "/v1/batch", batch({{{"type", "Insert"}, {"key", k1}, {"value", "01"}}, {{"type", "Remove"}, {"key", k2}}}), 200},
      {"POST", "/v1/batch?dry_run=true", batch({{{"type", "InsertOrUpdate"}, {"key", k3}, {"value", "03"}}}), 200},
      {"GET", "/v1/digest", "", 200},
      {"HEAD", "/v1/digest", "", 200},
      {"GET", "/v1/lookup/" + k1, "", 200},
      {"GET", "/v1/lookup/" + k1 + "?proof=true", "", 200},
      {"GET", "/v1/lookup/" + k3, "", 200},
      {"POST", "/v1/checkpoints", "", 201},
      {"GET", "/v1/checkpoints", "", 200},
      {"POST", "/v1/checkpoints/1/pin", "", 200},
      {"DELETE", "/v1/checkpoints/1/pin", "", 200},
      {"GET", "/v1/lookup/" + k1 + "?checkpoint=1", "", 200},
      {"GET", "/v1/oplog", "", 200},
      {"GET", "/v1/oplog?from=2&limit=1", "", 200},
      {"POST", "/v1/admin/compact", "", 200},
      {"GET", "/v1/trees", "", 200},
      {"POST", "/v1/trees", json{{"name", "reserve"}, {"key_length", 32}, {"value_length", 16}}.dump(), 201},
      {"POST", "/v1/trees/reserve/batch", batch({{{"type", "InsertOrUpdate"}, {"key", k1}, {"value", std::string(32, '7')}}}), 200},
      {"POST", "/v1/trees/reserve/batch?dry_run=1", batch({{{"type", "Remove"}, {"key", k1}}}), 200},
      {"GET", "/v1/trees/reserve/digest", "", 200},
      {"GET", "/v1/trees/reserve/lookup/" + k1 + "?proof=true", "", 200},
      {"GET", "/v1/trees/reserve/oplog?limit=1", "", 200},
      {"POST", "/v1/trees/reserve/checkpoints", "", 201},
      {"GET", "/v1/trees/reserve/checkpoints", "", 200},
      {"POST", "/v1/trees/reserve/checkpoints/1/pin", "", 200},
      {"GET", "/v1/trees/reserve/lookup/" + k1 + "?checkpoint=1", "", 200},
      {"DELETE", "/v1/trees/reserve/checkpoints/1/pin", "", 200},
      {"GET", "/v1/trees/reserve/health", "", 200},
      {"POST", "/v1/transactions",
       json{{"parts", {{{"tree", "default"}, {"ops", {{{"type", "InsertOrUpdate"}, {"key", k3}, {"value", "09"}}}}},
                       {{"tree", "reserve"}, {"ops", {{{"type", "Remove"}, {"key", k1}}, {{"type", "Remove"}, {"key", k2}}}}}}}}
           .dump(),
       200},
      {"GET", "/v1/trees", "", 200},
      {"POST", "/v1/trees", json{{"name", "reserve"}}.dump(), 400},
      {"POST", "/v1/trees", json{{"name", "Bad Name"}}.dump(), 400},
      {"POST", "/v1/trees", json{{"name", "x"}, {"key_length", 0}}.dump(), 400},
      {"GET", "/v1/trees/nosuch/digest", "", 404},
      {"POST", "/v1/transactions", json{{"parts", json::array()}}.dump(), 400},
      {"POST", "/v1/transactions", json{{"parts", {{{"tree", "nosuch"}, {"ops", {{{"type", "Lookup"}, {"key", k1}}}}}}}}.dump(), 404},
      {"POST", "/v1/transactions", json{{"parts", {{{"tree", "reserve"}, {"ops", {{{"type", "Insert"}, {"key", k1}, {"value", "01"}}}}}}}}.dump(), 400},
      {"DELETE", "/v1/trees/nosuch", "", 404},
      {"DELETE", "/v1/trees/reserve", "", 200},
      {"POST", "/v1/trees/default/rollback", json{{"sequence", 2}}.dump(), 200},
      {"GET", "/v1/oplog?from=5", "", 200},  // the rollback's own record
      {"POST", "/v1/trees/default/rollback", json{{"sequence", 2}}.dump(), 200},  // nothing to undo
      {"GET", "/v1/health", "", 200},
      {"GET", "/v1/health/ready", "", 200},
      {"GET", "/v1/health/live", "", 200},
      {"GET", "/metrics", "", 200},
      // Errors, each route's own and the ones every route shares.
      {"POST", "/v1/batch", "{\"ops\":[", 400},
      {"POST", "/v1/batch", batch({{{"type", "Lookup"}, {"key", "abcd"}}}), 400},
      {"POST", "/v1/batch", batch(json::array()), 400},
      {"POST", "/v1/batch", std::string(70'000, ' '), 413},
      {"POST", "/v1/batch?dryrun=1", batch({{{"type", "Lookup"}, {"key", k1}}}), 400},
      {"POST", "/v1/batch", "--x\r\n\r\n--x--", 415, "Content-Type: multipart/form-data; boundary=x\r\n"},
      {"GET", "/v1/batch", "", 405},
      {"POST", "/v1/digest", "", 405},
      {"GET", "/v1/digest", "", 401, "Authorization: Bearer wrong\r\n"},
      {"GET", "/v1/lookup/12", "", 400},
      {"GET", "/v1/lookup/" + k1 + "?checkpoint=77", "", 404},
      {"GET", "/v1/lookup/" + std::string(64, '0'), "", 400},
      {"POST", "/v1/checkpoints/99/pin", "", 404},
      {"DELETE", "/v1/checkpoints/99/pin", "", 404},
      {"DELETE", "/v1/checkpoints/x/pin", "", 400},
      {"PUT", "/v1/checkpoints", "", 405},
      {"GET", "/v1/admin/compact", "", 405},
      {"GET", "/v1/oplog?limit=0", "", 400},
      {"POST", "/v1/trees/other/rollback", json{{"sequence", 1}}.dump(), 404},
      {"POST", "/v1/trees/default/rollback", "{\"sequence\":1,\"digest\":\"00\"}", 400},
      {"POST", "/v1/trees/default/rollback", "{\"sequence\":1,\"sequence\":2}", 400},
      {"POST", "/v1/trees/default/rollback", json{{"sequence", 999}}.dump(), 400},
      {"POST", "/v1/trees/default/rollback", json{{"checkpoint", 77}}.dump(), 404},
      {"POST", "/v1/trees/default/rollback", json{{"digest", std::string(66, 'a')}}.dump(), 404},
      {"GET", "/v1/trees/default/rollback", "", 405},
      {"GET", "/v1/oplog?from=1000", "", 200},
      {"GET", "/v1/health?x=1", "", 400},
      {"POST", "/v1/health/ready", "", 405},
      {"GET", "/metrics", "", 401, "Authorization: Basic eDp5\r\n"},
      {"GET", "/v1/digest", "", 400, "X-Request-Id: has space\r\n"},
      {"GET", "/v1/digest", "", 417, "Expect: 200-ok\r\n"},
      {"POST", "/v1/checkpoints", "", 501, "Transfer-Encoding: gzip\r\n"},
      {"GET", "/v1/oplog?" + std::string(9000, 'a') + "=1", "", 414},
  };
  size_t errors = 0;
  for (const Exchange& x : exchanges) {
    const bool with_auth = x.headers.find("Authorization") == std::string::npos;
    Answer a = basis::testing::exchange(d.port(), x.method, x.target, x.body, (with_auth ? auth : "") + x.headers);
    INFO(x.method << " " << x.target.substr(0, 100) << " -> " << a.status << " " << a.body.substr(0, 400));
    REQUIRE(a.status == x.status);
    REQUIRE_FALSE(a.header("x-request-id").empty());
    std::string path;
    const json* operation = operation_for(doc, x.method, x.target, &path);
    const std::string status = std::to_string(a.status);
    INFO(path);
    // A method the path does not take is no operation: its 405 is the shared one.
    json response = json{{"$ref", "#/components/responses/Error405"}};
    if (operation) {
      REQUIRE((*operation)["responses"].contains(status));
      response = (*operation)["responses"][status];
    } else {
      REQUIRE(a.status == 405);
    }
    if (response.contains("$ref")) response = checker.resolve(response["$ref"].get<std::string>());
    REQUIRE(response["headers"].contains("X-Request-Id"));
    if (x.method == "HEAD") continue;
    const std::string media = a.header("content-type").substr(0, a.header("content-type").find(';'));
    REQUIRE(response["content"].contains(media));
    const json& schema = response["content"][media]["schema"];
    if (media != "application/json") {
      REQUIRE(schema["type"] == "string");
      continue;
    }
    json body = json::parse(a.body, nullptr, false);
    REQUIRE_FALSE(body.is_discarded());
    std::vector<std::string> problems = checker.check(body, schema);
    for (const auto& p : problems) UNSCOPED_INFO(p);
    REQUIRE(problems.empty());
    if (a.status >= 400) {
      ++errors;
      std::optional<daemon::ErrorCode> code = daemon::parse_error_code(body["error"]["code"].get<std::string>());
      REQUIRE(code);
      REQUIRE(daemon::error_code_status(*code) == a.status);
    }
  }
  REQUIRE(errors > 20);
  // A path no route has is in no document: its 404 is the error shape still.
  Answer unknown = basis::testing::exchange(d.port(), "GET", "/v2/digest", "", auth);
  REQUIRE(unknown.status == 404);
  REQUIRE(checker.check(json::parse(unknown.body), doc["components"]["schemas"]["Error"]).empty());
}
