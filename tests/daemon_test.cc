// The daemon end to end: the real basis-treed binary on a free loopback
// port, driven over HTTP: the happy path, every kind of bad input (4xx and
// nothing changed), the bearer token, SIGTERM with batches in flight, and a
// /metrics scrape that parses.
#include <catch2/catch.hpp>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <regex>
#include <thread>

#include "bench/benchmark_data.h"
#include "tests/daemon_test_util.h"
#include "tests/storage_test_util.h"
#include "basis/tree/batch_verifier.h"

using nlohmann::json;
using namespace basis;
using basis::storage::testing::TempDir;

using basis::testing::Daemon;
using basis::testing::get_json;

namespace {

std::string hex(const tree::Bytes& b) { return tree::to_hex(tree::view(b)); }

std::string key_hex(uint64_t i) {
  tree::Label k = bench::benchmark_key(i);
  return tree::to_hex(tree::ByteView(k));
}

std::string value_hex(uint64_t i) {
  auto v = bench::benchmark_value(i, 0);
  return tree::to_hex(tree::ByteView(v.data(), v.size()));
}

json inserts(uint64_t first, uint64_t count) {
  json ops = json::array();
  for (uint64_t i = first; i < first + count; ++i) ops.push_back({{"type", "Insert"}, {"key", key_hex(i)}, {"value", value_hex(i)}});
  return {{"ops", ops}};
}

json post_json(httplib::Client& c, const std::string& path, const std::string& body, int expect) {
  auto r = c.Post(path.c_str(), body, "application/json");
  REQUIRE(r);
  INFO(path << " -> " << r->status << " " << r->body);
  REQUIRE(r->status == expect);
  return json::parse(r->body);
}

tree::Bytes unhex(const std::string& h) {
  tree::Bytes b;
  REQUIRE(tree::from_hex(h, &b));
  return b;
}

tree::Digest digest_of(const std::string& h) {
  tree::Bytes b = unhex(h);
  REQUIRE(b.size() == tree::kDigestSize);
  tree::Digest d;
  std::copy(b.begin(), b.end(), d.begin());
  return d;
}

}  // namespace

