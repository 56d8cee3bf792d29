// One client connection as an httplib::Stream, over a non-blocking socket
// (plain or TLS) with deadlines: every read waits at most until the deadline
// of the current phase (the request's head, then its body), every write at
// most write_timeout. Bytes read ahead stay buffered for the next request, so
// pipelined requests are answered in order. Not thread-safe: one connection
// thread owns it.
#pragma once

#include <httplib.h>
#include <openssl/ssl.h>

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace basis::daemon {

// The head of the request the calling thread's connection is serving, as
// received (empty off a connection thread): httplib's parsed request has
// percent-decoded header values and lost duplicates, and the framing and the
// token are checked on the bytes themselves (request_checks.h).
std::string_view current_request_head();

// When the request the calling thread's connection is serving began (its
// first byte arrived); nullopt off a connection thread. For the access log.
std::optional<std::chrono::steady_clock::time_point> current_request_started();

class ConnectionStream final : public httplib::Stream {
 public:
  using Clock = std::chrono::steady_clock;

  // `sock` must be non-blocking; `tls` (may be null) is an accepted TLS
  // session over it. Neither is owned. `stopping` says the server is
  // stopping: reads give up then (writes go on, to finish answers).
  ConnectionStream(socket_t sock, SSL* tls, std::chrono::milliseconds write_timeout,
                   std::function<bool()> stopping);

  ~ConnectionStream() override;
  ConnectionStream(const ConnectionStream&) = delete;
  ConnectionStream& operator=(const ConnectionStream&) = delete;

  // Waits up to `idle` for the first byte of a request. False on a timeout,
  // the peer closing, an error, or the server stopping.
  bool wait_for_request(std::chrono::milliseconds idle);
  // Starts a request: its head must arrive within `head`, then its body
  // within `body`.
  void begin_request(std::chrono::milliseconds head, std::chrono::milliseconds body);

  bool timed_out() const { return timed_out_; }
  // The status of the answer written to this request (0: none yet).
  int answered_status() const { return answered_status_; }
  // Whether that answer says "Connection: close".
  bool answer_closes() const;

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return sock_; }

 private:
  // One non-blocking read (into `read_into`) or write (from `write_from`),
  // plain or TLS: > 0 bytes moved, -1 to wait for `*want` on the socket and
  // try again, 0 closed or broken.
  ssize_t transfer(char* read_into, const char* write_from, size_t size, short* want);
  // Fills the buffer: false on timeout (timed_out_ set), EOF or error.
  bool fill();
  // Waits for `events` on the socket until `deadline`; false on timeout.
  bool wait(short events, Clock::time_point deadline, bool give_up_when_stopping) const;
  void note_head_bytes(const char* p, size_t n);
  void note_answer(const char* p, size_t n);

  const socket_t sock_;
  SSL* const tls_;
  const std::chrono::milliseconds write_timeout_;
  const std::function<bool()> stopping_;

  std::array<char, 16 * 1024> buffer_;
  size_t begin_ = 0, end_ = 0;  // unread bytes: buffer_[begin_, end_)

  bool in_head_ = false;
  int head_state_ = 0;  // progress through "\r\n\r\n" (or "\n\n")
  std::chrono::milliseconds body_timeout_{0};
  Clock::time_point deadline_;
  bool timed_out_ = false;
  int answered_status_ = 0;
  std::string answer_head_;  // the answer's first bytes, up to kHeadBytes
  std::string request_head_;  // the request's head as received, up to kHeadBytes
  Clock::time_point write_deadline_;  // for the whole answer
  Clock::time_point request_started_;
};

}  // namespace basis::daemon
