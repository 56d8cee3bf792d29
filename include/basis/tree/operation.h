// The operations a batch applies, and their update functions (what each
// operation stores given what the key held before).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "basis/tree/bytes.h"
#include "basis/tree/status.h"

namespace basis::tree {

enum class OpType : uint8_t {
  kLookup,
  kInsert,
  kUpdate,
  kRemove,
  kInsertOrUpdate,
  kRemoveIfExists,
  kUpdateLongBy,
};

// "Insert", "UpdateLongBy", ... (the vectors' `type`).
std::string_view op_type_name(OpType type);
std::optional<OpType> parse_op_type(std::string_view name);

// One operation. It does not own its bytes: they must outlive the call that
// performs it.
struct Operation {
  OpType type = OpType::kLookup;
  ByteView key;
  ByteView value;     // Insert, Update, InsertOrUpdate
  int64_t delta = 0;  // UpdateLongBy

  static Operation lookup(ByteView k) { return {OpType::kLookup, k, {}, 0}; }
  static Operation insert(ByteView k, ByteView v) { return {OpType::kInsert, k, v, 0}; }
  static Operation update(ByteView k, ByteView v) { return {OpType::kUpdate, k, v, 0}; }
  static Operation remove(ByteView k) { return {OpType::kRemove, k, {}, 0}; }
  static Operation insert_or_update(ByteView k, ByteView v) {
    return {OpType::kInsertOrUpdate, k, v, 0};
  }
  static Operation remove_if_exists(ByteView k) { return {OpType::kRemoveIfExists, k, {}, 0}; }
  static Operation update_long_by(ByteView k, int64_t d) {
    return {OpType::kUpdateLongBy, k, {}, d};
  }

  bool is_lookup() const { return type == OpType::kLookup; }
};

// What an update function decided for the key.
struct UpdateDecision {
  enum class Action : uint8_t { kRemove, kStore, kLeaveAbsent };
  Action action = Action::kLeaveAbsent;
  // The value to store (kStore). Points either at the operation's value, at
  // the old value, or at `long_bytes`.
  ByteView value;
  uint8_t long_bytes[8] = {};
};

// Applies the update function of modification `op` to the key's old value
// (`old` is null when the key is absent). On failure returns the reference's
// error kind and message; `decision` is then unspecified.
Status decide_update(const Operation& op, const ByteView* old, UpdateDecision* decision);

}  // namespace basis::tree
