// Writes the prover fuzz target's seed corpus: for a spread of tree
// parameters, batches that touch every operation type, the sentinels, wrong
// key and value lengths, UpdateLongBy's edges and a what-if, so that the
// fuzzer starts from inputs that reach deep into the prover instead of
// discovering the format byte by byte.
//   prover_fuzz_seed_corpus OUT_DIR
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/fuzz/prover_fuzz_input.h"

using namespace basis::tree::fuzz;
namespace fs = std::filesystem;

namespace {

using Input = std::vector<uint8_t>;

enum Type : uint8_t { kLookup, kInsert, kUpdate, kRemove, kInsertOrUpdate, kRemoveIfExists, kUpdateLongBy };

// A small key (mode 0): its last byte is `k`.
void op(Input& in, Type t, uint8_t k, uint8_t vbyte = 8, uint8_t fill = 0) {
  in.push_back(t);
  in.push_back(k & 0x7f);
  if (t == kInsert || t == kUpdate || t == kInsertOrUpdate) {
    in.push_back(vbyte);
    for (int i = 0; i < 32; ++i) in.push_back(static_cast<uint8_t>(fill + i));  // enough for any length
  }
  if (t == kUpdateLongBy) in.push_back(kDeltaPlusByte), in.push_back(fill);
}

void long_by(Input& in, uint8_t k, uint8_t delta_mode) {
  in.push_back(kUpdateLongBy);
  in.push_back(k & 0x7f);
  in.push_back(delta_mode);
  if (delta_mode == kDeltaPlusByte || delta_mode == kDeltaMinusByte) in.push_back(3);
  if (delta_mode == kDeltaRaw) {
    for (int i = 0; i < 8; ++i) in.push_back(i == 7 ? 5 : 0);
  }
}

Input seed(uint8_t params, int variant) {
  Input in{params};
  for (uint8_t k = 1; k <= 12; ++k) op(in, kInsert, static_cast<uint8_t>(k * 5), 8, k);
  in.push_back(kEndBatch);
  op(in, kInsert, 5);  // exists
  op(in, kUpdate, 10, 8, 0x40);
  op(in, kUpdate, 11);  // absent
  op(in, kRemove, 15);
  op(in, kRemove, 16);  // absent
  op(in, kRemoveIfExists, 20);
  op(in, kRemoveIfExists, 21);
  op(in, kInsertOrUpdate, 25, 8, 0x70);
  op(in, kInsertOrUpdate, 26, 8, 0x71);
  op(in, kLookup, 30);
  op(in, kLookup, 31);
  op(in, kInsert, 40, kWrongValueLength | 1);  // wrong value length (when fixed)
  // The sentinels and one step inside them, wrong key lengths, a raw key.
  for (uint8_t m : {0, 1, 2, 3}) in.push_back(kLookup), in.push_back(static_cast<uint8_t>(kKeySentinel << 5 | m));
  in.push_back(kInsert), in.push_back(kKeySentinel << 5 | 1), in.push_back(8);
  for (int i = 0; i < 8; ++i) in.push_back(0);
  in.push_back(kInsert), in.push_back(kKeyWrongLength << 5 | 1), in.push_back(8);
  for (int i = 0; i < 48; ++i) in.push_back(1);
  in.push_back(kRemove), in.push_back(kKeyWrongLength << 5);
  for (int i = 0; i < 32; ++i) in.push_back(2);
  in.push_back(kInsert), in.push_back(kKeyRaw << 5), in.push_back(3);
  for (int i = 0; i < 48; ++i) in.push_back(static_cast<uint8_t>(0x80 + i));
  in.push_back(variant ? kEndWithoutProof : kEndBatch);
  for (uint8_t d = 0; d < 8; ++d) long_by(in, static_cast<uint8_t>(5 + 5 * d), d);
  long_by(in, 100, kDeltaPlusByte);
  long_by(in, 101, kDeltaMinusByte);
  long_by(in, 35, kDeltaEdge | 8);
  // A stored key, a what-if of three operations, and more after it.
  in.push_back(kUpdateLongBy), in.push_back(kKeyStored << 5), in.push_back(0), in.push_back(kDeltaCancel);
  in.push_back(kWhatIf), in.push_back(3);
  op(in, kInsert, 60);
  op(in, kRemove, 10);
  op(in, kUpdateLongBy, 25);
  op(in, kInsert, 61);
  op(in, kRemove, 30);
  in.push_back(kEndBatch);
  for (uint8_t k = 1; k <= 12; ++k) op(in, kRemove, static_cast<uint8_t>(k * 5));
  return in;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: prover_fuzz_seed_corpus OUT_DIR\n");
    return 2;
  }
  size_t written = 0;
  // Every key length with variable values, and several fixed value lengths.
  for (uint8_t params = 0; params < 48; params += 5) {
    for (int variant = 0; variant < 2; ++variant) {
      Input in = seed(params, variant);
      fs::path out = fs::path(argv[1]) / ("seed_" + std::to_string(params) + "_" + std::to_string(variant));
      std::ofstream(out, std::ios::binary).write(reinterpret_cast<const char*>(in.data()), in.size());
      ++written;
    }
  }
  std::printf("wrote %zu seed inputs to %s\n", written, argv[1]);
  return 0;
}
