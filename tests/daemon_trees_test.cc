// The daemon's routes over named trees (README, "Trees"): trees declared in
// the configuration and created through the API, each tree's own batches,
// lookups, checkpoints and log, transactions across trees, a restart, and
// per-tree health and metrics.
#include <catch2/catch.hpp>

#include "basis/tree/batch_verifier.h"
#include "tests/daemon_api_util.h"

using namespace basis::testing;
using nlohmann::json;

namespace {

json post_json(httplib::Client& c, const std::string& path, const std::string& body, int expect) {
  auto r = c.Post(path.c_str(), body, "application/json");
  REQUIRE(r);
  INFO(path << " -> " << r->status << " " << r->body);
  REQUIRE(r->status == expect);
  return json::parse(r->body);
}

std::string hex_of(uint64_t v, size_t bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out(2 * bytes, '0');
  for (size_t i = 0; i < 2 * bytes && v; ++i, v >>= 4) out[2 * bytes - 1 - i] = digits[v & 15];
  return out;
}

}  // namespace

TEST_CASE("daemon: named trees from the configuration and the API, each with its own routes, in transactions, "
          "across a restart", "[daemon][trees]") {
  TempDir dir;
  const std::string trees_config =
      "[[trees]]\nname = \"tracker\"\nkey_length = 32\nvalue_length = 8\n"
      "[[trees]]\nname = \"short\"\nkey_length = 4\nvalue_length = \"variable\"\n";
  json tracker_digest, short_digest, reserve_digest;
  {
    Daemon d(dir, trees_config + "[server]\nlisten = \"127.0.0.1:0\"\n");
    httplib::Client c = d.client();
    json trees = get_json(c, "/v1/trees", 200)["trees"];
    REQUIRE(trees.size() == 3);
    CHECK(trees[0]["name"] == "default");
    CHECK(trees[1]["name"] == "short");
    CHECK(trees[1]["key_length"] == 4);
    CHECK(trees[1]["value_length"].is_null());
    CHECK(trees[2]["name"] == "tracker");
    CHECK(trees[2]["value_length"] == 8);
    json created = post_json(c, "/v1/trees", json{{"name", "reserve-7"}, {"key_length", 32}, {"value_length", 16}}.dump(), 201);
    CHECK(created["name"] == "reserve-7");
    CHECK(created["last_seq"] == 0);

    // Each tree checks its own key and value lengths.
    require_error(exchange(d.port(), "POST", "/v1/trees/short/batch", batch(json::array({insert(key(1), "00")}))), 400,
                  "KeyLengthMismatch");
    require_error(exchange(d.port(), "POST", "/v1/trees/tracker/batch", batch(json::array({insert(key(1), "00")}))), 400,
                  "ValueLengthMismatch");
    json a = post_json(c, "/v1/trees/short/batch", batch({insert("00000001", "aa"), insert("00000002", "")}), 200);
    CHECK(a["last_seq"] == 2);
    // A transaction: a redemption touches the tracker and a reserve tree.
    json txn = {{"parts",
                 {{{"tree", "tracker"}, {"ops", {insert(key(1), hex_of(100, 8)), insert(key(2), hex_of(5, 8))}}},
                  {{"tree", "reserve-7"}, {"ops", {{{"type", "InsertOrUpdate"}, {"key", key(1)}, {"value", hex_of(7, 16)}}}}},
                  {{"tree", "short"}, {"ops", {{{"type", "Remove"}, {"key", "00000003"}}}}}}}};  // not there: fails alone
    json t = post_json(c, "/v1/transactions", txn.dump(), 200);
    REQUIRE(t["parts"].size() == 3);
    CHECK(t["parts"][0]["tree"] == "tracker");
    CHECK(t["parts"][0]["last_seq"] == 2);
    CHECK(t["parts"][1]["last_seq"] == 1);
    CHECK(t["parts"][2]["results"][0]["ok"] == false);
    CHECK(t["parts"][2]["last_seq"].is_null());  // nothing logged for it
    // A refused part (a key of the wrong length would be refused before;
    // here an unknown tree) changes no tree.
    json bad = txn;
    bad["parts"][1]["tree"] = "reserve-8";
    require_error(exchange(d.port(), "POST", "/v1/transactions", bad.dump()), 404, "NotFound");
    CHECK(get_json(c, "/v1/trees/tracker/digest", 200)["last_seq"] == 2);
    // The tree's own proof verifies against its own digest.
    json found = get_json(c, "/v1/trees/tracker/lookup/" + key(1) + "?proof=true", 200);
    CHECK(found["value"] == hex_of(100, 8));
    tracker_digest = get_json(c, "/v1/trees/tracker/digest", 200)["digest"];
    CHECK(found["digest"] == tracker_digest);
    // Its own checkpoints, pins and log.
    json cp = post_json(c, "/v1/trees/tracker/checkpoints", "", 201);
    CHECK(cp["digest"] == tracker_digest);
    post_json(c, "/v1/trees/tracker/checkpoints/" + std::to_string(cp["id"].get<uint64_t>()) + "/pin", "", 200);
    json log = get_json(c, "/v1/trees/tracker/oplog", 200)["records"];
    REQUIRE(log.size() == 2);
    CHECK(log[0]["key"] == key(1));
    CHECK(get_json(c, "/v1/oplog", 200)["records"].empty());  // the default tree's log is its own
    // A pinned tree is not dropped.
    require_error(exchange(d.port(), "DELETE", "/v1/trees/tracker"), 400, "InvalidArgument");
    // Health and metrics per tree.
    json h = get_json(c, "/v1/health", 200);
    CHECK(h["trees"]["named"] == 3);
    CHECK(h["trees"]["not_ok"].empty());
    CHECK(get_json(c, "/v1/trees/reserve-7/health", 200)["last_seq"] == 1);
    auto m = c.Get("/metrics");
    REQUIRE(m);
    CHECK(m->body.find("basis_tree_last_sequence{tree=\"tracker\"} 2") != std::string::npos);
    CHECK(m->body.find("basis_tree_up{tree=\"reserve-7\"} 1") != std::string::npos);
    short_digest = get_json(c, "/v1/trees/short/digest", 200)["digest"];
    reserve_digest = get_json(c, "/v1/trees/reserve-7/digest", 200)["digest"];
    REQUIRE(d.stop() == 0);
  }
  // Restarted: every tree, the API's one too, as it was.
  Daemon d(dir, trees_config + "[server]\nlisten = \"127.0.0.1:0\"\n");
  httplib::Client c = d.client();
  CHECK(get_json(c, "/v1/trees/tracker/digest", 200)["digest"] == tracker_digest);
  CHECK(get_json(c, "/v1/trees/short/digest", 200)["digest"] == short_digest);
  CHECK(get_json(c, "/v1/trees/reserve-7/digest", 200)["digest"] == reserve_digest);
  json checkpoints = get_json(c, "/v1/trees/tracker/checkpoints", 200)["checkpoints"];
  REQUIRE_FALSE(checkpoints.empty());
  bool pinned = false;
  for (const json& cp : checkpoints) pinned = pinned || cp["pinned"].get<bool>();
  CHECK(pinned);
  // Dropped through the API: gone, and its routes answer 404.
  CHECK(exchange(d.port(), "DELETE", "/v1/trees/reserve-7").status == 200);
  require_error(exchange(d.port(), "GET", "/v1/trees/reserve-7/digest"), 404, "NotFound");
  CHECK(get_json(c, "/v1/trees", 200)["trees"].size() == 3);
}
