#include "storage/records.h"

#include "storage/coding.h"
#include "storage/crc32c.h"

namespace basis::storage {

using tree::ErrorKind;

namespace {

// Generous bounds on variable fields, so a damaged length cannot make a
// decoder allocate without limit.
constexpr size_t kMaxKey = tree::TreeParams::kMaxKeyLength;
constexpr size_t kMaxValue = tree::TreeParams::kMaxValueLength;

std::string seal(std::string body) {
  uint32_t crc = crc32c(body);
  put_u32(&body, crc);
  return body;
}

// Checks version and checksum; on success `body` is what lies between them.
Status open(std::string_view data, std::string_view family, std::string_view key,
            std::string_view* body) {
  if (data.size() < 5) {
    return Status(ErrorKind::kCorruption, record_name(family, key) + ": truncated (" +
                                              std::to_string(data.size()) + " bytes)");
  }
  Reader trailer(data.substr(data.size() - 4));
  uint32_t stored = trailer.u32();
  if (crc32c(data.substr(0, data.size() - 4)) != stored) {
    return Status(ErrorKind::kCorruption, record_name(family, key) + ": checksum mismatch");
  }
  uint8_t version = static_cast<uint8_t>(data[0]);
  if (version != kRecordVersion) {
    return Status(ErrorKind::kCorruption, record_name(family, key) + ": unknown record version " +
                                              std::to_string(version));
  }
  *body = data.substr(1, data.size() - 5);
  return Status::ok();
}

Status finish(const Reader& r, std::string_view family, std::string_view key) {
  if (!r.ok()) return Status(ErrorKind::kCorruption, record_name(family, key) + ": malformed body");
  if (!r.at_end()) return Status(ErrorKind::kCorruption, record_name(family, key) + ": trailing bytes");
  return Status::ok();
}

std::string start() {
  std::string s;
  put_u8(&s, kRecordVersion);
  return s;
}

void put_digest(std::string* s, const Digest& d) { put_bytes(s, tree::ByteView(d)); }
void get_digest(Reader& r, Digest* d) {
  ByteView b = r.bytes(tree::kDigestSize);
  if (r.ok()) std::copy(b.begin(), b.end(), d->begin());
}
Bytes copy(ByteView b) { return Bytes(b.begin(), b.end()); }

}  // namespace

std::string record_name(std::string_view family, std::string_view key) {
  std::string name = std::string(family) + " record ";
  uint64_t n;
  if ((family == kOperations || family == kCheckpoints) && parse_sequence_key(key, &n)) {
    return name + std::to_string(n);
  }
  if (family == kMetadata) return name + std::string(key);
  return name + tree::to_hex(view_of(key));
}

tree::Operation OperationRecord::operation() const {
  return tree::Operation{type, tree::view(key), tree::view(value), delta};
}

// Node kinds. A leaf is stored without its keys when the record has none
// (the path to it gives them; see tree::NodeRecord): its value, which runs
// to the checksum, is then all it holds. Leaves with keys are still read, and written when given keys.
constexpr uint8_t kLeafWithKeys = 0, kInternalNode = 1, kLeafValueOnly = 2;

std::string encode(const tree::NodeRecord& r) {
  std::string s = start();
  if (r.is_leaf && r.key.empty() && r.next_key.empty()) {
    put_u8(&s, kLeafValueOnly);
    put_bytes(&s, tree::view(r.value));  // the rest of the body
    return seal(std::move(s));
  }
  put_u8(&s, r.is_leaf ? kLeafWithKeys : kInternalNode);
  put_u16(&s, static_cast<uint16_t>(r.key.size()));
  put_bytes(&s, tree::view(r.key));
  if (r.is_leaf) {
    put_bytes(&s, tree::view(r.next_key));
    put_length_prefixed(&s, tree::view(r.value));
  } else {
    put_u8(&s, static_cast<uint8_t>(r.balance));
    put_bytes(&s, tree::ByteView(r.left));
    put_bytes(&s, tree::ByteView(r.right));
  }
  return seal(std::move(s));
}

Status decode(std::string_view data, std::string_view key, tree::NodeRecord* out) {
  std::string_view body;
  if (Status st = open(data, kNodes, key, &body); !st.is_ok()) return st;
  Reader r(body);
  uint8_t kind = r.u8();
  if (kind > kLeafValueOnly) return Status(ErrorKind::kCorruption, record_name(kNodes, key) + ": unknown node kind");
  out->is_leaf = kind != kInternalNode;
  if (kind == kLeafValueOnly) {
    out->key.clear();
    out->next_key.clear();
    if (body.size() - 1 > kMaxValue) return Status(ErrorKind::kCorruption, record_name(kNodes, key) + ": value too long");
    out->value = copy(r.rest());
    return finish(r, kNodes, key);
  }
  uint16_t key_len = r.u16();
  if (key_len > kMaxKey) return Status(ErrorKind::kCorruption, record_name(kNodes, key) + ": key too long");
  out->key = copy(r.bytes(key_len));
  if (out->is_leaf) {
    out->next_key = copy(r.bytes(key_len));
    out->value = copy(r.length_prefixed(kMaxValue));
  } else {
    out->balance = static_cast<int8_t>(r.u8());
    ByteView left = r.bytes(tree::kLabelSize), right = r.bytes(tree::kLabelSize);
    if (r.ok()) {
      std::copy(left.begin(), left.end(), out->left.begin());
      std::copy(right.begin(), right.end(), out->right.begin());
    }
  }
  return finish(r, kNodes, key);
}

Status decode_links(std::string_view data, std::string_view key, bool* is_leaf, tree::Label* left, tree::Label* right) {
  std::string_view body;
  if (Status st = open(data, kNodes, key, &body); !st.is_ok()) return st;
  Reader r(body);
  uint8_t kind = r.u8();
  if (kind > kLeafValueOnly) return Status(ErrorKind::kCorruption, record_name(kNodes, key) + ": unknown node kind");
  *is_leaf = kind != kInternalNode;
  if (*is_leaf) return Status::ok();
  uint16_t key_len = r.u16();
  if (key_len > kMaxKey) return Status(ErrorKind::kCorruption, record_name(kNodes, key) + ": key too long");
  r.bytes(key_len);
  r.u8();  // balance
  ByteView l = r.bytes(tree::kLabelSize), rt = r.bytes(tree::kLabelSize);
  if (Status st = finish(r, kNodes, key); !st.is_ok()) return st;
  std::copy(l.begin(), l.end(), left->begin());
  std::copy(rt.begin(), rt.end(), right->begin());
  return Status::ok();
}

// Operation record flags (one byte; records before the flags had 0 or 1).
constexpr uint8_t kHadPrevious = 1, kDigestBeforeOmitted = 2;

std::string encode(const OperationRecord& r, bool with_digest_before) {
  std::string s = start();
  put_u64(&s, r.sequence);
  put_u8(&s, r.rollback ? kRollbackType : static_cast<uint8_t>(r.type));
  put_u64(&s, r.timestamp_ms);
  put_length_prefixed(&s, tree::view(r.key));
  put_length_prefixed(&s, tree::view(r.value));
  put_u64(&s, r.rollback ? r.rolled_back_to : static_cast<uint64_t>(r.delta));
  put_u8(&s, (r.had_previous ? kHadPrevious : 0) | (with_digest_before ? 0 : kDigestBeforeOmitted));
  put_length_prefixed(&s, tree::view(r.previous));
  if (with_digest_before) put_digest(&s, r.digest_before);
  put_digest(&s, r.digest_after);
  return seal(std::move(s));
}

Status decode(std::string_view data, std::string_view key, OperationRecord* out, bool* has_digest_before) {
  std::string_view body;
  if (Status st = open(data, kOperations, key, &body); !st.is_ok()) return st;
  Reader r(body);
  out->sequence = r.u64();
  uint8_t type = r.u8();
  out->rollback = type == kRollbackType;
  if (!out->rollback && (type > static_cast<uint8_t>(tree::OpType::kUpdateLongBy) || type == 0)) {
    return Status(ErrorKind::kCorruption, record_name(kOperations, key) + ": operation type " +
                                              std::to_string(type) + " is not a modification");
  }
  out->type = out->rollback ? tree::OpType::kInsert : static_cast<tree::OpType>(type);
  out->timestamp_ms = r.u64();
  out->key = copy(r.length_prefixed(kMaxKey));
  out->value = copy(r.length_prefixed(kMaxValue));
  const uint64_t delta = r.u64();
  out->delta = out->rollback ? 0 : static_cast<int64_t>(delta);
  out->rolled_back_to = out->rollback ? delta : 0;
  uint8_t flags = r.u8();
  if (flags & ~(kHadPrevious | kDigestBeforeOmitted)) {
    return Status(ErrorKind::kCorruption, record_name(kOperations, key) + ": unknown flags " + std::to_string(flags));
  }
  out->had_previous = flags & kHadPrevious;
  out->previous = copy(r.length_prefixed(kMaxValue));
  const bool recorded = !(flags & kDigestBeforeOmitted);
  if (has_digest_before) *has_digest_before = recorded;
  if (recorded) {
    get_digest(r, &out->digest_before);
  } else {
    out->digest_before = Digest{};
  }
  get_digest(r, &out->digest_after);
  if (Status st = finish(r, kOperations, key); !st.is_ok()) return st;
  uint64_t keyed;
  if (parse_sequence_key(key, &keyed) && keyed != out->sequence) {
    return Status(ErrorKind::kCorruption, record_name(kOperations, key) + " holds sequence " +
                                              std::to_string(out->sequence));
  }
  if (out->rollback && (out->rolled_back_to >= out->sequence || !out->key.empty() || !out->value.empty())) {
    return Status(ErrorKind::kCorruption, record_name(kOperations, key) + ": a rollback to sequence " +
                                              std::to_string(out->rolled_back_to) + " that is not before it, "
                                              "or with a key or value");
  }
  return Status::ok();
}

std::string encode(const CheckpointRecord& r) {
  std::string s = start();
  put_u64(&s, r.id);
  put_u64(&s, r.timestamp_ms);
  put_digest(&s, r.digest);
  put_u64(&s, r.last_sequence);
  put_u64(&s, r.node_count);
  put_length_prefixed(&s, view_of(r.metadata));
  return seal(std::move(s));
}

Status decode(std::string_view data, std::string_view key, CheckpointRecord* out) {
  std::string_view body;
  if (Status st = open(data, kCheckpoints, key, &body); !st.is_ok()) return st;
  Reader r(body);
  out->id = r.u64();
  out->timestamp_ms = r.u64();
  get_digest(r, &out->digest);
  out->last_sequence = r.u64();
  out->node_count = r.u64();
  out->metadata = std::string(chars_of(r.length_prefixed(1 << 20)));
  return finish(r, kCheckpoints, key);
}

std::string encode(const NoteRecord& r) {
  std::string s = start();
  put_length_prefixed(&s, tree::view(r.value));
  put_u64(&s, r.first_sequence);
  return seal(std::move(s));
}

Status decode(std::string_view data, std::string_view key, NoteRecord* out) {
  std::string_view body;
  if (Status st = open(data, kNotes, key, &body); !st.is_ok()) return st;
  Reader r(body);
  out->value = copy(r.length_prefixed(kMaxValue));
  out->first_sequence = r.u64();
  return finish(r, kNotes, key);
}

std::string encode(const MetadataRecord& r) {
  std::string s = start();
  put_u32(&s, r.format_version);
  put_u32(&s, r.params.key_length);
  put_u8(&s, r.params.value_length ? 1 : 0);
  put_u32(&s, r.params.value_length.value_or(0));
  return seal(std::move(s));
}

Status decode(std::string_view data, std::string_view key, MetadataRecord* out) {
  std::string_view body;
  if (Status st = open(data, kMetadata, key, &body); !st.is_ok()) return st;
  Reader r(body);
  out->format_version = r.u32();
  out->params.key_length = r.u32();
  bool fixed = r.u8() != 0;
  uint32_t vl = r.u32();
  out->params.value_length = fixed ? std::optional<uint32_t>(vl) : std::nullopt;
  return finish(r, kMetadata, key);
}

std::string encode(const LogBaseRecord& r) {
  std::string s = start();
  put_u64(&s, r.sequence);
  put_digest(&s, r.digest);
  return seal(std::move(s));
}

Status decode(std::string_view data, std::string_view key, LogBaseRecord* out) {
  std::string_view body;
  if (Status st = open(data, kMetadata, key, &body); !st.is_ok()) return st;
  Reader r(body);
  out->sequence = r.u64();
  get_digest(r, &out->digest);
  return finish(r, kMetadata, key);
}

}  // namespace basis::storage
