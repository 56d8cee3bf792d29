// Every vector file (the reference's, tests/vectors/reference, and the
// project's own, tests/vectors/project) through the conformance runner, and
// the runner's own handling of files it cannot trust.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "tools/conformance.h"

namespace fs = std::filesystem;
using basis::tools::run_conformance_file;

namespace {

// Replays every .json file of `dir`; at least `min_files` of them.
void replay_all(const fs::path& dir, size_t min_files) {
  REQUIRE(fs::is_directory(dir));
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    ++files;
    auto report = run_conformance_file(entry.path().string());
    INFO(report.line);
    CHECK(report.passed);
  }
  REQUIRE(files >= min_files);
}

}  // namespace

// The reference's own vectors (tests/vectors/reference: the files the reference
// implementation wrote, kept in the repository unchanged), all eleven of them.
TEST_CASE("every reference vector file passes", "[conformance]") { replay_all(BASIS_REFERENCE_VECTORS, 11); }

// The project's own files (tests/vectors/project, the reference oracle's answers written by
// `basis-tree differential --write-vectors`): every key-check failure on every
// operation type after a changing operation, UpdateLongBy edges, value lengths.
TEST_CASE("every project vector file passes", "[conformance]") { replay_all(BASIS_PROJECT_VECTORS, 10); }

namespace {
std::string write_temp(const std::string& name, const std::string& text) {
  fs::path p = fs::temp_directory_path() / name;
  std::ofstream(p) << text;
  return p.string();
}
}  // namespace

TEST_CASE("malformed vector files fail with a message naming the batch", "[conformance]") {
  const std::string header =
      R"({"format":"ergo-avl-oracle-vectors/1","keyLength":1,"valueLength":null,"batches":[)";
  const std::string good_batch =
      R"({"startDigest":"931febe9170def63e50b66e4f923a9af40ac80ee43342ebf4fde9f0d5d1fc45900","ops":[],"results":[],"proof":"03931febe9170def63e50b66e4f923a9af40ac80ee43342ebf4fde9f0d5d1fc45904","endDigest":"931febe9170def63e50b66e4f923a9af40ac80ee43342ebf4fde9f0d5d1fc45900"})";

  auto good = run_conformance_file(write_temp("basis_good.json", header + good_batch + "]}"));
  INFO(good.line);
  REQUIRE(good.passed);

  auto unknown = run_conformance_file(write_temp(
      "basis_unknown.json",
      header + good_batch +
          R"(,{"startDigest":"931febe9170def63e50b66e4f923a9af40ac80ee43342ebf4fde9f0d5d1fc45900","ops":[{"type":"Frobnicate","key":"01"}],"results":[],"proof":"","endDigest":"931febe9170def63e50b66e4f923a9af40ac80ee43342ebf4fde9f0d5d1fc45900"}]})"));
  INFO(unknown.line);
  REQUIRE_FALSE(unknown.passed);
  REQUIRE(unknown.line.find("batch 1 op 0: unknown operation type 'Frobnicate'") != std::string::npos);
  REQUIRE(unknown.line.find("basis_unknown.json") != std::string::npos);

  auto broken = run_conformance_file(write_temp("basis_broken.json", "{\"format\": "));
  REQUIRE_FALSE(broken.passed);
  REQUIRE(broken.line.find("malformed JSON") != std::string::npos);

  auto wrong_proof = good_batch;
  wrong_proof.replace(wrong_proof.find("\"proof\":\"03") + 10, 2, "02");
  auto mismatch = run_conformance_file(write_temp("basis_mismatch.json", header + wrong_proof + "]}"));
  REQUIRE_FALSE(mismatch.passed);
  REQUIRE(mismatch.line.find("batch 0") != std::string::npos);
}

// A vector file is only worth something if the runner fails it when any one
// expectation is wrong: each alteration of a passing file must fail it.
TEST_CASE("an altered expectation fails a project vector file", "[conformance]") {
  using nlohmann::json;
  std::ifstream in(fs::path(BASIS_PROJECT_VECTORS) / "key_checks_var.json");
  REQUIRE(in);
  const json doc = json::parse(in);
  auto flip_hex = [](json& field) {  // the first hex digit, changed
    std::string s = field.get<std::string>();
    s[0] = s[0] == '0' ? '1' : '0';
    field = s;
  };
  // Finds the first result of batch 1 that is (or is not) a success.
  auto result = [](json& d, bool ok) -> json& {
    for (json& r : d["batches"][1]["results"]) {
      if (r["ok"].get<bool>() == ok) return r;
    }
    FAIL("no such result");
    return d;
  };
  const std::vector<std::pair<std::string, std::function<void(json&)>>> alterations = {
      {"emptyDigest", [&](json& d) { flip_hex(d["emptyDigest"]); }},
      {"startDigest", [&](json& d) { flip_hex(d["batches"][1]["startDigest"]); }},
      {"endDigest", [&](json& d) { flip_hex(d["batches"][1]["endDigest"]); }},
      {"proof", [&](json& d) { flip_hex(d["batches"][1]["proof"]); }},
      {"digestAfter", [&](json& d) { flip_hex(result(d, true)["digestAfter"]); }},
      {"old value", [&](json& d) { result(d, true)["old"] = "00"; }},
      {"ok to failure", [&](json& d) { result(d, true)["ok"] = false; }},
      {"failure to ok", [&](json& d) { result(d, false)["ok"] = true; }},
      {"errorKind", [&](json& d) { result(d, false)["errorKind"] = "KeyNotFound"; }},
      {"a key-check kind for another",
       [&](json& d) {
         json& r = result(d, false);
         r["errorKind"] = r["errorKind"] == "KeyLengthMismatch" ? "KeyNotAboveNegInfinity"
                                                                 : "KeyLengthMismatch";
       }},
  };
  auto same = run_conformance_file(write_temp("basis_project_same.json", doc.dump()));
  INFO(same.line);
  REQUIRE(same.passed);
  for (const auto& [what, alter] : alterations) {
    json altered = doc;
    alter(altered);
    auto report = run_conformance_file(write_temp("basis_project_altered.json", altered.dump()));
    INFO(what << ": " << report.line);
    CHECK_FALSE(report.passed);
  }
}
