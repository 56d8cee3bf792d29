// An httplib server whose connections are bounded and cannot starve each
// other. httplib accepts and routes; this class owns what happens on a
// connection:
//   - every open connection has a thread of its own (a pool that grows to
//     max_connections), so an idle or slow client holds only its own thread;
//     one connection more is answered 503 and closed at once;
//   - a request's line and headers must arrive within header_timeout of its
//     first byte and its body within body_timeout after them (else 408, and
//     the connection is closed); a kept-alive connection with no request is
//     closed after idle_timeout, a client that does not read its answer after
//     write_timeout;
//   - pipelined requests are answered in order (bytes read ahead stay with
//     the connection); after an answer that leaves the stream in doubt (400,
//     408, 413, 431) the connection is closed, never silently dropped;
//   - plain HTTP or TLS (OpenSSL) over the same model.
// stop() (httplib's) ends idle connections at once and lets the requests in
// flight finish. Thread-safe as httplib::Server is: configure, then listen.
#pragma once

#include <httplib.h>
#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace basis::daemon {

struct ConnectionLimits {
  uint32_t max_connections = 256;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{60'000};
  std::chrono::milliseconds idle_timeout{30'000};
  std::chrono::milliseconds write_timeout{30'000};
};

class ConnectionServer : public httplib::Server {
 public:
  explicit ConnectionServer(const ConnectionLimits& limits);
  ~ConnectionServer() override;

  ConnectionServer(const ConnectionServer&) = delete;
  ConnectionServer& operator=(const ConnectionServer&) = delete;

  // Serves HTTPS from these PEM files from now on. False, with *error naming
  // the file or the problem, when they cannot be loaded or do not match.
  bool enable_tls(const std::string& certificate_file, const std::string& key_file, std::string* error);

  // Binds without SO_REUSEPORT (httplib's default sets it, and a second
  // daemon on a taken port would then share it). False, with *error naming
  // the address and the system's reason, when the port is taken.
  bool bind(const std::string& host, int* port, std::string* error);

  uint64_t open_connections() const { return open_.load(); }
  uint64_t refused_connections() const { return refused_.load(); }
  uint64_t timed_out_requests() const { return timed_out_.load(); }

 private:
  bool process_and_close_socket(socket_t sock) override;
  bool stopping() const { return svr_sock_ == INVALID_SOCKET; }
  void serve(socket_t sock);

  const ConnectionLimits limits_;
  SSL_CTX* tls_ = nullptr;  // owned; null for plain HTTP
  std::atomic<uint64_t> open_{0};
  std::atomic<uint64_t> refused_{0};
  std::atomic<uint64_t> timed_out_{0};
};

}  // namespace basis::daemon
