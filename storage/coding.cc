#include "storage/coding.h"

namespace basis::storage {

void put_u8(std::string* out, uint8_t v) { out->push_back(static_cast<char>(v)); }
void put_u16(std::string* out, uint16_t v) {
  put_u8(out, static_cast<uint8_t>(v >> 8));
  put_u8(out, static_cast<uint8_t>(v));
}
void put_u32(std::string* out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) put_u8(out, static_cast<uint8_t>(v >> s));
}
void put_u64(std::string* out, uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) put_u8(out, static_cast<uint8_t>(v >> s));
}
void put_bytes(std::string* out, ByteView b) { out->append(chars_of(b)); }
void put_length_prefixed(std::string* out, ByteView b) {
  put_u32(out, static_cast<uint32_t>(b.size()));
  put_bytes(out, b);
}

std::string sequence_key(uint64_t n) {
  std::string k;
  put_u64(&k, n);
  return k;
}

bool parse_sequence_key(std::string_view key, uint64_t* n) {
  Reader r(key);
  *n = r.u64();
  return r.ok() && r.at_end();
}

bool Reader::take(size_t n) {
  if (!ok_ || data_.size() - pos_ < n) {
    ok_ = false;
    return false;
  }
  return true;
}

uint8_t Reader::u8() {
  if (!take(1)) return 0;
  return static_cast<uint8_t>(data_[pos_++]);
}
uint16_t Reader::u16() {
  if (!take(2)) return 0;
  uint16_t hi = u8();
  return static_cast<uint16_t>(hi << 8 | u8());
}
uint32_t Reader::u32() {
  if (!take(4)) return 0;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = v << 8 | u8();
  return v;
}
uint64_t Reader::u64() {
  if (!take(8)) return 0;
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | u8();
  return v;
}
ByteView Reader::bytes(size_t n) {
  if (!take(n)) return {};
  ByteView b = view_of(data_.substr(pos_, n));
  pos_ += n;
  return b;
}
ByteView Reader::length_prefixed(size_t max_len) {
  uint32_t n = u32();
  if (n > max_len) {
    ok_ = false;
    return {};
  }
  return bytes(n);
}

}  // namespace basis::storage