TEST_CASE("daemon: the happy path, and proofs that verify", "[daemon]") {
  TempDir dir;
  Daemon d(dir, "[server]\nlisten = \"127.0.0.1:0\"\n");
  auto c = d.client();
  json empty = get_json(c, "/v1/digest", 200);
  REQUIRE(empty["last_seq"] == 0);

  json b = post_json(c, "/v1/batch", inserts(0, 100).dump(), 200);
  REQUIRE(b["first_seq"] == 1);
  REQUIRE(b["last_seq"] == 100);
  REQUIRE(b["results"].size() == 100);
  REQUIRE(b["results"][0]["ok"] == true);
  REQUIRE(b["results"][0]["old"].is_null());
  REQUIRE(b["digest_before"] == empty["digest"]);
  // The batch proof takes the verifier from digest_before to digest_after.
  {
    tree::Bytes proof = unhex(b["proof"]);
    tree::BatchVerifier v(tree::TreeParams{32, std::nullopt}, digest_of(b["digest_before"]), tree::view(proof));
    for (uint64_t i = 0; i < 100; ++i) {
      tree::Bytes k = unhex(key_hex(i)), val = unhex(value_hex(i));
      tree::OpOutcome out;
      REQUIRE(v.perform({tree::OpType::kInsert, tree::view(k), tree::view(val), 0}, &out).is_ok());
    }
    REQUIRE(v.digest() == digest_of(b["digest_after"]));
  }
  // A failed operation is reported by its reference name and takes no sequence number.
  json again = post_json(c, "/v1/batch", json{{"ops", {{{"type", "Insert"}, {"key", key_hex(3)}, {"value", value_hex(3)}}}}}.dump(), 200);
  REQUIRE(again["results"][0]["ok"] == false);
  REQUIRE(again["results"][0]["error"] == "KeyAlreadyExists");
  REQUIRE(again["first_seq"].is_null());

  json digest = get_json(c, "/v1/digest", 200);
  REQUIRE(digest["digest"] == b["digest_after"]);
  REQUIRE(digest["last_seq"] == 100);

  json look = get_json(c, "/v1/lookup/" + key_hex(7) + "?proof=true", 200);
  REQUIRE(look["found"] == true);
  REQUIRE(look["value"] == value_hex(7));
  {
    tree::Bytes proof = unhex(look["proof"]), k = unhex(key_hex(7));
    tree::BatchVerifier v(tree::TreeParams{32, std::nullopt}, digest_of(look["digest"]), tree::view(proof));
    tree::OpOutcome out;
    REQUIRE(v.perform(tree::Operation::lookup(tree::view(k)), &out).is_ok());
    REQUIRE(out.existed);
    REQUIRE(hex(out.old_value) == value_hex(7));
  }
  REQUIRE(get_json(c, "/v1/lookup/" + key_hex(5000), 200)["found"] == false);

  // Dry run: a proof, nothing changed.
  json dry = post_json(c, "/v1/batch?dry_run=true", inserts(200, 5).dump(), 200);
  REQUIRE(dry["digest_before"] == digest["digest"]);
  REQUIRE(dry["digest_after"] != digest["digest"]);
  REQUIRE(get_json(c, "/v1/digest", 200) == digest);

  json cp = post_json(c, "/v1/checkpoints", "", 201);
  REQUIRE(cp["digest"] == digest["digest"]);
  json list = get_json(c, "/v1/checkpoints", 200);
  {
    // Operator-scheduled compaction: a checkpoint and a garbage collection run.
    json compacted = post_json(c, "/v1/admin/compact", "", 200);
    REQUIRE(compacted["gc_runs"].get<uint64_t>() >= 1);
    REQUIRE(compacted["gc_live_nodes"].get<uint64_t>() > 0);
    list = get_json(c, "/v1/checkpoints", 200);
  }
  REQUIRE(list["checkpoints"][0]["id"] == cp["id"]);
  REQUIRE(list["checkpoints"][0]["pinned"] == false);
  std::string pin = "/v1/checkpoints/" + std::to_string(cp["id"].get<uint64_t>()) + "/pin";
  REQUIRE(post_json(c, pin, "", 200)["pinned"] == true);
  REQUIRE(get_json(c, "/v1/checkpoints", 200)["checkpoints"][0]["pinned"] == true);
  auto unpinned = c.Delete(pin.c_str());
  REQUIRE(unpinned);
  REQUIRE(unpinned->status == 200);
  REQUIRE(get_json(c, "/v1/checkpoints", 200)["checkpoints"][0]["pinned"] == false);
  post_json(c, "/v1/checkpoints/999/pin", "", 404);
  post_json(c, "/v1/batch", inserts(100, 10).dump(), 200);
  json old = get_json(c, "/v1/lookup/" + key_hex(7) + "?checkpoint=" + std::to_string(cp["id"].get<uint64_t>()), 200);
  REQUIRE(old["digest"] == cp["digest"]);
  REQUIRE(old["found"] == true);

  json log = get_json(c, "/v1/oplog?from=99&limit=3", 200);
  REQUIRE(log["records"].size() == 3);
  REQUIRE(log["records"][0]["seq"] == 99);
  REQUIRE(log["records"][0]["type"] == "Insert");
  REQUIRE(log["records"][1]["digest_before"] == log["records"][0]["digest_after"]);

  json health = get_json(c, "/v1/health", 200);
  REQUIRE(health["status"] == "ok");
  REQUIRE(health["recovery"]["path"] == "empty");

  auto m = c.Get("/metrics");
  REQUIRE(m);
  REQUIRE(m->status == 200);
  std::regex sample(R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+0-9.eEInfa]+$)");
  std::istringstream lines(m->body);
  std::string line;
  size_t samples = 0;
  bool batches = false;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    INFO(line);
    REQUIRE(std::regex_match(line, sample));
    ++samples;
    if (line == "basis_batches_total 3") batches = true;  // the dry run is not one
  }
  REQUIRE(samples > 10);
  REQUIRE(batches);
  REQUIRE(d.stop() == 0);
}

