#include "examples/daemon/connection_stream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

namespace basis::daemon {

namespace {

// Waits are cut into slices so that a stopping server is noticed soon.
constexpr std::chrono::milliseconds kSlice{100};
// The bytes of a head kept for checks: more than httplib takes in one.
constexpr size_t kHeadBytes = 64 * 1024;

thread_local const std::string* current_head = nullptr;
thread_local const std::chrono::steady_clock::time_point* current_started = nullptr;

void address_of(const sockaddr_storage& addr, std::string& ip, int& port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    port = ntohs(a->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    port = ntohs(a->sin6_port);
  }
  ip = text;
}

}  // namespace

std::string_view current_request_head() { return current_head ? std::string_view(*current_head) : std::string_view(); }

std::optional<std::chrono::steady_clock::time_point> current_request_started() {
  if (!current_started) return std::nullopt;
  return *current_started;
}

ConnectionStream::ConnectionStream(socket_t sock, SSL* tls, std::chrono::milliseconds write_timeout,
                                   std::function<bool()> stopping)
    : sock_(sock), tls_(tls), write_timeout_(write_timeout), stopping_(std::move(stopping)) {
  current_head = &request_head_;
  current_started = &request_started_;
}

ConnectionStream::~ConnectionStream() {
  if (current_head == &request_head_) current_head = nullptr;
  if (current_started == &request_started_) current_started = nullptr;
}

bool ConnectionStream::wait(short events, Clock::time_point deadline, bool give_up_when_stopping) const {
  for (;;) {
    auto now = Clock::now();
    if (now >= deadline) return false;
    if (give_up_when_stopping && stopping_()) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    pollfd p{sock_, events, 0};
    int r = ::poll(&p, 1, static_cast<int>(std::min(left, kSlice).count()) + 1);
    if (r > 0) return true;  // ready, or an error the next call reports
    if (r < 0 && errno != EINTR) return false;
  }
}

ssize_t ConnectionStream::transfer(char* read_into, const char* write_from, size_t size, short* want) {
  const bool reading = read_into != nullptr;
  *want = reading ? POLLIN : POLLOUT;
  if (tls_) {
    ERR_clear_error();
    const int len = static_cast<int>(std::min<size_t>(size, 1 << 30));
    int r = reading ? SSL_read(tls_, read_into, len) : SSL_write(tls_, write_from, len);
    if (r > 0) return r;
    int e = SSL_get_error(tls_, r);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) return 0;  // closed or broken
    *want = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;  // a renegotiation may want the other way
    return -1;
  }
  ssize_t n = reading ? ::recv(sock_, read_into, size, MSG_DONTWAIT)
                      : ::send(sock_, write_from, size, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n > 0) return n;
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return -1;
  return 0;  // the peer closed, or an error
}

bool ConnectionStream::fill() {
  begin_ = end_ = 0;
  for (;;) {
    short want = POLLIN;
    ssize_t n = transfer(buffer_.data(), nullptr, buffer_.size(), &want);
    if (n == 0) return false;
    if (n > 0) {
      end_ = static_cast<size_t>(n);
      return true;
    }
    // A stopping server gives up reads: a request whose bytes have not all
    // arrived is not in flight yet (nothing of it was applied).
    if (!wait(want, deadline_, true)) {
      timed_out_ = Clock::now() >= deadline_;
      return false;
    }
  }
}

bool ConnectionStream::wait_for_request(std::chrono::milliseconds idle) {
  if (begin_ < end_) return true;  // a pipelined request is already here
  if (tls_ && SSL_pending(tls_) > 0) return true;
  auto deadline = Clock::now() + idle;
  in_head_ = true;
  deadline_ = deadline;
  bool ok = fill();
  timed_out_ = false;  // an idle timeout is no request's
  return ok;
}

