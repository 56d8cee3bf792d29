#include "tests/crash_harness.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <random>
#include <vector>

#include "basis/runtime.h"
#include "bench/benchmark_data.h"

namespace basis::testing {

using basis::OwnedOperation;

std::vector<OwnedOperation> batch_ops(uint64_t seed, uint64_t b) {
  bench::SplitMix64 rng{seed * 0x9e3779b97f4a7c15ULL + b};
  std::vector<OwnedOperation> ops(10 + rng.next() % 40);
  for (auto& op : ops) {
    uint64_t x = rng.next();
    tree::Label k = bench::benchmark_key(x % kKeySpace);
    op.key.assign(k.begin(), k.end());
    auto v = bench::benchmark_value(x % kKeySpace, b);
    switch ((x >> 32) % 6) {
      case 0: op.type = tree::OpType::kInsert; break;
      case 1: op.type = tree::OpType::kUpdate; break;
      case 2: op.type = tree::OpType::kInsertOrUpdate; break;
      case 3: op.type = tree::OpType::kRemove; break;
      case 4: op.type = tree::OpType::kRemoveIfExists; break;
      default: op.type = tree::OpType::kUpdateLongBy; op.delta = static_cast<int64_t>((x >> 40) % 200) - 50; break;
    }
    if (op.type != tree::OpType::kRemove && op.type != tree::OpType::kRemoveIfExists &&
        op.type != tree::OpType::kUpdateLongBy) {
      op.value.assign(v.begin(), v.end());
    }
  }
  return ops;
}

namespace {

// The state after each prefix of whole batches: last sequence and digest.
struct Boundary {
  uint64_t sequence;
  tree::Digest digest;
};

std::vector<Boundary> model(uint64_t seed, uint64_t batches) {
  tree::BatchProver prover(tree::TreeParams{32, std::nullopt});
  std::vector<Boundary> out{{0, prover.digest()}};
  uint64_t sequence = 0;
  tree::OpOutcome o;
  for (uint64_t b = 0; b < batches; ++b) {
    for (const OwnedOperation& op : batch_ops(seed, b)) {
      tree::Digest before = prover.digest();
      if (prover.perform(op.view(), &o).is_ok() && prover.digest() != before) ++sequence;  // as the runtime numbers
    }
    prover.end_batch();
    out.push_back({sequence, prover.digest()});
  }
  return out;
}

bool write_all(int fd, const std::string& s) { return ::write(fd, s.data(), s.size()) == static_cast<ssize_t>(s.size()); }

// The child: open, report, learn where to go on, stream batches with acks.
[[noreturn]] void child(const std::string& dir, uint64_t seed, uint64_t batches, int to_parent,
                        int from_parent) {
  config::Config cfg;
  cfg.storage.data_dir = dir;
  cfg.logging.level = "error";
  cfg.persistence.checkpoint_interval.operations = 700;  // many checkpoints, many kill points
  std::unique_ptr<basis::Runtime> rt;
  tree::Status s = basis::Runtime::open(cfg, &rt);
  if (!s.is_ok()) {
    write_all(to_parent, "fail " + s.to_string() + "\n");
    _exit(2);
  }
  write_all(to_parent, "open " + std::to_string(rt->last_sequence()) + " " + tree::to_hex(rt->digest()) + "\n");
  uint64_t next = 0;
  if (::read(from_parent, &next, sizeof next) != sizeof next) _exit(3);
  std::vector<std::future<basis::BatchResult>> inflight;
  uint64_t acked = next;
  for (uint64_t b = next; b < batches; ++b) {
    inflight.push_back(rt->apply(batch_ops(seed, b)));
    while (inflight.size() > 4 || (b + 1 == batches && !inflight.empty())) {
      basis::BatchResult r = inflight.front().get();
      inflight.erase(inflight.begin());
      if (!r.status.is_ok()) _exit(4);
      ++acked;  // batch `acked` (1-based count of batches) is durable
      write_all(to_parent, "ack " + std::to_string(acked) + " " + std::to_string(r.last_sequence) + "\n");
    }
  }
  (void)rt->shutdown();
  write_all(to_parent, "done\n");
  _exit(0);
}

}  // namespace

CrashReport run_crash_harness(const std::string& dir, uint64_t kills, uint64_t seed) {
  CrashReport report;
  std::filesystem::create_directories(dir);
  // Enough batches that every round has work: about a dozen batches per round.
  const uint64_t batches = 400 + kills * 20;
  const std::vector<Boundary> boundaries = model(seed, batches);
  std::mt19937_64 timing(seed);
  uint64_t acked_batches = 0;  // every batch up to here was acknowledged
  auto problem = [&](const std::string& p) {
    if (report.first_problem.empty()) report.first_problem = p;
  };
  for (uint64_t round = 0; round <= kills; ++round) {
    int up[2], down[2];
    if (pipe(up) != 0 || pipe(down) != 0) {
      problem("pipe failed");
      break;
    }
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid == 0) {
      close(up[0]);
      close(down[1]);
      child(dir, seed, batches, up[1], down[0]);
    }
    close(up[1]);
    close(down[0]);
    FILE* in = fdopen(up[0], "r");
    char word[32] = {0}, hex[80] = {0};
    unsigned long long a = 0, b = 0;
    bool opened = false;
    if (fscanf(in, "%31s", word) == 1 && std::string(word) == "open" && fscanf(in, "%llu %79s", &a, hex) == 2) {
      opened = true;
      // (b) the recovered state is a prefix of whole batches; (a) nothing acknowledged is lost.
      uint64_t k = acked_batches;
      while (k < boundaries.size() && boundaries[k].sequence < a) ++k;
      bool found = false;
      for (; k < boundaries.size() && boundaries[k].sequence == a; ++k) {
        if (tree::to_hex(boundaries[k].digest) == hex) {
          found = true;
          break;
        }
      }
      if (a < boundaries[acked_batches].sequence) {
        ++report.lost_acknowledged;
        problem("round " + std::to_string(round) + ": recovered sequence " + std::to_string(a) +
                " is before acknowledged batch " + std::to_string(acked_batches));
      } else if (!found) {
        ++report.digest_mismatches;
        problem("round " + std::to_string(round) + ": recovered state (" + std::to_string(a) + ", " + hex +
                ") is no prefix of the submitted batches");
      }
      uint64_t next = found ? k : acked_batches;
      acked_batches = next;
      if (::write(down[1], &next, sizeof next) != sizeof next) problem("cannot tell the child where to go on");
    } else {
      ++report.failed_opens;
      problem("round " + std::to_string(round) + ": the store did not open: " + word);
    }
    close(down[1]);
    // Let it run for a random while, then kill it (the last round runs to the end).
    bool last = round == kills;
    if (opened && !last) {
      int wait_acks = static_cast<int>(timing() % 25);
      for (int i = 0; i < wait_acks && fscanf(in, "%31s %llu %llu", word, &a, &b) == 3; ++i) {
        acked_batches = std::max<uint64_t>(acked_batches, a);
      }
      ::usleep(static_cast<useconds_t>(timing() % 3000));
      kill(pid, SIGKILL);
      ++report.kills;
    }
    while (fscanf(in, "%31s", word) == 1) {
      if (std::string(word) == "ack" && fscanf(in, "%llu %llu", &a, &b) == 2) {
        acked_batches = std::max<uint64_t>(acked_batches, a);  // acknowledged before the kill
      }
    }
    fclose(in);
    int status = 0;
    waitpid(pid, &status, 0);
  }
  report.acknowledged_batches = acked_batches;
  return report;
}

}  // namespace basis::testing
