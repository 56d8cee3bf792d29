#include "tools/conformance.h"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "basis/tree/batch_prover.h"
#include "basis/tree/batch_verifier.h"

namespace basis::tools {

using namespace basis::tree;
using nlohmann::json;

namespace {

constexpr char kFormat[] = "ergo-avl-oracle-vectors/1";
constexpr size_t kMaxReportedMismatches = 5;

// Raised for a file that cannot be read as vectors at all.
struct MalformedFile {
  std::string message;
};

struct VectorOp {
  std::string type_name;
  Bytes key;
  Bytes value;
  Operation op;
};

struct Expected {
  bool ok = false;
  std::string error_kind;
  std::optional<Bytes> old;
  Bytes digest_after;
};

class FileCheck {
 public:
  explicit FileCheck(std::string name) : name_(std::move(name)) {}

  void mismatch(const std::string& where, const std::string& what) {
    if (++mismatches_ <= kMaxReportedMismatches) {
      if (!details_.empty()) details_ += "; ";
      details_ += where + ": " + what;
    }
  }
  size_t mismatches() const { return mismatches_; }
  const std::string& details() const { return details_; }

 private:
  std::string name_;
  size_t mismatches_ = 0;
  std::string details_;
};

Bytes hex_field(const json& j, const char* field, const std::string& where) {
  if (!j.contains(field) || !j[field].is_string()) {
    throw MalformedFile{where + ": missing hex field '" + field + "'"};
  }
  Bytes out;
  if (!from_hex(j[field].get<std::string>(), &out)) {
    throw MalformedFile{where + ": field '" + field + "' is not hex"};
  }
  return out;
}

TreeParams params_of(const json& j, const std::string& where) {
  if (!j.contains("keyLength") || !j["keyLength"].is_number_unsigned()) {
    throw MalformedFile{where + ": missing keyLength"};
  }
  TreeParams p;
  p.key_length = j["keyLength"].get<uint32_t>();
  if (j.contains("valueLength") && !j["valueLength"].is_null()) {
    if (!j["valueLength"].is_number_unsigned()) throw MalformedFile{where + ": bad valueLength"};
    p.value_length = j["valueLength"].get<uint32_t>();
  }
  if (Status s = p.validate(); !s.is_ok()) throw MalformedFile{where + ": " + s.to_string()};
  return p;
}

Digest digest_of(const Bytes& b, const std::string& where) {
  if (b.size() != kDigestSize) throw MalformedFile{where + ": digest is not 33 bytes"};
  Digest d;
  std::copy(b.begin(), b.end(), d.begin());
  return d;
}

std::vector<VectorOp> parse_ops(const json& batch, const std::string& where) {
  if (!batch.contains("ops") || !batch["ops"].is_array()) throw MalformedFile{where + ": no ops"};
  std::vector<VectorOp> ops;
  ops.reserve(batch["ops"].size());
  for (size_t i = 0; i < batch["ops"].size(); ++i) {
    const json& j = batch["ops"][i];
    std::string at = where + " op " + std::to_string(i);
    VectorOp v;
    if (!j.contains("type") || !j["type"].is_string()) throw MalformedFile{at + ": no type"};
    v.type_name = j["type"].get<std::string>();
    auto type = parse_op_type(v.type_name);
    if (!type) throw MalformedFile{at + ": unknown operation type '" + v.type_name + "'"};
    v.key = hex_field(j, "key", at);
    v.op.type = *type;
    if (j.contains("value")) v.value = hex_field(j, "value", at);
    if (*type == OpType::kUpdateLongBy) {
      if (!j.contains("delta") || !j["delta"].is_string()) throw MalformedFile{at + ": no delta"};
      std::string d = j["delta"].get<std::string>();
      auto [end, ec] = std::from_chars(d.data(), d.data() + d.size(), v.op.delta);
      if (ec != std::errc() || end != d.data() + d.size()) {
        throw MalformedFile{at + ": delta '" + d + "' is not a signed 64-bit integer"};
      }
    }
    ops.push_back(std::move(v));
  }
  for (VectorOp& v : ops) {  // views are taken once the vector no longer moves
    v.op.key = view(v.key);
    v.op.value = view(v.value);
  }
  return ops;
}

std::vector<Expected> parse_results(const json& batch, size_t count, const std::string& where) {
  if (!batch.contains("results") || !batch["results"].is_array() ||
      batch["results"].size() != count) {
    throw MalformedFile{where + ": results do not match ops"};
  }
  std::vector<Expected> out(count);
  for (size_t i = 0; i < count; ++i) {
    const json& j = batch["results"][i];
    std::string at = where + " result " + std::to_string(i);
    if (!j.contains("ok") || !j["ok"].is_boolean()) throw MalformedFile{at + ": no ok"};
    out[i].ok = j["ok"].get<bool>();
    if (out[i].ok) {
      if (j.contains("old") && !j["old"].is_null()) out[i].old = hex_field(j, "old", at);
    } else if (j.contains("errorKind") && j["errorKind"].is_string()) {
      out[i].error_kind = j["errorKind"].get<std::string>();
    }
    out[i].digest_after = hex_field(j, "digestAfter", at);
  }
  return out;
}

std::string old_hex(const OpOutcome& o) { return o.existed ? to_hex(view(o.old_value)) : "null"; }

bool outcome_matches(const OpOutcome& o, const Expected& e) {
  return o.existed == e.old.has_value() && (!o.existed || o.old_value == *e.old);
}

// Runs the verifier; true when it accepts `proof` with `ops` and yields
// `end` and the expected old values.
bool verifier_accepts(const TreeParams& params, const Digest& start, ByteView proof,
                      const std::vector<const VectorOp*>& ops,
                      const std::vector<const Expected*>& expected, const Digest& end,
                      std::string* why, size_t* used_bytes) {
  BatchVerifier verifier(params, start, proof);
  if (!verifier.status().is_ok()) {
    *why = verifier.status().to_string();
    return false;
  }
  OpOutcome out;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (Status s = verifier.perform(ops[i]->op, &out); !s.is_ok()) {
      *why = "op " + std::to_string(i) + ": " + s.to_string();
      return false;
    }
    if (!outcome_matches(out, *expected[i])) {
      *why = "op " + std::to_string(i) + " old value " + old_hex(out);
      return false;
    }
  }
  if (used_bytes) *used_bytes = verifier.directions_offset() + (verifier.direction_bits_read() + 7) / 8;
  auto d = verifier.digest();
  if (!d || *d != end) {
    *why = "digest " + (d ? to_hex(*d) : std::string("none"));
    return false;
  }
  return true;
}

// Positions to flip: every byte the verifier reads, or an even spread of them.
std::vector<size_t> flip_positions(size_t used) {
  std::vector<size_t> out;
  constexpr size_t kMaxFlips = 96;
  if (used <= kMaxFlips) {
    for (size_t i = 0; i < used; ++i) out.push_back(i);
  } else {
    for (size_t k = 0; k < kMaxFlips; ++k) out.push_back(k * (used - 1) / (kMaxFlips - 1));
  }
  return out;
}

void check_batches(const json& doc, const TreeParams& params, FileCheck* check,
                   ConformanceReport* report) {
  BatchProver prover(params);
  if (doc.contains("emptyDigest")) {
    Bytes empty = hex_field(doc, "emptyDigest", "file");
    if (view(empty).size() != kDigestSize || !std::equal(empty.begin(), empty.end(), prover.digest().begin())) {
      check->mismatch("emptyDigest", "prover has " + to_hex(prover.digest()));
    }
  }
  if (!doc.contains("batches") || !doc["batches"].is_array()) throw MalformedFile{"no batches"};
  Bytes proof;
  OpOutcome out;
  for (size_t b = 0; b < doc["batches"].size(); ++b) {
    const json& batch = doc["batches"][b];
    std::string where = "batch " + std::to_string(b);
    Digest start = digest_of(hex_field(batch, "startDigest", where), where);
    Digest end = digest_of(hex_field(batch, "endDigest", where), where);
    Bytes expected_proof = hex_field(batch, "proof", where);
    std::vector<VectorOp> ops = parse_ops(batch, where);
    std::vector<Expected> expected = parse_results(batch, ops.size(), where);
    ++report->batches;
    if (prover.digest() != start) check->mismatch(where, "startDigest differs from the prover's digest");

    std::vector<const VectorOp*> ok_ops;
    std::vector<const Expected*> ok_expected;
    for (size_t i = 0; i < ops.size(); ++i) {
      ++report->operations;
      std::string at = where + " op " + std::to_string(i) + " (" + ops[i].type_name + ")";
      Status s = prover.perform(ops[i].op, &out);
      const Expected& e = expected[i];
      if (s.is_ok() != e.ok) {
        check->mismatch(at, std::string("expected ") + (e.ok ? "success" : e.error_kind) + ", got " + s.to_string());
      } else if (!e.ok && !e.error_kind.empty() && error_kind_name(s.kind()) != e.error_kind) {
        check->mismatch(at, "expected error " + e.error_kind + ", got " + s.to_string());
      } else if (e.ok && !outcome_matches(out, e)) {
        check->mismatch(at, "old value " + old_hex(out) + ", expected " + (e.old ? to_hex(view(*e.old)) : "null"));
      }
      if (s.is_ok()) {
        ok_ops.push_back(&ops[i]);
        ok_expected.push_back(&e);
      }
      Digest d = prover.digest();
      if (!std::equal(e.digest_after.begin(), e.digest_after.end(), d.begin(), d.end())) {
        check->mismatch(at, "digestAfter " + to_hex(d) + ", expected " + to_hex(view(e.digest_after)));
      }
    }
    prover.generate_proof(&proof);
    if (proof != expected_proof) {
      size_t at = std::mismatch(proof.begin(), proof.end(), expected_proof.begin(), expected_proof.end()).first - proof.begin();
      check->mismatch(where, "proof differs from byte " + std::to_string(at) + " (" + std::to_string(proof.size()) + " bytes, expected " + std::to_string(expected_proof.size()) + "): " + to_hex(view(proof)));
    }
    if (prover.digest() != end) check->mismatch(where, "endDigest differs: " + to_hex(prover.digest()));

    std::string why;
    size_t used = 0;
    if (!verifier_accepts(params, start, view(expected_proof), ok_ops, ok_expected, end, &why, &used)) {
      check->mismatch(where, "verifier refused the reference proof: " + why);
      continue;
    }
    for (size_t pos : flip_positions(used)) {
      Bytes mutated = expected_proof;
      mutated[pos] ^= 0xff;
      if (verifier_accepts(params, start, view(mutated), ok_ops, ok_expected, end, &why, nullptr)) {
        check->mismatch(where, "verifier accepted the proof with byte " + std::to_string(pos) + " flipped");
      } else {
        ++report->mutations_rejected;
      }
    }
  }
}

void check_empty_digests(const json& doc, FileCheck* check, ConformanceReport* report) {
  for (size_t i = 0; i < doc["cases"].size(); ++i) {
    const json& c = doc["cases"][i];
    std::string where = "case " + std::to_string(i);
    BatchProver prover(params_of(c, where));
    Digest want = digest_of(hex_field(c, "digest", where), where);
    if (prover.digest() != want) check->mismatch(where, "empty digest " + to_hex(prover.digest()));
    ++report->operations;
  }
}

}  // namespace

