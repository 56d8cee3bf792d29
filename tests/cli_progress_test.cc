// basis-tree's long commands draw a progress line on a terminal, and only
// there: stderr on a pseudo-terminal shows it, a pipe, --quiet or --json
// does not, and stdout never has it.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "tests/storage_test_util.h"
#include "tests/tool_test_util.h"

using basis::testing::Ran;
using basis::testing::run_binary;

namespace {

const std::string kTool = BASIS_TOOL_PATH;
const std::string kClear = "\r\033[K";

bool drew(const Ran& r, const std::string& phase) {
  return r.err.find(kClear + phase) != std::string::npos;
}

}  // namespace

TEST_CASE("long commands draw progress on a terminal and nowhere else", "[cli]") {
  basis::storage::testing::TempDir dir;
  const std::string data = dir.path("data");
  basis::testing::build_store(data, 5000);  // past 4096: the notes check reports
  const std::vector<std::string> at = {"--data-dir", data};
  auto command = [&](std::vector<std::string> words) {
    words.insert(words.begin(), kTool);
    words.insert(words.end(), at.begin(), at.end());
    return words;
  };

  // On a terminal: the phases appear, and the last one is cleared.
  Ran verify = run_binary(command({"verify"}), true);
  INFO(verify.err);
  REQUIRE(verify.code == 0);
  REQUIRE(drew(verify, "checking nodes"));
  REQUIRE(drew(verify, "checking notes"));
  REQUIRE(verify.err.size() >= kClear.size());
  REQUIRE(verify.err.compare(verify.err.size() - kClear.size(), kClear.size(), kClear) == 0);
  REQUIRE(verify.out.find('\r') == std::string::npos);
  REQUIRE(verify.out.find("healthy") != std::string::npos);

  // Not on a pipe, with --quiet or with --json.
  Ran piped = run_binary(command({"verify"}));
  REQUIRE(piped.code == 0);
  REQUIRE(piped.err.empty());
  REQUIRE(piped.out.find("healthy") != std::string::npos);
  Ran quiet = run_binary(command({"verify", "--quiet"}), true);
  REQUIRE(quiet.code == 0);
  REQUIRE(quiet.err.empty());
  Ran as_json = run_binary(command({"verify", "--json"}), true);
  REQUIRE(as_json.code == 0);
  REQUIRE(as_json.err.empty());
  REQUIRE(nlohmann::json::parse(as_json.out)["healthy"] == true);

  // The other long commands.
  const std::string backup = dir.path("backup");
  struct Long {
    std::vector<std::string> words;
    std::string phase;
  };
  for (const Long& c : std::vector<Long>{{{"inspect"}, "counting keys"},
                                         {{"compact"}, "compacting"},
                                         {{"backup", backup}, "verifying backup"},
                                         {{"restore", backup, "--yes"}, "restoring"},
                                         {{"rebuild", "--from", "oplog"}, "replaying log"},
                                         {{"rebuild", "--from", "notes"}, "inserting notes"},
                                         {{"rebuild", "--from", "notes"}, "verifying nodes"}}) {
    Ran r = run_binary(command(c.words), true);
    INFO(c.words[0] << ": " << r.out << r.err);
    REQUIRE(r.code == 0);
    REQUIRE(drew(r, c.phase));
    Ran plain = run_binary(command(c.words));
    REQUIRE(plain.code == 0);
    REQUIRE(plain.err.empty());
  }
  // oplog draws only when its records go elsewhere than the terminal (here
  // a pipe): on the terminal they are the progress.
  Ran oplog = run_binary(command({"oplog", "--limit", "5000"}), true);
  REQUIRE(oplog.code == 0);
  REQUIRE(drew(oplog, "reading log"));
  REQUIRE(run_binary(command({"oplog", "--limit", "5000"})).err.empty());
  REQUIRE(run_binary(command({"verify"})).code == 0);
}
