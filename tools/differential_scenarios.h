// Hand-made streams for the vector files in tests/vectors/project/: every key-check
// failure on every operation type right after a changing operation,
// UpdateLongBy's edges, and value-length failures, for fixed and variable
// values. `basis-tree differential --write-vectors DIR` runs them through the
// oracle and writes the oracle's answers as the files' expectations.
#pragma once

#include <string>
#include <vector>

#include "tools/differential_gen.h"
#include "basis/tree/params.h"

namespace basis::tools {

struct Scenario {
  std::string name;  // the file name, without .json
  std::string description;
  tree::TreeParams params;
  std::vector<GenBatch> batches;
};

std::vector<Scenario> curated_scenarios();

}  // namespace basis::tools
