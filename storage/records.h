// The stored records and their codecs: one record type per family (see the
// README's "Storage in brief").
//
// Every record is: format version (1 byte) | body | CRC-32C of the version
// and body (4 bytes, big-endian). A decoder refuses a record it cannot trust
// with a kCorruption status that names the column family and the key.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "basis/tree/bytes.h"
#include "basis/tree/node_resolver.h"
#include "basis/tree/operation.h"
#include "basis/tree/params.h"
#include "basis/tree/status.h"

namespace basis::storage {

using tree::Bytes;
using tree::Digest;
using tree::Status;

inline constexpr uint8_t kRecordVersion = 1;
// The type byte of a rollback record (operation types are 1..kUpdateLongBy).
inline constexpr uint8_t kRollbackType = 0x80;
// The on-disk format of a data directory, kept in its metadata.
inline constexpr uint32_t kFormatVersion = 1;

// Column families.
inline constexpr char kNodes[] = "nodes";
inline constexpr char kOperations[] = "operations";
inline constexpr char kCheckpoints[] = "checkpoints";
inline constexpr char kMetadata[] = "metadata";
inline constexpr char kNotes[] = "notes";
// The named trees' (keys start with the tree's 4-byte id).
inline constexpr char kTreeNodes[] = "t.nodes";
inline constexpr char kTreeOperations[] = "t.operations";
inline constexpr char kTreeCheckpoints[] = "t.checkpoints";
inline constexpr char kTreeMetadata[] = "t.metadata";
inline constexpr char kTreeNotes[] = "t.notes";

// One applied, tree-changing operation, or a rollback. Keyed by big-endian
// sequence number.
//
// A rollback record (`rollback` set) says: from here on, the tree is the
// version after operation `rolled_back_to`, as the log before this record
// defines it. It has no key or value; its digest_before is the tree's digest
// before it and its digest_after that version's, so the digest chain holds
// across it. Stored with the type byte kRollbackType and the target in the
// delta field.
struct OperationRecord {
  uint64_t sequence = 0;
  bool rollback = false;
  uint64_t rolled_back_to = 0;  // with `rollback`
  tree::OpType type = tree::OpType::kInsert;  // without `rollback`
  uint64_t timestamp_ms = 0;
  Bytes key;
  Bytes value;        // Insert, Update, InsertOrUpdate
  int64_t delta = 0;  // UpdateLongBy
  bool had_previous = false;
  Bytes previous;     // the value before, when there was one
  Digest digest_before{};
  Digest digest_after{};

  // The operation to replay (views into this record). Not for a rollback.
  tree::Operation operation() const;
};

// A sealed version of the tree. Keyed by big-endian id.
struct CheckpointRecord {
  uint64_t id = 0;
  uint64_t timestamp_ms = 0;
  Digest digest{};
  uint64_t last_sequence = 0;  // the last operation included
  uint64_t node_count = 0;
  std::string metadata;
};

// The current value of a key. Keyed by the tree key.
struct NoteRecord {
  Bytes value;
  uint64_t first_sequence = 0;  // the operation that first inserted the key
};

// What a data directory was written with. One record, key "tree".
struct MetadataRecord {
  uint32_t format_version = kFormatVersion;
  tree::TreeParams params;
};
inline constexpr char kMetadataKey[] = "tree";

// Where the operation log continues when its last record does not say:
// after an operator accepted a tree rebuilt with another digest. Metadata
// key "log_base".
struct LogBaseRecord {
  uint64_t sequence = 0;  // the next record is sequence + 1
  Digest digest{};        // and starts from this digest
};
inline constexpr char kLogBaseKey[] = "log_base";

std::string encode(const tree::NodeRecord& r);
// `with_digest_before` false leaves out digest_before, which then is the
// digest_after of the record before: the log records it only where a reader
// may start without that record (see Oplog).
std::string encode(const OperationRecord& r, bool with_digest_before = true);
std::string encode(const CheckpointRecord& r);
std::string encode(const NoteRecord& r);
std::string encode(const MetadataRecord& r);
std::string encode(const LogBaseRecord& r);

// `key` is the record's key in its column family, for error messages.
Status decode(std::string_view data, std::string_view key, tree::NodeRecord* out);
// Only what links a node record to others (checksum and version checked):
// whether it is a leaf and, when not, its children's labels.
Status decode_links(std::string_view data, std::string_view key, bool* is_leaf, tree::Label* left, tree::Label* right);
// `has_digest_before`, when given, says whether the record holds it; when it
// does not, out->digest_before is zero and the reader must supply it.
Status decode(std::string_view data, std::string_view key, OperationRecord* out, bool* has_digest_before = nullptr);
Status decode(std::string_view data, std::string_view key, CheckpointRecord* out);
Status decode(std::string_view data, std::string_view key, NoteRecord* out);
Status decode(std::string_view data, std::string_view key, MetadataRecord* out);
Status decode(std::string_view data, std::string_view key, LogBaseRecord* out);

// "operations record 42", "nodes record 3fa0…": how errors name a record.
std::string record_name(std::string_view family, std::string_view key);

}  // namespace basis::storage
