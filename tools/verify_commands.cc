// verify and rebuild: the commands that rebuild the tree in memory.
#include <chrono>
#include <cstdio>

#include "engine/health_check.h"
#include "engine/recovery.h"
#include "storage/checkpoint_store.h"
#include "storage/node_ingest.h"
#include "storage/node_store.h"
#include "storage/oplog.h"
#include "tools/admin.h"
#include "tools/progress.h"

namespace basis::tools {

using nlohmann::json;

namespace {

json problem_part(bool ok, const std::string& problem) {
  json j = {{"ok", ok}};
  if (!ok) j["problem"] = problem;
  return j;
}

}  // namespace

int verify_command(int argc, char** argv) {
  CommandLine cli("basis-tree verify", "[--tree NAME] [options]",
                  "Checks one tree of the store without changing it: recovery takes the normal path (latest\n"
                  "checkpoint and the log after it, every digest as logged), every node of the latest\n"
                  "checkpoint hashes to its label, and every leaf of the tree matches its note.");
  StoreArgs args;
  add_tree_option(&cli, &args);
  add_store_options(&cli, &args);
  cli.footer("JSON: tree, healthy, recovery {ok, path, checkpoint_id, replayed, last_seq, refused [...], problem},\n"
             "checkpoint {id, nodes, ok, problem} or null, notes {keys, ok, problem}, problems [...], seconds.\n"
             "Exit code 0: healthy; 1: a problem (printed); 2: bad usage or no store.");
  if (int code = parse_store_args(&cli, argc, argv, &args); code >= 0) return code;
  std::unique_ptr<storage::Database> db;
  if (tree::Status s = open_store(args, &db); !s.is_ok()) {
    // A store that is there but refused (a cut log, a missing file) is unhealthy.
    return failed(args, s);  // 1: exit code 2 is bad usage only
  }
  TreeChoice t;
  if (tree::Status s = choose_tree(*db, args, &t); !s.is_ok()) return failed(args, s);
  auto started = std::chrono::steady_clock::now();
  json out = {{"tree", t.name}, {"healthy", false}, {"checkpoint", nullptr}, {"notes", nullptr}, {"problems", json::array()}};
  auto problem = [&](const std::string& what) { out["problems"].push_back(what); };
  auto finish = [&] {
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    out["healthy"] = out["problems"].empty();
    out["seconds"] = seconds;
    if (args.json) {
      print_json(out);
    } else {
      std::printf("%s%s in %.1f s\n", t.is_default() ? "" : ("tree " + t.name + ": ").c_str(),
                  out["problems"].empty() ? "healthy" : "PROBLEMS FOUND", seconds);
    }
    return out["problems"].empty() ? 0 : 1;
  };
  config::Config cfg = t.config;
  cfg.persistence.recovery_validation = config::RecoveryValidation::kDigests;  // checked below, with progress
  PhasedProgress progress(args.progress());
  engine::Recovered r;
  tree::Status s = engine::recover(db.get(), cfg, &r, progress.fn());
  progress.finish();
  if (!s.is_ok()) {
    out["recovery"] = problem_part(false, s.to_string());
    problem("recovery: " + s.to_string());
    if (!args.json) std::printf("recovery: FAILED: %s\n", s.to_string().c_str());
    return finish();
  }
  out["recovery"] = {{"ok", r.fallbacks.empty()},
                     {"path", basis::recovery_path_name(r.path)},
                     {"checkpoint_id", r.checkpoint_id},
                     {"replayed", r.replayed},
                     {"last_seq", r.last_sequence},
                     {"refused", r.fallbacks}};
  if (!args.json) {
    std::printf("recovery: %s, checkpoint %llu, %llu operations replayed, at sequence %llu\n",
                basis::recovery_path_name(r.path), static_cast<unsigned long long>(r.checkpoint_id),
                static_cast<unsigned long long>(r.replayed), static_cast<unsigned long long>(r.last_sequence));
  }
  for (const auto& f : r.fallbacks) {
    if (!args.json) std::printf("  refused: %s\n", f.c_str());
    problem("recovery refused " + f);
  }
  storage::CheckpointRecord cp;
  if (r.checkpoint_id && storage::CheckpointStore(db.get(), t.keyspace).read(r.checkpoint_id, &cp).is_ok()) {
    uint64_t nodes = 0;
    // A seal that did not walk its tree has no count: a tree of K keys has
    // about 2K + 1 nodes (K unknown for one of the named trees t.notes holds).
    const uint64_t expected = cp.node_count ? cp.node_count
                              : t.is_default() ? 2 * db->estimated_keys(storage::Family::kNotes) + 1
                                               : 0;
    s = storage::verify_tree(*db, cp.digest, static_cast<int>(cfg.persistence.recovery_parallelism), &nodes, nullptr,
                             [&](uint64_t done) { progress("checking nodes", done, expected); }, t.keyspace);
    progress.finish();
    out["checkpoint"] = problem_part(s.is_ok(), s.to_string());
    out["checkpoint"]["id"] = cp.id;
    out["checkpoint"]["nodes"] = nodes;
    if (s.is_ok()) {
      if (!args.json) {
        std::printf("checkpoint %llu: %llu nodes, every one matches its label\n",
                    static_cast<unsigned long long>(cp.id), static_cast<unsigned long long>(nodes));
      }
    } else {
      if (!args.json) {
        std::printf("checkpoint %llu: FAILED: %s\n", static_cast<unsigned long long>(cp.id), s.to_string().c_str());
      }
      problem("checkpoint " + std::to_string(cp.id) + ": " + s.to_string());
    }
  }
  basis::HealthReport h = engine::check_health(*r.prover, *db, r.last_sequence, 0, 0, progress.fn(), t.keyspace);
  progress.finish();
  out["notes"] = problem_part(h.ok, h.problem);
  out["notes"]["keys"] = h.keys_checked;
  if (h.ok) {
    if (!args.json) {
      std::printf("notes: %llu keys, every leaf matches its note\n", static_cast<unsigned long long>(h.keys_checked));
    }
  } else {
    if (!args.json) std::printf("notes: FAILED: %s\n", h.problem.c_str());
    problem("notes: " + h.problem);
  }
  return finish();
}

int rebuild_command(int argc, char** argv) {
  CommandLine cli("basis-tree rebuild", "--from oplog|notes [--accept-digest HEX] [--tree NAME] [options]",
                  "Rebuilds one tree from the whole operation log, or from the notes in first-insertion\n"
                  "order, writes its nodes and seals it as a new checkpoint (older ones stay). A tree\n"
                  "rebuilt from notes whose digest differs from the log's last digest is written only with\n"
                  "--accept-digest naming it; the log then continues from it.");
  StoreArgs args;
  std::string from, accept;
  cli.choice("--from", {"oplog", "notes"}, &from, "what to rebuild from (required)");
  cli.text("--accept-digest", "HEX", &accept, "write a tree rebuilt from notes with this digest though the log's differs");
  add_tree_option(&cli, &args);
  add_store_options(&cli, &args);
  cli.footer("JSON: tree, from, checkpoint {id, timestamp_ms, digest, last_seq, node_count}, rebased (the log\n"
             "continues from an accepted digest).");
  if (int code = parse_store_args(&cli, argc, argv, &args); code >= 0) return code;
  if (from.empty()) return cli.usage_error("say --from oplog or --from notes");
  if (!accept.empty()) {
    if (from != "notes") return cli.usage_error("--accept-digest is for --from notes only");
    tree::Bytes digest;
    if (!tree::from_hex(accept, &digest) || digest.size() != tree::kDigestSize) {
      return cli.usage_error("--accept-digest takes a digest: " + std::to_string(2 * tree::kDigestSize) +
                             " hex digits");
    }
    args.config.persistence.accept_rebuilt_digest = accept;
  }
  std::unique_ptr<storage::Database> db;
  if (tree::Status s = open_store(args, &db); !s.is_ok()) return failed(args, s);
  TreeChoice t;
  if (tree::Status s = choose_tree(*db, args, &t); !s.is_ok()) return failed(args, s);
  PhasedProgress progress(args.progress());
  engine::Recovered r;
  tree::Status s = from == "oplog" ? engine::replay_whole_log(db.get(), t.config, &r, progress.fn())
                                   : engine::rebuild_from_notes(db.get(), t.config, &r, progress.fn());
  progress.finish();
  if (!s.is_ok()) return failed(args, s);
  std::vector<std::pair<tree::Label, std::string>> nodes;
  progress("collecting nodes", 0, 0);
  s = r.prover->visit_unstored_nodes([&](const tree::Node& n) {
    nodes.emplace_back(n.label, storage::encode(storage::to_record(n, r.prover->pool())));
    if (nodes.size() % 4096 == 0) progress("collecting nodes", nodes.size(), 0);
  });
  if (s.is_ok() && !nodes.empty()) {
    progress("writing nodes", 0, 0);
    s = storage::ingest_nodes(db.get(), &nodes, t.keyspace);
  }
  storage::CheckpointStore store(db.get(), t.keyspace);
  std::vector<storage::CheckpointRecord> existing;
  if (s.is_ok()) s = store.list(&existing);
  storage::CheckpointRecord cp;
  cp.id = existing.empty() ? 1 : existing.front().id + 1;
  cp.timestamp_ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  cp.digest = r.prover->digest();
  cp.last_sequence = r.last_sequence;
  cp.metadata = "rebuilt from " + from;
  if (s.is_ok()) {
    // Every node of the tree, stored before or just now: about 2K + 1 for K
    // keys (K unknown for one of the named trees t.notes holds).
    const uint64_t expected = t.is_default() ? 2 * db->estimated_keys(storage::Family::kNotes) + 1 : 0;
    s = store.create(&cp, static_cast<int>(t.config.persistence.recovery_parallelism),
                     [&](uint64_t done) { progress("verifying nodes", done, expected); });
  }
  progress.finish();
  if (s.is_ok() && r.rebase) {
    std::unique_ptr<storage::Oplog> log;
    s = storage::Oplog::open(db.get(), &log, t.keyspace);
    if (s.is_ok()) s = log->rebase(r.last_sequence, cp.digest);
  }
  if (!s.is_ok()) return failed(args, s);
  if (args.json) {
    print_json({{"tree", t.name}, {"from", from}, {"checkpoint", checkpoint_json(cp)}, {"rebased", r.rebase}});
    return 0;
  }
  std::printf("%srebuilt from %s: checkpoint %llu, digest %s, %llu nodes, at sequence %llu\n",
              t.is_default() ? "" : ("tree " + t.name + ": ").c_str(), from.c_str(),
              static_cast<unsigned long long>(cp.id), tree::to_hex(tree::ByteView(cp.digest)).c_str(),
              static_cast<unsigned long long>(cp.node_count), static_cast<unsigned long long>(cp.last_sequence));
  return 0;
}

}  // namespace basis::tools
