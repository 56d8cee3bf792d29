// Every vector file of ../shared/vectors through the conformance runner, and
// the runner's own handling of files it cannot trust.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "tools/conformance.h"

namespace fs = std::filesystem;
using basis::tools::run_conformance_file;

TEST_CASE("every reference vector file passes", "[conformance]") {
  fs::path dir = fs::path(BASIS_SHARED_DIR) / "vectors";
  REQUIRE(fs::is_directory(dir));
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    ++files;
    auto report = run_conformance_file(entry.path().string());
    INFO(report.line);
    CHECK(report.passed);
  }
  REQUIRE(files >= 11);
}

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
