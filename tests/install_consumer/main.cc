// A host that embeds basis::runtime: opens a Runtime in a fresh directory,
// applies a batch, checks the runtime's digest and proof against basis::tree's
// own prover and verifier, and prints the digest. Exit 0 only if all agree.
//
//   host_runtime [DATA_DIR]    (default: a new directory under $TMPDIR, removed after)
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "basis/runtime.h"
#include "basis/tree/batch_verifier.h"
#include "basis/version.h"
#include "tree_roundtrip.h"

using namespace basis;

namespace {

tree::Bytes bytes(size_t n, uint8_t fill) { return tree::Bytes(n, fill); }

int run(const std::string& data_dir) {
  config::Config cfg;
  cfg.storage.data_dir = data_dir;
  std::unique_ptr<Runtime> rt;
  if (tree::Status s = Runtime::open(cfg, &rt); !s.is_ok()) {
    std::fprintf(stderr, "open %s: %s\n", data_dir.c_str(), s.to_string().c_str());
    return 1;
  }
  std::vector<OwnedOperation> batch = {{tree::OpType::kInsert, bytes(32, 0x11), bytes(8, 0x01), 0},
                                       {tree::OpType::kInsert, bytes(32, 0x22), bytes(8, 0x02), 0},
                                       {tree::OpType::kUpdateLongBy, bytes(32, 0x11), {}, 41}};
  BatchResult r = rt->apply_and_wait(batch);
  if (!r.status.is_ok()) {
    std::fprintf(stderr, "batch: %s\n", r.status.to_string().c_str());
    return 1;
  }
  std::printf("basis-trees %s runtime digest %s at sequence %llu\n", kVersion, tree::to_hex(r.digest).c_str(),
              static_cast<unsigned long long>(r.last_sequence));

  // The same batch through the tree alone must end at the same digest...
  tree::TreeParams params;
  params.key_length = cfg.tree.key_length;
  params.value_length = cfg.tree.value_length;
  tree::BatchProver prover(params);
  std::vector<tree::Operation> ops;
  for (const OwnedOperation& op : batch) ops.push_back(op.view());
  tree::Digest in_memory{};
  if (!host::prove_and_verify(params, &prover, ops, &in_memory)) return 1;
  if (in_memory != r.digest || prover.digest() != r.digest) {
    std::fprintf(stderr, "the runtime's digest differs from the prover's %s\n", tree::to_hex(in_memory).c_str());
    return 1;
  }
  // ...and the runtime's own proof must verify from its start digest.
  tree::BatchVerifier verifier(params, r.start_digest, tree::view(r.proof));
  for (const tree::Operation& op : ops) {
    tree::OpOutcome out;
    if (tree::Status s = verifier.perform(op, &out); !s.is_ok()) {
      std::fprintf(stderr, "the runtime's proof: %s\n", s.to_string().c_str());
      return 1;
    }
  }
  if (verifier.digest() != std::optional<tree::Digest>(r.digest)) {
    std::fprintf(stderr, "the runtime's proof does not lead to its digest\n");
    return 1;
  }
  std::printf("proof of %zu bytes verified\n", r.proof.size());
  return rt->shutdown().is_ok() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) return run(argv[1]);
  std::string dir = (std::filesystem::temp_directory_path() / "basis-host-XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  int rc = run(dir);
  std::filesystem::remove_all(dir);
  return rc;
}
