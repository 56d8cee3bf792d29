// verify-proof and conformance: the commands that need no store.
#include <cstdio>

#include "basis/tree/batch_verifier.h"
#include "tools/admin.h"
#include "tools/conformance.h"

namespace basis::tools {

using nlohmann::json;

int verify_proof_command(int argc, char** argv) {
  CommandLine cli("basis-tree verify-proof", "--digest HEX --proof HEX --key HEX [--key-length N] [--json]",
                  "Checks a lookup proof (GET /v1/lookup/KEY?proof=true) against a digest, as a verifier\n"
                  "on chain would, and prints the value it proves.");
  std::string digest_hex, proof_hex, key_hex;
  uint64_t key_length = 32;
  bool as_json = false;
  cli.text("--digest", "HEX", &digest_hex, "the digest the proof must verify against (33 bytes)");
  cli.text("--proof", "HEX", &proof_hex, "the proof");
  cli.text("--key", "HEX", &key_hex, "the key looked up");
  cli.number("--key-length", "N", &key_length,
             "the tree's key length in bytes (default 32; `basis-tree trees` lists each tree's)", 1, 1 << 16);
  cli.flag("--json", &as_json, "print one JSON object");
  cli.footer("JSON: verifies, and when it does: key, found, value (hex, or null when not found), digest;\n"
             "when it does not: problem.\n"
             "Exit code 0: it verifies; 1: it does not; 2: bad usage.");
  if (argc == 0) {  // nothing to check: say how
    std::fputs(cli.help().c_str(), stderr);
    return 2;
  }
  if (int code = cli.parse(argc, argv); code >= 0) return code;
  for (const auto& [name, value] : {std::pair{"--digest", &digest_hex}, {"--proof", &proof_hex}, {"--key", &key_hex}}) {
    if (value->empty()) return cli.usage_error(std::string("missing ") + name);
  }
  tree::Bytes digest, proof, key;
  if (!tree::from_hex(digest_hex, &digest) || digest.size() != tree::kDigestSize) {
    return cli.usage_error("--digest must be " + std::to_string(tree::kDigestSize) + " bytes of hex");
  }
  if (!tree::from_hex(proof_hex, &proof)) return cli.usage_error("--proof must be hex");
  if (!tree::from_hex(key_hex, &key) || key.size() != key_length) {
    return cli.usage_error("--key must be " + std::to_string(key_length) + " bytes of hex");
  }
  tree::Digest d;
  std::copy(digest.begin(), digest.end(), d.begin());
  tree::BatchVerifier verifier(tree::TreeParams{static_cast<uint32_t>(key_length), std::nullopt}, d, tree::view(proof));
  tree::OpOutcome out;
  tree::Status s = verifier.perform(tree::Operation::lookup(tree::view(key)), &out);
  if (!s.is_ok()) {
    if (as_json) {
      print_json({{"verifies", false}, {"problem", s.to_string()}});
    } else {
      std::printf("does not verify: %s\n", s.to_string().c_str());
    }
    return 1;
  }
  std::string value = out.existed ? tree::to_hex(tree::view(out.old_value)) : "";
  if (as_json) {
    print_json({{"verifies", true}, {"key", key_hex}, {"found", out.existed},
                {"value", out.existed ? json(value) : json(nullptr)}, {"digest", digest_hex}});
  } else if (out.existed) {
    std::printf("verifies: key %s holds %s\n", key_hex.c_str(), value.c_str());
  } else {
    std::printf("verifies: key %s is not in the tree\n", key_hex.c_str());
  }
  return 0;
}

int conformance_command(int argc, char** argv) {
  CommandLine cli("basis-tree conformance", "FILE... [--json]",
                  "Replays conformance vector files through the prover and the verifier and checks every\n"
                  "result, error kind, digest and proof byte; prints one line per file, then\n"
                  "'N passed, M failed'.");
  std::vector<std::string> files;
  bool as_json = false;
  cli.arguments("FILE", &files, 1, SIZE_MAX);
  cli.flag("--json", &as_json, "print one JSON object instead");
  cli.footer("JSON: files [{file, passed, line, batches, operations, mutations_rejected}], passed, failed.\n"
             "Exit code 0: every file passed; 1: one failed; 2: bad usage.");
  if (int code = cli.parse(argc, argv); code >= 0) return code;
  size_t passed = 0, failed = 0;
  json list = json::array();
  for (const std::string& file : files) {
    ConformanceReport r = run_conformance_file(file);
    if (as_json) {
      list.push_back({{"file", file}, {"passed", r.passed}, {"line", r.line}, {"batches", r.batches},
                      {"operations", r.operations}, {"mutations_rejected", r.mutations_rejected}});
    } else {
      std::printf("%s\n", r.line.c_str());
    }
    ++(r.passed ? passed : failed);
  }
  if (as_json) {
    print_json({{"files", list}, {"passed", passed}, {"failed", failed}});
  } else {
    std::printf("%zu passed, %zu failed\n", passed, failed);
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace basis::tools
