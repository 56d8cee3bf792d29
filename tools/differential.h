// basis-tree differential: seeded random and adversarial operation streams
// through the project's prover and verifier and through the reference oracle
// (../shared/oracle), comparing every result, digest and proof byte.
#pragma once

namespace basis::tools {

// Exit codes: 0 no mismatch, 1 mismatches (or the oracle failed mid-run),
// 2 bad arguments or no usable oracle (ctest skips on 2).
int differential_command(int argc, char** argv);

}  // namespace basis::tools
