#include "engine/health_check.h"

#include <memory>
#include <random>

#include "storage/notes.h"
#include "basis/tree/batch_verifier.h"

namespace basis::engine {

namespace {

std::string name_of(const tree::Bytes& key) {
  return storage::record_name(storage::kNotes,
                              std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
}

bool is_sentinel(const tree::Bytes& key) {
  bool zero = true, ff = true;
  for (uint8_t b : key) {
    zero = zero && b == 0;
    ff = ff && b == 0xFF;
  }
  return zero || ff;
}

// The note of a key in the tree holds the leaf's value.
bool leaf_matches_note(const storage::Database& db, const storage::Keyspace& keyspace,
                       const tree::BatchProver::Leaf& leaf, HealthReport* r) {
  std::string_view key(reinterpret_cast<const char*>(leaf.key.data()), leaf.key.size());
  std::string encoded;
  storage::NoteRecord note;
  tree::Status s = db.get(keyspace.family(storage::Family::kNotes), keyspace.key(key), &encoded);
  if (s.is_ok()) s = storage::decode(encoded, key, &note);
  if (!s.is_ok()) {
    r->problem = "key " + tree::to_hex(leaf.key) + " is in the tree, but its note: " + s.to_string();
  } else if (note.value != leaf.value) {
    r->problem = name_of(leaf.key) + " holds another value than the tree";
  }
  return r->problem.empty();
}

// A lookup proof of `key` verifies against the digest and gives `value`.
bool proof_verifies(tree::BatchProver& prover, const tree::Bytes& key, const tree::Bytes& value,
                    HealthReport* r) {
  tree::Operation lookup{tree::OpType::kLookup, tree::view(key), {}, 0};
  tree::WhatIfProof what_if;
  tree::Status s = prover.prove_operations(std::span<const tree::Operation>(&lookup, 1), &what_if);
  tree::Digest digest = prover.digest();
  tree::OpOutcome out;
  if (s.is_ok()) {
    tree::BatchVerifier verifier(prover.params(), digest, tree::view(what_if.proof));
    s = verifier.perform(lookup, &out);
  }
  if (!s.is_ok() || !out.existed || out.old_value != value) {
    r->problem = "the lookup proof of key " + tree::to_hex(key) + " does not verify against digest " +
                 tree::to_hex(digest) + (s.is_ok() ? "" : ": " + s.to_string());
  }
  return r->problem.empty();
}

constexpr uint64_t kProgressEvery = 4096;  // notes

HealthReport full_check(tree::BatchProver& prover, const storage::Database& db, const storage::Keyspace& keyspace,
                        uint64_t last_sequence, const ProgressFn& progress) {
  HealthReport r;
  const uint64_t estimate = progress ? db.estimated_keys(keyspace.family(storage::Family::kNotes)) : 0;
  const uint32_t key_length = prover.params().key_length;
  tree::BatchProver::Leaf leaf;
  // `next` is the key of the next leaf not matched with a note yet; the
  // right sentinel's key (all 0xFF) once there is none.
  tree::Status s = prover.leaf_at(tree::view(tree::Bytes(key_length, 0)), &leaf);
  if (!s.is_ok()) return HealthReport{false, 0, s.to_string()};
  tree::Bytes next = leaf.next_key;
  auto in_tree = [&] { return !is_sentinel(next); };
  tree::Status scan = storage::scan_notes(db, key_length, [&](storage::Note&& note) {
    if (in_tree() && tree::compare_bytes(tree::view(next), tree::view(note.key)) < 0) {
      r.problem = "key " + tree::to_hex(next) + " is in the tree but has no note";
    } else if (next != note.key) {
      r.problem = name_of(note.key) + " has no key in the tree";
    } else if (tree::Status s = prover.leaf_at(tree::view(next), &leaf); !s.is_ok()) {
      r.problem = s.to_string();
    } else if (leaf.value != note.record.value) {
      r.problem = name_of(note.key) + " holds another value than the tree";
    } else if (note.record.first_sequence == 0 || note.record.first_sequence > last_sequence) {
      r.problem = name_of(note.key) + ": first inserted by operation " +
                  std::to_string(note.record.first_sequence) + ", but the log ends at " +
                  std::to_string(last_sequence);
    } else {
      ++r.keys_checked;
      next = leaf.next_key;
      if (progress && r.keys_checked % kProgressEvery == 0) progress("checking notes", r.keys_checked, estimate);
    }
    return r.problem.empty();
  }, keyspace);
  if (r.problem.empty() && !scan.is_ok()) r.problem = scan.to_string();
  if (r.problem.empty() && in_tree()) r.problem = "key " + tree::to_hex(next) + " is in the tree but has no note";
  r.ok = r.problem.empty();
  return r;
}

}  // namespace

HealthReport check_health(tree::BatchProver& prover, const storage::Database& db, uint64_t last_sequence,
                          uint32_t samples, uint64_t seed, const ProgressFn& progress,
                          const storage::Keyspace& keyspace) {
  if (samples == 0) return full_check(prover, db, keyspace, last_sequence, progress);
  HealthReport r;
  std::mt19937_64 random(seed);
  const uint32_t key_length = prover.params().key_length;
  auto random_key = [&] {
    tree::Bytes k(key_length);
    for (auto& b : k) b = static_cast<uint8_t>(random());
    return k;
  };
  storage::NoteCursor notes(db, keyspace);
  for (uint32_t i = 0; i < samples && r.problem.empty(); ++i) {
    // The tree's side: the leaf that holds a random key.
    tree::BatchProver::Leaf leaf;
    tree::Bytes k = random_key();
    if (tree::Status s = prover.leaf_at(tree::view(k), &leaf); !s.is_ok()) {
      r.problem = s.to_string();
      break;
    }
    if (!is_sentinel(leaf.key)) {
      if (!leaf_matches_note(db, keyspace, leaf, &r) || !proof_verifies(prover, leaf.key, leaf.value, &r)) break;
      ++r.keys_checked;
    }
    // The notes' side: the first note at or after another random key.
    k = random_key();
    storage::Note note;
    bool found = false;
    tree::Status s = notes.seek(tree::view(k), &note, &found);
    if (!s.is_ok()) {
      r.problem = s.to_string();
      break;
    }
    if (!found) continue;
    tree::OpOutcome out;
    s = prover.get(tree::view(note.key), &out);
    if (!s.is_ok() || !out.existed || out.old_value != note.record.value) {
      r.problem = name_of(note.key) + (s.is_ok() ? (out.existed ? " holds another value than the tree"
                                                                 : " has no key in the tree")
                                                 : ": " + s.to_string());
      break;
    }
    ++r.keys_checked;
  }
  r.ok = r.problem.empty();
  return r;
}

}  // namespace basis::engine
