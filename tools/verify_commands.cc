// verify and rebuild: the commands that rebuild the tree in memory.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>

#include "engine/health_check.h"
#include "engine/recovery.h"
#include "storage/checkpoint_store.h"
#include "storage/node_ingest.h"
#include "storage/node_store.h"
#include "storage/oplog.h"
#include "tools/admin.h"
#include "basis/tree/batch_verifier.h"

namespace basis::tools {

namespace {

void progress_bar(uint64_t done, uint64_t total) {
  if (!isatty(2)) return;
  if (total == 0) {
    std::fprintf(stderr, "\r  %llu nodes", static_cast<unsigned long long>(done));
    return;
  }
  int width = 40, filled = static_cast<int>(width * std::min<uint64_t>(done, total) / total);
  std::fprintf(stderr, "\r  [%s%s] %llu/%llu nodes", std::string(filled, '#').c_str(),
               std::string(width - filled, ' ').c_str(), static_cast<unsigned long long>(done),
               static_cast<unsigned long long>(total));
}

}  // namespace

int verify_command(int argc, char** argv) {
  if (wants_help(argc, argv)) {
    std::printf(
        "usage: basis-tree verify [--config FILE] [--data-dir DIR]\n"
        "Checks the whole store without changing it: recovery takes the normal path (latest\n"
        "checkpoint and the log after it, every digest as logged), every node of the latest\n"
        "checkpoint hashes to its label, and every leaf of the tree matches its note.\n"
        "Exit code 0: healthy; 1: a problem (printed); 2: bad usage or no store.\n");
    return 0;
  }
  StoreArgs args;
  if (!parse_store_args("verify", argc, argv, &args) || !args.rest.empty()) return 2;
  std::unique_ptr<storage::Database> db;
  if (tree::Status s = open_store(args, &db); !s.is_ok()) {
    std::fprintf(stderr, "basis-tree verify: %s\n", s.to_string().c_str());
    // A store that is there but refused (a cut log, a missing file) is unhealthy.
    return s.kind() == tree::ErrorKind::kCorruption ? 1 : 2;
  }
  int problems = 0;
  auto started = std::chrono::steady_clock::now();
  config::Config cfg = args.config;
  cfg.persistence.recovery_validation = config::RecoveryValidation::kDigests;  // checked below, with progress
  engine::Recovered r;
  tree::Status s = engine::recover(db.get(), cfg, &r);
  if (!s.is_ok()) {
    std::printf("recovery: FAILED: %s\n", s.to_string().c_str());
    return 1;
  }
  std::printf("recovery: %s, checkpoint %llu, %llu operations replayed, at sequence %llu\n",
              basis::recovery_path_name(r.path), static_cast<unsigned long long>(r.checkpoint_id),
              static_cast<unsigned long long>(r.replayed), static_cast<unsigned long long>(r.last_sequence));
  for (const auto& f : r.fallbacks) {
    std::printf("  refused: %s\n", f.c_str());
    ++problems;
  }
  storage::CheckpointRecord cp;
  if (r.checkpoint_id && storage::CheckpointStore(db.get()).read(r.checkpoint_id, &cp).is_ok()) {
    uint64_t nodes = 0;
    s = storage::verify_tree(*db, cp.digest, static_cast<int>(cfg.persistence.recovery_parallelism), &nodes, nullptr,
                             [&](uint64_t done) { progress_bar(done, cp.node_count); });
    if (isatty(2)) std::fprintf(stderr, "\n");
    if (s.is_ok()) {
      std::printf("checkpoint %llu: %llu nodes, every one matches its label\n",
                  static_cast<unsigned long long>(cp.id), static_cast<unsigned long long>(nodes));
    } else {
      std::printf("checkpoint %llu: FAILED: %s\n", static_cast<unsigned long long>(cp.id), s.to_string().c_str());
      ++problems;
    }
  }
  basis::HealthReport h = engine::check_health(*r.prover, *db, r.last_sequence, 0, 0);
  if (h.ok) {
    std::printf("notes: %llu keys, every leaf matches its note\n", static_cast<unsigned long long>(h.keys_checked));
  } else {
    std::printf("notes: FAILED: %s\n", h.problem.c_str());
    ++problems;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("%s in %.1f s\n", problems ? "PROBLEMS FOUND" : "healthy", seconds);
  return problems ? 1 : 0;
}

int rebuild_command(int argc, char** argv) {
  if (wants_help(argc, argv)) {
    std::printf(
        "usage: basis-tree rebuild --from oplog|notes [--accept-digest HEX] [--config FILE] [--data-dir DIR]\n"
        "Rebuilds the tree from the whole operation log, or from the notes in first-insertion\n"
        "order, writes its nodes and seals it as a new checkpoint (older ones stay). A tree\n"
        "rebuilt from notes whose digest differs from the log's last digest is written only with\n"
        "--accept-digest naming it; the log then continues from it.\n");
    return 0;
  }
  StoreArgs args;
  if (!parse_store_args("rebuild", argc, argv, &args)) return 2;
  std::string from;
  for (size_t i = 0; i + 1 < args.rest.size(); i += 2) {
    if (args.rest[i] == "--from") from = args.rest[i + 1];
    else if (args.rest[i] == "--accept-digest") args.config.persistence.accept_rebuilt_digest = args.rest[i + 1];
    else from.assign(1, '?');  // (a literal here trips g++ 12's -Wrestrict)
  }
  if ((from != "oplog" && from != "notes") || args.rest.size() % 2 != 0) {
    std::fprintf(stderr, "basis-tree rebuild: say --from oplog or --from notes\n");
    return 2;
  }
  std::unique_ptr<storage::Database> db;
  if (tree::Status s = open_store(args, &db); !s.is_ok()) {
    std::fprintf(stderr, "basis-tree rebuild: %s\n", s.to_string().c_str());
    return 2;
  }
  engine::Recovered r;
  tree::Status s = from == "oplog" ? engine::replay_whole_log(db.get(), args.config, &r)
                                   : engine::rebuild_from_notes(db.get(), args.config, &r);
  if (!s.is_ok()) {
    std::fprintf(stderr, "basis-tree rebuild: %s\n", s.to_string().c_str());
    return 1;
  }
  std::vector<std::pair<tree::Label, std::string>> nodes;
  s = r.prover->visit_unstored_nodes([&](const tree::Node& n) {
    nodes.emplace_back(n.label, storage::encode(storage::to_record(n, r.prover->pool())));
  });
  if (s.is_ok() && !nodes.empty()) s = storage::ingest_nodes(db.get(), &nodes);
  storage::CheckpointStore store(db.get());
  std::vector<storage::CheckpointRecord> existing;
  if (s.is_ok()) s = store.list(&existing);
  storage::CheckpointRecord cp;
  cp.id = existing.empty() ? 1 : existing.front().id + 1;
  cp.timestamp_ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  cp.digest = r.prover->digest();
  cp.last_sequence = r.last_sequence;
  cp.metadata = "rebuilt from " + from;
  if (s.is_ok()) s = store.create(&cp, static_cast<int>(args.config.persistence.recovery_parallelism));
  if (s.is_ok() && r.rebase) {
    std::unique_ptr<storage::Oplog> log;
    s = storage::Oplog::open(db.get(), &log);
    if (s.is_ok()) s = log->rebase(r.last_sequence, cp.digest);
  }
  if (!s.is_ok()) {
    std::fprintf(stderr, "basis-tree rebuild: %s\n", s.to_string().c_str());
    return 1;
  }
  std::printf("rebuilt from %s: checkpoint %llu, digest %s, %llu nodes, at sequence %llu\n", from.c_str(),
              static_cast<unsigned long long>(cp.id), tree::to_hex(tree::ByteView(cp.digest)).c_str(),
              static_cast<unsigned long long>(cp.node_count), static_cast<unsigned long long>(cp.last_sequence));
  return 0;
}

int verify_proof_command(int argc, char** argv) {
  if (wants_help(argc, argv) || argc == 0) {
    std::printf(
        "usage: basis-tree verify-proof --digest HEX --proof HEX --key HEX [--key-length N]\n"
        "Checks a lookup proof (GET /v1/lookup/KEY?proof=true) against a digest, as a verifier\n"
        "on chain would, and prints the value it proves. Exit code 0: it verifies; 1: it does not.\n");
    return argc == 0 ? 2 : 0;
  }
  std::string digest_hex, proof_hex, key_hex;
  uint32_t key_length = 32;
  for (int i = 0; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--digest") digest_hex = v;
    else if (a == "--proof") proof_hex = v;
    else if (a == "--key") key_hex = v;
    else if (a == "--key-length") key_length = static_cast<uint32_t>(std::stoul(v));
    else return std::fprintf(stderr, "basis-tree verify-proof: unknown option '%s'\n", a.c_str()), 2;
  }
  tree::Bytes digest, proof, key;
  if (!tree::from_hex(digest_hex, &digest) || digest.size() != tree::kDigestSize) {
    return std::fprintf(stderr, "basis-tree verify-proof: --digest must be %zu bytes of hex\n", tree::kDigestSize), 2;
  }
  if (!tree::from_hex(proof_hex, &proof) || !tree::from_hex(key_hex, &key) || key.size() != key_length) {
    return std::fprintf(stderr, "basis-tree verify-proof: --proof and --key must be hex, the key %u bytes\n", key_length), 2;
  }
  tree::Digest d;
  std::copy(digest.begin(), digest.end(), d.begin());
  tree::BatchVerifier verifier(tree::TreeParams{key_length, std::nullopt}, d, tree::view(proof));
  tree::OpOutcome out;
  tree::Status s = verifier.perform(tree::Operation::lookup(tree::view(key)), &out);
  if (!s.is_ok()) {
    std::printf("does not verify: %s\n", s.to_string().c_str());
    return 1;
  }
  if (out.existed) {
    std::printf("verifies: key %s holds %s\n", key_hex.c_str(), tree::to_hex(tree::view(out.old_value)).c_str());
  } else {
    std::printf("verifies: key %s is not in the tree\n", key_hex.c_str());
  }
  return 0;
}

}  // namespace basis::tools