ConformanceReport run_conformance_file(const std::string& path) {
  ConformanceReport report;
  std::string name = std::filesystem::path(path).filename().string();
  FileCheck check(name);
  try {
    std::ifstream in(path);
    if (!in) throw MalformedFile{"cannot open file"};
    json doc = json::parse(in);
    if (!doc.is_object() || doc.value("format", "") != kFormat) {
      throw MalformedFile{std::string("format is not ") + kFormat};
    }
    if (doc.contains("cases")) {
      check_empty_digests(doc, &check, &report);
    } else {
      check_batches(doc, params_of(doc, "file"), &check, &report);
    }
  } catch (const MalformedFile& e) {
    report.line = "FAIL " + name + ": malformed: " + e.message;
    return report;
  } catch (const json::exception& e) {
    report.line = "FAIL " + name + ": malformed JSON: " + e.what();
    return report;
  }
  report.passed = check.mismatches() == 0;
  std::ostringstream line;
  if (report.passed) {
    line << "PASS " << name << ": " << report.batches << " batches, " << report.operations
         << " operations, " << report.mutations_rejected << " mutated proofs rejected";
  } else {
    line << "FAIL " << name << ": " << check.mismatches() << " mismatches: " << check.details();
  }
  report.line = line.str();
  return report;
}

}  // namespace basis::tools
