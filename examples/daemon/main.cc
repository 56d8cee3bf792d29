// basis-treed: the example daemon. It embeds the runtime and serves the HTTP
// API of http_api.h until SIGTERM or SIGINT, then finishes the requests in
// flight, shuts the runtime down (everything acknowledged is durable) and
// exits 0 (75 when it stopped because RocksDB's write-ahead log failed and
// only a restart heals it). SIGHUP reopens the log file (after logrotate).
//
//   basis-treed [--config FILE] [--data-dir DIR] | --version | --help
//
// Without --config it runs on the embedded defaults: data in ./data, HTTP on
// 127.0.0.1:8686. A listen port of 0 takes any free port; the port is
// printed on standard output as "listening on HOST:PORT". Started by systemd
// as Type=notify, it says READY=1 once recovered and listening.
#include <signal.h>

#include <atomic>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "basis/runtime.h"
#include "basis/version.h"
#include "engine/logger.h"
#include "examples/daemon/connection_server.h"
#include "examples/daemon/http_api.h"
#include "examples/daemon/metrics.h"
#include "examples/daemon/service_notify.h"

namespace {

constexpr int kUsageError = 2;  // a bad flag or configuration: a restart would fail the same way

int usage(FILE* to) {
  std::fprintf(to,
               "usage: basis-treed [--config FILE] [--data-dir DIR]\n"
               "  --config FILE    TOML configuration (default: the embedded one: data in ./data,\n"
               "                   HTTP on 127.0.0.1:8686)\n"
               "  --data-dir DIR   the store's directory, over the configuration's storage.data_dir\n"
               "  --version        the version, then exit\n"
               "  --help           this text\n"
               "Signals: SIGTERM or SIGINT stop it cleanly (exit 0; 75 when only a restart heals the\n"
               "store); SIGHUP reopens the log file (logging.file) after logrotate renamed it.\n");
  return to == stdout ? 0 : kUsageError;
}

struct Flags {
  std::string config_path;
  std::string data_dir;  // "" = the configuration's
};

// Parses the command line. Returns -1 to go on, else the exit code (after
// --help or --version, or a bad flag named on standard error).
int parse_flags(int argc, char** argv, Flags* flags) {
  bool given_config = false, given_data_dir = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h" || arg == "--version") {
      if (argc != 2) {  // `--version extra` must not start a daemon or hide a typo
        std::fprintf(stderr, "basis-treed: %s stands alone\n", argv[i]);
        return usage(stderr);
      }
      if (arg == "--version") return std::printf("basis-treed %s\n", basis::kVersion), 0;
      return usage(stdout);
    }
    // --name VALUE or --name=VALUE, as the other binaries take them.
    std::string_view name = arg.substr(0, arg.find('='));
    const bool inline_value = name.size() < arg.size();
    std::string* value = name == "--config" ? &flags->config_path : name == "--data-dir" ? &flags->data_dir : nullptr;
    if (!value) {
      std::fprintf(stderr, "basis-treed: unknown argument '%s'\n", argv[i]);
      return usage(stderr);
    }
    bool& given = name == "--config" ? given_config : given_data_dir;
    if (given) {
      std::fprintf(stderr, "basis-treed: %.*s is given twice\n", static_cast<int>(name.size()), name.data());
      return usage(stderr);
    }
    given = true;
    std::string_view v = inline_value ? arg.substr(name.size() + 1)
                                      : (i + 1 < argc ? std::string_view(argv[i + 1]) : std::string_view());
    if (v.empty() || (!inline_value && v.substr(0, 2) == "--")) {  // `--data-dir --config x`
      std::fprintf(stderr, "basis-treed: %.*s needs a value\n", static_cast<int>(name.size()), name.data());
      return usage(stderr);
    }
    if (!inline_value) ++i;
    *value = std::string(v);
  }
  return -1;
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

// SIGHUP: the log file at its configured path again (logrotate renamed it).
void reopen_log_files(spdlog::logger& log) {
  size_t reopened = 0;
  std::string error;
  if (!basis::engine::reopen_log_files(&reopened, &error)) {
    log.error("SIGHUP: cannot reopen the log file: {}", error);
  } else if (reopened == 0) {
    log.info("SIGHUP: no log file to reopen (logging.file is not set)");
  } else {
    log.info("SIGHUP: log file reopened");
  }
}

