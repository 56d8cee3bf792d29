// Every record codec: round trips, and refusal of flipped bytes, truncation
// and unknown versions, with errors that name the family and the key.
#include <catch2/catch.hpp>

#include "storage/coding.h"
#include "storage/crc32c.h"
#include "storage/records.h"

using namespace basis::storage;
using basis::tree::Bytes;
using basis::tree::ErrorKind;

namespace {

Digest digest_of(uint8_t seed) {
  Digest d;
  for (size_t i = 0; i < d.size(); ++i) d[i] = static_cast<uint8_t>(seed + i);
  return d;
}

// Checks that every single-byte flip and every truncation of `encoded` is
// refused, and that the error names `expected_name`.
template <class Record>
void check_rejections(const std::string& encoded, const std::string& key,
                      const std::string& expected_name) {
  for (size_t i = 0; i < encoded.size(); ++i) {
    for (uint8_t flip : {0x01, 0x80, 0xff}) {
      std::string damaged = encoded;
      damaged[i] = static_cast<char>(damaged[i] ^ flip);
      Record r;
      Status s = decode(damaged, key, &r);
      INFO("byte " << i << " flip " << int(flip));
      REQUIRE(s.kind() == ErrorKind::kCorruption);
      REQUIRE(s.message().find(expected_name) != std::string::npos);
    }
  }
  for (size_t len = 0; len < encoded.size(); ++len) {
    Record r;
    REQUIRE(decode(encoded.substr(0, len), key, &r).kind() == ErrorKind::kCorruption);
  }
  // A record of another version, correctly checksummed, is refused as such.
  std::string other = encoded.substr(0, encoded.size() - 4);
  other[0] = 2;
  put_u32(&other, crc32c(other));
  Record r;
  Status s = decode(other, key, &r);
  REQUIRE(s.kind() == ErrorKind::kCorruption);
  REQUIRE(s.message().find("unknown record version 2") != std::string::npos);
}

}  // namespace

TEST_CASE("crc32c matches the standard check value", "[storage][codec]") {
  REQUIRE(crc32c("123456789") == 0xe3069283u);
  REQUIRE(crc32c_portable("123456789") == 0xe3069283u);
  std::string data;
  for (int i = 0; i < 300; ++i) {
    REQUIRE(crc32c(data) == crc32c_portable(data));
    data.push_back(static_cast<char>(i * 31 + 7));
  }
}

TEST_CASE("node records round-trip and refuse damage", "[storage][codec]") {
  basis::tree::NodeRecord leaf;
  leaf.is_leaf = true;
  leaf.key = Bytes(32, 0x11);
  leaf.next_key = Bytes(32, 0x22);
  leaf.value = Bytes{1, 2, 3, 4, 5};
  basis::tree::NodeRecord internal;
  internal.key = Bytes(32, 0x33);
  internal.balance = -1;
  internal.left.fill(0x44);
  internal.right.fill(0x55);
  basis::tree::NodeRecord keyless;  // as the node store writes leaves: the path gives the keys
  keyless.is_leaf = true;
  keyless.value = Bytes{9, 8, 7, 6, 5, 4, 3, 2};
  // A keyless leaf holds its value and the framing only.
  REQUIRE(encode(keyless).size() == 1 + 1 + keyless.value.size() + 4);
  std::string key(32, '\x7a');
  for (const auto& rec : {leaf, internal, keyless}) {
    std::string encoded = encode(rec);
    basis::tree::NodeRecord back;
    REQUIRE(decode(encoded, key, &back).is_ok());
    REQUIRE(back.is_leaf == rec.is_leaf);
    REQUIRE(back.key == rec.key);
    REQUIRE(back.value == rec.value);
    REQUIRE(back.next_key == rec.next_key);
    REQUIRE(back.balance == rec.balance);
    REQUIRE(back.left == rec.left);
    REQUIRE(back.right == rec.right);
    check_rejections<basis::tree::NodeRecord>(encoded, key, "nodes record 7a7a");
  }
}

