// Helpers for the tests of a damaged write-ahead log and durable mark: a
// store killed with acknowledged batches in its WAL, directory snapshots with
// checksums, the admin tool. Include after <catch2/catch.hpp>.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include "basis/runtime.h"
#include "storage/crc32c.h"
#include "tests/runtime_test_util.h"
#include "tests/self_exec.h"

namespace basis::testing {

inline config::Config wal_config(const std::string& data_dir, bool synced = true) {
  config::Config cfg;
  cfg.storage.data_dir = data_dir;
  cfg.storage.sync = synced ? config::SyncPolicy::kAlways : config::SyncPolicy::kNever;
  cfg.logging.level = "off";
  // No checkpoint: every acknowledged batch stays in the live WAL.
  cfg.persistence.checkpoint_interval.operations = 1'000'000;
  return cfg;
}

// Path -> size and CRC-32C of the contents, for every file under `dir`.
inline std::map<std::string, std::pair<uintmax_t, uint32_t>> snapshot(const std::string& dir) {
  std::map<std::string, std::pair<uintmax_t, uint32_t>> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) {
      out[e.path().string()] = {0, 0};
      continue;
    }
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    out[e.path().string()] = {e.file_size(), storage::crc32c(bytes.str())};
  }
  return out;
}

// The hidden child case (in the test binary) that `killed_store` runs.
constexpr char kWalChild[] = "wal child: acknowledged batches then wait to be killed";

// Runs kWalChild on `data_dir`, which applies `batches` batches of 50
// inserts, and SIGKILLs it once every one was acknowledged. Returns the last
// acknowledged sequence. `synced`: storage.sync = "always", else "never".
inline uint64_t killed_store(const std::string& data_dir, int batches, bool synced = true) {
  const std::string ready = data_dir + ".acked";
  std::filesystem::remove(ready);
  pid_t pid = run_self(kWalChild, {{"WAL_DIR", data_dir}, {"WAL_BATCHES", std::to_string(batches)},
                                   {"WAL_SYNC", synced ? "always" : "never"}});
  uint64_t acked = 0;
  for (int i = 0; i < 600 && acked == 0; ++i) {
    std::ifstream in(ready);
    if (!(in >> acked)) acked = 0;
    if (acked == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return acked;
}

// The live write-ahead log: the largest db/*.log.
inline std::string live_wal(const std::string& data_dir) {
  std::string best;
  uintmax_t size = 0;
  for (const auto& e : std::filesystem::directory_iterator(data_dir + "/db")) {
    if (e.path().extension() == ".log" && e.file_size() >= size) {
      best = e.path().string();
      size = e.file_size();
    }
  }
  return best;
}

// Ends of whole logical records in a RocksDB WAL (32 KB blocks of records
// with a 7-byte header: crc, length, type; full = 1, last = 4).
inline std::vector<uintmax_t> wal_record_ends(const std::string& wal) {
  std::ifstream in(wal, std::ios::binary);
  std::string b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<uintmax_t> ends;
  size_t pos = 0;
  while (pos + 7 <= b.size()) {
    size_t left = 32768 - pos % 32768;
    if (left < 7) {
      pos += left;
      continue;
    }
    size_t len = static_cast<unsigned char>(b[pos + 4]) | (static_cast<size_t>(static_cast<unsigned char>(b[pos + 5])) << 8);
    int type = static_cast<unsigned char>(b[pos + 6]);
    if (type == 0) break;
    pos += 7 + len;
    if (type == 1 || type == 4) ends.push_back(pos);
  }
  return ends;
}

// Runs the admin tool; its exit code, and its output in *out.
inline int run_tool(const std::string& args, std::string* out) {
  std::string cmd = std::string(BASIS_TOOL_PATH) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  out->clear();
  while (size_t n = fread(buf, 1, sizeof buf, p)) out->append(buf, n);
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Opening `cfg` is refused with a message holding `words`, twice, and the
// refusals change nothing on disk. Include after <catch2/catch.hpp>.
inline void refused_twice(const config::Config& cfg, const std::vector<std::string>& words) {
  const auto before = snapshot(cfg.storage.data_dir);
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<basis::Runtime> rt;
    tree::Status s = basis::Runtime::open(cfg, &rt);
    INFO(s.to_string());
    REQUIRE_FALSE(s.is_ok());
    for (const auto& word : words) CHECK(s.message().find(word) != std::string::npos);
    REQUIRE(snapshot(cfg.storage.data_dir) == before);
  }
}

}  // namespace basis::testing
