#include "storage/keyspace.h"

namespace basis::storage {

Keyspace Keyspace::for_tree(uint32_t id, uint32_t key_length) {
  std::string prefix(4, '\0');
  for (int i = 0; i < 4; ++i) prefix[i] = static_cast<char>(id >> (24 - 8 * i));
  Keyspace k(std::move(prefix));
  k.key_length_ = key_length;
  return k;
}

std::string Keyspace::upper_bound() const {
  std::string bound = prefix_;
  while (!bound.empty()) {
    if (static_cast<unsigned char>(bound.back()) != 0xFF) {
      bound.back() = static_cast<char>(static_cast<unsigned char>(bound.back()) + 1);
      return bound;
    }
    bound.pop_back();
  }
  return bound;
}

}  // namespace basis::storage
