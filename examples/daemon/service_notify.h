// Tells the service manager how the daemon is doing, with systemd's notify
// protocol (sd_notify(3), a stable interface): one datagram of
// newline-separated VARIABLE=value lines ("READY=1", "STOPPING=1",
// "STATUS=text") to the unix socket named by $NOTIFY_SOCKET, a path or, when
// it starts with '@', an abstract name. Without $NOTIFY_SOCKET (not started
// by systemd as Type=notify) it does nothing. The protocol is a few lines,
// so it is written here rather than linking libsystemd (and its own
// dependencies) into the daemon.
#pragma once

#include <string>
#include <string_view>

namespace basis::daemon {

class ServiceNotifier {
 public:
  // Reads $NOTIFY_SOCKET (once: the environment is not read again).
  ServiceNotifier();

  bool enabled() const { return !socket_path_.empty(); }

  // Sends `state` as one datagram. True when sent or when there is no
  // service manager to tell; false, with *error saying why, otherwise (a
  // socket that is gone, a name that is too long, an address kind other
  // than a path or '@').
  bool notify(std::string_view state, std::string* error) const;

 private:
  std::string socket_path_;
};

}  // namespace basis::daemon
