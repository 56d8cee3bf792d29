// Runs the reference oracle (../shared/oracle, scrypto through sigmastate-js
// on node) over a stream of batches: its replay.js as a subprocess, reading
// the stream from a file and writing its answers to another.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tools/differential_gen.h"
#include "basis/tree/bytes.h"
#include "basis/tree/params.h"
#include "basis/tree/status.h"

namespace basis::tools {

struct OracleOpResult {
  bool ok = false;
  std::string error;    // the oracle's error kind ("KeyNotFound", or "Other")
  std::string message;  // the reference's own failure message
  std::optional<tree::Bytes> old;
  tree::Bytes digest;  // the prover's digest right after the operation
};

struct OracleBatch {
  std::vector<OracleOpResult> results;
  tree::Bytes proof;
  tree::Bytes digest;
};

struct OracleRun {
  tree::Bytes empty_digest;
  std::vector<OracleBatch> batches;
};

// The oracle's directory: `explicit_dir` when given, else $BASIS_ORACLE_DIR,
// else ../shared/oracle relative to the current directory.
std::string find_oracle_dir(const std::string& explicit_dir);

// OK when `dir` holds an executable `run` and it answers the empty stream
// with an empty-tree digest; otherwise says what is missing.
tree::Status probe_oracle(const std::string& dir, const std::string& work_dir);

// Replays `batches` through the oracle into `out`. `work_dir` holds the
// temporary input and output files.
tree::Status run_oracle(const std::string& dir, const std::string& work_dir,
                        const tree::TreeParams& params, const std::vector<GenBatch>& batches,
                        OracleRun* out);

// The JSON of one operation, as replay.js and the vector files take it.
nlohmann::json op_json(const GenOp& op);

}  // namespace basis::tools
