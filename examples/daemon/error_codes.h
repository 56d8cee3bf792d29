// The one list of the daemon's error codes. Every error answer is
//   {"error": {"code": "<name>", "message": "<what, naming the problem>"}}
// with the code's HTTP status, and a batch's per-operation failure is
//   {"ok": false, "error": "<name>"}
// with a name from the same list (the tree's operation failures, as the
// reference names them). docs/openapi.json enumerates the same names.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "basis/tree/status.h"

namespace basis::daemon {

enum class ErrorCode : uint8_t {
  // The tree's operation failures (tree::ErrorKind, the reference's names).
  // The first six and the last four appear only in batch results; the key
  // and value checks are also whole answers (a lookup at a sentinel, a key
  // of the wrong length).
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
  // The runtime's failures (the other tree::ErrorKind values).
  kInvalidProof,
  kLimitExceeded,
  kInvalidArgument,
  kCorruption,
  kIOError,
  kNotFound,
  kTooManyInflight,      // kBusy: persistence.max_inflight_batches
  kInsufficientStorage,  // kResourceExhausted: a disk budget or the disk itself
  kUnavailable,          // no prover serves now, or the runtime stopped
  // The daemon's own.
  kMalformedRequest,    // the request line, headers or framing (400)
  kUriTooLong,          // the request line exceeds 8 KB (414)
  kInvalidRequestId,    // X-Request-Id not 1..128 visible ASCII bytes, or given twice
  kInvalidParameter,    // a query parameter or path segment: unknown, twice, or not of its type
  kMalformedJson,       // the body is not JSON, nests too deep, or repeats a key
  kInvalidBatch,        // JSON, but not a batch: fields, types, hex, delta
  kUnknownRoute,        // 404: no route has this path
  kMethodNotAllowed,    // 405, with Allow
  kUnauthorized,        // 401, with WWW-Authenticate
  kBodyTooLarge,        // server.max_body_size
  kBatchTooLarge,       // persistence.operation_batch_size
  kUnsupportedMediaType,  // a multipart body
  kExpectationFailed,   // Expect other than 100-continue
  kNotImplemented,      // Transfer-Encoding other than chunked
  kRequestTimeout,      // server.header_timeout / body_timeout
  kTooManyConnections,  // server.max_connections
  kInternal,            // a bug: an exception in a handler
};

struct ErrorCodeInfo {
  ErrorCode code;
  std::string_view name;  // "KeyLengthMismatch"
  int status;             // the HTTP status of an answer with this code
};

// Every code, in the enum's order.
std::span<const ErrorCodeInfo> error_codes();

const ErrorCodeInfo& error_code_info(ErrorCode code);
inline std::string_view error_code_name(ErrorCode code) { return error_code_info(code).name; }
inline int error_code_status(ErrorCode code) { return error_code_info(code).status; }
std::optional<ErrorCode> parse_error_code(std::string_view name);

// The code of a runtime failure (kOk has none: kInternal).
ErrorCode error_code_of(tree::ErrorKind kind);

// An error answer before it is sent: its code, and a message that names
// the problem (bytes from the client made printable).
struct ApiError {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
};

}  // namespace basis::daemon
