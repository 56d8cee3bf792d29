// The result of a fallible tree call: OK, or an error kind plus a message that
// names what went wrong. Error kinds of operations carry the reference
// implementation's names (the `errorKind` field of the conformance vectors).
#pragma once

#include <string>
#include <string_view>

namespace basis::tree {

enum class ErrorKind : uint8_t {
  kOk = 0,
  // Operation failures, as the reference names them.
  kKeyNotAboveNegInfinity,
  kKeyNotBelowPosInfinity,
  kKeyLengthMismatch,
  kKeyAlreadyExists,
  kKeyNotFound,
  kValueLengthMismatch,
  kDecreaseNonExisting,
  kNegativeResult,
  kLongValueTooShort,
  kLongOverflow,
  // Failures of this implementation's own interfaces.
  kInvalidProof,     // the verifier cannot trust the proof
  kLimitExceeded,    // an explicit limit (operations, deletes, proof size) was hit
  kInvalidArgument,  // the caller passed something unusable
  kCorruption,       // a resolved node does not match its label, or a node is missing
  kIOError,          // the storage below failed
  kNotFound,         // a requested record does not exist
  kBusy,             // a limit on work in flight is reached; try again later
  kResourceExhausted,  // storage is full (a configured disk budget, or the disk itself)
  kUnavailable,        // the service cannot do this now (an actor failed and is rebuilt, or stopped)
};

// The reference's name for `kind` ("KeyNotFound", ...).
std::string_view error_kind_name(ErrorKind kind);

class Status {
 public:
  Status() = default;
  Status(ErrorKind kind, std::string message) : kind_(kind), message_(std::move(message)) {}

  static Status ok() { return Status(); }

  bool is_ok() const { return kind_ == ErrorKind::kOk; }
  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }
  // "KeyNotFound: Key 00..01 does not exist", or "OK".
  std::string to_string() const;

 private:
  ErrorKind kind_ = ErrorKind::kOk;
  std::string message_;
};

// A failure of the storage below (an I/O error, a damaged or missing
// record), not of the operation asked for.
inline bool is_storage_failure(const Status& s) {
  return s.kind() == ErrorKind::kIOError || s.kind() == ErrorKind::kCorruption;
}

}  // namespace basis::tree
