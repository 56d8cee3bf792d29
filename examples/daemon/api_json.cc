#include "examples/daemon/api_json.h"

#include <charconv>
#include <set>
#include <cstdint>

namespace basis::daemon {

using nlohmann::json;

namespace {

bool invalid(ApiError* error, ErrorCode code, std::string message) {
  *error = ApiError{code, std::move(message)};
  return false;
}

bool hex_field(const json& op, const char* field, const std::string& at, tree::Bytes* out, ApiError* error) {
  if (!op.contains(field)) return invalid(error, ErrorCode::kInvalidBatch, at + ": no " + field);
  if (!op[field].is_string()) return invalid(error, ErrorCode::kInvalidBatch, at + ": " + field + " must be a hex string");
  const std::string& hex = op[field].get_ref<const std::string&>();
  if (!tree::from_hex(hex, out)) return invalid(error, ErrorCode::kInvalidBatch, at + ": " + field + " is not hex");
  return true;
}

json hex_or_null(bool present, const tree::Bytes& bytes) {
  return present ? json(tree::to_hex(tree::view(bytes))) : json(nullptr);
}

}  // namespace

bool check_batch_shape(std::string_view body, size_t max_operations, ApiError* error) {
  // {"ops":[{"type":..,"key":..,"value":..},...]}: three levels; an
  // operation has at most four members.
  constexpr size_t kMaxDepth = 8;
  const size_t max_values = 16 + 8 * max_operations;
  size_t depth = 0, values = 0;
  bool in_string = false, escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"': in_string = true; break;
      case '{':
      case '[':
        if (++depth > kMaxDepth) {
          return invalid(error, ErrorCode::kMalformedJson,
                         "the body nests deeper than " + std::to_string(kMaxDepth) + " levels; a batch needs 3, a transaction 4");
        }
        [[fallthrough]];
      case ',':
        if (++values > max_values) {
          return invalid(error, ErrorCode::kBatchTooLarge,
                         "the body holds more JSON values than " + std::to_string(max_operations) +
                             " operations (persistence.operation_batch_size) can");
        }
        break;
      case '}':
      case ']':
        if (depth > 0) --depth;
        break;
      default: break;
    }
  }
  return true;
}

bool parse_key(std::string_view hex, const tree::TreeParams& params, tree::Bytes* out, ApiError* error) {
  if (!tree::from_hex(hex, out)) return invalid(error, ErrorCode::kInvalidParameter, "key is not hex");
  if (out->size() != params.key_length) {
    return invalid(error, ErrorCode::kKeyLengthMismatch,
                   "key has " + std::to_string(out->size()) + " bytes, the tree's keys have " +
                       std::to_string(params.key_length));
  }
  return true;
}

bool parse_json_body(std::string_view body, json* out, ApiError* error) {
  // nlohmann keeps the last of duplicate keys; a reader that keeps the first
  // would see another request, so a duplicate is refused.
  std::vector<std::set<std::string>> keys;  // per open object
  std::string duplicate;
  json::parser_callback_t note_keys = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) {
      keys.emplace_back();
    } else if (event == json::parse_event_t::object_end) {
      if (!keys.empty()) keys.pop_back();
    } else if (event == json::parse_event_t::key && !keys.empty() && parsed.is_string()) {
      const std::string& k = parsed.get_ref<const std::string&>();
      if (!keys.back().insert(k).second && duplicate.empty()) duplicate = k;
    }
    return true;
  };
  *out = json::parse(body, note_keys, false);
  if (out->is_discarded()) return invalid(error, ErrorCode::kMalformedJson, "the body is not JSON");
  if (!duplicate.empty()) {
    return invalid(error, ErrorCode::kMalformedJson, "the key \"" + duplicate + "\" appears twice in one object");
  }
  return true;
}

bool parse_batch(std::string_view body, const tree::TreeParams& params, std::vector<basis::OwnedOperation>* out,
                 ApiError* error) {
  json doc;
  if (!parse_json_body(body, &doc, error)) return false;
  const ErrorCode bad = ErrorCode::kInvalidBatch;
  if (!doc.is_object() || !doc.contains("ops") || !doc["ops"].is_array()) {
    return invalid(error, bad, "the body must be an object with an \"ops\" array");
  }
  for (const auto& item : doc.items()) {
    if (item.key() != "ops") return invalid(error, bad, "unknown field '" + item.key() + "' (the body has one field, \"ops\")");
  }
  return parse_operations(doc["ops"], params, out, error);
}

