#include "examples/daemon/service_notify.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace basis::daemon {

ServiceNotifier::ServiceNotifier() {
  if (const char* path = std::getenv("NOTIFY_SOCKET")) socket_path_ = path;
}

bool ServiceNotifier::notify(std::string_view state, std::string* error) const {
  if (socket_path_.empty()) return true;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path_[0] != '/' && socket_path_[0] != '@') {
    *error = "NOTIFY_SOCKET '" + socket_path_ + "' is neither a path nor an abstract name ('@')";
    return false;
  }
  if (socket_path_.size() > sizeof(address.sun_path) - 1) {
    *error = "NOTIFY_SOCKET is longer than a unix socket name can be";
    return false;
  }
  std::memcpy(address.sun_path, socket_path_.data(), socket_path_.size());
  if (address.sun_path[0] == '@') address.sun_path[0] = '\0';  // abstract: no file, no terminating 0
  socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_path_.size() +
                                            (socket_path_[0] == '/' ? 1 : 0));
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("NOTIFY_SOCKET: socket: ") + std::strerror(errno);
    return false;
  }
  // A service manager that does not read must not hold the daemon for long.
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  ssize_t sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&address), length);
  int sent_errno = errno;
  ::close(fd);
  if (sent < 0 || static_cast<size_t>(sent) != state.size()) {
    *error = "NOTIFY_SOCKET " + socket_path_ + ": " + (sent < 0 ? std::strerror(sent_errno) : "a short send");
    return false;
  }
  return true;
}

}  // namespace basis::daemon
