// Writes the verifier fuzz target's seed corpus: one input per batch of each
// conformance vector file (its successful operations and its proof).
//   verifier_fuzz_seed_corpus VECTORS_DIR OUT_DIR
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/fuzz/verifier_fuzz_input.h"
#include "basis/tree/bytes.h"
#include "basis/tree/operation.h"

using namespace basis::tree;
namespace fs = std::filesystem;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: verifier_fuzz_seed_corpus VECTORS_DIR OUT_DIR\n");
    return 2;
  }
  size_t written = 0;
  for (const auto& entry : fs::directory_iterator(argv[1])) {
    nlohmann::json doc = nlohmann::json::parse(std::ifstream(entry.path()), nullptr, false);
    if (!doc.is_object() || !doc.contains("batches")) continue;
    uint32_t kl = doc["keyLength"].get<uint32_t>();
    std::optional<uint32_t> vl;
    if (!doc["valueLength"].is_null()) vl = doc["valueLength"].get<uint32_t>();
    size_t config = fuzz::kFuzzParamCount;
    for (size_t i = 0; i < fuzz::kFuzzParamCount; ++i) {
      if (fuzz::kFuzzParams[i].key_length == kl && fuzz::kFuzzParams[i].value_length == vl) config = i;
    }
    if (config == fuzz::kFuzzParamCount) continue;
    size_t b = 0;
    for (const auto& batch : doc["batches"]) {
      Bytes input{static_cast<uint8_t>(config), 0, 0}, start, proof;
      from_hex(batch["startDigest"].get<std::string>(), &start);
      input[1] = start.back();
      size_t count = 0;
      for (size_t i = 0; i < batch["ops"].size() && count < 255; ++i) {
        const auto& op = batch["ops"][i];
        if (!batch["results"][i]["ok"].get<bool>()) continue;
        Bytes key, value;
        from_hex(op["key"].get<std::string>(), &key);
        if (op.contains("value")) from_hex(op["value"].get<std::string>(), &value);
        if (value.size() > 255) continue;
        auto type = parse_op_type(op["type"].get<std::string>());
        input.push_back(static_cast<uint8_t>(*type));
        input.insert(input.end(), key.begin(), key.end());
        input.push_back(static_cast<uint8_t>(value.size()));
        input.insert(input.end(), value.begin(), value.end());
        if (*type == OpType::kUpdateLongBy) {
          int64_t d = std::stoll(op["delta"].get<std::string>());
          for (int s = 56; s >= 0; s -= 8) input.push_back(static_cast<uint8_t>(static_cast<uint64_t>(d) >> s));
        }
        ++count;
      }
      input[2] = static_cast<uint8_t>(count);
      from_hex(batch["proof"].get<std::string>(), &proof);
      input.insert(input.end(), proof.begin(), proof.end());
      fs::path out = fs::path(argv[2]) / (entry.path().stem().string() + "_" + std::to_string(b++));
      std::ofstream(out, std::ios::binary).write(reinterpret_cast<const char*>(input.data()), input.size());
      ++written;
    }
  }
  std::printf("wrote %zu seed inputs to %s\n", written, argv[2]);
  return 0;
}
