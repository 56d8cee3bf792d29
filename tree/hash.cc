#include "basis/tree/hash.h"

#include <blake2.h>

namespace basis::tree {

Label blake2b256(ByteView data) {
  Label out;
  // libb2 reports failure only for invalid lengths, which are constant here.
  blake2b(out.data(), data.data(), nullptr, out.size(), data.size(), 0);
  return out;
}

Label blake2b256(ByteView a, ByteView b, ByteView c, ByteView d) {
  blake2b_state state;
  blake2b_init(&state, kLabelSize);
  for (ByteView piece : {a, b, c, d}) {
    if (!piece.empty()) blake2b_update(&state, piece.data(), piece.size());
  }
  Label out;
  blake2b_final(&state, out.data(), out.size());
  return out;
}

}  // namespace basis::tree