TEST_CASE("operation records round-trip and refuse damage", "[storage][codec]") {
  OperationRecord rec;
  rec.sequence = 42;
  rec.type = basis::tree::OpType::kUpdateLongBy;
  rec.timestamp_ms = 1764000000000;
  rec.key = Bytes(32, 0x01);
  rec.value = Bytes{};
  rec.delta = -17;
  rec.had_previous = true;
  rec.previous = Bytes{0, 0, 0, 0, 0, 0, 0, 99};
  rec.digest_before = digest_of(1);
  rec.digest_after = digest_of(2);
  std::string key = sequence_key(42);
  std::string encoded = encode(rec);
  OperationRecord back;
  REQUIRE(decode(encoded, key, &back).is_ok());
  REQUIRE(back.sequence == 42);
  REQUIRE(back.type == rec.type);
  REQUIRE(back.timestamp_ms == rec.timestamp_ms);
  REQUIRE(back.key == rec.key);
  REQUIRE(back.delta == -17);
  REQUIRE(back.had_previous);
  REQUIRE(back.previous == rec.previous);
  REQUIRE(back.digest_before == rec.digest_before);
  REQUIRE(back.digest_after == rec.digest_after);
  check_rejections<OperationRecord>(encoded, key, "operations record 42");
  // A record stored under another sequence number's key is refused.
  Status s = decode(encoded, sequence_key(43), &back);
  REQUIRE(s.kind() == ErrorKind::kCorruption);
  REQUIRE(s.message().find("operations record 43 holds sequence 42") != std::string::npos);

  // Stored without its digest before (the log's records after the first of
  // a write): 33 bytes shorter, and the decoder says it is not there.
  std::string lean = encode(rec, false);
  REQUIRE(lean.size() == encoded.size() - basis::tree::kDigestSize);
  bool has_before = true;
  REQUIRE(decode(lean, key, &back, &has_before).is_ok());
  REQUIRE_FALSE(has_before);
  REQUIRE(back.digest_before == Digest{});
  REQUIRE(back.digest_after == rec.digest_after);
  REQUIRE(back.previous == rec.previous);
  REQUIRE(decode(encoded, key, &back, &has_before).is_ok());
  REQUIRE(has_before);
  check_rejections<OperationRecord>(lean, key, "operations record 42");
}

TEST_CASE("checkpoint, note and metadata records round-trip and refuse damage",
          "[storage][codec]") {
  CheckpointRecord cp{7, 123456, digest_of(9), 1000, 2001, "sealed by test"};
  std::string cp_key = sequence_key(7);
  CheckpointRecord cp_back;
  REQUIRE(decode(encode(cp), cp_key, &cp_back).is_ok());
  REQUIRE(cp_back.id == 7);
  REQUIRE(cp_back.digest == cp.digest);
  REQUIRE(cp_back.last_sequence == 1000);
  REQUIRE(cp_back.node_count == 2001);
  REQUIRE(cp_back.metadata == cp.metadata);
  check_rejections<CheckpointRecord>(encode(cp), cp_key, "checkpoints record 7");

  NoteRecord note{Bytes{9, 8, 7}, 55};
  std::string note_key(32, '\x01');
  NoteRecord note_back;
  REQUIRE(decode(encode(note), note_key, &note_back).is_ok());
  REQUIRE(note_back.value == note.value);
  REQUIRE(note_back.first_sequence == 55);
  check_rejections<NoteRecord>(encode(note), note_key, "notes record 0101");

  MetadataRecord meta{kFormatVersion, basis::tree::TreeParams{32, 8}};
  MetadataRecord meta_back;
  REQUIRE(decode(encode(meta), kMetadataKey, &meta_back).is_ok());
  REQUIRE(meta_back.params.key_length == 32);
  REQUIRE(meta_back.params.value_length == 8u);
  check_rejections<MetadataRecord>(encode(meta), kMetadataKey, "metadata record tree");
}