TEST_CASE("daemon: bad input gets a 4xx naming the problem and changes nothing", "[daemon]") {
  TempDir dir;
  Daemon d(dir, "[persistence]\noperation_batch_size = 10\n[server]\nlisten = \"127.0.0.1:0\"\nmax_body_size = \"4KB\"\n");
  auto c = d.client();
  post_json(c, "/v1/batch", inserts(0, 5).dump(), 200);
  json before = get_json(c, "/v1/digest", 200);
  struct Case {
    std::string path, body;
    int status;
    std::string says;
  };
  std::string good_key = key_hex(1);
  const Case cases[] = {
      {"/v1/batch", "{\"ops\":[", 400, "not JSON"},
      {"/v1/batch", "[1,2]", 400, "\"ops\" array"},
      {"/v1/batch", json{{"ops", {{{"type", "Upsert"}, {"key", good_key}}}}}.dump(), 400, "unknown operation type 'Upsert'"},
      {"/v1/batch", json{{"ops", {{{"type", "Lookup"}, {"key", "abcd"}}}}}.dump(), 400, "key has 2 bytes"},
      {"/v1/batch", json{{"ops", {{{"type", "Lookup"}, {"key", "zz" + good_key.substr(2)}}}}}.dump(), 400, "not hex"},
      {"/v1/batch", json{{"ops", {{{"type", "Insert"}, {"key", good_key}}}}}.dump(), 400, "no value"},
      {"/v1/batch", inserts(100, 11).dump(), 413, "operation_batch_size is 10"},
      {"/v1/batch", std::string(5000, ' '), 413, "max_body_size"},
      {"/v1/batch", json{{"ops", json::array()}}.dump(), 400, "no operations"},
  };
  for (const Case& k : cases) {
    json e = post_json(c, k.path, k.body, k.status);
    INFO(e.dump());
    REQUIRE(e["error"]["message"].get<std::string>().find(k.says) != std::string::npos);
  }
  REQUIRE(get_json(c, "/v1/lookup/1234", 400)["error"]["message"].get<std::string>().find("key has 2 bytes") != std::string::npos);
  REQUIRE(get_json(c, "/v1/lookup/" + good_key + "?checkpoint=77", 404)["error"]["message"].get<std::string>().find("77") != std::string::npos);
  REQUIRE(get_json(c, "/v1/lookup/" + good_key + "?checkpoint=x", 400)["error"]["message"].get<std::string>().find("checkpoint") != std::string::npos);
  REQUIRE(get_json(c, "/v1/oplog?from=-1", 400)["error"]["message"].get<std::string>().find("from") != std::string::npos);
  REQUIRE(get_json(c, "/v1/nothing", 404)["error"]["message"].get<std::string>().find("no such route") != std::string::npos);
  REQUIRE(get_json(c, "/v1/digest", 200) == before);
  REQUIRE(d.stop() == 0);
}

