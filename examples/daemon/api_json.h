// The daemon's JSON: requests parsed with every problem named (an error
// code of error_codes.h and a message), results encoded with bytes as
// lowercase hex and the vectors' names for operation types and error kinds.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "basis/runtime.h"
#include "examples/daemon/error_codes.h"

namespace basis::daemon {

// Parses a request body as JSON; kMalformedJson when it is not, or when an
// object holds a key twice.
bool parse_json_body(std::string_view body, nlohmann::json* out, ApiError* error);

// Parses {"ops":[{"type":"Insert","key":"…","value":"…"},…]} (UpdateLongBy
// takes "delta", a number or a decimal string). On failure returns false
// and says what is wrong and where in `error`: kMalformedJson (not JSON, a
// key twice in an object), kKeyLengthMismatch, kValueLengthMismatch, or
// kInvalidBatch (anything else).
bool parse_batch(std::string_view body, const tree::TreeParams& params, std::vector<basis::OwnedOperation>* out,
                 ApiError* error);
// The "ops" array of a batch (or of a transaction's part), as parse_batch reads it.
bool parse_operations(const nlohmann::json& ops, const tree::TreeParams& params,
                      std::vector<basis::OwnedOperation>* out, ApiError* error);

// Before a batch body is parsed into a document: refuses (false, `error`
// says why) a body nested deeper than a batch ever is, or holding more JSON
// values than `max_operations` operations could, so that no body can make
// the parser build a document many times its size or recurse deeply
// (kMalformedJson and kBatchTooLarge).
bool check_batch_shape(std::string_view body, size_t max_operations, ApiError* error);

// Parses a hex key of the tree's key length: kInvalidParameter when it is
// not hex, kKeyLengthMismatch when it has another length.
bool parse_key(std::string_view hex, const tree::TreeParams& params, tree::Bytes* out, ApiError* error);

nlohmann::json batch_json(const basis::BatchResult& r, bool dry_run);
nlohmann::json lookup_json(const tree::Bytes& key, const basis::LookupResult& r, bool with_proof);
nlohmann::json checkpoint_json(const CheckpointInfo& c);
nlohmann::json operation_json(const LogRecord& r);
// {"error": {"code": …, "message": …}}.
nlohmann::json error_json(const ApiError& error);

}  // namespace basis::daemon
