// Seeded operation streams for differential testing against the reference
// (tools/differential.h): random mixes of all seven operation types plus the
// hostile corners a service must survive (sentinel keys and their neighbours,
// wrong key and value lengths, empty and large values, UpdateLongBy overflow,
// runs of deletions, empty and one-operation batches).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "basis/tree/bytes.h"
#include "basis/tree/operation.h"
#include "basis/tree/params.h"

namespace basis::tools {

// One generated operation. It owns its bytes (tree::Operation does not).
struct GenOp {
  tree::OpType type = tree::OpType::kLookup;
  tree::Bytes key;
  tree::Bytes value;  // Insert, Update, InsertOrUpdate
  int64_t delta = 0;  // UpdateLongBy

  tree::Operation op() const { return {type, tree::view(key), tree::view(value), delta}; }
};
using GenBatch = std::vector<GenOp>;

// The tree parameter sets the differential run cycles through: key lengths
// 1, 4 and 32 (and 2), variable values, fixed 8-byte values, fixed 0 and 32.
const std::vector<tree::TreeParams>& differential_param_sets();

// "kl=32 vl=var" and the like.
std::string describe_params(const tree::TreeParams& params);

// A stream of batches holding `ops` operations in all for `seed`; the same
// seed and parameters always give the same stream.
std::vector<GenBatch> generate_stream(uint64_t seed, const tree::TreeParams& params, size_t ops);

// Big-endian 8-byte encoding of a signed long, as UpdateLongBy stores it.
tree::Bytes long_bytes(int64_t v);

}  // namespace basis::tools
