// basis-treed: the example daemon. It embeds the runtime and serves the HTTP
// API of http_api.h until SIGTERM or SIGINT, then finishes the requests in
// flight, shuts the runtime down (everything acknowledged is durable) and
// exits 0 (75 when it stopped because RocksDB's write-ahead log failed and
// only a restart heals it).
//
//   basis-treed [--config FILE]
//
// Without --config it runs on the embedded defaults: data in ./data, HTTP on
// 127.0.0.1:8686. A listen port of 0 takes any free port; the port is
// printed on standard output as "listening on HOST:PORT".
#include <signal.h>

#include <atomic>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "engine/logger.h"
#include "basis/runtime.h"
#include "examples/daemon/connection_server.h"
#include "examples/daemon/http_api.h"
#include "examples/daemon/metrics.h"

namespace {

int usage(FILE* to) {
  std::fprintf(to,
               "usage: basis-treed [--config FILE]\n"
               "  --config FILE   TOML configuration (default: the embedded one: data in ./data,\n"
               "                  HTTP on 127.0.0.1:8686)\n"
               "  --help          this text\n");
  return to == stdout ? 0 : 2;
}

bool read_token(const basis::config::Config& cfg, std::string* token, std::string* error) {
  *token = cfg.server.token;
  if (cfg.server.token_file.empty()) return true;
  std::ifstream in(cfg.server.token_file);
  if (!in || !std::getline(in, *token)) {
    *error = "server.token_file: cannot read " + cfg.server.token_file;
    return false;
  }
  while (!token->empty() && (token->back() == '\r' || token->back() == ' ')) token->pop_back();
  if (token->empty()) {
    *error = "server.token_file: " + cfg.server.token_file + " holds no token";
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace basis;
  std::string config_path;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) return usage(stdout);
    if (!std::strcmp(argv[i], "--config") && i + 1 < argc) {
      config_path = argv[++i];
    } else {
      std::fprintf(stderr, "basis-treed: unknown argument '%s'\n", argv[i]);
      return usage(stderr);
    }
  }
  config::Config cfg;  // the embedded defaults
  if (!config_path.empty()) {
    if (config::Status s = config::load_file(config_path, &cfg); !s.is_ok()) {
      std::fprintf(stderr, "basis-treed: %s\n", s.message().c_str());
      return 2;
    }
  }
  std::string token, error;
  if (!read_token(cfg, &token, &error)) {
    std::fprintf(stderr, "basis-treed: %s\n", error.c_str());
    return 2;
  }
  const std::string& listen = cfg.server.listen;
  size_t colon = listen.rfind(':');
  std::string host = listen.substr(0, colon);
  int port = std::stoi(listen.substr(colon + 1));  // validated by the configuration

  // SIGTERM and SIGINT go to one thread, which stops the server; every other
  // thread (the runtime's too) is created with them blocked.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto log = engine::runtime_logger(cfg);
  // The port first: a taken one is a startup error before the store is touched.
  daemon::ConnectionLimits limits;
  limits.max_connections = cfg.server.max_connections;
  limits.header_timeout = cfg.server.header_timeout;
  limits.body_timeout = cfg.server.body_timeout;
  limits.idle_timeout = cfg.server.idle_timeout;
  limits.write_timeout = cfg.server.write_timeout;
  auto server = std::make_unique<daemon::ConnectionServer>(limits);
  if (!cfg.server.tls_certificate.empty() &&
      !server->enable_tls(cfg.server.tls_certificate, cfg.server.tls_key, &error)) {
    log->error("{}", error);
    std::fprintf(stderr, "basis-treed: %s\n", error.c_str());
    return 2;
  }
  if (!server->bind(host, &port, &error)) {
    log->error("{}", error);
    std::fprintf(stderr, "basis-treed: %s\n", error.c_str());
    return 1;
  }

  std::unique_ptr<basis::Runtime> rt;
  if (tree::Status s = basis::Runtime::open(cfg, &rt); !s.is_ok()) {
    log->error("cannot open the store: {}", s.to_string());
    std::fprintf(stderr, "basis-treed: %s\n", s.to_string().c_str());
    return 1;
  }
  daemon::Metrics metrics;
  daemon::ApiOptions options;
  options.params = tree::TreeParams{cfg.tree.key_length, cfg.tree.value_length};
  options.max_batch_operations = cfg.persistence.operation_batch_size;
  options.max_body_size = cfg.server.max_body_size;
  options.token = token;
  daemon::install_api(*server, *rt, metrics, options, log);

  // When only a restart heals the store (RocksDB 7.8 writes nothing more to
  // a write-ahead log that failed; a prover that failed too often is not
  // rebuilt again), the daemon exits with 75 (EX_TEMPFAIL), as after
  // SIGTERM, so that its service manager (Restart=on-failure) starts it
  // again at once; the restart recovers every acknowledged batch.
  std::atomic<bool> restart_needed{false}, stopping{false};
  std::thread watchdog([&] {
    while (!stopping) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      if (stopping || !rt->state().restart_needed) continue;
      log->error("only a restart can heal the store ({}): stopping with exit code 75 so that the service "
                 "manager restarts the daemon (every acknowledged batch is durable)",
                 rt->state().writes.to_string());
      restart_needed = true;
      ::kill(::getpid(), SIGTERM);  // the stopper below finishes the requests in flight
      return;
    }
  });
  std::thread stopper([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    log->info("{} received: finishing the requests in flight", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    server->stop();
  });
  log->info("listening on {}:{}{}{}", host, port, cfg.server.tls_certificate.empty() ? "" : " (TLS)",
            token.empty() ? "" : " (bearer token required)");
  std::printf("listening on %s:%d\n", host.c_str(), port);
  std::fflush(stdout);
  server->listen_after_bind();  // returns once stopped, after the requests in flight
  stopper.join();
  stopping = true;
  watchdog.join();
  uint64_t last = rt->last_sequence();
  tree::Status s = rt->shutdown();
  if (!s.is_ok()) {
    // Stopped as asked: every acknowledged batch is in the synced log, which
    // the next start replays; only the final checkpoint or flush is missing.
    log->error("shutdown: {} (every acknowledged batch is durable in the log; the next start replays it)",
               s.to_string());
  }
  if (restart_needed) return 75;
  log->info("stopped cleanly at sequence {}", last);
  return 0;
}
