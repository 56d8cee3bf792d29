// The daemon as an operator runs it: --version, --help and bad flags; SIGHUP
// reopening the log file after logrotate renamed it; lines on disk within
// logging.flush_interval; JSON logs that parse; systemd's notify protocol
// (READY=1 once recovered and listening, STOPPING=1 at SIGTERM).
#include <catch2/catch.hpp>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstddef>
#include <cstring>
#include <filesystem>
#include <random>
#include <sstream>

#include "basis/version.h"
#include "tests/daemon_process.h"
#include "tests/storage_test_util.h"

using basis::storage::testing::TempDir;
using basis::testing::DaemonProcess;
using basis::testing::eventually;
using basis::testing::file_text;
using namespace std::chrono_literals;

namespace {

// A configuration on a free loopback port with its own data directory;
// `logging` is the body of the [logging] section.
std::string write_config(const TempDir& dir, const std::string& logging) {
  std::string path = dir.path("basis-treed.toml");
  std::ofstream(path) << "[storage]\ndata_dir = \"" << dir.path("data") << "\"\n"
                      << "[server]\nlisten = \"127.0.0.1:0\"\n"
                      << "[logging]\n" << logging;
  return path;
}

std::unique_ptr<DaemonProcess> start(const TempDir& dir, const std::vector<std::string>& args,
                                     const std::vector<std::string>& env = {}) {
  return std::make_unique<DaemonProcess>(BASIS_DAEMON_PATH, args, env, dir.path("stderr"));
}

struct Run {
  int exit_code;
  std::string out, err;
};

// Runs the daemon to its exit.
Run run(const TempDir& dir, const std::vector<std::string>& args) {
  DaemonProcess p(BASIS_DAEMON_PATH, args, {}, dir.path("stderr"));
  std::string out = p.rest_of_stdout();
  int code = p.wait_exit();
  return {code, out, file_text(dir.path("stderr"))};
}

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

int get_status(int port, const std::string& path) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(30, 0);
  auto r = c.Get(path.c_str());
  return r ? r->status : -1;
}

// A unix datagram socket standing in for systemd's notify socket.
class NotifySocket {
 public:
  // `name`: a path, or "@name" for an abstract socket.
  explicit NotifySocket(const std::string& name) : name_(name) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    REQUIRE(name.size() < sizeof(a.sun_path));
    std::memcpy(a.sun_path, name.data(), name.size());
    if (name[0] == '@') a.sun_path[0] = '\0';
    socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + (name[0] == '@' ? 0 : 1));
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), length) == 0);
  }
  ~NotifySocket() { ::close(fd_); }
  const std::string& name() const { return name_; }
  // The next datagram, or "" after `timeout`.
  std::string receive(std::chrono::milliseconds timeout) {
    timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }

 private:
  std::string name_;
  int fd_ = -1;
};

}  // namespace

TEST_CASE("basis-treed --version, --help, and a bad flag named with the usage", "[daemon][ops]") {
  TempDir dir;
  Run version = run(dir, {"--version"});
  REQUIRE(version.exit_code == 0);
  REQUIRE(version.out == std::string("basis-treed ") + BASIS_VERSION_STRING + "\n");

  Run help = run(dir, {"--help"});
  REQUIRE(help.exit_code == 0);
  REQUIRE(help.out.find("usage: basis-treed") == 0);
  REQUIRE(help.out.find("--data-dir DIR") != std::string::npos);
  REQUIRE(help.out.find("SIGHUP") != std::string::npos);

  Run bad = run(dir, {"--bogus"});
  REQUIRE(bad.exit_code == 2);
  REQUIRE(bad.out.empty());
  REQUIRE(bad.err.find("basis-treed: unknown argument '--bogus'") == 0);
  REQUIRE(bad.err.find("usage: basis-treed") != std::string::npos);

  Run missing = run(dir, {"--config"});
  REQUIRE(missing.exit_code == 2);
  REQUIRE(missing.err.find("basis-treed: --config needs a value") == 0);
  REQUIRE(run(dir, {"--data-dir", ""}).exit_code == 2);

  Run twice = run(dir, {"--data-dir", dir.path("a"), "--data-dir", dir.path("b")});
  REQUIRE(twice.exit_code == 2);
  REQUIRE(twice.err.find("basis-treed: --data-dir is given twice") == 0);
  Run swallowed = run(dir, {"--data-dir", "--config", dir.path("x.toml")});
  REQUIRE(swallowed.exit_code == 2);
  REQUIRE(swallowed.err.find("basis-treed: --data-dir needs a value") == 0);
  REQUIRE(run(dir, {"--version", "extra"}).exit_code == 2);
  REQUIRE(!std::filesystem::exists(dir.path("a")));  // nothing started
  Run inline_value = run(dir, {"--config=" + dir.path("missing.toml")});  // --name=VALUE too
  REQUIRE(inline_value.exit_code == 2);
  REQUIRE(inline_value.err.find("missing.toml") != std::string::npos);

  Run no_file = run(dir, {"--config", dir.path("missing.toml")});
  REQUIRE(no_file.exit_code == 2);
  REQUIRE(no_file.err.find("missing.toml") != std::string::npos);
}