void ConnectionStream::begin_request(std::chrono::milliseconds head, std::chrono::milliseconds body) {
  in_head_ = true;
  head_state_ = 0;
  body_timeout_ = body;
  request_started_ = Clock::now();
  deadline_ = request_started_ + head;
  timed_out_ = false;
  answered_status_ = 0;
  answer_head_.clear();
  request_head_.clear();
}

void ConnectionStream::note_head_bytes(const char* p, size_t n) {
  for (size_t i = 0; i < n && in_head_; ++i) {
    char c = p[i];
    if (request_head_.size() < kHeadBytes) request_head_ += c;
    // States: 0 none, 1 "\r", 2 "\r\n", 3 "\r\n\r"; a bare "\n\n" ends it too.
    if (c == '\n') {
      if (head_state_ == 2 || head_state_ == 3 || head_state_ == 4) {
        in_head_ = false;  // the head is complete: the body's clock starts
        deadline_ = Clock::now() + body_timeout_;
      } else {
        head_state_ = 4;  // after a line end ("\n" alone or "\r\n")
      }
    } else if (c == '\r') {
      head_state_ = head_state_ == 4 ? 3 : 1;
    } else {
      head_state_ = 0;
    }
  }
}

bool ConnectionStream::is_readable() const {
  if (begin_ < end_) return true;
  if (tls_ && SSL_pending(tls_) > 0) return true;
  return wait(POLLIN, deadline_, true);
}

bool ConnectionStream::is_writable() const {
  return wait(POLLOUT, Clock::now() + write_timeout_, false);
}

ssize_t ConnectionStream::read(char* ptr, size_t size) {
  if (begin_ == end_ && !fill()) return -1;
  size_t n = std::min(size, end_ - begin_);
  std::memcpy(ptr, buffer_.data() + begin_, n);
  begin_ += n;
  if (in_head_) note_head_bytes(ptr, n);
  return static_cast<ssize_t>(n);
}

void ConnectionStream::note_answer(const char* p, size_t n) {
  // An answer starts with its status line, "HTTP/1.1 NNN ...", then headers;
  // an interim answer (100 Continue) may come first and is passed over.
  if (answer_head_.empty()) write_deadline_ = Clock::now() + write_timeout_;
  if (answer_head_.size() < kHeadBytes) answer_head_.append(p, std::min(n, kHeadBytes - answer_head_.size()));
  if (answer_head_.size() >= 12 && answer_head_.compare(0, 10, "HTTP/1.1 1") == 0) {
    size_t end = answer_head_.find("\r\n\r\n");
    if (end == std::string::npos) return;
    answer_head_.erase(0, end + 4);
  }
  if (answered_status_ == 0 && answer_head_.size() >= 12) {
    int code = 0;
    for (size_t i = 9; i < 12; ++i) {
      char c = answer_head_[i];
      code = c >= '0' && c <= '9' ? code * 10 + (c - '0') : -1000;
    }
    answered_status_ = code > 0 ? code : 1;
  }
}

bool ConnectionStream::answer_closes() const {
  size_t end = answer_head_.find("\r\n\r\n");
  std::string head = answer_head_.substr(0, end);
  for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return head.find("\r\nconnection: close") != std::string::npos;
}

ssize_t ConnectionStream::write(const char* ptr, size_t size) {
  note_answer(ptr, size);
  // One deadline for the whole answer: a client reading a byte at a time
  // cannot hold its connection past write_timeout.
  const auto deadline = write_deadline_;
  size_t done = 0;
  while (done < size) {
    short want = POLLOUT;
    ssize_t n = transfer(nullptr, ptr + done, size - done, &want);
    if (n == 0) return -1;
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (!wait(want, deadline, false)) return -1;
  }
  return static_cast<ssize_t>(size);
}

void ConnectionStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  port = 0;
  ip.clear();
  if (::getpeername(sock_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) address_of(addr, ip, port);
}

void ConnectionStream::get_local_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  port = 0;
  ip.clear();
  if (::getsockname(sock_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) address_of(addr, ip, port);
}

}  // namespace basis::daemon
