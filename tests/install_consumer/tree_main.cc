// A host that links basis::tree alone: prover and verifier, no runtime.
#include <cstdio>

#include "basis/tree/bytes.h"
#include "basis/version.h"
#include "tree_roundtrip.h"

int main() {
  using namespace basis::tree;
  const Bytes k1(32, 0x11), k2(32, 0x22), v(8, 0x01);
  const TreeParams params;
  BatchProver prover(params);
  Digest digest{};
  if (!host::prove_and_verify(params, &prover, {Operation::insert(view(k1), view(v)), Operation::insert(view(k2), view(v)),
                                        Operation::lookup(view(k1))},
                              &digest)) {
    return 1;
  }
  std::printf("basis-trees %s tree digest %s verified\n", basis::kVersion, to_hex(digest).c_str());
  return 0;
}