TEST_CASE("SIGHUP reopens the log file after logrotate renamed it", "[daemon][ops]") {
  TempDir dir;
  const std::string log = dir.path("daemon.log");
  std::string config = write_config(dir, "level = \"info\"\nfile = \"" + log + "\"\n");
  auto d = start(dir, {"--config", config});
  int port = d->wait_listening();
  REQUIRE(port > 0);
  REQUIRE(eventually([&] { return file_text(log).find("listening on") != std::string::npos; }, 5s));

  // logrotate without `create`: rename, then postrotate's SIGHUP.
  std::filesystem::rename(log, log + ".1");
  d->send(SIGHUP);
  REQUIRE(eventually([&] { return count(file_text(log), "SIGHUP: log file reopened") == 1; }, 5s));
  REQUIRE(file_text(log + ".1").find("SIGHUP") == std::string::npos);
  REQUIRE(get_status(port, "/v1/digest") == 200);

  // With `create`: an empty file is already at the path. Two SIGHUPs at once.
  std::filesystem::rename(log + ".1", log + ".2");
  std::filesystem::rename(log, log + ".1");
  std::ofstream{log};
  d->send(SIGHUP);
  d->send(SIGHUP);
  REQUIRE(eventually([&] { return count(file_text(log), "SIGHUP: log file reopened") >= 1; }, 5s));
  REQUIRE(get_status(port, "/v1/digest") == 200);
  REQUIRE(get_status(port, "/v1/health/ready") == 200);

  REQUIRE(d->wait_exit_after(SIGTERM) == 0);
  std::string last = file_text(log);
  REQUIRE(last.find("SIGTERM received") != std::string::npos);
  REQUIRE(last.find("stopped cleanly") != std::string::npos);
  REQUIRE(last.find("listening on") == std::string::npos);  // that went to the first file
  REQUIRE(file_text(log + ".2").find("listening on") != std::string::npos);
  REQUIRE(file_text(log + ".1").find("stopped cleanly") == std::string::npos);
}

TEST_CASE("SIGHUP without a log file, and a notify socket that is not there, are harmless", "[daemon][ops]") {
  TempDir dir;
  std::string config = write_config(dir, "level = \"info\"\n");
  auto d = start(dir, {"--config", config}, {"NOTIFY_SOCKET=" + dir.path("no-such-socket")});
  int port = d->wait_listening();
  REQUIRE(port > 0);
  d->send(SIGHUP);
  d->send(SIGHUP);
  REQUIRE(eventually([&] { return file_text(dir.path("stderr")).find("no log file to reopen") != std::string::npos; },
                     5s));
  REQUIRE(get_status(port, "/v1/digest") == 200);
  REQUIRE(file_text(dir.path("stderr")).find("cannot notify the service manager") != std::string::npos);
  REQUIRE(d->wait_exit_after(SIGTERM) == 0);
}

TEST_CASE("a log file that cannot be opened: standard error only, said at start and at SIGHUP", "[daemon][ops]") {
  TempDir dir;
  std::filesystem::create_directory(dir.path("a-directory"));
  std::string config = write_config(dir, "level = \"info\"\nfile = \"" + dir.path("a-directory") + "\"\n");
  auto d = start(dir, {"--config", config});
  int port = d->wait_listening();
  REQUIRE(port > 0);
  auto err = [&] { return file_text(dir.path("stderr")); };
  REQUIRE(eventually([&] { return err().find("listening on") != std::string::npos; }, 5s));
  REQUIRE(err().find("logging.file: ") != std::string::npos);
  REQUIRE(err().find("logging to standard error only") != std::string::npos);
  d->send(SIGHUP);
  REQUIRE(eventually([&] { return err().find("could not be opened at start") != std::string::npos; }, 5s));
  REQUIRE(get_status(port, "/v1/digest") == 200);
  REQUIRE(d->wait_exit_after(SIGTERM) == 0);
}

