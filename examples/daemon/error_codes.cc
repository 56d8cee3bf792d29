#include "examples/daemon/error_codes.h"

#include <array>

namespace basis::daemon {

namespace {

using E = ErrorCode;

// In the enum's order (checked below). Codes only batch results carry
// (an operation that met the tree's state) have 409, which no whole answer
// uses.
constexpr std::array kCodes = {
    ErrorCodeInfo{E::kKeyNotAboveNegInfinity, "KeyNotAboveNegInfinity", 400},
    ErrorCodeInfo{E::kKeyNotBelowPosInfinity, "KeyNotBelowPosInfinity", 400},
    ErrorCodeInfo{E::kKeyLengthMismatch, "KeyLengthMismatch", 400},
    ErrorCodeInfo{E::kKeyAlreadyExists, "KeyAlreadyExists", 409},
    ErrorCodeInfo{E::kKeyNotFound, "KeyNotFound", 409},
    ErrorCodeInfo{E::kValueLengthMismatch, "ValueLengthMismatch", 400},
    ErrorCodeInfo{E::kDecreaseNonExisting, "DecreaseNonExisting", 409},
    ErrorCodeInfo{E::kNegativeResult, "NegativeResult", 409},
    ErrorCodeInfo{E::kLongValueTooShort, "LongValueTooShort", 409},
    ErrorCodeInfo{E::kLongOverflow, "LongOverflow", 409},
    ErrorCodeInfo{E::kInvalidProof, "InvalidProof", 500},
    ErrorCodeInfo{E::kLimitExceeded, "LimitExceeded", 413},
    ErrorCodeInfo{E::kInvalidArgument, "InvalidArgument", 400},
    ErrorCodeInfo{E::kCorruption, "Corruption", 500},
    ErrorCodeInfo{E::kIOError, "IOError", 500},
    ErrorCodeInfo{E::kNotFound, "NotFound", 404},
    ErrorCodeInfo{E::kTooManyInflight, "TooManyInflight", 503},
    ErrorCodeInfo{E::kInsufficientStorage, "InsufficientStorage", 507},
    ErrorCodeInfo{E::kUnavailable, "Unavailable", 503},
    ErrorCodeInfo{E::kMalformedRequest, "MalformedRequest", 400},
    ErrorCodeInfo{E::kUriTooLong, "UriTooLong", 414},
    ErrorCodeInfo{E::kInvalidRequestId, "InvalidRequestId", 400},
    ErrorCodeInfo{E::kInvalidParameter, "InvalidParameter", 400},
    ErrorCodeInfo{E::kMalformedJson, "MalformedJson", 400},
    ErrorCodeInfo{E::kInvalidBatch, "InvalidBatch", 400},
    ErrorCodeInfo{E::kUnknownRoute, "UnknownRoute", 404},
    ErrorCodeInfo{E::kMethodNotAllowed, "MethodNotAllowed", 405},
    ErrorCodeInfo{E::kUnauthorized, "Unauthorized", 401},
    ErrorCodeInfo{E::kBodyTooLarge, "BodyTooLarge", 413},
    ErrorCodeInfo{E::kBatchTooLarge, "BatchTooLarge", 413},
    ErrorCodeInfo{E::kUnsupportedMediaType, "UnsupportedMediaType", 415},
    ErrorCodeInfo{E::kExpectationFailed, "ExpectationFailed", 417},
    ErrorCodeInfo{E::kNotImplemented, "NotImplemented", 501},
    ErrorCodeInfo{E::kRequestTimeout, "RequestTimeout", 408},
    ErrorCodeInfo{E::kTooManyConnections, "TooManyConnections", 503},
    ErrorCodeInfo{E::kInternal, "Internal", 500},
};

constexpr bool in_enum_order() {
  for (size_t i = 0; i < kCodes.size(); ++i) {
    if (static_cast<size_t>(kCodes[i].code) != i) return false;
  }
  return static_cast<size_t>(E::kInternal) + 1 == kCodes.size();
}
static_assert(in_enum_order(), "kCodes must list every ErrorCode once, in the enum's order");

}  // namespace

std::span<const ErrorCodeInfo> error_codes() { return kCodes; }

const ErrorCodeInfo& error_code_info(ErrorCode code) { return kCodes[static_cast<size_t>(code)]; }

std::optional<ErrorCode> parse_error_code(std::string_view name) {
  for (const ErrorCodeInfo& c : kCodes) {
    if (c.name == name) return c.code;
  }
  return std::nullopt;
}

ErrorCode error_code_of(tree::ErrorKind kind) {
  using K = tree::ErrorKind;
  switch (kind) {
    case K::kKeyNotAboveNegInfinity: return E::kKeyNotAboveNegInfinity;
    case K::kKeyNotBelowPosInfinity: return E::kKeyNotBelowPosInfinity;
    case K::kKeyLengthMismatch: return E::kKeyLengthMismatch;
    case K::kKeyAlreadyExists: return E::kKeyAlreadyExists;
    case K::kKeyNotFound: return E::kKeyNotFound;
    case K::kValueLengthMismatch: return E::kValueLengthMismatch;
    case K::kDecreaseNonExisting: return E::kDecreaseNonExisting;
    case K::kNegativeResult: return E::kNegativeResult;
    case K::kLongValueTooShort: return E::kLongValueTooShort;
    case K::kLongOverflow: return E::kLongOverflow;
    case K::kInvalidProof: return E::kInvalidProof;
    case K::kLimitExceeded: return E::kLimitExceeded;
    case K::kInvalidArgument: return E::kInvalidArgument;
    case K::kCorruption: return E::kCorruption;
    case K::kIOError: return E::kIOError;
    case K::kNotFound: return E::kNotFound;
    case K::kBusy: return E::kTooManyInflight;
    case K::kResourceExhausted: return E::kInsufficientStorage;
    case K::kUnavailable: return E::kUnavailable;
    case K::kOk: break;
  }
  return E::kInternal;
}

}  // namespace basis::daemon
