// A host that embeds the basis-trees runtime: opens a tree in a data
// directory, applies a few batches, prints digests and a proof, and exits.
//
//   embed_example [DATA_DIR]     (default: ./embed-data)
#include <cstdio>

#include "basis/runtime.h"
#include "tools/cli.h"

using namespace basis;

namespace {

tree::Bytes key(uint8_t last) {
  tree::Bytes k(32, 0);
  k[31] = last;
  return k;
}

tree::Bytes amount(uint64_t v) {
  tree::Bytes b(8);
  for (int i = 7; i >= 0; --i, v >>= 8) b[i] = static_cast<uint8_t>(v);
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  basis::tools::CommandLine cli("embed_example", "[DATA_DIR]",
                                "A host embedding the basis-trees runtime: opens (or creates) the tree in DATA_DIR\n"
                                "(default ./embed-data), applies two batches, prints digests and a proof, and exits.");
  std::vector<std::string> dirs;
  cli.arguments("DATA_DIR", &dirs, 0, 1);
  cli.footer("A DATA_DIR that starts with '-' goes after --: embed_example -- -dir");
  if (int code = cli.parse(argc - 1, argv + 1); code >= 0) return code;
  if (!dirs.empty() && dirs[0].empty()) return cli.usage_error("DATA_DIR is empty");
  config::Config cfg;  // every default; only the directory is ours
  cfg.storage.data_dir = dirs.empty() ? "embed-data" : dirs[0];
  std::unique_ptr<basis::Runtime> rt;
  if (tree::Status s = basis::Runtime::open(cfg, &rt); !s.is_ok()) {
    std::fprintf(stderr, "cannot open %s: %s\n", cfg.storage.data_dir.c_str(), s.to_string().c_str());
    return 1;
  }
  std::printf("opened %s at sequence %llu, digest %s\n", cfg.storage.data_dir.c_str(),
              static_cast<unsigned long long>(rt->last_sequence()), tree::to_hex(rt->digest()).c_str());

  // Two debt notes, then one grows by 250 (UpdateLongBy on an 8-byte amount).
  using basis::OwnedOperation;
  std::vector<OwnedOperation> batch1 = {{tree::OpType::kInsertOrUpdate, key(1), amount(1000), 0},
                                        {tree::OpType::kInsertOrUpdate, key(2), amount(500), 0}};
  std::vector<OwnedOperation> batch2 = {{tree::OpType::kUpdateLongBy, key(1), {}, 250}};
  for (auto* batch : {&batch1, &batch2}) {
    basis::BatchResult r = rt->apply_and_wait(*batch);  // returns once durable
    if (!r.status.is_ok()) {
      std::fprintf(stderr, "batch failed: %s\n", r.status.to_string().c_str());
      return 1;
    }
    std::printf("batch durable: sequence %llu, digest %s, proof %zu bytes\n",
                static_cast<unsigned long long>(r.last_sequence), tree::to_hex(r.digest).c_str(),
                r.proof.size());
  }

  basis::LookupResult found = rt->lookup(key(1), /*with_proof=*/true);
  std::printf("key 01 holds %s; proof against %s:\n%s\n",
              found.outcome.existed ? tree::to_hex(tree::view(found.outcome.old_value)).c_str() : "nothing",
              tree::to_hex(found.digest).c_str(), tree::to_hex(tree::view(found.proof)).c_str());
  return rt->shutdown().is_ok() ? 0 : 1;
}
