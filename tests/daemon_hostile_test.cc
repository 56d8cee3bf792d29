// The daemon against hostile clients (issue 12): each class of request that
// once crashed it, stopped its prover, or did something other than it said,
// thrown at the real basis-treed over loopback; after each, it still serves
// and the digest is what the accepted batches made it.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cctype>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "tests/daemon_test_util.h"

using nlohmann::json;
using namespace basis;
using basis::testing::Daemon;
using basis::testing::get_json;
using basis::storage::testing::TempDir;

namespace {

using Clock = std::chrono::steady_clock;
using basis::testing::Raw;
using basis::testing::statuses;

std::string get(const std::string& target, const std::string& headers = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: t\r\n" + headers + "\r\n";
}

std::string post(const std::string& target, const std::string& body, const std::string& type = "application/json") {
  return "POST " + target + " HTTP/1.1\r\nHost: t\r\nContent-Type: " + type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// A 32-byte key, distinct per `b`, never a sentinel.
std::string key(uint8_t b) {
  const char* hex = "0123456789abcdef";
  return std::string{hex[b >> 4], hex[b & 15]} + std::string(62, '5');
}
std::string repeat(const std::string& two_hex, size_t bytes) {
  std::string out;
  for (size_t i = 0; i < bytes; ++i) out += two_hex;
  return out;
}

json post_json(httplib::Client& c, const std::string& path, const json& body, int expect) {
  auto r = c.Post(path.c_str(), body.dump(), "application/json");
  REQUIRE(r);
  INFO(path << " -> " << r->status << " " << r->body);
  REQUIRE(r->status == expect);
  return json::parse(r->body);
}

json insert(const std::string& k, const std::string& v) { return {{"type", "Insert"}, {"key", k}, {"value", v}}; }

const char* kPortZero = "[server]\nlisten = \"127.0.0.1:0\"\n";

}  // namespace

TEST_CASE("hostile: bytes that are not UTF-8 anywhere get a 400 with JSON, never a crash", "[daemon][hostile]") {
  TempDir dir;
  Daemon d(dir, kPortZero);
  auto c = d.client();
  post_json(c, "/v1/batch", {{"ops", {insert(key(0x11), "0102")}}}, 200);
  std::string digest = get_json(c, "/v1/digest", 200)["digest"];
  const std::string targets[] = {"/%ff", "/v1/lookup/" + key(0x11) + "?checkpoint=%ff", "/v1/oplog?from=%ff",
                                 "/v1/digest?x=%c3%28", "/v1/lookup/%ed%a0%80"};
  for (const auto& t : targets) {
    Raw r(d.port());
    r.send(get(t));
    std::string a = r.read_all();
    INFO(t << " -> " << a);
    REQUIRE(statuses(a) == std::vector<int>{400});
    REQUIRE(json::parse(a.substr(a.find("\r\n\r\n") + 4)).contains("error"));
  }
  {
    Raw r(d.port());
    r.send("POST /v1/checkpoints/%ff/pin HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n" +
           get("/v1/digest", "X-Evil: \xff\xfe\r\n") + get("/v1/digest"));
    std::string a = r.read_all();
    INFO(a);
    REQUIRE(statuses(a) == std::vector<int>{400, 400, 200});  // pipelined, answered in order
  }
  REQUIRE(get_json(c, "/v1/digest", 200)["digest"] == digest);
  REQUIRE(get_json(c, "/v1/health", 200)["status"] == "ok");
}

TEST_CASE("hostile: keys at the sentinels fail alone and the prover goes on", "[daemon][hostile]") {
  TempDir dir;
  Daemon d(dir, kPortZero);
  auto c = d.client();
  const std::string neg(64, '0'), pos(64, 'f');
  for (std::string type : {"Lookup", "Insert", "Update", "Remove", "InsertOrUpdate", "RemoveIfExists", "UpdateLongBy"}) {
    for (const std::string& k : {neg, pos}) {
      json op = {{"type", type}, {"key", k}};
      if (type == "Insert" || type == "InsertOrUpdate" || type == "Update") op["value"] = "00";
      if (type == "UpdateLongBy") op["delta"] = 1;
      // A changing operation first: the one that used to stop the prover.
      json r = post_json(c, "/v1/batch", {{"ops", {insert(key(0x20), "aa"), op}}}, 200);
      INFO(type << " at " << k);
      REQUIRE(r["results"][0]["ok"] == true);
      REQUIRE(r["results"][1]["ok"] == false);
      REQUIRE(r["results"][1]["error"] == (k == neg ? "KeyNotAboveNegInfinity" : "KeyNotBelowPosInfinity"));
      json after = post_json(c, "/v1/batch", {{"ops", {{{"type", "Remove"}, {"key", key(0x20)}}}}}, 200);
      REQUIRE(after["results"][0]["ok"] == true);
    }
  }
  // Looked up: a client error naming the check, with or without a proof or
  // checkpoint; never the sentinel leaf's empty value, never a 500.
  json checkpoint = post_json(c, "/v1/checkpoints", json::object(), 201);
  for (const std::string& k : {neg, pos}) {
    for (std::string query : {std::string(), std::string("?proof=true"), "?checkpoint=" + std::to_string(checkpoint["id"].get<uint64_t>())}) {
      json r = get_json(c, "/v1/lookup/" + k + query, 400);
      INFO(k << query);
      REQUIRE(r["error"]["message"].get<std::string>().find(k == neg ? "less than -inf" : "more than +inf") != std::string::npos);
    }
  }
  REQUIRE(get_json(c, "/v1/health", 200)["status"] == "ok");
}

TEST_CASE("hostile: query flags, numbers, parameters and fields mean exactly what they say", "[daemon][hostile]") {
  TempDir dir;
  Daemon d(dir, kPortZero);
  auto c = d.client();
  post_json(c, "/v1/batch", {{"ops", {insert(key(0x11), "0000000000000005")}}}, 200);
  json before = get_json(c, "/v1/digest", 200);
  json batch = {{"ops", {insert(key(0x12), "01")}}};
  for (const char* v : {"yes", "TRUE", "True", "on", "", "2", "true%00"}) {
    INFO(v);
    post_json(c, std::string("/v1/batch?dry_run=") + v, batch, 400);
    get_json(c, "/v1/lookup/" + key(0x11) + "?proof=" + v, 400);
  }
  post_json(c, "/v1/batch?dry_run=true&dry_run=false", batch, 400);  // twice: ambiguous
  post_json(c, "/v1/batch?dryrun=true", batch, 400);                 // a typo never commits
  REQUIRE(post_json(c, "/v1/batch?dry_run=1", batch, 200)["dry_run"] == true);
  REQUIRE(get_json(c, "/v1/lookup/" + key(0x11) + "?proof=1", 200).contains("proof"));
  REQUIRE_FALSE(get_json(c, "/v1/lookup/" + key(0x11) + "?proof=0", 200).contains("proof"));
  for (const char* delta : {"18446744073709551615", "9223372036854775808", "-9223372036854775809", "1.5", "1e3"}) {
    INFO(delta);
    auto r = c.Post("/v1/batch", std::string("{\"ops\":[{\"type\":\"UpdateLongBy\",\"key\":\"") + key(0x11) +
                                     "\",\"delta\":" + delta + "}]}", "application/json");
    REQUIRE(r->status == 400);
  }
  post_json(c, "/v1/batch", {{"ops", {{{"type", "Insert"}, {"key", key(0x13)}, {"value", "01"}, {"delta", 5}}}}}, 400);
  post_json(c, "/v1/batch", {{"ops", {insert(key(0x13), "01")}}, {"dry_run", true}}, 400);
  post_json(c, "/v1/batch", json::parse(std::string(100, '[') + std::string(100, ']')), 400);  // too deep
  {
    auto r = c.Post("/v1/batch", "{\"ops\":[" + std::string(4'000'000, '[') + "]}", "application/json");
    REQUIRE(r->status == 400);
    std::string many = "{\"ops\":[0";
    for (int i = 0; i < 100'000; ++i) many += ",0";
    r = c.Post("/v1/batch", many + "]}", "application/json");
    REQUIRE(r->status == 413);  // more values than 1,000 operations hold: refused before a document is built
  }
  get_json(c, "/v1/oplog?from=18446744073709551616", 400);
  get_json(c, "/v1/oplog?from=-1", 400);
  get_json(c, "/v1/oplog?from=+1", 400);
  REQUIRE(get_json(c, "/v1/digest", 200) == before);  // nothing refused changed anything
}

TEST_CASE("hostile: methods, authorization schemes, content types and pipelining", "[daemon][hostile]") {
  TempDir dir;
  std::ofstream(dir.path("token")) << "a-long-token-beyond-small-string-optimisation\n";
  Daemon d(dir, std::string(kPortZero) + "token_file = \"" + dir.path("token") + "\"\n");
  const std::string auth = "Authorization: bearer  a-long-token-beyond-small-string-optimisation\r\n";
  {
    Raw r(d.port());
    r.send("DELETE /v1/digest HTTP/1.1\r\nHost: t\r\n" + auth + "\r\n" + "PUT /v1/batch HTTP/1.1\r\nHost: t\r\n" +
           auth + "Content-Length: 0\r\n\r\n" + get("/v1/digest", auth));
    std::string a = r.read_all();
    INFO(a);
    REQUIRE(statuses(a) == std::vector<int>{405, 405, 200});
    REQUIRE(a.find("Allow: GET, HEAD") != std::string::npos);
  }
  {
    // curl -d: form-encoded, larger than httplib's 8 KB form limit.
    std::string ops = "{\"ops\":[";
    for (int i = 0; i < 200; ++i) ops += std::string(i ? "," : "") + "{\"type\":\"Lookup\",\"key\":\"" + key(uint8_t(i)) + "\"}";
    ops += "]}";
    REQUIRE(ops.size() > 8192);
    Raw r(d.port());
    std::string req = post("/v1/batch", ops, "application/x-www-form-urlencoded");
    req.insert(req.find("\r\n") + 2, auth);
    r.send(req + get("/v1/health"));
    std::string a = r.read_all();
    REQUIRE(statuses(a) == std::vector<int>{200, 200});
  }
  {
    Raw r(d.port());  // a wrong token with a body: refused, then the connection closes, said so
    r.send(post("/v1/batch", "{\"ops\":[]}") + get("/v1/health"));
    std::string a = r.read_all();
    REQUIRE(statuses(a) == std::vector<int>{401});
    REQUIRE(a.find("Connection: close") != std::string::npos);
  }
}

TEST_CASE("hostile: a second daemon on a taken port does not start", "[daemon][hostile]") {
  TempDir dir, other;
  Daemon d(dir, kPortZero);
  std::string config = other.path("c.toml");
  std::ofstream(config) << "[storage]\ndata_dir = \"" << other.path("data") << "\"\n[server]\nlisten = \"127.0.0.1:"
                        << d.port() << "\"\n";
  std::string command = std::string(basis::testing::daemon_path()) + " --config " + config + " 2>&1";
  FILE* p = popen(command.c_str(), "r");
  REQUIRE(p);
  std::string out;
  char buf[512];
  while (fgets(buf, sizeof buf, p)) out += buf;
  int status = pclose(p);
  INFO(out);
  REQUIRE(WEXITSTATUS(status) == 1);
  REQUIRE(out.find("cannot listen on 127.0.0.1:" + std::to_string(d.port())) != std::string::npos);
  REQUIRE(out.find("in use") != std::string::npos);
  REQUIRE_FALSE(std::filesystem::exists(other.path("data")));  // the store was never touched
}

TEST_CASE("hostile: a batch whose answer would exceed max_answer_bytes is refused before it runs", "[daemon][hostile]") {
  TempDir dir;
  Daemon d(dir, "[persistence]\nmax_answer_bytes = \"16MB\"\n[server]\nlisten = \"127.0.0.1:0\"\n");
  auto c = d.client();
  post_json(c, "/v1/batch", {{"ops", {insert(key(0x11), repeat("ab", 1 << 20))}}}, 200);  // a 1 MB value
  json before = get_json(c, "/v1/digest", 200);
  json lookups = json::array();
  for (int i = 0; i < 1000; ++i) lookups.push_back({{"type", "Lookup"}, {"key", key(0x11)}});
  json r = post_json(c, "/v1/batch", {{"ops", lookups}}, 413);
  REQUIRE(r["error"]["message"].get<std::string>().find("max_answer_bytes") != std::string::npos);
  REQUIRE(r["error"]["code"] == "LimitExceeded");
  post_json(c, "/v1/batch?dry_run=true", {{"ops", lookups}}, 413);
  // Inserted in the same batch, then looked up: also counted.
  json mixed = {{"ops", {insert(key(0x12), repeat("cd", 1 << 20))}}};
  for (int i = 0; i < 20; ++i) mixed["ops"].push_back({{"type", "Lookup"}, {"key", key(0x12)}});
  post_json(c, "/v1/batch", mixed, 413);
  REQUIRE(get_json(c, "/v1/digest", 200) == before);
  lookups.erase(lookups.begin() + 10, lookups.end());  // ten fit
  REQUIRE(post_json(c, "/v1/batch", {{"ops", lookups}}, 200)["results"].size() == 10);
  REQUIRE(get_json(c, "/v1/health", 200)["status"] == "ok");
}

TEST_CASE("hostile: idle and slow connections do not starve another client", "[daemon][hostile]") {
  TempDir dir;
  Daemon d(dir, "[server]\nlisten = \"127.0.0.1:0\"\nheader_timeout = \"30 s\"\n");
  std::vector<std::unique_ptr<Raw>> idle, slow;
  for (int i = 0; i < 64; ++i) idle.push_back(std::make_unique<Raw>(d.port()));
  for (int i = 0; i < 64; ++i) {
    slow.push_back(std::make_unique<Raw>(d.port()));
    slow.back()->send("G");
  }
  const std::string rest = "ET /v1/digest HTTP/1.1\r\nHost: t\r\n";
  for (size_t step = 0; step < 3; ++step) {
    for (auto& s : slow) s->try_send(rest.substr(step, 1));  // one header byte a second each
    auto started = Clock::now();
    auto c = d.client();
    auto r = c.Get("/v1/digest");
    double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    REQUIRE(r);
    REQUIRE(r->status == 200);
    INFO(seconds << " s");
    REQUIRE(seconds < 1.0);
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

TEST_CASE("hostile: connections beyond max_connections get 503, slow heads get 408", "[daemon][hostile]") {
  TempDir dir;
  Daemon d(dir, "[server]\nlisten = \"127.0.0.1:0\"\nmax_connections = 8\nheader_timeout = \"1 s\"\n"
                "idle_timeout = \"20 s\"\n");
  std::vector<std::unique_ptr<Raw>> held;
  for (int i = 0; i < 8; ++i) held.push_back(std::make_unique<Raw>(d.port()));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  {
    Raw extra(d.port());
    std::string a = extra.read_all();
    REQUIRE(statuses(a) == std::vector<int>{503});
    REQUIRE(a.find("max_connections") != std::string::npos);
  }
  held.clear();  // they close: room again
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  Raw slow(d.port());
  slow.send("GET /v1/dig");
  auto started = Clock::now();
  REQUIRE(slow.closed_within(std::chrono::seconds(5)));
  REQUIRE(std::chrono::duration<double>(Clock::now() - started).count() < 3.0);
  REQUIRE(statuses(slow.received()) == std::vector<int>{408});
  auto c = d.client();
  get_json(c, "/v1/digest", 200);
}

TEST_CASE("hostile: framing that could hide a request is refused, and the connection closes", "[daemon][hostile]") {
  TempDir dir;
  std::ofstream(dir.path("token")) << "p%41ss+w\n";
  Daemon d(dir, std::string(kPortZero) + "token_file = \"" + dir.path("token") + "\"\nmax_body_size = \"1MB\"\n");
  const std::string auth = "Authorization: Bearer p%41ss+w\r\n";
  auto hidden = [&](uint8_t b) {
    std::string body = json{{"ops", {insert(key(b), "aa")}}}.dump();
    return "POST /v1/batch HTTP/1.1\r\nHost: t\r\n" + auth + "Content-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body;
  };
  struct Case {
    std::string head;  // up to the empty line; a hidden batch follows as the "body"
    int status;
  };
  const Case cases[] = {
      {"POST /v1/batch HTTP/1.1\r\nHost: t\r\n" + auth + "Content-Length: 0\r\nContent-Length: 60\r\n", 400},
      {"POST /v1/batch HTTP/1.1\r\nHost: t\r\n" + auth + "Content-Length: abc\r\n", 400},
      {"POST /v1/batch HTTP/1.1\r\nHost: t\r\n" + auth + "Content-Length: +60\r\n", 400},
      {"POST /v1/batch HTTP/1.1\r\nHost: t\r\n" + auth + "Content-Length: 18446744073709551616\r\n", 413},
      {"GET /v1/digest HTTP/1.1\r\nHost: t\r\n" + auth + auth, 400},  // two Authorization headers
      {"POST /v1/batch HTTP/1.1\r\nHost: t\r\n" + auth + "Content-Length: 99999999999999999999999999\r\n", 413},
      {"POST /v1/batch HTTP/1.1\r\nHost: t\r\n" + auth + "Content-Length : 60\r\n", 400},
      {"POST /v1/batch HTTP/1.1\r\nHost: t\r\n" + auth + "Transfer-Encoding: xchunked\r\nContent-Length: 0\r\n", 501},
      {"POST /v1/batch HTTP/1.1\r\nHost: t\r\n" + auth + "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n", 400},
      {"POST /v1/batch HTTP/1.1\r\nHost: t\r\n" + auth + "X-A: 1\r\n folded\r\nContent-Length: 0\r\n", 400},
      {"GET /v1/digest HTTP/1.1\r\nHost: t\r\n" + auth + "Content-Length: 60\r\n", 400},
      {"POST /v1/batch HTTP/1.1\r\nHost: t\r\n" + auth + "Expect: 100-continue\r\nContent-Length: 3000000\r\n", 413},
      {"POST /v1/batch HTTP/1.1\r\nHost: t\r\n" + auth + "Expect: 200-ok\r\nContent-Length: 0\r\n", 417},
      {"POST /v1/batch?dry_run=true=false HTTP/1.1\r\nHost: t\r\n" + auth + "Content-Length: 0\r\n", 400},
      {"GET /v1/digest?&& HTTP/1.1\r\nHost: t\r\n" + auth, 400},
      {"GET /v1/digest?= HTTP/1.1\r\nHost: t\r\n" + auth, 400},
      {"GET /v1/oplog HTTP/1.1\r\nHost: t\r\n" + auth + "Range: bytes=0-10\r\n", 400},
      {"GET /v1/digest HTTP/1.1\r\n" + auth, 400},  // no Host
  };
  uint8_t b = 0x40;
  for (const Case& c : cases) {
    Raw r(d.port());
    r.send(c.head + "\r\n" + hidden(b));
    std::string a = r.read_all();
    INFO(c.head << "->\n" << a);
    REQUIRE(statuses(a) == std::vector<int>{c.status});  // no 100 Continue, no second answer
    REQUIRE(a.find("Connection: close") != std::string::npos);
    ++b;
  }
  httplib::Client c("127.0.0.1", d.port());
  c.set_bearer_token_auth("p%41ss+w");
  for (uint8_t k = 0x40; k < b; ++k) REQUIRE(get_json(c, "/v1/lookup/" + key(k), 200)["found"] == false);
  // Duplicate JSON keys: the last would win in the parser, the first in another reader.
  for (const char* body : {R"({"ops":[{"type":"Lookup","type":"Insert","key":"K","value":"aa"}]})",
                           R"({"ops":[],"ops":[{"type":"Insert","key":"K","value":"aa"}]})"}) {
    std::string text = body;
    text.replace(text.find('K'), 1, key(0x60));
    auto r = c.Post("/v1/batch", text, "application/json");
    REQUIRE(r->status == 400);
    REQUIRE(r->body.find("appears twice") != std::string::npos);
  }
  // The token byte for byte as sent: percent-encoded forms or a NUL after it do not match.
  for (const std::string& sent : {std::string("p%2541ss+w"), std::string("p%41ss%2Bw"), std::string("p%41ss+w\0x", 10)}) {
    Raw r(d.port());
    r.send("GET /v1/digest HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + sent + "\r\n\r\n");
    std::string a = r.read_all();
    INFO(sent);
    REQUIRE(!statuses(a).empty());
    REQUIRE(statuses(a).front() != 200);
  }
  get_json(c, "/v1/digest", 200);
}

// POST /v1/trees/{name}/rollback against bodies, names and methods it must
// refuse: each gets a 4xx JSON error, and the tree is as it was.
TEST_CASE("hostile: rollback bodies, tree names and methods are refused and change nothing", "[daemon][hostile][rollback]") {
  TempDir dir;
  Daemon d(dir, kPortZero);
  auto c = d.client();
  for (int b = 0; b < 3; ++b) {
    json ops = json::array();
    for (int i = 0; i < 10; ++i) ops.push_back(insert(key(static_cast<uint8_t>(b * 10 + i)), "02"));
    post_json(c, "/v1/batch", {{"ops", ops}}, 200);
  }
  const json before = get_json(c, "/v1/trees", 200)["trees"][0];
  REQUIRE(before["last_seq"] == 30);
  const std::string digest = before["digest"];
  std::string upper = digest;
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  std::string deep_object;
  for (int i = 0; i < 50'000; ++i) deep_object += "{\"sequence\":";
  deep_object += "1" + std::string(50'000, '}');
  const std::vector<std::string> bodies = {
      "", " ", "null", "true", "0", "\"sequence\"", "[]", "{}", "[{\"sequence\":1}]", deep, deep_object,
      "{\"sequence\":-1}", "{\"sequence\":1.0}", "{\"sequence\":1e1}", "{\"sequence\":\"1\"}",
      "{\"sequence\":18446744073709551616}", "{\"sequence\":1e400}", "{\"sequence\":-0}",
      "{\"sequence\":{\"a\":1}}", "{\"sequence\":[1]}", "{\"sequence\":true}", "{\"sequence\":null}",
      "{\"sequence\":1,\"checkpoint\":1}", "{\"sequence\":1,\"sequence\":2}", "{\"sequence\":1,}",
      "{\"Sequence\":1}", "{\"sequence\\u0000\":1}", "{\"\":1}", "{\"sequence\":18446744073709551615}",
      "{\"sequence\":31}", "{\"checkpoint\":18446744073709551615}", "{\"checkpoint\":0}",
      "{\"checkpoint\":-5}", "{\"digest\":\"" + digest.substr(1) + "\"}", "{\"digest\":\"" + digest + "0\"}",
      "{\"digest\":\"" + digest.substr(2) + "\"}", "{\"digest\":\"" + digest + "00\"}",
      "{\"digest\":\"" + std::string(66, '0') + "\"}", "{\"digest\":\"" + std::string(66, 'g') + "\"}",
      "{\"digest\":\"0x" + digest.substr(2) + "\"}", "{\"digest\":\" " + digest.substr(1) + "\"}",
      "{\"digest\":null}", "{\"digest\":12}", "{\"digest\":[\"" + digest + "\"]}", "{\"digest\":\"\"}",
      "{\"sequence\":1}\n{\"sequence\":2}", "{\"sequence\":1} x", "\xff\xfe{\"sequence\":1}",
      "{\"sequence\":\"\xff\"}", std::string("{\"sequence\":1\0}", 15)};
  for (const std::string& body : bodies) {
    basis::testing::Answer a = basis::testing::exchange(d.port(), "POST", "/v1/trees/default/rollback", body,
                                                        "Content-Type: application/json\r\n");
    INFO("body (" << body.size() << " bytes): " << body.substr(0, 80) << " -> " << a.status << " " << a.body.substr(0, 300));
    REQUIRE(a.status >= 400);
    REQUIRE(a.status < 500);
    REQUIRE(json::parse(a.body, nullptr, false).contains("error"));
  }
  // The digest in capitals, or the tree's own version: nothing to undo either way.
  for (const std::string& same : {"{\"digest\":\"" + upper + "\"}", std::string("{\"sequence\":30}")}) {
    basis::testing::Answer a = basis::testing::exchange(d.port(), "POST", "/v1/trees/default/rollback", same,
                                                        "Content-Type: application/json\r\n");
    INFO(same << " -> " << a.status << " " << a.body);
    REQUIRE((a.status == 200 || a.status == 400));
    if (a.status == 200) REQUIRE(json::parse(a.body)["seq"].is_null());
  }
  const std::vector<std::string> names = {"Default", "default ", "%00", "%ff%fe", "default%2f..", "..", "%2e%2e",
                                          "default%00", std::string(5000, 'a'), "d%C3%A9fault", "*", "default;x"};
  for (const std::string& name : names) {
    basis::testing::Answer a = basis::testing::exchange(d.port(), "POST", "/v1/trees/" + name + "/rollback",
                                                        "{\"sequence\":1}", "Content-Type: application/json\r\n");
    INFO(name.substr(0, 40) << " -> " << a.status << " " << a.body.substr(0, 300));
    REQUIRE(a.status >= 400);
    REQUIRE(a.status < 500);
  }
  for (const std::string target : {"/v1/trees//rollback", "/v1/trees/default/rollback/", "/v1/trees/default",
                                    "/v1/trees/default/rollback?sequence=1", "/v1/trees/default/rollback%00"}) {
    basis::testing::Answer a = basis::testing::exchange(d.port(), "POST", target, "{\"sequence\":1}",
                                                        "Content-Type: application/json\r\n");
    INFO(target << " -> " << a.status << " " << a.body.substr(0, 300));
    REQUIRE(a.status >= 400);
    REQUIRE(a.status < 500);
  }
  for (const std::string method : {"GET", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
    basis::testing::Answer a = basis::testing::exchange(d.port(), method, "/v1/trees/default/rollback",
                                                        method == "GET" || method == "HEAD" ? "" : "{\"sequence\":1}");
    INFO(method << " -> " << a.status << " " << a.body.substr(0, 300));
    REQUIRE(a.status >= 400);
    REQUIRE(a.status < 500);
  }
  for (const std::string method : {"PUT", "DELETE"}) {
    basis::testing::Answer a = basis::testing::exchange(d.port(), method, "/v1/trees", "{}");
    INFO(method << " /v1/trees -> " << a.status);
    REQUIRE(a.status == 405);
  }
  // A creation with a body that names no tree changes nothing.
  REQUIRE(basis::testing::exchange(d.port(), "POST", "/v1/trees", "{}").status == 400);
  REQUIRE(basis::testing::exchange(d.port(), "HEAD", "/v1/trees").status == 200);
  const json after = get_json(c, "/v1/trees", 200)["trees"][0];
  REQUIRE(after["digest"] == digest);
  REQUIRE(after["last_seq"] == 30);
  get_json(c, "/v1/health", 200);
}

// Many clients at once, batches and rollbacks mixed: every answer is a
// documented one, the daemon serves on, and a restart finds the same tree.
TEST_CASE("hostile: concurrent rollbacks and batches from many clients", "[daemon][hostile][rollback]") {
  TempDir dir;
  json final_tree;
  {
    Daemon d(dir, kPortZero);
    std::atomic<int> unexpected{0};
    std::atomic<int> rollbacks_done{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < 6; ++t) {
      clients.emplace_back([&, t] {
        auto c = d.client();
        for (int i = 0; i < 25; ++i) {
          const bool batch = t % 2 == 0;
          std::string value(2, '0');  // "00".."09" (not "0" + to_string: g++ 12 -O3 -Wrestrict misfires)
          value[1] = static_cast<char>('0' + i % 10);
          json ops = json::array({insert(key(static_cast<uint8_t>(t * 40 + i)), value)});
          json target = i % 3 == 0 ? json{{"sequence", i}} : i % 3 == 1 ? json{{"checkpoint", i % 4}} : json{{"sequence", 2 * i}};
          httplib::Result r = batch ? c.Post("/v1/batch", json{{"ops", ops}}.dump(), "application/json")
                                    : c.Post("/v1/trees/default/rollback", target.dump(), "application/json");
          if (batch) {
            if (r && r->status != 200 && r->status != 409 && r->status != 503) ++unexpected;
          } else {
            if (r && r->status == 200) ++rollbacks_done;
            // 400: ahead of the tree; 404: no such checkpoint; 429/503: busy.
            if (r && r->status != 200 && r->status != 400 && r->status != 404 && r->status != 429 && r->status != 503) {
              ++unexpected;
            }
          }
          if (!r) ++unexpected;
          if (r && json::parse(r->body, nullptr, false).is_discarded()) ++unexpected;
        }
      });
    }
    for (auto& th : clients) th.join();
    REQUIRE(unexpected == 0);  // was: after some 15 rollbacks, 413 "rollbacks nest too deep", in seconds each
    auto c = d.client();
    final_tree = get_json(c, "/v1/trees", 200)["trees"][0];
    get_json(c, "/v1/health", 200);
    REQUIRE(rollbacks_done > 0);
    REQUIRE(d.stop() == 0);
  }
  Daemon again(dir, kPortZero);
  auto c = again.client();
  const json reopened = get_json(c, "/v1/trees", 200)["trees"][0];
  REQUIRE(reopened["digest"] == final_tree["digest"]);
  REQUIRE(reopened["last_seq"] == final_tree["last_seq"]);
}
