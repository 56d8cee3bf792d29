// The prover fuzz target's input format, shared with its seed-corpus writer.
// Everything is read forward, one byte at a time; a missing byte reads as 0
// and ends the input, so any byte string is a valid input.
//
//   byte 0   tree parameters: key length kKeyLengths[b % 6], value length
//            kValueLengths[(b / 6) % 8] (-1: any length)
//   then commands until the input ends:
//     c < 0xf0   an operation of type c % 7, followed by
//                  key byte k (kKey* modes below, k >> 5), key bytes if any,
//                  Insert / Update / InsertOrUpdate: value byte v and value,
//                  UpdateLongBy: delta byte d (kDelta* modes, d % 8) and more
//     0xf0-0xf7  end of batch: proof, verifier round trip, tree checks
//     0xf8-0xfb  what-if: byte n, then n % 16 operations given to
//                prove_operations (not applied)
//     0xfc-0xff  end_batch() without a proof
#pragma once

#include <cstdint>

namespace basis::tree::fuzz {

// Small key lengths make keys collide; 32 is the deployed one.
inline constexpr uint32_t kKeyLengths[] = {1, 2, 3, 4, 8, 32};
inline constexpr int kValueLengths[] = {-1, 8, 0, 1, 9, -1, 4, 3};

inline constexpr uint8_t kEndBatch = 0xf0;
inline constexpr uint8_t kWhatIf = 0xf8;
inline constexpr uint8_t kEndWithoutProof = 0xfc;

// Key modes (key byte >> 5).
enum KeyMode : uint8_t {
  kKeySmall0 = 0,  // 0..3: kl - 1 zero bytes, then the key byte's low 7 bits
                   // (kl 1: the whole key byte, so 0x00 and 0xff occur)
  kKeyRaw = 4,        // kl bytes follow
  kKeySentinel = 5,   // all 0x00 / all 0xff, or one step inside (bits 0, 1)
  kKeyWrongLength = 6,  // kl + 1 or kl - 1 bytes follow (bit 0), filled from input
  kKeyStored = 7,     // a stored key: next byte indexes the model
};

// Value byte: fixed length: < 0xe0 the right length, else a wrong one;
// variable: length v % 24. The value's bytes follow.
inline constexpr uint8_t kWrongValueLength = 0xe0;

// Delta modes (delta byte % 8).
enum DeltaMode : uint8_t {
  kDeltaZero = 0,
  kDeltaPlusByte = 1,   // + next byte
  kDeltaMinusByte = 2,  // - next byte
  kDeltaRaw = 3,        // 8 bytes big-endian follow
  kDeltaMax = 4,        // INT64_MAX
  kDeltaMin = 5,        // INT64_MIN
  kDeltaCancel = 6,     // minus the stored long: the sum is zero, the key goes
  kDeltaEdge = 7,       // INT64_MAX - stored (bit 3 clear) or -stored - 1
};

}  // namespace basis::tree::fuzz