TEST_CASE("daemon: with a token, requests without it get 401 and change nothing", "[daemon]") {
  TempDir dir;
  const std::string token = "s3cret-token-for-tests";
  std::ofstream(dir.path("token")) << token << "\n";
  Daemon d(dir, "[server]\nlisten = \"127.0.0.1:0\"\ntoken_file = \"" + dir.path("token") + "\"\n", "debug");
  auto c = d.client();
  REQUIRE(get_json(c, "/v1/digest", 401)["error"]["message"] == "missing or wrong bearer token");
  post_json(c, "/v1/batch", inserts(0, 3).dump(), 401);
  c.set_bearer_token_auth("wrong");
  get_json(c, "/v1/digest", 401);
  REQUIRE(c.Get("/metrics")->status == 401);
  get_json(c, "/v1/health", 200);  // health needs no token
  c.set_bearer_token_auth(token.c_str());
  REQUIRE(get_json(c, "/v1/digest", 200)["last_seq"] == 0);  // the refused batch changed nothing
  post_json(c, "/v1/batch", inserts(0, 3).dump(), 200);
  REQUIRE(get_json(c, "/v1/digest", 200)["last_seq"] == 3);
  REQUIRE(d.stop() == 0);
  // Every request is logged at debug level, the token never.
  std::ifstream in(dir.path("daemon.log"));
  std::string logged((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(logged.find("access GET /v1/digest status=401 ") != std::string::npos);
  REQUIRE(logged.find(token) == std::string::npos);
}

TEST_CASE("daemon: SIGTERM with batches in flight exits 0 and keeps every acknowledged batch", "[daemon]") {
  TempDir dir;
  std::vector<uint64_t> acknowledged;  // first key of each acknowledged batch of 20
  std::mutex mutex;
  {
    Daemon d(dir, "[server]\nlisten = \"127.0.0.1:0\"\n");
    std::atomic<bool> go{true};
    std::vector<std::thread> clients;
    for (int t = 0; t < 8; ++t) {
      clients.emplace_back([&, t] {
        auto c = d.client();
        for (uint64_t b = 0; go; ++b) {
          uint64_t first = (static_cast<uint64_t>(t) * 100'000) + b * 20;
          auto r = c.Post("/v1/batch", inserts(first, 20).dump(), "application/json");
          if (!r || r->status != 200) return;  // the server went away
          std::lock_guard<std::mutex> lock(mutex);
          acknowledged.push_back(first);
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    REQUIRE(d.stop() == 0);
    go = false;
    for (auto& t : clients) t.join();
  }
  REQUIRE(acknowledged.size() > 10);
  Daemon again(dir, "[server]\nlisten = \"127.0.0.1:0\"\n");
  auto c = again.client();
  json health = get_json(c, "/v1/health", 200);
  REQUIRE(health["recovery"]["fallbacks"].empty());
  for (uint64_t first : acknowledged) {
    for (uint64_t i : {first, first + 19}) {
      json l = get_json(c, "/v1/lookup/" + key_hex(i), 200);
      INFO("key " << i);
      REQUIRE(l["found"] == true);
    }
  }
  REQUIRE(get_json(c, "/v1/digest", 200)["last_seq"].get<uint64_t>() >= acknowledged.size() * 20);
  REQUIRE(again.stop() == 0);
}

TEST_CASE("daemon: HTTPS with the configured certificate and key", "[daemon]") {
  TempDir dir;
  std::string cert = dir.path("cert.pem"), key = dir.path("key.pem");
  std::string make = "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -days 1 -keyout " + key +
                     " -out " + cert + " >/dev/null 2>&1";
  REQUIRE(std::system(make.c_str()) == 0);
  Daemon d(dir, "[server]\nlisten = \"127.0.0.1:0\"\ntls_certificate = \"" + cert + "\"\ntls_key = \"" + key + "\"\n");
  httplib::SSLClient tls("127.0.0.1", d.port());
  tls.enable_server_certificate_verification(false);  // self-signed
  auto r = tls.Post("/v1/batch", inserts(0, 3).dump(), "application/json");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  REQUIRE(json::parse(r->body)["last_seq"] == 3);
  httplib::Client plain("127.0.0.1", d.port());
  auto refused = plain.Get("/v1/digest");
  REQUIRE((!refused || refused->status != 200));  // no plain HTTP on a TLS port
  REQUIRE(d.stop() == 0);
}

TEST_CASE("daemon: health answers 503 while writes are refused, and says why", "[daemon]") {
  TempDir dir;
  Daemon d(dir, "[server]\nlisten = \"127.0.0.1:0\"\n", "warn", "max_disk_size = \"2MB\"\n");
  auto c = d.client();
  REQUIRE(get_json(c, "/v1/health", 200)["status"] == "ok");
  REQUIRE(get_json(c, "/v1/health/ready", 200)["status"] == "ok");
  int status = 200;
  std::string refusal;
  for (uint64_t b = 0; b < 200 && status == 200; ++b) {
    auto r = c.Post("/v1/batch", inserts(b * 500, 500).dump(), "application/json");
    REQUIRE(r);
    status = r->status;
    refusal = r->body;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let the budget be measured again
  }
  REQUIRE(status == 507);
  REQUIRE(json::parse(refusal)["error"]["code"] == "InsufficientStorage");
  auto r = c.Get("/v1/health");
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 503);
  json health = json::parse(r->body);
  REQUIRE(health["status"] == "refusing_writes");
  REQUIRE(health["writes"].get<std::string>().find("max_disk_size") != std::string::npos);
  // Not ready, but live; /metrics says the same.
  REQUIRE(get_json(c, "/v1/health/ready", 503)["status"] == "refusing_writes");
  REQUIRE(get_json(c, "/v1/health/live", 200)["status"] == "live");
  auto m = c.Get("/metrics");
  REQUIRE(m);
  REQUIRE(m->body.find("\nbasis_ready 0\n") != std::string::npos);
  REQUIRE(m->body.find("\nbasis_writes_refused 1\n") != std::string::npos);
  REQUIRE(m->body.find("\nbasis_serving 1\n") != std::string::npos);
}
