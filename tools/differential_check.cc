#include "tools/differential_check.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "basis/tree/batch_prover.h"
#include "basis/tree/batch_verifier.h"

namespace basis::tools {

using namespace basis::tree;
using nlohmann::json;

namespace {

constexpr size_t kMaxDetails = 8;

std::string hex_or_null(const std::optional<Bytes>& b) { return b ? to_hex(view(*b)) : "null"; }

// Long values make unreadable messages; their first bytes are enough to tell.
std::string shorten(std::string s) {
  constexpr size_t kMax = 80;
  if (s.size() > kMax) s = s.substr(0, kMax) + "...(" + std::to_string(s.size() / 2) + " bytes)";
  return s;
}

bool digest_equals(const Bytes& want, const Digest& got) {
  return std::equal(want.begin(), want.end(), got.begin(), got.end());
}

// A node store in memory, content-addressed by label, for the second prover:
// the one that stores its nodes between batches and unloads them, as the
// service's prover does, so that later operations resolve them again.
class MapResolver final : public NodeResolver {
 public:
  Status resolve(const Label& label, NodeRecord* out) override {
    auto it = records_.find(label);
    if (it == records_.end()) return Status(ErrorKind::kCorruption, "no node " + to_hex(label));
    *out = it->second;
    ++resolves_;
    return Status::ok();
  }
  size_t resolves() const { return resolves_; }

  // Stores what `prover` has not stored yet, then unloads below `depth`.
  Status store_and_unload(BatchProver* prover, int depth) {
    const NodePool& pool = prover->pool();
    Status s = prover->visit_unstored_nodes([&](const Node& n) {
      NodeRecord rec;
      ByteView key = pool.key(&n);
      rec.key.assign(key.begin(), key.end());
      if (n.is_leaf()) {
        rec.is_leaf = true;
        ByteView v = pool.value(&n), next = pool.next_key(&n);
        rec.value.assign(v.begin(), v.end());
        rec.next_key.assign(next.begin(), next.end());
      } else {
        rec.balance = n.balance;
        rec.left = n.left->label;
        rec.right = n.right->label;
      }
      records_[n.label] = std::move(rec);
    });
    if (!s.is_ok()) return s;
    size_t released = 0;
    return prover->unload_below(depth, &released);
  }

 private:
  std::map<Label, NodeRecord> records_;
  size_t resolves_ = 0;
};

class Checker {
 public:
  Checker(const TreeParams& params, StreamCheck* out) : params_(params), out_(out) {}

  void mismatch(size_t batch, const std::string& what) {
    ++out_->mismatches;
    if (!out_->first_bad_batch) out_->first_bad_batch = batch;
    if (out_->details.size() < kMaxDetails) {
      out_->details.push_back("batch " + std::to_string(batch) + " " + what);
    }
  }

  void run(const std::vector<GenBatch>& batches, const OracleRun& oracle) {
    BatchProver prover(params_);
    MapResolver store;
    BatchProver lazy(params_, &store);
    if (!digest_equals(oracle.empty_digest, prover.digest())) {
      mismatch(0, "empty digest " + to_hex(prover.digest()) + ", oracle " +
                      to_hex(view(oracle.empty_digest)));
    }
    Bytes start = oracle.empty_digest;
    for (size_t b = 0; b < batches.size(); ++b) {
      ++out_->batches;
      out_->operations += batches[b].size();
      check_batch(&prover, "", b, batches[b], oracle.batches[b], /*what_if_midway=*/true);
      what_if(&lazy, b, batches[b], 0, &oracle.batches[b]);
      check_batch(&lazy, "lazy prover ", b, batches[b], oracle.batches[b], false);
      verify(b, batches[b], oracle.batches[b], start);
      start = oracle.batches[b].digest;
      out_->resolved_nodes = store.resolves();
      // Every other batch, unload at a depth that varies: the next batch
      // then resolves part of its path through the store.
      if (b % 2 == 0) {
        if (Status s = store.store_and_unload(&lazy, static_cast<int>(b / 2 % 5)); !s.is_ok()) {
          mismatch(b, "lazy prover: storing and unloading failed: " + s.to_string());
        }
      }
    }
  }

