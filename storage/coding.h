// Fixed-width integer encoding and a bounds-checked reader for records.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "basis/tree/bytes.h"

namespace basis::storage {

using tree::Bytes;
using tree::ByteView;

void put_u8(std::string* out, uint8_t v);
void put_u16(std::string* out, uint16_t v);  // big-endian, as all of these
void put_u32(std::string* out, uint32_t v);
void put_u64(std::string* out, uint64_t v);
void put_bytes(std::string* out, ByteView b);
// u32 length, then the bytes.
void put_length_prefixed(std::string* out, ByteView b);

// The big-endian key of a sequence number or id, so that keys sort in order.
std::string sequence_key(uint64_t n);
bool parse_sequence_key(std::string_view key, uint64_t* n);

// Reads fields in order; after any read past the end, ok() is false and
// every later read yields zeros.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  uint8_t u8();
  uint16_t u16();
  uint32_t u32();
  uint64_t u64();
  ByteView bytes(size_t n);
  ByteView length_prefixed(size_t max_len);
  // Whatever is left.
  ByteView rest() { return bytes(data_.size() - pos_); }

  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == data_.size(); }

 private:
  bool take(size_t n);
  std::string_view data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

inline ByteView view_of(std::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
inline std::string_view chars_of(ByteView b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}

}  // namespace basis::storage
