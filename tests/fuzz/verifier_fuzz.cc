// libFuzzer target: the batch verifier must never crash, hang or leak on any
// proof and operations. See verifier_fuzz_input.h for the input format.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "tests/fuzz/verifier_fuzz_input.h"
#include "basis/tree/batch_verifier.h"

using namespace basis::tree;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const TreeParams& params = fuzz::kFuzzParams[data[0] % fuzz::kFuzzParamCount];
  uint8_t height = data[1];
  size_t count = data[2];
  size_t pos = 3;
  std::vector<Operation> ops;
  for (size_t i = 0; i < count; ++i) {
    if (size - pos < 1 + params.key_length + 1) return 0;
    Operation op;
    op.type = static_cast<OpType>(data[pos++] % 7);
    op.key = ByteView(data + pos, params.key_length);
    pos += params.key_length;
    size_t len = data[pos++];
    if (size - pos < len) return 0;
    op.value = ByteView(data + pos, len);
    pos += len;
    if (op.type == OpType::kUpdateLongBy) {
      if (size - pos < 8) return 0;
      uint64_t d = 0;
      for (int b = 0; b < 8; ++b) d = d << 8 | data[pos++];
      op.delta = static_cast<int64_t>(d);
    }
    ops.push_back(op);
  }
  ByteView proof(data + pos, size - pos);
  Label root;
  Digest start{};
  if (BatchVerifier::packaged_root_label(params, proof, &root).is_ok()) {
    start = make_digest(root, height);
  }
  VerifierLimits limits;
  limits.max_proof_bytes = 1 << 20;
  BatchVerifier verifier(params, start, proof, limits);
  OpOutcome out;
  for (const Operation& op : ops) {
    if (!verifier.perform(op, &out).is_ok()) break;
  }
  (void)verifier.digest();
  return 0;
}