 private:
  // `who` names the prover in messages ("" or "lazy prover ").
  // A what-if proof of ops[from..] on top of `prover` as it is now, which must
  // leave the prover as it was (later checks see it). Taken between batches,
  // it must be the oracle's batch (`want`): results, proof and digest.
  void what_if(BatchProver* prover, size_t b, const GenBatch& ops, size_t from,
               const OracleBatch* want) {
    std::vector<Operation> list;
    for (size_t i = from; i < ops.size(); ++i) list.push_back(ops[i].op());
    WhatIfProof w;
    if (Status s = prover->prove_operations(list, &w); !s.is_ok()) {
      return mismatch(b, "what-if proof failed: " + s.to_string());
    }
    if (!want) return;
    for (size_t i = 0; i < list.size(); ++i) {
      const OracleOpResult& r = want->results[i];
      std::optional<Bytes> old;
      if (w.statuses[i].is_ok() && w.outcomes[i].existed) old = w.outcomes[i].old_value;
      if (w.statuses[i].is_ok() != r.ok || (!r.ok && std::string(error_kind_name(w.statuses[i].kind())) != r.error) ||
          (r.ok && old != r.old)) {
        return mismatch(b, "what-if op " + std::to_string(i) + ": " + w.statuses[i].to_string() +
                               " old " + shorten(hex_or_null(old)) + ", oracle " +
                               (r.ok ? "ok old " + shorten(hex_or_null(r.old)) : r.error));
      }
    }
    if (w.proof != want->proof) mismatch(b, "what-if proof differs from the oracle's");
    if (!digest_equals(want->digest, w.digest)) mismatch(b, "what-if digest " + to_hex(w.digest));
  }

  // `who` names the prover in messages ("" or "lazy prover "). With
  // `what_if_midway`, a what-if proof of the batch's second half is taken
  // (and thrown away) halfway through.
  void check_batch(BatchProver* prover, const std::string& who, size_t b, const GenBatch& ops,
                   const OracleBatch& want, bool what_if_midway) {
    OpOutcome outcome;
    for (size_t i = 0; i < ops.size(); ++i) {
      if (what_if_midway && i == ops.size() / 2) what_if(prover, b, ops, i, nullptr);
      const OracleOpResult& w = want.results[i];
      std::string at = who + "op " + std::to_string(i) + " (" + std::string(op_type_name(ops[i].type)) +
                       " key " + shorten(to_hex(view(ops[i].key))) + "): ";
      Status s = prover->perform(ops[i].op(), &outcome);
      std::optional<Bytes> old;
      if (s.is_ok() && outcome.existed) old = outcome.old_value;
      if (s.is_ok() != w.ok) {
        mismatch(b, at + "project " + (s.is_ok() ? "ok" : s.to_string()) + ", oracle " +
                        (w.ok ? "ok" : w.error + " (" + w.message + ")"));
      } else if (!w.ok && std::string(error_kind_name(s.kind())) != w.error) {
        // The oracle's 'Other' is a message error-kind.js cannot name: never a match.
        mismatch(b, at + "project " + s.to_string() + ", oracle " + w.error + " (" + w.message + ")");
      } else if (w.ok && old != w.old) {
        mismatch(b, at + "old " + shorten(hex_or_null(old)) + ", oracle " + shorten(hex_or_null(w.old)));
      }
      if (!digest_equals(w.digest, prover->digest())) {
        mismatch(b, at + "digest " + to_hex(prover->digest()) + ", oracle " + to_hex(view(w.digest)));
      }
    }
    if (!prover->status().is_ok()) mismatch(b, who + "stopped: " + prover->status().to_string());
    Bytes proof;
    prover->generate_proof(&proof);
    if (proof != want.proof) {
      size_t at = std::mismatch(proof.begin(), proof.end(), want.proof.begin(), want.proof.end()).first -
                  proof.begin();
      mismatch(b, who + "proof differs from byte " + std::to_string(at) + " (" + std::to_string(proof.size()) +
                      " bytes, oracle " + std::to_string(want.proof.size()) + ")");
    }
    if (!digest_equals(want.digest, prover->digest())) {
      mismatch(b, who + "end digest " + to_hex(prover->digest()) + ", oracle " + to_hex(view(want.digest)));
    }
  }

