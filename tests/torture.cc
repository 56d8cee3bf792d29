#include "tests/torture.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "tests/crash_harness.h"
#include "bench/benchmark_data.h"
#include "actors/runtime_access.h"
#include "tests/support/fault_file_system.h"
#include "basis/tree/batch_verifier.h"

namespace basis::testing {

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kPowerLossExit = 42;
constexpr int kRollbackExit = 5;

// The state after each prefix of the churn's batches, extended on demand.
class Model {
 public:
  explicit Model(uint64_t seed) : seed_(seed) { out_.push_back({0, tree::to_hex(prover_.digest())}); }
  uint64_t sequence_at(uint64_t k) { return at(k).first; }
  // The smallest k >= from whose state is (sequence, digest).
  std::optional<uint64_t> find(uint64_t from, uint64_t sequence, const std::string& hex) {
    for (uint64_t k = from; at(k).first <= sequence && k < from + 1'000'000; ++k) {
      if (at(k).first == sequence && at(k).second == hex) return k;
    }
    return std::nullopt;
  }

 private:
  const std::pair<uint64_t, std::string>& at(uint64_t k) {
    while (out_.size() <= k) {
      tree::OpOutcome o;
      for (const basis::OwnedOperation& op : batch_ops(seed_, out_.size() - 1)) {
        tree::Digest before = prover_.digest();
        if (prover_.perform(op.view(), &o).is_ok() && prover_.digest() != before) ++sequence_;
      }
      prover_.end_batch();
      out_.push_back({sequence_, tree::to_hex(prover_.digest())});
    }
    return out_[k];
  }
  uint64_t seed_;
  tree::BatchProver prover_{tree::TreeParams{32, std::nullopt}};
  uint64_t sequence_ = 0;
  std::vector<std::pair<uint64_t, std::string>> out_;
};

void say(int fd, const std::string& line) {
  std::string s = line + "\n";  // one write: lines from several threads never mix
  (void)!::write(fd, s.data(), s.size());
}

std::string one_line(std::string s) {
  for (char& c : s) c = c == '\n' ? ' ' : c;
  return s;
}

// The child: open without faults and report the state and the pins, learn
// where to go on, then churn under faults until killed or the power goes.
[[noreturn]] void child(const std::string& dir, uint64_t seed, uint64_t iteration, unsigned mask, Model& model,
                        int out, int in) {
  FaultEnv fault(seed * 1'000'003 + iteration);
  config::Config cfg;
  cfg.storage.data_dir = dir;
  cfg.logging.level = "off";
  cfg.persistence.checkpoint_interval.operations = 50;
  cfg.persistence.checkpoint_retention = 2;
  cfg.persistence.node_gc_every = 1;
  std::unique_ptr<basis::Runtime> rt;
  if (tree::Status s = actors::RuntimeAccess::open(cfg, fault.env.get(), &rt); !s.is_ok()) {
    say(out, "fail " + one_line(s.to_string()));
    _exit(2);
  }
  basis::Runtime::TreeState state = rt->state();
  say(out, "open " + std::to_string(state.last_sequence) + " " + tree::to_hex(state.digest));
  const tree::Label first = bench::benchmark_key(0);
  const tree::Bytes probe(first.begin(), first.end());
  for (uint64_t id : rt->pinned_checkpoints()) {
    basis::LookupResult r = rt->lookup_at_checkpoint(id, probe);
    bool provable = false;
    if (r.status.is_ok()) {
      tree::BatchVerifier v(tree::TreeParams{32, std::nullopt}, r.digest, tree::view(r.proof));
      tree::OpOutcome o;
      provable = v.status().is_ok() && v.perform(tree::Operation::lookup(tree::view(probe)), &o).is_ok();
    }
    say(out, "p " + std::to_string(id) + " " + tree::to_hex(r.digest) + " " + (provable ? "1" : "0") + " " +
                 one_line(r.status.to_string()));
  }
  say(out, "end");
  uint64_t next = 0;
  if (::read(in, &next, sizeof next) != sizeof next) _exit(3);

  std::mt19937_64 rng(seed ^ (iteration * 0x9e3779b97f4a7c15ULL));
  const double levels[] = {0, 0, 0.0005, 0.002, 0.01};
  for (Fault f : {Fault::kWrite, Fault::kSync, Fault::kRead, Fault::kNoSpace}) {
    double p = levels[rng() % 5];
    if (mask & (1u << static_cast<int>(f))) fault.fs->set_rule(f, FaultRule{kWalFile | kTableFile, 0, p, ""});
  }
  const bool power_loss = rng() % 3 == 0;
  const auto power_at = Clock::now() + std::chrono::milliseconds(20 + rng() % 800);
  std::thread reporter([&, fs = fault.fs] {
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      say(out, "f " + std::to_string(fs->injected(Fault::kWrite)) + " " + std::to_string(fs->injected(Fault::kSync)) +
                   " " + std::to_string(fs->injected(Fault::kRead)) + " " +
                   std::to_string(fs->injected(Fault::kNoSpace)));
      if (power_loss && Clock::now() >= power_at) {
        (void)fs->drop_unsynced_data();
        _exit(kPowerLossExit);
      }
    }
  });
  reporter.detach();

