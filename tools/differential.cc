#include "tools/differential.h"

#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "tools/cli.h"
#include "tools/differential_check.h"
#include "tools/differential_gen.h"
#include "tools/differential_scenarios.h"
#include "tools/oracle_client.h"

namespace basis::tools {

using namespace basis::tree;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr int kExitMismatch = 1;
constexpr int kExitUnavailable = 2;
// Explicit bounds on what one run may ask for: the oracle does a few
// thousand operations per second, so these already mean days.
constexpr uint64_t kMaxSeeds = 100000;
constexpr uint64_t kMaxOpsPerSeed = 10000000;

const char kAbout[] =
    "Generates seeded random and adversarial operation streams (all seven operation types,\n"
    "keys at and beside the sentinels, wrong key and value lengths, empty and large values,\n"
    "UpdateLongBy overflow, runs of deletions, empty and one-operation batches) over several\n"
    "tree parameter sets, runs each through the project's BatchProver and the reference\n"
    "oracle's replay.js, and compares every result, error kind, old value, per-operation\n"
    "digest, proof byte and batch digest; each oracle proof is also replayed through the\n"
    "project's BatchVerifier with the operations that succeeded.\n"
    "       basis-tree differential --write-vectors DIR [--oracle DIR]\n"
    "runs the hand-made scenarios instead and writes them as vector files.";

struct Options {
  uint64_t seeds = 4;
  uint64_t seed_from = 1;
  uint64_t ops = 5000;
  std::string oracle;
  std::string mismatch_dir = "differential-mismatches";
  std::string write_vectors;
  bool json = false;
};

// Returns -1 when the options are fine, else the exit code.
int parse_options(int argc, char** argv, Options* o) {
  CommandLine cli("basis-tree differential", "[--seeds N] [--seed-from S] [--ops N] [--oracle DIR] [options]", kAbout);
  cli.number("--seeds", "N", &o->seeds, "seeds to run (default 4); seed s uses parameter set s mod 8", 0, kMaxSeeds);
  cli.number("--seed-from", "S", &o->seed_from, "first seed (default 1)", 0, UINT64_MAX - kMaxSeeds);
  cli.number("--ops", "N", &o->ops, "operations per seed (default 5000)", 0, kMaxOpsPerSeed);
  cli.text("--oracle", "DIR", &o->oracle, "the oracle (default $BASIS_ORACLE_DIR, else ../shared/oracle)");
  cli.text("--mismatch-dir", "DIR", &o->mismatch_dir,
           "where a failing stream is written as a vector file, with the\n"
           "oracle's answers as expectations (default differential-mismatches)");
  cli.text("--write-vectors", "DIR", &o->write_vectors,
           "run the hand-made scenarios (key checks after changes, UpdateLongBy\n"
           "edges, value lengths) and write them as vector files in DIR");
  cli.flag("--json", &o->json,
           "one JSON object per seed and one for the summary, a line each (a run\n"
           "takes minutes: each seed is printed when it ends)");
  cli.footer("Prints a line per seed, then the total operations, seeds and mismatches.\n"
             "Exit code: 0 no mismatch, 1 mismatches, 2 bad arguments or the oracle cannot run.");
  return cli.parse(argc, argv);
}

// A private scratch directory for the oracle's input and output files,
// removed when the run ends.
class WorkDir {
 public:
  WorkDir() {
    std::string tmpl = (fs::temp_directory_path() / "basis-differential-XXXXXX").string();
    if (mkdtemp(tmpl.data())) path_ = tmpl;
  }
  ~WorkDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

void print_details(const StreamCheck& c) {
  for (const std::string& d : c.details) std::printf("  %s\n", d.c_str());
}

int write_vectors(const Options& o, const std::string& oracle_dir, const std::string& work) {
  std::error_code ec;
  fs::create_directories(o.write_vectors, ec);
  size_t failed = 0;
  for (const Scenario& s : curated_scenarios()) {
    OracleRun run;
    if (Status st = run_oracle(oracle_dir, work, s.params, s.batches, &run); !st.is_ok()) {
      std::fprintf(stderr, "basis-tree differential: oracle failed on %s: %s\n", s.name.c_str(),
                   st.to_string().c_str());
      return kExitMismatch;
    }
    StreamCheck c = check_stream(s.params, s.batches, run);
    std::string path = (fs::path(o.write_vectors) / (s.name + ".json")).string();
    if (Status st = write_vector_file(path, s.name, s.description, s.params, s.batches, run,
                                      s.batches.size());
        !st.is_ok()) {
      std::fprintf(stderr, "basis-tree differential: %s\n", st.to_string().c_str());
      return kExitMismatch;
    }
    std::printf("%s %s: %s, %zu operations, %zu mismatches\n", c.mismatches ? "FAIL" : "wrote",
                path.c_str(), describe_params(s.params).c_str(), c.operations, c.mismatches);
    print_details(c);
    if (c.mismatches) ++failed;
  }
  return failed ? kExitMismatch : 0;
}

}  // namespace

int differential_command(int argc, char** argv) {
  Options o;
  if (int rc = parse_options(argc, argv, &o); rc >= 0) return rc;
  WorkDir work;
  if (work.path().empty()) {
    std::fprintf(stderr, "basis-tree differential: cannot create a temporary directory\n");
    return kExitUnavailable;
  }
  std::string oracle_dir = find_oracle_dir(o.oracle);
  if (Status s = probe_oracle(oracle_dir, work.path()); !s.is_ok()) {
    std::fprintf(stderr,
                 "basis-tree differential: the reference oracle cannot run from '%s' (%s); "
                 "give --oracle DIR or BASIS_ORACLE_DIR, and see its README (node >= 18, npm, "
                 "its setup script)\n",
                 oracle_dir.c_str(), s.message().c_str());
    return kExitUnavailable;
  }
  if (!o.write_vectors.empty()) return write_vectors(o, oracle_dir, work.path());

  auto start = std::chrono::steady_clock::now();
  size_t total_ops = 0, total_batches = 0, total_mismatches = 0, bad_seeds = 0;
  bool oracle_failed = false;
  const auto& sets = differential_param_sets();
  for (uint64_t seed = o.seed_from; seed < o.seed_from + o.seeds; ++seed) {
    auto t0 = std::chrono::steady_clock::now();
    const TreeParams& params = sets[seed % sets.size()];
    std::vector<GenBatch> batches = generate_stream(seed, params, o.ops);
    OracleRun run;
    if (Status s = run_oracle(oracle_dir, work.path(), params, batches, &run); !s.is_ok()) {
      std::fprintf(stderr, "basis-tree differential: seed %llu: the oracle failed: %s\n",
                   static_cast<unsigned long long>(seed), s.to_string().c_str());
      oracle_failed = true;
      break;
    }
    StreamCheck c = check_stream(params, batches, run);
    total_ops += c.operations;
    total_batches += c.batches;
    total_mismatches += c.mismatches;
    std::string vector_path;
    if (c.mismatches) {
      ++bad_seeds;
      std::error_code ec;
      fs::create_directories(o.mismatch_dir, ec);
      std::string name = "differential_seed" + std::to_string(seed);
      vector_path = (fs::path(o.mismatch_dir) / (name + ".json")).string();
      std::string desc = "basis-tree differential seed " + std::to_string(seed) + " (" +
                         describe_params(params) + ", --ops " + std::to_string(o.ops) +
                         "), up to its first mismatching batch; expectations from the oracle.";
      Status s = write_vector_file(vector_path, name, desc, params, batches, run,
                                   *c.first_bad_batch + 1);
      if (!s.is_ok()) vector_path = "(not written: " + s.to_string() + ")";
    }
    double secs = seconds_since(t0);
    if (o.json) {
      json j = {{"seed", seed},         {"params", describe_params(params)},
                {"operations", c.operations}, {"batches", c.batches},
                {"verified_operations", c.verified_operations},
                {"resolved_nodes", c.resolved_nodes},
                {"mismatches", c.mismatches}, {"seconds", secs},
                {"details", c.details}};
      if (!vector_path.empty()) j["vector"] = vector_path;
      std::printf("%s\n", j.dump().c_str());
    } else {
      std::printf("seed %llu %s: %zu operations, %zu batches, %zu verified, %zu nodes resolved, "
                  "%zu mismatches (%.1f s)\n",
                  static_cast<unsigned long long>(seed), describe_params(params).c_str(),
                  c.operations, c.batches, c.verified_operations, c.resolved_nodes,
                  c.mismatches, secs);
      print_details(c);
      if (!vector_path.empty()) std::printf("  vector file: %s\n", vector_path.c_str());
    }
    std::fflush(stdout);
  }
  double secs = seconds_since(start);
  if (o.json) {
    json j = {{"summary", true},        {"seeds", o.seeds},
              {"operations", total_ops}, {"batches", total_batches},
              {"mismatches", total_mismatches}, {"mismatching_seeds", bad_seeds},
              {"oracle_failed", oracle_failed}, {"seconds", secs}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("differential: %llu seeds, %zu operations, %zu batches, %zu mismatches%s (%.1f s)\n",
                static_cast<unsigned long long>(o.seeds), total_ops, total_batches,
                total_mismatches, oracle_failed ? ", stopped: the oracle failed" : "", secs);
  }
  return total_mismatches == 0 && !oracle_failed ? 0 : kExitMismatch;
}

}  // namespace basis::tools
