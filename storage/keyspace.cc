#include "storage/keyspace.h"

namespace basis::storage {

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