bool parse_operations(const json& ops, const tree::TreeParams& params, std::vector<basis::OwnedOperation>* out,
                      ApiError* error) {
  const ErrorCode bad = ErrorCode::kInvalidBatch;
  if (!ops.is_array()) return invalid(error, bad, "\"ops\" must be an array");
  out->clear();
  for (size_t i = 0; i < ops.size(); ++i) {
    const json& op = ops[i];
    std::string at = "op " + std::to_string(i);
    if (!op.is_object() || !op.contains("type") || !op["type"].is_string()) return invalid(error, bad, at + ": no type");
    const std::string& name = op["type"].get_ref<const std::string&>();
    auto type = tree::parse_op_type(name);
    if (!type) return invalid(error, bad, at + ": unknown operation type '" + name + "'");
    basis::OwnedOperation o;
    o.type = *type;
    // A field the type does not read is refused: "delta" on an Insert, say,
    // would otherwise be dropped without a word.
    const bool value_field = o.type == tree::OpType::kInsert || o.type == tree::OpType::kUpdate ||
                             o.type == tree::OpType::kInsertOrUpdate;
    for (const auto& item : op.items()) {
      const std::string& f = item.key();
      if (f == "type" || f == "key" || (f == "value" && value_field) ||
          (f == "delta" && o.type == tree::OpType::kUpdateLongBy)) {
        continue;
      }
      return invalid(error, bad, at + ": " + name + " takes no field '" + f + "'");
    }
    if (!op.contains("key") || !op["key"].is_string()) return invalid(error, bad, at + ": key must be a hex string");
    if (!parse_key(op["key"].get_ref<const std::string&>(), params, &o.key, error)) {
      const ErrorCode code = error->code == ErrorCode::kInvalidParameter ? bad : error->code;
      return invalid(error, code, at + ": " + error->message);
    }
    bool takes_value = o.type == tree::OpType::kInsert || o.type == tree::OpType::kUpdate ||
                       o.type == tree::OpType::kInsertOrUpdate;
    if (takes_value) {
      if (!hex_field(op, "value", at, &o.value, error)) return false;
      if (params.value_length && o.value.size() != *params.value_length) {
        return invalid(error, ErrorCode::kValueLengthMismatch,
                       at + ": value has " + std::to_string(o.value.size()) + " bytes, the tree's values have " +
                           std::to_string(*params.value_length));
      }
    }
    if (o.type == tree::OpType::kUpdateLongBy) {
      if (op.contains("delta") && op["delta"].is_number_unsigned()) {
        // nlohmann keeps numbers above 2^63-1 as unsigned: never wrap them.
        uint64_t d = op["delta"].get<uint64_t>();
        if (d > static_cast<uint64_t>(INT64_MAX)) {
          return invalid(error, bad, at + ": delta " + std::to_string(d) + " is outside the signed 64-bit range");
        }
        o.delta = static_cast<int64_t>(d);
      } else if (op.contains("delta") && op["delta"].is_number_integer()) {
        o.delta = op["delta"].get<int64_t>();
      } else if (op.contains("delta") && op["delta"].is_string()) {
        const std::string& d = op["delta"].get_ref<const std::string&>();
        auto [end, ec] = std::from_chars(d.data(), d.data() + d.size(), o.delta);
        if (ec != std::errc() || end != d.data() + d.size()) {
          return invalid(error, bad, at + ": delta '" + d + "' is not a signed 64-bit integer");
        }
      } else {
        return invalid(error, bad, at + ": UpdateLongBy needs an integer delta");
      }
    }
    out->push_back(std::move(o));
  }
  return true;
}

json batch_json(const basis::BatchResult& r, bool dry_run) {
  json results = json::array();
  for (size_t i = 0; i < r.statuses.size(); ++i) {
    if (r.statuses[i].is_ok()) {
      const tree::OpOutcome& o = r.outcomes[i];
      results.push_back({{"ok", true}, {"old", hex_or_null(o.existed, o.old_value)}});
    } else {
      // The bare code (error_codes.h): an operation's failure is the tree's, its message adds nothing.
      results.push_back({{"ok", false}, {"error", std::string(error_code_name(error_code_of(r.statuses[i].kind())))}});
    }
  }
  json out = {{"results", results},
              {"proof", tree::to_hex(tree::view(r.proof))},
              {"digest_before", tree::to_hex(tree::ByteView(r.start_digest))},
              {"digest_after", tree::to_hex(tree::ByteView(r.digest))}};
  bool logged = !dry_run && r.first_sequence != 0;
  out["first_seq"] = logged ? json(r.first_sequence) : json(nullptr);
  out["last_seq"] = logged ? json(r.last_sequence) : json(nullptr);
  if (dry_run) out["dry_run"] = true;
  return out;
}

json lookup_json(const tree::Bytes& key, const basis::LookupResult& r, bool with_proof) {
  json out = {{"key", tree::to_hex(tree::view(key))},
              {"found", r.outcome.existed},
              {"value", hex_or_null(r.outcome.existed, r.outcome.old_value)},
              {"digest", tree::to_hex(tree::ByteView(r.digest))}};
  if (with_proof) out["proof"] = tree::to_hex(tree::view(r.proof));
  return out;
}

json checkpoint_json(const CheckpointInfo& c) {
  return {{"id", c.id},
          {"timestamp_ms", c.timestamp_ms},
          {"digest", tree::to_hex(tree::ByteView(c.digest))},
          {"last_seq", c.last_sequence},
          {"node_count", c.node_count}};
}

json operation_json(const LogRecord& r) {
  json out = {{"seq", r.sequence},
              {"type", std::string(tree::op_type_name(r.type))},
              {"timestamp_ms", r.timestamp_ms},
              {"key", tree::to_hex(tree::view(r.key))},
              {"previous", hex_or_null(r.had_previous, r.previous)},
              {"digest_before", tree::to_hex(tree::ByteView(r.digest_before))},
              {"digest_after", tree::to_hex(tree::ByteView(r.digest_after))}};
  if (r.rollback) {
    // A rollback: the tree became the version after operation `to_seq`.
    out["type"] = "Rollback";
    out["to_seq"] = r.rolled_back_to;  // no key, no previous value
  } else if (r.type == tree::OpType::kUpdateLongBy) {
    out["delta"] = r.delta;
  } else if (r.type != tree::OpType::kRemove && r.type != tree::OpType::kRemoveIfExists) {
    out["value"] = tree::to_hex(tree::view(r.value));
  }
  return out;
}

json error_json(const ApiError& error) {
  return {{"error", {{"code", std::string(error_code_name(error.code))}, {"message", error.message}}}};
}

}  // namespace basis::daemon
