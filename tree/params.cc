#include "basis/tree/params.h"

#include <string>

namespace basis::tree {

Status TreeParams::validate() const {
  if (key_length < 1 || key_length > kMaxKeyLength) {
    return Status(ErrorKind::kInvalidArgument,
                  "key_length must be 1.." + std::to_string(kMaxKeyLength) + ", got " +
                      std::to_string(key_length));
  }
  if (value_length && *value_length > kMaxValueLength) {
    return Status(ErrorKind::kInvalidArgument,
                  "value_length must be at most " + std::to_string(kMaxValueLength));
  }
  return Status::ok();
}

}  // namespace basis::tree
