// Byte strings, labels and digests: the vocabulary every tree module shares.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace basis::tree {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

inline constexpr size_t kLabelSize = 32;
inline constexpr size_t kDigestSize = kLabelSize + 1;  // root label || root height

using Label = std::array<uint8_t, kLabelSize>;
using Digest = std::array<uint8_t, kDigestSize>;

// Lowercase hex of `bytes`.
std::string to_hex(ByteView bytes);

// Parses hex (either case, even length). Returns false on anything else.
bool from_hex(std::string_view hex, Bytes* out);
// A digest in hex: exactly 2 * kDigestSize hex digits. False on anything else.
bool digest_from_hex(std::string_view hex, Digest* out);

// Unsigned lexicographic order; when one is a prefix of the other the shorter
// is smaller. Returns <0, 0 or >0.
int compare_bytes(ByteView a, ByteView b);

// The order of compare_bytes, for ordered containers of Bytes
// (std::map<Bytes, V, BytesLess>). Not std::less<Bytes>: inlined at -O3, the
// vector's operator<=> makes g++ 12 warn -Wstringop-overread (a false positive
// on its memcmp bound) wherever such a map is used.
struct BytesLess {
  using is_transparent = void;  // finds by ByteView without copying a key
  bool operator()(ByteView a, ByteView b) const { return compare_bytes(a, b) < 0; }
};

inline ByteView view(const Bytes& b) { return ByteView(b.data(), b.size()); }
inline ByteView view(std::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// The digest of a tree: root label followed by the root height byte.
Digest make_digest(const Label& root_label, uint8_t height);

}  // namespace basis::tree
