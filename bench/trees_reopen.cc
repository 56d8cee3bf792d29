// The `trees` workload's reopens: the whole store opened with a given
// recovery_parallelism, then the first proof of every tree asked for on
// several threads at once, each checked against the digest the tree had
// before the shutdown.
#include <chrono>
#include <fstream>
#include <thread>

#include "bench/trees_data.h"
#include "bench/trees_workload.h"

namespace basis::bench {

using namespace trees;

namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kLookupThreads = 4;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// The process's threads now (Linux), to show what 1,001 trees cost.
double threads_now() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stod(line.substr(8));
  }
  return 0;
}

}  // namespace

std::string all_trees_digest(const TreeExpectations& trees) {
  tree::Bytes all;
  for (const auto& [name, e] : trees) {  // std::map: in name order
    all.insert(all.end(), name.begin(), name.end());
    all.insert(all.end(), e.digest.begin(), e.digest.end());
  }
  return tree::to_hex(tree::blake2b256(tree::view(all)));
}

TreeExpectations record_digests(Runtime& store, const TreesScale& scale, WorkloadResult* r) {
  TreeExpectations out;
  for (const TreeInfo& info : store.trees()) {
    std::shared_ptr<Runtime> t = store.tree(info.name);
    if (!t || !info.status.is_ok()) trees_fail("tree " + info.name + " is not served: " + info.status.to_string());
    TreeExpectation& e = out[info.name];
    e.digest = t->digest();
    if (info.name == kTracker) {
      e.key = tracker_key(0);
      e.present = true;
    } else if (info.name.rfind("reserve-", 0) == 0) {
      e.key = reserve_key(std::stoull(info.name.substr(8)), 0);
      e.present = true;
    } else {
      e.key = tree::Bytes(info.key_length, 0x11);  // the default tree stays empty (and 0…0 is below -inf)
    }
  }
  r->text["tracker_digest"] = tree::to_hex(out[kTracker].digest);
  r->text["reserve_first_digest"] = tree::to_hex(out[reserve_name(0)].digest);
  r->text["reserve_last_digest"] = tree::to_hex(out[reserve_name(scale.reserves - 1)].digest);
  r->text["all_trees_digest"] = all_trees_digest(out);
  r->final_digest = r->text["all_trees_digest"];
  r->extra["trees"] = static_cast<double>(out.size());
  return out;
}

void write_expectations(const TreeExpectations& trees, const std::string& path) {
  std::ofstream out(path);
  for (const auto& [name, e] : trees) {
    out << name << ' ' << tree::to_hex(e.digest) << ' ' << tree::to_hex(e.key) << ' ' << e.present << '\n';
  }
  if (!out.flush()) trees_fail("cannot write " + path);
}

TreeExpectations read_expectations(const std::string& path) {
  std::ifstream in(path);
  TreeExpectations trees;
  std::string name, digest, key;
  bool present = false;
  while (in >> name >> digest >> key >> present) {
    TreeExpectation& e = trees[name];
    e.present = present;
    if (!tree::digest_from_hex(digest, &e.digest) || !tree::from_hex(key, &e.key)) trees_fail("a bad line in " + path);
  }
  if (trees.empty()) trees_fail("no trees in " + path);
  return trees;
}

void reopen_trees(config::Config cfg, uint32_t parallelism, const TreeExpectations& expected, WorkloadResult* r) {
  const std::string p = "_p" + std::to_string(parallelism);
  cfg.persistence.recovery_parallelism = parallelism;
  trees_phase("reopen with recovery_parallelism " + std::to_string(parallelism));
  const auto start = Clock::now();
  std::unique_ptr<Runtime> rt;
  if (tree::Status s = Runtime::open(cfg, &rt); !s.is_ok()) trees_fail("reopen: " + s.to_string());
  r->extra["open" + p + "_ms"] = ms_since(start);
  r->extra["threads" + p] = threads_now();
  const auto proofs_start = Clock::now();
  std::vector<std::pair<std::string, std::shared_ptr<Runtime>>> trees;
  for (const TreeInfo& info : rt->trees()) {
    if (!info.status.is_ok()) trees_fail("reopened tree " + info.name + " is not served: " + info.status.to_string());
    if (!expected.count(info.name)) trees_fail("reopened store holds an unknown tree " + info.name);
    trees.emplace_back(info.name, rt->tree(info.name));
  }
  if (trees.size() != expected.size()) trees_fail("reopened store holds " + std::to_string(trees.size()) + " trees");
  std::vector<std::thread> threads;
  for (size_t c = 0; c < kLookupThreads; ++c) {
    threads.emplace_back([&, c] {
      for (size_t i = c; i < trees.size(); i += kLookupThreads) {
        const TreeExpectation& e = expected.at(trees[i].first);
        LookupResult l = trees[i].second->lookup(e.key, true);
        if (!l.status.is_ok() || l.proof.empty() || l.outcome.existed != e.present || l.digest != e.digest) {
          trees_fail("first proof of " + trees[i].first + ": " + l.status.to_string() + " (digest " +
                     tree::to_hex(l.digest) + ", expected " + tree::to_hex(e.digest) + ")");
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  r->extra["proofs" + p + "_ms"] = ms_since(proofs_start);
  r->extra["reopen" + p + "_ms"] = ms_since(start);  // open() to the first proof of every tree
  trees_phase("background verification");
  // The background verification of every tree's checkpoint (the default
  // recovery_validation), from the end of open().
  for (const auto& [name, t] : trees) {
    for (;;) {
      BackgroundStatus st = t->background();
      if (st.verification == VerificationState::kRunning) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
      if (st.verification != VerificationState::kPassed && st.verification != VerificationState::kNotRun) {
        trees_fail("background verification of " + name + ": " + st.verification_problem);
      }
      break;
    }
  }
  r->extra["verify_all" + p + "_ms"] = ms_since(start);
  trees.clear();
  trees_phase("shutdown");
  const auto stop = Clock::now();
  if (tree::Status s = rt->shutdown(); !s.is_ok()) trees_fail("shutdown after reopen: " + s.to_string());
  r->extra["shutdown" + p + "_ms"] = ms_since(stop);
  trees_phase("done");
}

}  // namespace basis::bench