  uint64_t acked = next, submit = next, acks = 0;
  std::deque<std::pair<uint64_t, std::future<basis::BatchResult>>> inflight;
  std::deque<uint64_t> pins;
  for (;;) {
    while (inflight.size() < 4) {
      inflight.emplace_back(submit, rt->apply(batch_ops(seed, submit)));
      ++submit;
    }
    auto [index, future] = std::move(inflight.front());
    inflight.pop_front();
    basis::BatchResult r = future.get();
    if (r.status.is_ok()) {
      acked = index + 1;  // every batch before it is durable too
      say(out, "ack " + std::to_string(acked));
      if (++acks % 8 == 0) {
        std::vector<basis::CheckpointInfo> cps = rt->checkpoints();
        if (!cps.empty() && rt->pin_checkpoint(cps.front().id).is_ok()) {
          say(out, "pin " + std::to_string(cps.front().id) + " " + tree::to_hex(cps.front().digest));
          pins.push_back(cps.front().id);
          if (pins.size() > 3) {
            say(out, "unpin " + std::to_string(pins.front()));  // expected no more from here on
            (void)rt->unpin_checkpoint(pins.front());
            pins.pop_front();
          }
        }
      }
      continue;
    }
    // Refused: every later batch in flight is too. Go on from the durable state.
    for (auto& [i, f] : inflight) (void)f.get();
    inflight.clear();
    // A prover that met a storage failure is being rebuilt: wait for it.
    const auto until = Clock::now() + std::chrono::seconds(20);
    do {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      state = rt->state();
    } while (!state.served && Clock::now() < until);
    std::optional<uint64_t> k = model.find(acked, state.last_sequence, tree::to_hex(state.digest));
    if (!k) {
      say(out, "rollback " + std::to_string(state.last_sequence) + " " + tree::to_hex(state.digest) + " after ack " +
                   std::to_string(acked) + " (sequence " + std::to_string(model.sequence_at(acked)) + "); refused: " +
                   one_line(r.status.to_string()));
      _exit(kRollbackExit);
    }
    acked = submit = *k;
  }
}

// Lines from a child, each within a deadline.
class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}
  bool eof() const { return eof_ && buffer_.find('\n') == std::string::npos; }
  // False at the deadline or at the end.
  bool next(std::string* line, Clock::time_point deadline) {
    for (;;) {
      if (size_t nl = buffer_.find('\n'); nl != std::string::npos) {
        *line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return true;
      }
      if (eof_) return false;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      int r = ::poll(&p, 1, static_cast<int>(left));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      char chunk[4096];
      ssize_t n = ::read(fd_, chunk, sizeof chunk);
      if (n <= 0) {
        eof_ = true;
        continue;
      }
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

 private:
  int fd_;
  std::string buffer_;
  bool eof_ = false;
};

// The last non-empty line of a file ("" when there is none).
// What a dead child left on its standard error: its last line, and the
// line of an assertion inside RocksDB if it printed one.
struct ChildLast {
  std::string last_line;
  std::string rocksdb_assertion;
};

ChildLast read_child_stderr(const std::string& path) {
  std::ifstream in(path);
  ChildLast out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    out.last_line = line;
    // glibc's assert: "<program>: <file>:<line>: <function>: Assertion `<expr>' failed."
    if (line.find("rocksdb") != std::string::npos && line.find("Assertion `") != std::string::npos &&
        line.find("' failed.") != std::string::npos) {
      out.rocksdb_assertion = line;
    }
  }
  return out;
}

}  // namespace

