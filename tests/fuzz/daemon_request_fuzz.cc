// libFuzzer target: the daemon's request handling end to end, without
// sockets. The input is raw HTTP (after one flag byte) read from memory by
// httplib's own request parser, many keep-alive requests per input, routed
// to the daemon's API (install_api) over a real Runtime opened once per
// process in a temporary directory. Findings (abort):
//   - an exception out of a handler, the error handler or the logger;
//   - a 5xx other than 503 (busy) and 507 (disk budget);
//   - a response whose status line or framing does not parse, or a JSON
//     response whose body is not JSON, or an error not in the shape
//     {"error": {"code": <a code of error_codes.h>, "message": "..."}};
//   - a batch or lookup answer whose proof does not verify to its digests
//     with the answered results (the service must not fool its clients).
// Input byte 0: bit 0 selects the server with a bearer token ("fuzz-token"),
// so seeds can start with a readable "0" (open) or "1" (token).
#include <httplib.h>
#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>

#include "engine/logger.h"
#include "basis/runtime.h"
#include "examples/daemon/api_json.h"
#include "examples/daemon/error_codes.h"
#include "examples/daemon/http_api.h"
#include "examples/daemon/metrics.h"
#include "examples/daemon/request_checks.h"
#include "basis/tree/batch_verifier.h"

using namespace basis;
using nlohmann::json;

namespace {

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "daemon_request_fuzz finding: %s\n", what.c_str());
  std::abort();
}

// Reads the fuzz bytes, collects what the server writes.
class MemoryStream final : public httplib::Stream {
 public:
  explicit MemoryStream(std::string_view in) : in_(in) {}
  bool is_readable() const override { return pos_ < in_.size(); }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    size_t n = std::min(size, in_.size() - pos_);
    std::memcpy(ptr, in_.data() + pos_, n);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    out.append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override { ip = "127.0.0.1", port = 40000; }
  void get_local_ip_and_port(std::string& ip, int& port) const override { ip = "127.0.0.1", port = 8686; }
  // No descriptor: httplib only compares it with FD_SETSIZE.
  socket_t socket() const override { return -1; }
  size_t remaining() const { return in_.size() - pos_; }
  // Reads are unbuffered, so positions are exact: httplib reads a request's
  // head one byte at a time and its body only as long as it says.
  size_t pos() const { return pos_; }
  std::string_view since(size_t start) const { return in_.substr(start, pos_ - start); }

