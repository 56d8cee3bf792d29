// Hostile requests to the routes over trees (/v1/trees, /v1/transactions,
// /v1/trees/{name}/…): every one gets a 4xx naming what is wrong, none
// crashes or stalls the daemon, and no tree changes.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "tests/daemon_test_util.h"

using nlohmann::json;
using basis::testing::Daemon;
using basis::testing::exchange;
using basis::testing::get_json;
using basis::storage::testing::TempDir;

namespace {

std::string key(uint8_t b, size_t bytes = 32) {
  const char* hex = "0123456789abcdef";
  return std::string{hex[b >> 4], hex[b & 15]} + std::string(2 * bytes - 2, '5');
}

json insert(const std::string& k, const std::string& v) { return {{"type", "Insert"}, {"key", k}, {"value", v}}; }

}  // namespace

TEST_CASE("hostile: transaction and tree bodies, names and methods are refused and change no tree",
          "[daemon][hostile][trees]") {
  TempDir dir;
  Daemon d(dir, "[persistence]\noperation_batch_size = 10\n"
                "[[trees]]\nname = \"a\"\nkey_length = 32\nvalue_length = 1\n"
                "[[trees]]\nname = \"b\"\nkey_length = 2\nvalue_length = \"variable\"\n"
                "[server]\nlisten = \"127.0.0.1:0\"\nmax_body_size = \"256KB\"\n");
  const json good = {{"parts",
                      {{{"tree", "a"}, {"ops", json::array({insert(key(1), "01")})}},
                       {{"tree", "b"}, {"ops", json::array({insert("0102", "")})}}}}};
  REQUIRE(exchange(d.port(), "POST", "/v1/transactions", good.dump()).status == 200);
  auto c = d.client();
  const json before = get_json(c, "/v1/trees", 200);

  std::vector<std::string> bodies = {
      "", "null", "[]", "{}", "{\"parts\":null}", "{\"parts\":{}}", "{\"parts\":[]}", "{\"parts\":[null]}",
      "{\"parts\":[{}]}", "{\"parts\":[{\"tree\":\"a\"}]}", "{\"parts\":[{\"tree\":1,\"ops\":[]}]}",
      "{\"parts\":[{\"tree\":\"a\",\"ops\":[]}]}", "{\"parts\":[{\"tree\":\"a\",\"ops\":{}}]}",
      "{\"parts\":[{\"tree\":\"a\",\"ops\":[],\"x\":1}]}", "{\"parts\":[],\"parts\":[]}",
      "{\"parts\":[{\"tree\":\"a\",\"tree\":\"b\",\"ops\":[]}]}", std::string(100'000, '['),
      "{\"parts\":[{\"tree\":\"../a\",\"ops\":[{\"type\":\"Lookup\",\"key\":\"00\"}]}]}",
      "{\"parts\":[{\"tree\":\"\\u0000\",\"ops\":[{\"type\":\"Lookup\",\"key\":\"00\"}]}]}",
      "{\"parts\":[{\"tree\":\"a\xff\",\"ops\":[{\"type\":\"Lookup\",\"key\":\"00\"}]}]}"};
  // A part with a key of the other tree's length, a value of the wrong length, too many operations.
  bodies.push_back(json{{"parts", {{{"tree", "a"}, {"ops", json::array({insert(key(2), "02")})}},
                                   {{"tree", "b"}, {"ops", json::array({insert(key(2), "")})}}}}}.dump());
  bodies.push_back(json{{"parts", {{{"tree", "a"}, {"ops", json::array({insert(key(2), "0202")})}}}}}.dump());
  json many = json::array();
  for (int i = 0; i < 11; ++i) many.push_back(insert(key(static_cast<uint8_t>(10 + i)), "03"));
  bodies.push_back(json{{"parts", {{{"tree", "a"}, {"ops", many}}}}}.dump());
  // The same tree twice; a part for every tree the store might have, and more.
  bodies.push_back(json{{"parts", {{{"tree", "a"}, {"ops", json::array({insert(key(3), "03")})}},
                                   {{"tree", "a"}, {"ops", json::array({insert(key(4), "04")})}}}}}.dump());
  json parts = json::array();
  for (int i = 0; i < 65; ++i) parts.push_back({{"tree", "a"}, {"ops", json::array({insert(key(5), "05")})}});
  bodies.push_back(json{{"parts", parts}}.dump());
  for (const std::string& body : bodies) {
    basis::testing::Answer a = exchange(d.port(), "POST", "/v1/transactions", body);
    INFO(body.substr(0, 200) << " -> " << a.status << " " << a.body.substr(0, 300));
    REQUIRE(a.status >= 400);
    REQUIRE(a.status < 500);
    REQUIRE(a.body.find("\"error\"") != std::string::npos);
  }
  for (const std::string method : {"GET", "PUT", "DELETE", "PATCH"}) {
    REQUIRE(exchange(d.port(), method, "/v1/transactions", method == std::string("GET") ? "" : good.dump()).status == 405);
  }
  // Tree names and creation bodies.
  for (const std::string& body :
       {std::string("{\"name\":\"default\"}"), std::string("{\"name\":\"a\"}"), std::string("{\"name\":\"\"}"),
        std::string("{\"name\":\"A\"}"), std::string("{\"name\":\"x/y\"}"), std::string(70, 'x'),
        std::string("{\"name\":\"") + std::string(65, 'x') + "\"}", std::string("{\"name\":\"x\",\"key_length\":256}"),
        std::string("{\"name\":\"x\",\"key_length\":-1}"), std::string("{\"name\":\"x\",\"value_length\":-1}"),
        std::string("{\"name\":\"x\",\"value_length\":\"8\"}"),
        std::string("{\"name\":\"x\",\"value_length\":2147483647}"),  // gigabytes of sentinels
        std::string("{\"name\":\"x\",\"value_length\":1048577}"), std::string("{\"name\":\"x\",\"extra\":1}"),
        std::string("{\"name\":\"x\",\"name\":\"y\"}"), std::string("[\"x\"]")}) {
    basis::testing::Answer a = exchange(d.port(), "POST", "/v1/trees", body);
    INFO(body << " -> " << a.status << " " << a.body);
    REQUIRE(a.status == 400);
  }
  for (const std::string target : {"/v1/trees/nosuch/digest", "/v1/trees/A/digest", "/v1/trees/%2e%2e/digest",
                                   "/v1/trees/a%00/digest", "/v1/trees/nosuch/checkpoints"}) {
    basis::testing::Answer a = exchange(d.port(), "GET", target);
    INFO(target << " -> " << a.status);
    REQUIRE(a.status == 404);
  }
  // An encoded slash is refused before routing: "a%2Fdigest" is no tree,
  // and must not reach tree a's routes (past a proxy's rule for its name).
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/v1/trees/a%2Fdigest"}, {"GET", "/v1/trees/a%2fdigest"}, {"POST", "/v1/trees/a%2Fbatch"},
           {"GET", "/v1%2Ftrees"}, {"GET", "/v1/trees/a/lookup/%2F"}}) {
    basis::testing::Answer a =
        exchange(d.port(), method, target, method == "POST" ? json{{"ops", json::array({insert(key(9), "09")})}}.dump() : "");
    INFO(method << " " << target << " -> " << a.status << " " << a.body);
    REQUIRE(a.status == 400);
    REQUIRE(a.body.find("encoded slash") != std::string::npos);
  }
  REQUIRE(exchange(d.port(), "DELETE", "/v1/trees/default").status == 404);
  REQUIRE(exchange(d.port(), "DELETE", "/v1/trees/nosuch").status == 404);
  REQUIRE(get_json(c, "/v1/trees", 200) == before);

  // Many clients at once: transactions over overlapping trees, batches to
  // one tree, creations and drops. Nothing deadlocks; every answer is one
  // of the documented ones.
  std::vector<std::thread> clients;
  std::atomic<int> unexpected{0};
  for (int t = 0; t < 6; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; i < 15; ++i) {
        const uint8_t k = static_cast<uint8_t>(t * 20 + i);
        basis::testing::Answer a;
        if (t % 3 == 0) {
          a = exchange(d.port(), "POST", "/v1/transactions",
                       json{{"parts", {{{"tree", "b"}, {"ops", json::array({insert(key(k, 2), "aa")})}},
                                       {{"tree", "a"}, {"ops", json::array({insert(key(k), "01")})}}}}}.dump());
        } else if (t % 3 == 1) {
          a = exchange(d.port(), "POST", "/v1/trees/a/batch",
                       json{{"ops", json::array({insert(key(static_cast<uint8_t>(k + 128)), "02")})}}.dump());
        } else {
          std::string name = std::string("t").append(std::to_string(t)).append("-").append(std::to_string(i % 3));
          a = i % 2 ? exchange(d.port(), "DELETE", "/v1/trees/" + name)
                    : exchange(d.port(), "POST", "/v1/trees", json{{"name", name}}.dump());
        }
        // 503: a tree dropped while the request ran.
        if (a.status != 200 && a.status != 201 && a.status != 404 && a.status != 400 && a.status != 503) ++unexpected;
      }
    });
  }
  for (auto& t : clients) t.join();
  CHECK(unexpected == 0);
  REQUIRE(get_json(c, "/v1/health", 200)["status"] == "ok");
  REQUIRE(d.stop() == 0);
}
