#include "examples/daemon/connection_server.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "examples/daemon/connection_stream.h"
#include "examples/daemon/error_codes.h"
#include "examples/daemon/request_id.h"

namespace basis::daemon {

namespace {

// Connection threads: one per task while fewer than `max_threads` exist (a
// connection holds its thread for as long as it is open); idle threads
// take the next task. The few threads beyond max_connections only answer
// the connections over the limit with a 503.
class ConnectionThreads final : public httplib::TaskQueue {
 public:
  explicit ConnectionThreads(size_t max_threads) : max_threads_(max_threads) {}
  ~ConnectionThreads() override { shutdown(); }

  void enqueue(std::function<void()> fn) override {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.push_back(std::move(fn));
    if (idle_ == 0 && threads_.size() < max_threads_) {
      threads_.emplace_back([this] { run(); });
    } else {
      wake_.notify_one();
    }
  }

  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      while (tasks_.empty() && !stopping_) {
        ++idle_;
        wake_.wait(lock);
        --idle_;
      }
      if (tasks_.empty()) return;  // stopping, nothing left
      auto fn = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      fn();
      lock.lock();
    }
  }

  const size_t max_threads_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> threads_;
  size_t idle_ = 0;
  bool stopping_ = false;
};

constexpr size_t kRefusingThreads = 4;

// A closing answer of our own, for connections refused before (or instead
// of) what httplib answers, in the API's error shape with a request id of
// its own. `message` is ASCII without quotes.
std::string closing_answer(ErrorCode code, const char* reason, const std::string& message) {
  std::string body = "{\"error\":{\"code\":\"" + std::string(error_code_name(code)) + "\",\"message\":\"" + message + "\"}}";
  return "HTTP/1.1 " + std::to_string(error_code_status(code)) + " " + reason +
         "\r\nContent-Type: application/json\r\nConnection: close\r\nX-Request-Id: " + new_request_id() +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Closes after the last answer: our side first, then what the client still
// sends is read and dropped for a moment, since closing with unread bytes
// resets the connection and can destroy the answer before the client reads it.
void close_socket(socket_t sock) {
  ::shutdown(sock, SHUT_WR);
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  char sink[4096];
  for (;;) {
    ssize_t n = ::recv(sock, sink, sizeof sink, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) break;
    if (n > 0) continue;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{sock, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
  }
  ::close(sock);
}

}  // namespace

ConnectionServer::ConnectionServer(const ConnectionLimits& limits) : limits_(limits) {
  const size_t max_threads = limits_.max_connections + kRefusingThreads;
  new_task_queue = [max_threads] { return new ConnectionThreads(max_threads); };
  set_keep_alive_max_count(100'000);  // clients keep their connections (see the README)
  set_keep_alive_timeout(std::max<time_t>(1, limits_.idle_timeout.count() / 1000));  // what answers announce
}

ConnectionServer::~ConnectionServer() {
  if (tls_) SSL_CTX_free(tls_);
}

bool ConnectionServer::enable_tls(const std::string& certificate_file, const std::string& key_file,
                                  std::string* error) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) {
    *error = "cannot create a TLS context";
    return false;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (SSL_CTX_use_certificate_chain_file(ctx, certificate_file.c_str()) != 1) {
    *error = "server.tls_certificate: cannot load " + certificate_file;
  } else if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    *error = "server.tls_key: cannot load " + key_file;
  } else if (SSL_CTX_check_private_key(ctx) != 1) {
    *error = "server.tls_key: " + key_file + " does not match " + certificate_file;
  } else {
    if (tls_) SSL_CTX_free(tls_);
    tls_ = ctx;
    return true;
  }
  ERR_clear_error();
  SSL_CTX_free(ctx);
  return false;
}

bool ConnectionServer::bind(const std::string& host, int* port, std::string* error) {
  set_socket_options([](socket_t sock) {
    int yes = 1;  // SO_REUSEADDR only: restart over TIME_WAIT, never share a live port
    (void)::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  errno = 0;
  int bound = *port == 0 ? bind_to_any_port(host) : (bind_to_port(host, *port) ? *port : -1);
  if (bound <= 0) {
    int e = errno;
    *error = "cannot listen on " + host + ":" + std::to_string(*port) +
             (e ? std::string(": ") + std::strerror(e) : std::string()) +
             (e == EADDRINUSE ? " (another process holds the port)" : "");
    return false;
  }
  // httplib listens with a backlog of 5: a burst of clients would wait for
  // SYN retransmits (1 s, 3 s, ...). Listening again only raises it.
  (void)::listen(svr_sock_, SOMAXCONN);
  *port = bound;
  return true;
}

bool ConnectionServer::process_and_close_socket(socket_t sock) {
  if (open_.fetch_add(1) >= limits_.max_connections) {
    open_.fetch_sub(1);
    refused_.fetch_add(1);
    const std::string text = closing_answer(
        ErrorCode::kTooManyConnections, "Service Unavailable", "too many connections: server.max_connections is " + std::to_string(limits_.max_connections));
    (void)::send(sock, text.data(), text.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    close_socket(sock);
    return true;
  }
  serve(sock);
  close_socket(sock);
  open_.fetch_sub(1);
  return true;
}

void ConnectionServer::serve(socket_t sock) {
  int flags = ::fcntl(sock, F_GETFL, 0);
  if (flags < 0 || ::fcntl(sock, F_SETFL, flags | O_NONBLOCK) < 0) return;
  int yes = 1;
  (void)::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);

  SSL* tls = nullptr;
  if (tls_) {
    tls = SSL_new(tls_);
    if (!tls || SSL_set_fd(tls, sock) != 1) {
      if (tls) SSL_free(tls);
      return;
    }
    // The handshake is part of the first request's head: the same deadline.
    auto deadline = std::chrono::steady_clock::now() + limits_.header_timeout;
    for (;;) {
      ERR_clear_error();
      int r = SSL_accept(tls);
      if (r == 1) break;
      int e = SSL_get_error(tls, r);
      short want = e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{sock, want, 0};
      if (want == 0 || left.count() <= 0 || stopping() || ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 100)) + 1) < 0) {
        SSL_free(tls);
        return;
      }
    }
  }

  ConnectionStream strm(sock, tls, limits_.write_timeout, [this] { return stopping(); });
  for (size_t served = 0; served < keep_alive_max_count_; ++served) {
    if (!strm.wait_for_request(limits_.idle_timeout)) break;
    strm.begin_request(limits_.header_timeout, limits_.body_timeout);
    bool connection_closed = false;
    const bool last = stopping() || served + 1 == keep_alive_max_count_;
    // The API answers whole and refuses a Range header (http_api.cc); httplib
    // would still cut that refusal to the range asked for.
    bool ok = process_request(strm, last, connection_closed, [](httplib::Request& req) { req.ranges.clear(); });
    if (strm.timed_out()) {
      timed_out_.fetch_add(1);
      if (strm.answered_status() == 0) {
        const std::string text = closing_answer(
            ErrorCode::kRequestTimeout, "Request Timeout", "the request did not arrive within server.header_timeout / server.body_timeout");
        (void)strm.write(text.data(), text.size());
      }
      break;
    }
    // An answer that closes (a malformed request, an unread body: the rest
    // of the stream cannot be trusted to start a request) ends the connection.
    if (!ok || connection_closed || last || strm.answered_status() == 0 || strm.answer_closes()) break;
  }
  if (tls) {
    (void)SSL_shutdown(tls);  // best effort close_notify; the socket closes anyway
    SSL_free(tls);
  }
}

}  // namespace basis::daemon