TEST_CASE("an info line is on disk within logging.flush_interval, without a shutdown", "[daemon][ops]") {
  for (std::string interval : {"1 s", "0 ms"}) {
    INFO(interval);
    TempDir dir;
    const std::string log = dir.path("daemon.log");
    std::string config =
        write_config(dir, "level = \"info\"\nfile = \"" + log + "\"\nflush_interval = \"" + interval + "\"\n");
    auto d = start(dir, {"--config", config});
    REQUIRE(d->wait_listening() > 0);  // logged just before it is printed
    auto printed = std::chrono::steady_clock::now();
    REQUIRE(eventually([&] { return file_text(log).find("listening on") != std::string::npos; }, 5s));
    auto waited = std::chrono::steady_clock::now() - printed;
    INFO(std::chrono::duration_cast<std::chrono::milliseconds>(waited).count() << " ms");
    REQUIRE(waited < (interval == "0 ms" ? 500ms : 2500ms));  // the bound, and room for a loaded machine
    REQUIRE(kill(d->pid(), 0) == 0);  // still running
  }
}

TEST_CASE("JSON logs: every line is a JSON object, whatever the message holds", "[daemon][ops]") {
  TempDir dir;
  const std::string log = dir.path("daemon.log");
  std::string config = write_config(dir, "level = \"debug\"\nformat = \"json\"\nfile = \"" + log + "\"\n");
  // A data directory whose name has quotes, a backslash, a newline and bytes
  // that are not UTF-8, under a regular file: the open fails and says so.
  std::ofstream(dir.path("plain-file")) << "x";
  const std::string hostile = dir.path("plain-file") + "/say \"hi\" \\ back\nslash \xff\xfe end";
  Run failed = run(dir, {"--config", config, "--data-dir", hostile});
  REQUIRE(failed.exit_code == 1);

  // And a daemon that serves, asked for a path with the same kinds of bytes.
  auto d = start(dir, {"--config", config});
  int port = d->wait_listening();
  REQUIRE(port > 0);
  REQUIRE(get_status(port, "/v1/lookup/%22q%22%5Cb%0Anl%FF") == 400);
  REQUIRE(d->wait_exit_after(SIGTERM) == 0);

  std::istringstream lines(file_text(log));
  std::string line;
  int parsed = 0;
  bool hostile_message = false;
  while (std::getline(lines, line)) {
    INFO(line);
    nlohmann::json j = nlohmann::json::parse(line);  // throws on bad JSON or bad UTF-8
    REQUIRE(j.is_object());
    REQUIRE(j["logger"] == "basis");
    REQUIRE(j["time"].is_string());
    REQUIRE(j["level"].is_string());
    std::string message = j["message"];
    if (message.find("say \"hi\" \\ back\nslash \\xff\\xfe end") != std::string::npos) hostile_message = true;
    ++parsed;
  }
  REQUIRE(parsed >= 4);  // the failed open; listening, SIGTERM, stopped
  REQUIRE(hostile_message);
  REQUIRE(file_text(log).find("\"level\":\"error\"") != std::string::npos);
}