  // The reference's proof through the project's verifier, with the
  // operations that succeeded only: a failed one would kill the verifier.
  void verify(size_t b, const GenBatch& ops, const OracleBatch& want, const Bytes& start) {
    if (start.size() != kDigestSize) return mismatch(b, "the oracle's start digest is not 33 bytes");
    Digest d0;
    std::copy(start.begin(), start.end(), d0.begin());
    BatchVerifier verifier(params_, d0, view(want.proof));
    if (!verifier.status().is_ok()) {
      return mismatch(b, "verifier refused the oracle's proof: " + verifier.status().to_string());
    }
    OpOutcome outcome;
    for (size_t i = 0; i < ops.size(); ++i) {
      if (!want.results[i].ok) continue;
      ++out_->verified_operations;
      Status s = verifier.perform(ops[i].op(), &outcome);
      if (!s.is_ok()) return mismatch(b, "verifier op " + std::to_string(i) + ": " + s.to_string());
      std::optional<Bytes> old;
      if (outcome.existed) old = outcome.old_value;
      if (old != want.results[i].old) {
        mismatch(b, "verifier op " + std::to_string(i) + " old " + shorten(hex_or_null(old)) +
                        ", oracle " + shorten(hex_or_null(want.results[i].old)));
      }
    }
    std::optional<Digest> d = verifier.digest();
    if (!d || !digest_equals(want.digest, *d)) {
      mismatch(b, "verifier digest " + (d ? to_hex(*d) : std::string("none")) + ", oracle " +
                      to_hex(view(want.digest)));
    }
  }

  TreeParams params_;
  StreamCheck* out_;
};

}  // namespace

StreamCheck check_stream(const TreeParams& params, const std::vector<GenBatch>& batches,
                         const OracleRun& oracle) {
  StreamCheck out;
  if (oracle.batches.size() != batches.size()) {
    out.mismatches = 1;
    out.first_bad_batch = 0;
    out.details.push_back("the oracle answered " + std::to_string(oracle.batches.size()) +
                          " batches of " + std::to_string(batches.size()));
    return out;
  }
  Checker(params, &out).run(batches, oracle);
  return out;
}

Status write_vector_file(const std::string& path, const std::string& scenario,
                         const std::string& description, const TreeParams& params,
                         const std::vector<GenBatch>& batches, const OracleRun& oracle,
                         size_t batch_count) {
  batch_count = std::min({batch_count, batches.size(), oracle.batches.size()});
  json doc = {
      {"format", "ergo-avl-oracle-vectors/1"},
      {"scenario", scenario},
      {"description", description},
      {"oracle", "../shared/oracle replay.js (sigmastate-js@0.4.6, scrypto BatchAVLProver), "
                 "through basis-tree differential"},
      {"keyLength", params.key_length},
      {"valueLength", nullptr},
      {"emptyDigest", to_hex(view(oracle.empty_digest))},
  };
  if (params.value_length) doc["valueLength"] = *params.value_length;
  json out_batches = json::array();
  Bytes start = oracle.empty_digest;
  for (size_t b = 0; b < batch_count; ++b) {
    const OracleBatch& ob = oracle.batches[b];
    json ops = json::array(), results = json::array();
    for (size_t i = 0; i < batches[b].size(); ++i) {
      ops.push_back(op_json(batches[b][i]));
      const OracleOpResult& r = ob.results[i];
      json jr = {{"ok", r.ok}};
      if (r.ok) {
        jr["old"] = r.old ? json(to_hex(view(*r.old))) : json(nullptr);
      } else {
        jr["errorKind"] = r.error;
        jr["error"] = r.message;
      }
      jr["digestAfter"] = to_hex(view(r.digest));
      results.push_back(std::move(jr));
    }
    out_batches.push_back({{"startDigest", to_hex(view(start))},
                           {"ops", std::move(ops)},
                           {"results", std::move(results)},
                           {"proof", to_hex(view(ob.proof))},
                           {"endDigest", to_hex(view(ob.digest))}});
    start = ob.digest;
  }
  doc["batches"] = std::move(out_batches);
  std::ofstream out(path, std::ios::trunc);
  out << doc.dump(1) << '\n';
  if (!out.flush()) return Status(ErrorKind::kIOError, "cannot write " + path);
  return Status::ok();
}

}  // namespace basis::tools
