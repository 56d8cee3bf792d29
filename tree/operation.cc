#include "basis/tree/operation.h"

#include <array>
#include <string>

namespace basis::tree {

namespace {

constexpr std::array<std::string_view, 7> kNames = {
    "Lookup", "Insert", "Update", "Remove", "InsertOrUpdate", "RemoveIfExists", "UpdateLongBy"};

Status key_exists(const Operation& op) {
  return Status(ErrorKind::kKeyAlreadyExists, "Key " + to_hex(op.key) + " already exists");
}

Status key_missing(const Operation& op) {
  return Status(ErrorKind::kKeyNotFound, "Key " + to_hex(op.key) + " does not exist");
}

void store(UpdateDecision* d, ByteView value) {
  d->action = UpdateDecision::Action::kStore;
  d->value = value;
}

void store_long(UpdateDecision* d, int64_t n) {
  uint64_t u = static_cast<uint64_t>(n);
  for (int i = 7; i >= 0; --i) {
    d->long_bytes[i] = static_cast<uint8_t>(u);
    u >>= 8;
  }
  store(d, ByteView(d->long_bytes, 8));
}

int64_t read_long(ByteView bytes) {
  uint64_t u = 0;
  for (size_t i = 0; i < 8; ++i) u = (u << 8) | bytes[i];
  return static_cast<int64_t>(u);
}

Status decide_long(const Operation& op, const ByteView* old, UpdateDecision* d) {
  if (op.delta == 0) {
    // Succeeds whatever is stored: a present value is rewritten unchanged.
    if (old) {
      store(d, *old);
    } else {
      d->action = UpdateDecision::Action::kLeaveAbsent;
    }
    return Status::ok();
  }
  if (!old) {
    if (op.delta < 0) {
      return Status(ErrorKind::kDecreaseNonExisting, "Trying to decrease non-existing value");
    }
    store_long(d, op.delta);
    return Status::ok();
  }
  if (old->size() < 8) {
    return Status(ErrorKind::kLongValueTooShort,
                  "Stored value of key " + to_hex(op.key) + " has " +
                      std::to_string(old->size()) + " bytes, a long needs 8");
  }
  int64_t sum = 0;
  if (__builtin_add_overflow(read_long(*old), op.delta, &sum)) {
    return Status(ErrorKind::kLongOverflow, "long overflow");
  }
  if (sum < 0) return Status(ErrorKind::kNegativeResult, "New value is negative");
  if (sum == 0) {
    d->action = UpdateDecision::Action::kRemove;
  } else {
    store_long(d, sum);
  }
  return Status::ok();
}

}  // namespace

std::string_view op_type_name(OpType type) { return kNames[static_cast<size_t>(type)]; }

std::optional<OpType> parse_op_type(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<OpType>(i);
  }
  return std::nullopt;
}

Status decide_update(const Operation& op, const ByteView* old, UpdateDecision* d) {
  switch (op.type) {
    case OpType::kLookup:
      return Status(ErrorKind::kInvalidArgument, "Lookup has no update function");
    case OpType::kInsert:
      if (old) return key_exists(op);
      store(d, op.value);
      return Status::ok();
    case OpType::kUpdate:
      if (!old) return key_missing(op);
      store(d, op.value);
      return Status::ok();
    case OpType::kInsertOrUpdate:
      store(d, op.value);
      return Status::ok();
    case OpType::kRemove:
      if (!old) return key_missing(op);
      d->action = UpdateDecision::Action::kRemove;
      return Status::ok();
    case OpType::kRemoveIfExists:
      d->action = old ? UpdateDecision::Action::kRemove : UpdateDecision::Action::kLeaveAbsent;
      return Status::ok();
    case OpType::kUpdateLongBy:
      return decide_long(op, old, d);
  }
  return Status(ErrorKind::kInvalidArgument, "unknown operation type");
}

}  // namespace basis::tree