TEST_CASE("systemd notify: READY=1 once recovered and listening, STOPPING=1 at SIGTERM", "[daemon][ops]") {
  TempDir dir;
  std::string config = write_config(dir, "level = \"warn\"\n");
  std::random_device random;
  for (std::string name : {dir.path("notify.sock"), "@basis-notify-test-" + std::to_string(random())}) {
    INFO(name);
    NotifySocket socket(name);
    auto d = start(dir, {"--config", config, "--data-dir", dir.path("store")}, {"NOTIFY_SOCKET=" + name});
    std::string first = socket.receive(60s);
    REQUIRE(first == "STATUS=recovering the store in " + dir.path("store"));
    std::string ready = socket.receive(60s);
    REQUIRE(ready.find("READY=1\nSTATUS=listening on 127.0.0.1:") == 0);
    int port = d->wait_listening();
    REQUIRE(port > 0);
    // Ready means ready: no retry.
    REQUIRE(get_status(port, "/v1/health/ready") == 200);
    // Appended, not ":" + std::string: g++ 12 -O3 warns -Wrestrict on that (a false positive).
    std::string listening = ":";
    listening += std::to_string(port);
    listening += "; recovered: ";
    REQUIRE(ready.find(listening) != std::string::npos);
    // The second start recovers the store the first made.
    REQUIRE(ready.find(name[0] == '@' ? "recovered: latest_checkpoint" : "recovered: empty") != std::string::npos);
    if (name[0] != '@') {
      httplib::Client c("127.0.0.1", port);
      std::string key(64, '1');
      auto r = c.Post("/v1/batch", "{\"ops\":[{\"type\":\"Insert\",\"key\":\"" + key + "\",\"value\":\"0064\"}]}",
                      "application/json");
      REQUIRE(r);
      REQUIRE(r->status == 200);
    }
    d->send(SIGTERM);
    REQUIRE(socket.receive(60s) == "STOPPING=1\nSTATUS=stopping: finishing the requests in flight");
    REQUIRE(d->wait_exit() == 0);
    REQUIRE(socket.receive(100ms).empty());
  }
  REQUIRE(std::filesystem::exists(dir.path("store")));  // --data-dir over storage.data_dir
  REQUIRE_FALSE(std::filesystem::exists(dir.path("data")));
}

TEST_CASE("systemd notify: a data directory's name cannot add a variable", "[daemon][ops]") {
  TempDir dir;
  NotifySocket socket(dir.path("notify.sock"));
  const std::string store = dir.path("x\nREADY=1\nSTATUS=forged");
  auto d = start(dir, {"--config", write_config(dir, "level = \"warn\"\n"), "--data-dir", store},
                 {"NOTIFY_SOCKET=" + socket.name()});
  REQUIRE(socket.receive(60s) == "STATUS=recovering the store in " + dir.path("x READY=1 STATUS=forged"));
  REQUIRE(socket.receive(60s).find("READY=1\nSTATUS=listening on ") == 0);
  REQUIRE(d->wait_exit_after(SIGTERM) == 0);
  REQUIRE(std::filesystem::exists(store));
}

TEST_CASE("systemd notify: no READY=1 when the start fails", "[daemon][ops]") {
  TempDir dir;
  // The port is taken.
  int taken = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(taken, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(taken, 1) == 0);
  socklen_t length = sizeof a;
  REQUIRE(getsockname(taken, reinterpret_cast<sockaddr*>(&a), &length) == 0);
  std::string config = dir.path("taken.toml");
  std::ofstream(config) << "[storage]\ndata_dir = \"" << dir.path("data") << "\"\n[server]\nlisten = \"127.0.0.1:"
                        << ntohs(a.sin_port) << "\"\n";
  NotifySocket socket(dir.path("notify.sock"));
  auto d = start(dir, {"--config", config}, {"NOTIFY_SOCKET=" + socket.name()});
  REQUIRE(d->wait_exit() == 1);
  for (std::string m; !(m = socket.receive(200ms)).empty();) REQUIRE(m.find("READY=1") == std::string::npos);
  ::close(taken);
}

TEST_CASE("SIGTERM or SIGHUP during recovery are handled once the daemon serves", "[daemon][ops]") {
  for (int sig : {SIGTERM, SIGINT}) {
    TempDir dir;
    NotifySocket socket(dir.path("notify.sock"));
    const std::string log = dir.path("daemon.log");
    auto d = start(dir, {"--config", write_config(dir, "level = \"info\"\nfile = \"" + log + "\"\n")},
                   {"NOTIFY_SOCKET=" + socket.name()});
    REQUIRE(socket.receive(60s).find("STATUS=recovering") == 0);
    d->send(SIGHUP);  // pending until the daemon serves: reopens then
    d->send(sig);
    auto asked = std::chrono::steady_clock::now();
    REQUIRE(d->wait_exit() == 0);
    REQUIRE(std::chrono::steady_clock::now() - asked < 20s);
    std::string text = file_text(log);
    REQUIRE(text.find(sig == SIGTERM ? "SIGTERM received" : "SIGINT received") != std::string::npos);
    REQUIRE(text.find("stopped cleanly") != std::string::npos);
  }
}
