#include "basis/tree/status.h"

namespace basis::tree {

std::string_view error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kOk: return "OK";
    case ErrorKind::kKeyNotAboveNegInfinity: return "KeyNotAboveNegInfinity";
    case ErrorKind::kKeyNotBelowPosInfinity: return "KeyNotBelowPosInfinity";
    case ErrorKind::kKeyLengthMismatch: return "KeyLengthMismatch";
    case ErrorKind::kKeyAlreadyExists: return "KeyAlreadyExists";
    case ErrorKind::kKeyNotFound: return "KeyNotFound";
    case ErrorKind::kValueLengthMismatch: return "ValueLengthMismatch";
    case ErrorKind::kDecreaseNonExisting: return "DecreaseNonExisting";
    case ErrorKind::kNegativeResult: return "NegativeResult";
    case ErrorKind::kLongValueTooShort: return "LongValueTooShort";
    case ErrorKind::kLongOverflow: return "LongOverflow";
    case ErrorKind::kInvalidProof: return "InvalidProof";
    case ErrorKind::kLimitExceeded: return "LimitExceeded";
    case ErrorKind::kInvalidArgument: return "InvalidArgument";
    case ErrorKind::kCorruption: return "Corruption";
    case ErrorKind::kIOError: return "IOError";
    case ErrorKind::kNotFound: return "NotFound";
    case ErrorKind::kBusy: return "Busy";
    case ErrorKind::kResourceExhausted: return "ResourceExhausted";
    case ErrorKind::kUnavailable: return "Unavailable";
  }
  return "Unknown";
}

std::string Status::to_string() const {
  if (is_ok()) return "OK";
  std::string out(error_kind_name(kind_));
  if (!message_.empty()) {
    out += ": ";
    out += message_;
  }
  return out;
}

}  // namespace basis::tree
