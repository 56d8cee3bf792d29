// The daemon's JSON: requests parsed with every problem named, results
// encoded with bytes as lowercase hex and the vectors' names for operation
// types and error kinds.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "basis/runtime.h"
#include "storage/records.h"

namespace basis::daemon {

// Parses {"ops":[{"type":"Insert","key":"…","value":"…"},…]} (UpdateLongBy
// takes "delta", a number or a decimal string). On failure returns false
// and says what is wrong and where in `error`.
bool parse_batch(std::string_view body, const tree::TreeParams& params, std::vector<basis::OwnedOperation>* out,
                 std::string* error);

// Before a batch body is parsed into a document: refuses (false, `error`
// says why) a body nested deeper than a batch ever is, or holding more JSON
// values than `max_operations` operations could, so that no body can make
// the parser build a document many times its size or recurse deeply.
// `too_large` tells the second case (413) from the first (400).
bool check_batch_shape(std::string_view body, size_t max_operations, bool* too_large, std::string* error);

// Parses a hex key of the tree's key length.
bool parse_key(std::string_view hex, const tree::TreeParams& params, tree::Bytes* out, std::string* error);

nlohmann::json batch_json(const basis::BatchResult& r, bool dry_run);
nlohmann::json lookup_json(const tree::Bytes& key, const basis::LookupResult& r, bool with_proof);
nlohmann::json checkpoint_json(const CheckpointInfo& c);
nlohmann::json operation_json(const LogRecord& r);
nlohmann::json error_json(const std::string& message);

}  // namespace basis::daemon