  std::string out;

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

// Makes the protected process_request callable.
class FuzzServer final : public httplib::Server {
 public:
  using httplib::Server::process_request;
};

// What the post-routing hook saw of the last request and its response.
struct Exchange {
  bool seen = false;
  std::string method, path;
  bool ranges = false;
  std::string dry_run;  // the query's dry_run value
  int status = 0;
  std::string content_type, content_encoding, response;
};

struct World {
  std::string dir;
  std::unique_ptr<basis::Runtime> rt;
  daemon::Metrics metrics;
  FuzzServer open, authenticated;
  daemon::ApiOptions options, with_token;  // the second one for `authenticated`
  Exchange last;
  // Where the current request's body starts in the stream (setup_request
  // runs once its head is read), and whether its bytes are the body as sent.
  size_t request_start = 0, body_start = 0;
  bool plain_body = true, chunked = false;
  std::string body;  // the request's body, when it could be read back
  basis::Runtime::TreeState before, after;  // around the current request
  uint64_t compacts = 0;
};

World* world = nullptr;

void install(World& w, FuzzServer& server, const daemon::ApiOptions& options, std::shared_ptr<spdlog::logger> log) {
  daemon::install_api(server, *w.rt, w.metrics, options, log);
  // Installed after install_api so that an exception is a finding even if
  // the API installs a handler of its own.
  server.set_exception_handler([](const httplib::Request& req, httplib::Response&, std::exception_ptr ep) {
    std::string what = "unknown";
    try { std::rethrow_exception(ep); } catch (const std::exception& e) { what = e.what(); } catch (...) {}
    finding("exception from a handler: " + req.method + " " + req.path + ": " + what);
  });
  server.set_post_routing_handler([&w](const httplib::Request& req, httplib::Response& res) {
    Exchange& x = w.last;
    x.seen = true;
    x.method = req.method;
    x.path = req.path;
    x.ranges = !req.ranges.empty() || req.has_header("Range");
    x.dry_run = req.get_param_value("dry_run");
    x.status = res.status;
    x.content_type = res.get_header_value("Content-Type");
    x.content_encoding = res.get_header_value("Content-Encoding");
    x.response = res.body;
  });
}

// At exit: the store is throwaway, so it is removed without a shutdown.
// Runtime::shutdown from an exit handler crashes in ~actor_system (CAF state
// it needs is torn down by then; called during the run it is clean), and
// _Exit keeps the static destructors and LSan's exit check away from the
// runtime's live threads. libFuzzer has printed its statistics by now, and
// its error exits (_Exit) never get here.
void cleanup() {
  if (!world) return;
  std::error_code ec;
  std::filesystem::remove_all(world->dir, ec);
  std::_Exit(0);
}

tree::Digest digest_of(const json& hex) {
  tree::Bytes b;
  tree::Digest d{};
  if (!hex.is_string() || !tree::from_hex(hex.get<std::string>(), &b) || b.size() != d.size()) {
    finding("not a digest: " + hex.dump());
  }
  std::copy(b.begin(), b.end(), d.begin());
  return d;
}

tree::Bytes bytes_of(const json& hex) {
  tree::Bytes b;
  if (!hex.is_string() || !tree::from_hex(hex.get<std::string>(), &b)) finding("not hex: " + hex.dump());
  return b;
}

// Undoes chunked transfer coding (RFC 9112 7.1); false when `raw` is not
// plainly chunked (then the body is not checked).
bool dechunk(std::string_view raw, std::string* out) {
  out->clear();
  for (;;) {
    size_t eol = raw.find("\r\n");
    if (eol == std::string_view::npos) return false;
    std::string_view line = raw.substr(0, std::min(eol, raw.find(';')));
    size_t n = 0;
    if (line.empty() || line.size() > 8) return false;
    for (char c : line) {
      if (!isxdigit(static_cast<unsigned char>(c))) return false;
      n = n * 16 + static_cast<size_t>(isdigit(c) ? c - '0' : (tolower(c) - 'a' + 10));
    }
    raw.remove_prefix(eol + 2);
    if (n == 0) return true;  // trailers do not matter here
    if (raw.size() < n + 2) return false;
    out->append(raw.substr(0, n));
    raw.remove_prefix(n + 2);
  }
}

// A batch answer's proof replays the successful operations of the request
// to digest_after, with the answered old values. The request is read back
// from the wire; when that reading is in doubt (coding, compression) the
// proof is not checked, rather than blaming the daemon for the harness.
void check_batch(const json& doc) {
  if (!world->plain_body) return;
  std::vector<basis::OwnedOperation> ops;
  daemon::ApiError error;
  if (!daemon::parse_batch(world->body, world->options.params, &ops, &error)) return;
  const json& results = doc.at("results");
  if (!results.is_array() || results.size() != ops.size()) return;
  const tree::Bytes proof = bytes_of(doc.at("proof"));  // the verifier reads it in place
  tree::BatchVerifier v(world->options.params, digest_of(doc.at("digest_before")), tree::view(proof));
  for (size_t i = 0; i < ops.size(); ++i) {
    if (!results[i].at("ok").get<bool>()) continue;
    tree::OpOutcome out;
    tree::Status s = v.perform(ops[i].view(), &out);
    if (!s.is_ok()) finding("batch proof fails at op " + std::to_string(i) + ": " + s.to_string());
    const json& old = results[i].at("old");
    if (out.existed != !old.is_null() || (out.existed && out.old_value != bytes_of(old))) {
      finding("batch result " + std::to_string(i) + " differs from its proof");
    }
  }
  std::optional<tree::Digest> d = v.digest();
  if (!d || *d != digest_of(doc.at("digest_after"))) finding("batch proof does not reach digest_after");
  // Requests run one at a time: the answer's digests are the tree's.
  bool dry_run = doc.contains("dry_run") && doc["dry_run"].get<bool>();
  if (digest_of(doc.at("digest_before")) != world->before.digest) finding("digest_before is not the tree's digest");
  // A dry run's digest_after is the tree it would make (its proof shows it).
  if (!dry_run && digest_of(doc.at("digest_after")) != world->after.digest) {
    finding("digest_after is not the digest the tree has after the batch");
  }
}

// A lookup answer's proof shows the answered value at the answered digest;
// an answer without a proof must be what a proof would show.
void check_lookup(const Exchange& x, const json& doc) {
  tree::Bytes key;
  daemon::ApiError error;
  const std::string prefix = "/v1/lookup/";
  if (!daemon::parse_key(x.path.substr(prefix.size()), world->options.params, &key, &error)) {
    finding("200 for a bad key: " + error.message);
  }
  const json& value = doc.at("value");
  if (!doc.contains("proof")) {
    basis::LookupResult r = world->rt->lookup(key, true);
    if (!r.status.is_ok()) finding("a lookup answered 200 without a proof cannot be proven: " + r.status.to_string());
    if (r.outcome.existed != doc.at("found").get<bool>() || r.outcome.existed != !value.is_null() ||
        (r.outcome.existed && r.outcome.old_value != bytes_of(value))) {
      finding("a lookup without a proof answers what its proof does not show");
    }
    return;
  }
  tree::Digest digest = digest_of(doc.at("digest"));
  const tree::Bytes proof = bytes_of(doc.at("proof"));  // the verifier reads it in place
  tree::BatchVerifier v(world->options.params, digest, tree::view(proof));
  tree::OpOutcome out;
  tree::Status s = v.perform(tree::Operation::lookup(tree::view(key)), &out);
  if (!s.is_ok()) finding("lookup proof fails: " + s.to_string());
  if (out.existed != doc.at("found").get<bool>() || out.existed != !value.is_null() ||
      (out.existed && out.old_value != bytes_of(value))) {
    finding("lookup answer differs from its proof");
  }
  if (v.digest() != digest) finding("a lookup proof changes the digest");
}

void check_exchange(const Exchange& x) {
  // BASIS_FUZZ_TRACE=1 prints every exchange, to read a reproducer by.
  static const bool trace = getenv("BASIS_FUZZ_TRACE") != nullptr;
  if (trace) std::fprintf(stderr, "%s %s -> %d %s\n", x.method.c_str(), x.path.c_str(), x.status, x.response.c_str());
  // Only an applied batch changes the tree: a refused request, a dry run, a
  // read, a checkpoint or a pin changes nothing.
  bool may_change = x.status == 200 && x.method == "POST" && x.path == "/v1/batch" && x.dry_run != "true" &&
                    x.dry_run != "1";
  const auto& [before, after] = std::tie(world->before, world->after);
  if (!may_change && (before.digest != after.digest || before.last_sequence != after.last_sequence)) {
    finding(std::to_string(x.status) + " for " + x.method + " " + x.path + " changed the tree");
  }
  if (x.status >= 500 && x.status != 503 && x.status != 507) {
    finding(std::to_string(x.status) + " for " + x.method + " " + x.path + ": " + x.response);
  }
  // Ranges and compression (the client's choice) reshape the body.
  bool json_body = x.content_type.rfind("application/json", 0) == 0 && !x.ranges && x.content_encoding.empty();
  if (x.status >= 400 && !x.ranges && x.content_encoding.empty() && !json_body) {
    finding("error " + std::to_string(x.status) + " without a JSON body for " + x.method + " " + x.path);
  }
  if (!json_body) return;
  json doc = json::parse(x.response, nullptr, false);
  if (doc.is_discarded()) finding("a JSON response does not parse: " + x.response);
  try {
    // Every error but a health report's 503 is {"error":{"code":…,"message":…}}
    // with a code of the list and the code's status.
    if (x.status >= 400 && x.path.rfind("/v1/health", 0) != 0) {
      const bool shaped = doc.is_object() && doc.contains("error") && doc["error"].is_object() &&
                          doc["error"].contains("code") && doc["error"]["code"].is_string() &&
                          doc["error"].contains("message") && doc["error"]["message"].is_string();
      if (!shaped) finding("error " + std::to_string(x.status) + " not in the error shape: " + x.response);
      std::optional<daemon::ErrorCode> code = daemon::parse_error_code(doc["error"]["code"].get<std::string>());
      if (!code) finding("error code not in the list: " + x.response);
      if (daemon::error_code_status(*code) != x.status) {
        finding("error " + std::to_string(x.status) + " with the code of another status: " + x.response);
      }
    }
    if (x.status == 200 && x.method == "POST" && x.path == "/v1/batch") check_batch(doc);
    if (x.status == 200 && x.method == "GET" && x.path.rfind("/v1/lookup/", 0) == 0) check_lookup(x, doc);
  } catch (const json::exception& e) {
    finding(std::string("a 200 answer lacks a field: ") + e.what() + ": " + x.response);
  }
}

// The wire bytes of one answer: optional 100 Continue, a status line, header
// lines, and a body as long as Content-Length says (none for HEAD).
void check_wire(const std::string& out, const Exchange& x) {
  std::string_view rest(out);
  const std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
  while (rest.substr(0, cont.size()) == cont) rest.remove_prefix(cont.size());
  size_t head_end = rest.find("\r\n\r\n");
  if (head_end == std::string_view::npos) finding("a response without the end of its head");
  std::string_view head = rest.substr(0, head_end + 2), body = rest.substr(head_end + 4);
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  if (line.size() < 12 || line.substr(0, 9) != "HTTP/1.1 " || !isdigit(line[9]) || !isdigit(line[10]) ||
      !isdigit(line[11]) || (line.size() > 12 && line[12] != ' ')) {
    finding("bad status line: " + std::string(line));
  }
  int status = std::stoi(std::string(line.substr(9, 3)));
  if (x.seen && status != x.status) finding("the status line differs from the response's status");
  long length = -1;
  for (size_t at = eol + 2; at < head.size();) {
    size_t end = head.find("\r\n", at);
    std::string_view h = head.substr(at, end - at);
    size_t colon = h.find(':');
    if (colon == std::string_view::npos || colon == 0) finding("bad header line: " + std::string(h));
    std::string name(h.substr(0, colon));
    for (char& c : name) c = static_cast<char>(tolower(c));
    if (name == "content-length") length = std::stol(std::string(h.substr(colon + 1)));
    at = end + 2;
  }
  if (x.method == "HEAD") return;
  if (length >= 0 && static_cast<size_t>(length) != body.size()) finding("Content-Length differs from the body");
}

int init() {
  config::Config cfg;
  std::string base = std::filesystem::temp_directory_path() / "basis-daemon-fuzz-XXXXXX";
  if (!mkdtemp(base.data())) finding("mkdtemp failed");
  cfg.storage.data_dir = base;
  cfg.storage.sync = config::SyncPolicy::kNever;     // nothing here survives a crash anyway
  cfg.storage.max_disk_size = uint64_t{256} << 20;   // bounds a long run; 507 beyond
  cfg.persistence.node_cache_size = uint64_t{8} << 20;
  cfg.persistence.operation_log_archive = false;
  cfg.persistence.operation_batch_size = 64;          // 413 within reach of small inputs
  cfg.persistence.checkpoint_interval.operations = 2000;
  cfg.persistence.checkpoint_retention = 3;
  cfg.persistence.node_gc_every = 4;
  cfg.persistence.recovery_parallelism = 1;
  cfg.persistence.health_check_interval = std::chrono::milliseconds(0);
  cfg.logging.level = "off";
  world = new World;
  world->dir = base;
  if (tree::Status s = basis::Runtime::open(cfg, &world->rt); !s.is_ok()) finding("open: " + s.to_string());
  world->options.params = tree::TreeParams{cfg.tree.key_length, cfg.tree.value_length};
  world->options.max_batch_operations = cfg.persistence.operation_batch_size;
  world->options.max_body_size = 64 << 10;
  world->options.max_oplog_records = 1000;  // keeps one answer cheap
  auto log = engine::runtime_logger(cfg);
  world->with_token = world->options;
  world->with_token.token = "fuzz-token";
  install(*world, world->open, world->options, log);
  install(*world, world->authenticated, world->with_token, log);
  std::atexit(cleanup);
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) { return init(); }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  FuzzServer& server = (data[0] & 1) ? world->authenticated : world->open;
  MemoryStream strm(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  // Compaction takes a checkpoint, a collection and a RocksDB compaction:
  // one in 64 is let through, the others go to a route that does not exist.
  auto setup = [&strm](httplib::Request& req) {
    if (req.path == "/v1/admin/compact" && world->compacts++ % 64 != 0) req.path = "/v1/admin/compact-skipped";
    world->body_start = strm.pos();
    // The daemon checks framing on the raw head, which only its own
    // connection stream records (current_request_head); the checks
    // themselves get the raw bytes here, where anything thrown is a finding.
    std::string_view head = strm.since(world->request_start);
    int status = 0;
    std::string error;
    try {
      (void)daemon::check_framing(head, &status, &error);
      if (auto auth = daemon::raw_header(head, "Authorization")) (void)daemon::bearer_token(*auth);
    } catch (const std::exception& e) {
      finding(std::string("exception from the raw head checks: ") + e.what());
    }
    world->chunked = req.has_header("Transfer-Encoding");
    world->plain_body = !req.has_header("Content-Encoding") &&
                        (!world->chunked || req.get_header_value("Transfer-Encoding") == "chunked");
  };
  bool closed = false;
  for (int i = 0; i < 64 && strm.remaining() > 0 && !closed; ++i) {
    strm.out.clear();
    world->last = Exchange{};
    world->request_start = world->body_start = strm.pos();
    world->before = world->rt->state();
    bool ok = false;
    try {
      ok = server.process_request(strm, false, closed, setup);
    } catch (const std::exception& e) {
      finding(std::string("exception out of process_request: ") + e.what());
    }
    world->after = world->rt->state();
    std::string_view raw = strm.since(world->body_start);
    if (world->chunked) {
      world->plain_body = world->plain_body && dechunk(raw, &world->body);
    } else {
      world->body.assign(raw);
    }
    if (!strm.out.empty()) {
      check_wire(strm.out, world->last);
      if (world->last.seen) check_exchange(world->last);
    }
    if (!ok) break;
  }
  return 0;
}
