// The comparison half of the differential driver: replays a stream through
// the project's BatchProver and BatchVerifier and compares every result with
// the reference oracle's answers; writes a stream, with the oracle's answers
// as expectations, as a vector file that `basis-tree conformance` replays.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tools/differential_gen.h"
#include "tools/oracle_client.h"
#include "basis/tree/params.h"
#include "basis/tree/status.h"

namespace basis::tools {

struct StreamCheck {
  size_t operations = 0;
  size_t batches = 0;
  size_t verified_operations = 0;  // replayed through the verifier
  size_t resolved_nodes = 0;       // fetched from the store by the unloading prover
  size_t mismatches = 0;
  std::optional<size_t> first_bad_batch;
  std::vector<std::string> details;  // the first few mismatches
};

// Compares, for every operation: ok or error kind, old value, digest after
// (of an in-memory prover, and of one that stores and unloads its nodes
// between batches and resolves them again);
// for every batch: proof bytes and digest; and the verifier's results and
// digest over the oracle's proof with the operations that succeeded.
StreamCheck check_stream(const tree::TreeParams& params, const std::vector<GenBatch>& batches,
                         const OracleRun& oracle);

// Writes the first `batch_count` batches of the stream as a vector file
// (format ergo-avl-oracle-vectors/1) whose expectations are the oracle's.
tree::Status write_vector_file(const std::string& path, const std::string& scenario,
                               const std::string& description, const tree::TreeParams& params,
                               const std::vector<GenBatch>& batches, const OracleRun& oracle,
                               size_t batch_count);

}  // namespace basis::tools
