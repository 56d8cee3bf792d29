// Replays conformance vector files (format ergo-avl-oracle-vectors/1, as in
// tests/vectors/reference/) through the prover and verifier and checks every byte.
#pragma once

#include <string>

namespace basis::tools {

struct ConformanceReport {
  bool passed = false;
  // One line: "PASS name: ..." or "FAIL name: <first mismatches>".
  std::string line;
  size_t batches = 0;
  size_t operations = 0;
  size_t mutations_rejected = 0;  // flipped-byte proofs the verifier refused
};

// Checks one file: per-operation results and error kinds, every digestAfter,
// proof bytes, endDigest; the verifier accepts each proof with the successful
// operations and refuses it with a byte flipped. A malformed file or an
// unknown operation type fails the file with a message naming the batch.
ConformanceReport run_conformance_file(const std::string& path);

}  // namespace basis::tools