// The STATUS= text systemd shows once the daemon is ready.
std::string recovery_summary(const basis::Runtime::RecoveryReport& r) {
  std::string text = std::string("recovered: ") + basis::recovery_path_name(r.path);
  if (r.checkpoint_id != 0) text += ", checkpoint " + std::to_string(r.checkpoint_id);
  text += ", " + std::to_string(r.replayed) + " operations replayed in " + std::to_string(static_cast<uint64_t>(r.milliseconds)) + " ms";
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace basis;
  Flags flags;
  if (int exit_code = parse_flags(argc, argv, &flags); exit_code >= 0) return exit_code;
  config::Config cfg;  // the embedded defaults
  if (!flags.config_path.empty()) {
    if (config::Status s = config::load_file(flags.config_path, &cfg); !s.is_ok()) {
      std::fprintf(stderr, "basis-treed: %s\n", s.message().c_str());
      return kUsageError;
    }
  }
  if (!flags.data_dir.empty()) cfg.storage.data_dir = flags.data_dir;
  std::string token, error;
  if (!read_token(cfg, &token, &error)) {
    std::fprintf(stderr, "basis-treed: %s\n", error.c_str());
    return kUsageError;
  }
  const std::string& listen = cfg.server.listen;
  size_t colon = listen.rfind(':');
  std::string host = listen.substr(0, colon);
  int port = std::stoi(listen.substr(colon + 1));  // validated by the configuration

  // SIGTERM, SIGINT and SIGHUP go to one thread, which stops the server or
  // reopens the log file; every other thread (the runtime's too) is created
  // with them blocked. One that comes during recovery waits for it.
  sigset_t handled_signals;
  sigemptyset(&handled_signals);
  sigaddset(&handled_signals, SIGTERM);
  sigaddset(&handled_signals, SIGINT);
  sigaddset(&handled_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &handled_signals, nullptr);
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
    return kUsageError;
  }
  if (!server->bind(host, &port, &error)) {
    log->error("{}", error);
    std::fprintf(stderr, "basis-treed: %s\n", error.c_str());
    return 1;
  }

  const daemon::ServiceNotifier service_manager;
  // `state` is VARIABLE=value lines; a value (a data directory's name) can
  // hold no line break that would start another variable.
  auto one_line = [](std::string text) {
    for (char& c : text) c = (c == '\n' || c == '\r') ? ' ' : c;
    return text;
  };
  auto tell_service_manager = [&](const std::string& state) {
    if (std::string why; !service_manager.notify(state, &why)) log->warn("cannot notify the service manager: {}", why);
  };
  tell_service_manager("STATUS=recovering the store in " + one_line(cfg.storage.data_dir));
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
  options.max_oplog_bytes = cfg.persistence.max_answer_bytes;
  options.token = token;
  daemon::install_api(*server, *rt, metrics, options, log);

  // When only a restart heals the store (RocksDB 7.8 writes nothing more to
  // a write-ahead log that failed; a prover that failed too often is not
  // rebuilt again), the daemon exits with 75 (EX_TEMPFAIL), as after
  // SIGTERM, so that its service manager (Restart=on-failure) starts it
  // again at once; the restart recovers every acknowledged batch.
  std::atomic<bool> restart_needed{false}, stopping{false}, stop_requested{false}, listen_returned{false};
  std::thread watchdog([&] {
    while (!stopping) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      if (stopping || !rt->state().restart_needed) continue;
      log->error("only a restart can heal the store ({}): stopping with exit code 75 so that the service "
                 "manager restarts the daemon (every acknowledged batch is durable)",
                 rt->state().writes.to_string());
      restart_needed = true;
      tell_service_manager("STATUS=only a restart heals the store: stopping with exit code 75");
      ::kill(::getpid(), SIGTERM);  // the signal handler below finishes the requests in flight
      return;
    }
  });
  std::thread signal_handler([&] {
    for (;;) {
      int sig = 0;
      if (sigwait(&handled_signals, &sig) != 0) continue;
      if (sig == SIGHUP) {
        reopen_log_files(*log);
        continue;
      }
      stop_requested = true;
      if (!listen_returned) {
        tell_service_manager("STOPPING=1\nSTATUS=stopping: finishing the requests in flight");
        log->info("{} received: finishing the requests in flight", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      }
      // httplib forgets a stop() that comes before listen_after_bind() runs
      // (a signal pending since recovery): wait until it listens.
      while (!server->is_running() && !listen_returned) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      server->stop();
      return;
    }
  });
  const std::string serving = "listening on " + host + ":" + std::to_string(port);
  log->info("{}{}{}", serving, cfg.server.tls_certificate.empty() ? "" : " (TLS)",
            token.empty() ? "" : " (bearer token required)");
  std::printf("%s\n", serving.c_str());
  std::fflush(stdout);
  // The socket listens since bind(): a connection made from now on is served.
  tell_service_manager("READY=1\nSTATUS=" + one_line(serving + "; " + recovery_summary(rt->recovery())));
  server->listen_after_bind();  // returns once stopped, after the requests in flight
  listen_returned = true;
  const bool listener_failed = !stop_requested;
  if (listener_failed) {
    // Not asked to stop: accept() failed. Stop as after SIGTERM; a restart listens again.
    log->error("the listener on {}:{} failed: stopping with exit code 1", host, port);
    tell_service_manager("STOPPING=1\nSTATUS=the listener failed: stopping");
    pthread_kill(signal_handler.native_handle(), SIGTERM);
  }
  signal_handler.join();
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
  if (restart_needed || listener_failed) {
    log->flush();
    return restart_needed ? 75 : 1;
  }
  log->info("stopped cleanly at sequence {}", last);
  log->flush();
  return 0;
}
