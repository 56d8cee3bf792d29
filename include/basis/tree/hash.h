// BLAKE2b-256, the tree's only hash function (unkeyed, 32-byte output).
#pragma once

#include "basis/tree/bytes.h"

namespace basis::tree {

// H(data).
Label blake2b256(ByteView data);

// H(a || b || c || d): hashes pieces without first concatenating them.
Label blake2b256(ByteView a, ByteView b, ByteView c = {}, ByteView d = {});

}  // namespace basis::tree
