// Not a fuzz target: a one-off check that found a regression of 965153c (see
// README.md here). Opens a store, applies a batch, shuts down (sealing a
// checkpoint), reopens and prints the recovery path. Expected: round 1
// recovers from "latest_checkpoint" with no fallbacks. Build (after
// scripts/fuzz.sh built the libraries):
//   cd build-fuzz && clang++-14 -std=c++20 -g -fsanitize=address,undefined -I.. \
//     ../tests/fuzz/findings/recovery_probe.cc -o recovery_probe actors/libbasis_actors.a \
//     storage/libbasis_storage.a tree/libbasis_tree.a config/libbasis_config.a -lb2 \
//     /usr/lib/x86_64-linux-gnu/librocksdb.so.7.8.3 -ltomlplusplus -lcaf_core -lspdlog -lfmt -lpthread
//   ASAN_OPTIONS=detect_leaks=0 ./recovery_probe
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include "basis/runtime.h"
using namespace basis;
int main() {
  char dir[] = "/tmp/recovery-probe-XXXXXX";
  if (!mkdtemp(dir)) return 2;
  config::Config cfg;
  cfg.storage.data_dir = dir;
  cfg.storage.sync = config::SyncPolicy::kNever;
  cfg.logging.level = "off";
  for (int round = 0; round < 2; ++round) {
    std::unique_ptr<basis::Runtime> rt;
    tree::Status s = basis::Runtime::open(cfg, &rt);
    if (!s.is_ok()) { std::printf("open: %s\n", s.to_string().c_str()); return 1; }
    const auto& rec = rt->recovery();
    std::printf("round %d: path %s checkpoint %llu fallbacks %llu replayed %llu %s\n", round,
                std::string(basis::recovery_path_name(rec.path)).c_str(), (unsigned long long)rec.checkpoint_id,
                (unsigned long long)rec.fallbacks.size(), (unsigned long long)rec.replayed, rec.fallbacks.empty() ? "" : rec.fallbacks[0].c_str());
    if (round == 0) {
      basis::OwnedOperation op{tree::OpType::kInsert, tree::Bytes(32, 0x11), tree::Bytes{1}, 0};
      (void)rt->apply_and_wait({op});
    }
    std::printf("shutdown: %s\n", rt->shutdown().to_string().c_str());
  }
  std::filesystem::remove_all(dir);
  return 0;
}