std::string TortureReport::summary() const {
  std::ostringstream s;
  s << "iterations " << iterations << ", kills " << kills << ", power losses " << power_losses << ", child crashes "
    << child_crashes << ", RocksDB assertion aborts " << rocksdb_aborts << ", acknowledged batches " << acknowledged_batches << ", answered pins " << answered_pins
    << ", faults injected: write " << faults[0] << ", sync " << faults[1] << ", read " << faults[2] << ", nospace "
    << faults[3] << "; lost acknowledged batches " << lost_acknowledged << ", lost pins " << lost_pins
    << ", silent rollbacks " << silent_rollbacks << ", refused opens " << refused_opens;
  return s.str();
}

TortureReport run_torture(const std::string& dir, uint64_t iterations, uint64_t seed, unsigned fault_mask) {
  TortureReport report;
  std::filesystem::create_directories(dir);
  Model model(seed);
  std::mt19937_64 timing(seed);
  uint64_t acked = 0;                  // every batch before it was acknowledged
  std::map<uint64_t, std::string> pins;  // answered and not unpinned: id -> digest
  auto problem = [&](uint64_t it, const std::string& p) {
    std::string where = "seed " + std::to_string(seed) + ", iteration " + std::to_string(it) + ": " + p;
    if (report.first_problem.empty()) report.first_problem = where;
    if (report.problems.size() < TortureReport::kMaxProblems) report.problems.push_back(std::move(where));
  };
  for (uint64_t it = 0; it <= iterations; ++it) {
    int up[2], down[2];
    if (pipe(up) != 0 || pipe(down) != 0) break;
    std::fflush(nullptr);
    pid_t pid = fork();
    const std::string child_stderr = dir + ".child-stderr";
    if (pid == 0) {
      close(up[0]);
      close(down[1]);
      if (int fd = ::open(child_stderr.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644); fd >= 0) {
        ::dup2(fd, 1);  // nothing the child prints mixes with the parent's report
        ::dup2(fd, 2);  // read back if it dies
        ::close(fd);
      }
      // A test framework's handlers (Catch's report a fatal condition, then
      // re-raise) are the parent's: the child dies at once, by the signal.
      for (int sig : {SIGABRT, SIGILL, SIGFPE, SIGTERM, SIGINT}) ::signal(sig, SIG_DFL);
      child(dir, seed, it, fault_mask, model, up[1], down[0]);
    }
    close(up[1]);
    close(down[0]);
    LineReader in(up[0]);
    std::string line;
    bool wipe = false, running = false, silent = false;
    if (!in.next(&line, Clock::now() + std::chrono::seconds(120))) {
      silent = true;  // it died opening the store, or hangs there
      wipe = true;
    } else if (line.rfind("fail ", 0) == 0) {
      ++report.refused_opens;  // refused with a message: counted, and the store starts over
      if (report.first_refusal.empty()) report.first_refusal = "iteration " + std::to_string(it) + ": " + line;
      wipe = true;
    } else {
      std::istringstream words(line);
      std::string word, hex;
      uint64_t sequence = 0;
      words >> word >> sequence >> hex;
      std::optional<uint64_t> k = model.find(acked, sequence, hex);
      if (sequence < model.sequence_at(acked)) {
        uint64_t kept = 0;  // how many acknowledged batches the state still holds
        while (kept < acked && model.sequence_at(kept + 1) <= sequence) ++kept;
        report.lost_acknowledged += acked - kept;
        ++report.silent_rollbacks;
        problem(it, "opened at sequence " + std::to_string(sequence) + ", before acknowledged batch " +
                        std::to_string(acked));
        wipe = true;
      } else if (!k) {
        ++report.silent_rollbacks;
        problem(it, "opened at (" + std::to_string(sequence) + ", " + hex + "): no prefix of the batches");
        wipe = true;
      }
      std::map<uint64_t, std::string> listed, unprovable;  // id -> digest; id -> why not provable
      while (in.next(&line, Clock::now() + std::chrono::seconds(60)) && line != "end") {
        std::istringstream p(line);
        uint64_t id = 0;
        std::string digest, provable, why;
        p >> word >> id >> digest >> provable;
        std::getline(p, why);
        if (provable == "1") listed[id] = digest;
        else unprovable[id] = digest + ":" + why;
      }
      for (const auto& [id, digest] : pins) {
        if (!listed.count(id) || listed[id] != digest) {
          ++report.lost_pins;
          problem(it, "answered pin " + std::to_string(id) + " at " + digest + " is " +
                          (unprovable.count(id) ? "listed but not provable: " + unprovable[id] : "not listed") +
                          " (opened at " + std::to_string(sequence) + ")");
          wipe = true;
        }
      }
      if (k) acked = *k;
      running = !wipe && it < iterations;
      uint64_t next = acked;
      if (running && ::write(down[1], &next, sizeof next) != sizeof next) running = false;
    }
    close(down[1]);
    std::array<uint64_t, 4> faults{};
    if (running) {
      auto deadline = Clock::now() + std::chrono::milliseconds(30 + timing() % 900);
      auto handle = [&](const std::string& l) {
        std::istringstream w(l);
        std::string word;
        uint64_t a = 0;
        w >> word;
        if (word == "ack" && w >> a && a > acked) {
          report.acknowledged_batches += a - acked;
          acked = a;
        } else if (word == "pin" && w >> a) {
          std::string digest;
          w >> digest;
          pins[a] = digest;
          ++report.answered_pins;
        } else if (word == "unpin" && w >> a) {
          pins.erase(a);
        } else if (word == "f") {
          for (uint64_t& f : faults) w >> f;
        } else if (word == "rollback") {
          ++report.silent_rollbacks;
          problem(it, "rolled back, running, to no prefix holding every acknowledged batch: " + l);
        }
      };
      while (in.next(&line, deadline)) handle(line);
      if (!in.eof()) {
        kill(pid, SIGKILL);
        ++report.kills;
      }
      while (in.next(&line, Clock::now() + std::chrono::seconds(60))) handle(line);
    } else {
      kill(pid, SIGKILL);
    }
    close(up[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (silent) {
      ++report.child_crashes;
      problem(it, "the child said nothing at open (status " + std::to_string(status) + ")");
    } else if (running && WIFEXITED(status) && WEXITSTATUS(status) == kPowerLossExit) {
      ++report.power_losses;
    } else if (running && (WIFSIGNALED(status) ? WTERMSIG(status) != SIGKILL : WEXITSTATUS(status) != kRollbackExit)) {
      const ChildLast said = read_child_stderr(child_stderr);
      if (WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT && !said.rocksdb_assertion.empty()) {
        ++report.rocksdb_aborts;  // RocksDB's own assertion: the restart is checked as after a kill
        if (report.first_rocksdb_abort.empty()) {
          report.first_rocksdb_abort = "iteration " + std::to_string(it) + ": " + said.rocksdb_assertion;
        }
      } else {
        ++report.child_crashes;
        problem(it, (WIFSIGNALED(status) ? "the child died of signal " + std::to_string(WTERMSIG(status))
                                         : "the child exited with " + std::to_string(WEXITSTATUS(status))) +
                        ": " + said.last_line);
      }
    }
    for (int i = 0; i < 4; ++i) report.faults[i] += faults[i];
    ++report.iterations;
    if (wipe) {  // start over: what follows is checked against a fresh store
      std::filesystem::remove_all(dir);
      std::filesystem::create_directories(dir);
      acked = 0;
      pins.clear();
    }
  }
  report.iterations = iterations;
  return report;
}

}  // namespace basis::testing
