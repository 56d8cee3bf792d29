// The command lines of every binary the project ships: --version, --help,
// and every kind of bad usage named on stderr with exit code 2.
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>

#include "basis/version.h"
#include "tests/storage_test_util.h"
#include "tests/tool_test_util.h"
#include "tools/cli.h"
#include "tools/progress.h"

using basis::testing::Ran;
using basis::testing::run_binary;
using basis::tools::CommandLine;

namespace {

struct Binary {
  const char* name;
  const char* path;
};

const Binary kBinaries[] = {{"basis-tree", BASIS_TOOL_PATH},
                            {"embed_example", BASIS_EMBED_PATH},
                            {"basis-bench", BASIS_BENCH_PATH},
                            {"torture", BASIS_TORTURE_PATH},
                            {"crash-test", BASIS_CRASH_TEST_PATH}};

// Every basis-tree command with the flags its --help must list.
const std::map<std::string, std::vector<std::string>> kCommandFlags = {
    {"conformance", {"--json"}},
    {"differential", {"--seeds", "--seed-from", "--ops", "--oracle", "--mismatch-dir", "--write-vectors", "--json"}},
    {"inspect", {"--config", "--data-dir", "--json", "--quiet"}},
    {"verify", {"--config", "--data-dir", "--json", "--quiet"}},
    {"checkpoints", {"--config", "--data-dir", "--json", "--quiet"}},
    {"oplog", {"--from", "--limit", "--archive", "--config", "--data-dir", "--json", "--quiet"}},
    {"backup", {"--config", "--data-dir", "--json", "--quiet"}},
    {"restore", {"--config", "--data-dir", "--json", "--quiet"}},
    {"rebuild", {"--from", "--accept-digest", "--config", "--data-dir", "--json", "--quiet"}},
    {"compact", {"--config", "--data-dir", "--json", "--quiet"}},
    {"accept-loss", {"--yes", "--config", "--data-dir", "--json", "--quiet"}},
    {"verify-proof", {"--digest", "--proof", "--key", "--key-length", "--json"}},
};

std::string named(const std::string& program, const std::string& what) {
  return program + ": " + what + " (see " + program + " --help)\n";
}

// Parses `args` with `cli`; the exit code parse() asks for (-1: go on).
int parse(CommandLine& cli, std::vector<const char*> args) {
  return cli.parse(static_cast<int>(args.size()), args.data());
}

}  // namespace

TEST_CASE("every binary prints its name and version for --version", "[cli]") {
  for (const Binary& b : kBinaries) {
    Ran r = run_binary({b.path, "--version"});
    INFO(b.name << ": " << r.out << r.err);
    REQUIRE(r.code == 0);
    REQUIRE(r.out == std::string(b.name) + " " + BASIS_VERSION_STRING + "\n");
    REQUIRE(r.err.empty());
  }
  for (const auto& [command, flags] : kCommandFlags) {
    Ran r = run_binary({BASIS_TOOL_PATH, command, "--version"});
    REQUIRE(r.code == 0);
    REQUIRE(r.out == std::string("basis-tree ") + BASIS_VERSION_STRING + "\n");
  }
}

TEST_CASE("every binary and command names an unknown option on stderr, exit code 2", "[cli]") {
  for (const Binary& b : kBinaries) {
    Ran r = run_binary({b.path, "--bogus"});
    INFO(b.name << ": " << r.err);
    REQUIRE(r.code == 2);
    REQUIRE(r.out.empty());
    if (std::string(b.name) == "basis-tree") {
      REQUIRE(r.err == named("basis-tree", "unknown option '--bogus'; the command comes first"));
    } else {
      REQUIRE(r.err == named(b.name, "unknown option '--bogus'"));
    }
  }
  for (const auto& [command, flags] : kCommandFlags) {
    Ran r = run_binary({BASIS_TOOL_PATH, command, "--bogus"});
    INFO(command << ": " << r.err);
    REQUIRE(r.code == 2);
    REQUIRE(r.out.empty());
    REQUIRE(r.err == named("basis-tree " + command, "unknown option '--bogus'"));
  }
  Ran r = run_binary({BASIS_TOOL_PATH, "frobnicate"});
  REQUIRE(r.code == 2);
  REQUIRE(r.err == named("basis-tree", "unknown command 'frobnicate'"));
}

TEST_CASE("a missing value, a bad number, a repeat and an extra argument are each named", "[cli]") {
  const std::string tool = BASIS_TOOL_PATH;
  struct Case {
    std::vector<std::string> args;
    std::string program, what;
  };
  const std::vector<Case> cases = {
      {{tool, "verify", "--data-dir"}, "basis-tree verify", "option '--data-dir' needs a value (DIR)"},
      {{tool, "verify", "--data-dir", "--json"}, "basis-tree verify", "option '--data-dir' needs a value (DIR), not '--json'"},
      {{tool, "verify", "--data-dir="}, "basis-tree verify", "option '--data-dir' needs a value (DIR)"},
      {{tool, "verify", "--data-dir", "a", "--data-dir", "b"}, "basis-tree verify", "option '--data-dir' given more than once"},
      {{tool, "verify", "--json", "--json"}, "basis-tree verify", "option '--json' given more than once"},
      {{tool, "verify", "--json=false"}, "basis-tree verify", "option '--json' takes no value"},
      {{tool, "verify", "extra"}, "basis-tree verify", "unexpected argument 'extra'"},
      {{tool, "oplog", "--limit", "-1"}, "basis-tree oplog", "option '--limit' takes a decimal number of at least 1, not '-1'"},
      {{tool, "oplog", "--limit", "18446744073709551616"}, "basis-tree oplog",
       "option '--limit' takes a decimal number of at least 1, not '18446744073709551616'"},
      {{tool, "oplog", "--from", "0"}, "basis-tree oplog", "option '--from' takes a decimal number of at least 1, not '0'"},
      {{tool, "rebuild", "--from", "log"}, "basis-tree rebuild", "option '--from' takes oplog or notes, not 'log'"},
      {{tool, "backup"}, "basis-tree backup", "missing BACKUP_DIR"},
      {{tool, "backup", "a", "b"}, "basis-tree backup", "unexpected argument 'b'"},
      {{tool, "verify-proof", "--key", "00"}, "basis-tree verify-proof", "missing --digest"},
      {{tool, "verify-proof", "--key-length", "0", "--key", "00"}, "basis-tree verify-proof",
       "option '--key-length' takes a decimal number from 1 to 65536, not '0'"},
      {{tool, "differential", "--seeds", "x"}, "basis-tree differential",
       "option '--seeds' takes a decimal number from 0 to 100000, not 'x'"},
      {{tool, "conformance"}, "basis-tree conformance", "missing FILE"},
      {{BASIS_EMBED_PATH, "a", "b"}, "embed_example", "unexpected argument 'b'"},
      {{BASIS_EMBED_PATH, ""}, "embed_example", "DATA_DIR is empty"},
      {{BASIS_TOOL_PATH, "verify", "-hx"}, "basis-tree verify", "unknown option '-hx'"},
      {{BASIS_BENCH_PATH}, "basis-bench", "missing WORKLOAD"},
      {{BASIS_BENCH_PATH, "W9"}, "basis-bench", "unknown workload 'W9'"},
      {{BASIS_BENCH_PATH, "--quick", "--quick", "W1"}, "basis-bench", "option '--quick' given more than once"},
      {{BASIS_TORTURE_PATH, "--iterations"}, "torture", "option '--iterations' needs a value (N)"},
      {{BASIS_TORTURE_PATH, "--faults", "16"}, "torture", "option '--faults' takes a decimal number from 0 to 15, not '16'"},
      {{BASIS_TORTURE_PATH, "--seed", "1", "--seed", "2"}, "torture", "option '--seed' given more than once"},
      {{BASIS_TORTURE_PATH, "5"}, "torture", "unexpected argument '5'"},
      {{BASIS_CRASH_TEST_PATH, "--kills", "1e3"}, "crash-test", "option '--kills' takes a decimal number of at least 1, not '1e3'"},
      {{BASIS_CRASH_TEST_PATH, "--dir", "--seed", "3"}, "crash-test", "option '--dir' needs a value (DIR), not '--seed'"},
  };
  for (const Case& c : cases) {
    Ran r = run_binary(c.args);
    INFO(c.args.size() << " args, " << c.program << ": " << r.err);
    REQUIRE(r.code == 2);
    REQUIRE(r.out.empty());
    REQUIRE(r.err == named(c.program, c.what));
  }
}

TEST_CASE("every basis-tree command's --help lists its flags", "[cli]") {
  for (const auto& [command, flags] : kCommandFlags) {
    for (const char* help : {"--help", "-h"}) {
      Ran r = run_binary({BASIS_TOOL_PATH, command, help});
      INFO(command << ": " << r.out << r.err);
      REQUIRE(r.code == 0);
      REQUIRE(r.err.empty());
      REQUIRE(r.out.rfind("usage: basis-tree " + command, 0) == 0);
      for (const std::string& flag : flags) REQUIRE(r.out.find("  " + flag) != std::string::npos);
      REQUIRE(r.out.find("-h, --help") != std::string::npos);
      REQUIRE(r.out.find("  --version") != std::string::npos);
    }
    Ran help = run_binary({BASIS_TOOL_PATH, "help", command});
    REQUIRE(help.code == 0);
    REQUIRE(help.out.rfind("usage: basis-tree " + command, 0) == 0);
  }
  Ran top = run_binary({BASIS_TOOL_PATH, "--help"});
  REQUIRE(top.code == 0);
  for (const auto& [command, flags] : kCommandFlags) REQUIRE(top.out.find("  " + command) != std::string::npos);
  for (const Binary& b : kBinaries) {
    Ran r = run_binary({b.path, "--help"});
    INFO(b.name);
    REQUIRE(r.code == 0);
    REQUIRE(r.out.rfind(std::string("usage: ") + b.name, 0) == 0);
  }
}

TEST_CASE("embed_example --help prints its usage and creates no store, and flags are refused", "[cli]") {
  basis::storage::testing::TempDir dir;
  const std::string cwd = dir.path("cwd");
  std::filesystem::create_directories(cwd);
  Ran help = run_binary({BASIS_EMBED_PATH, "--help"}, false, cwd);
  REQUIRE(help.code == 0);
  REQUIRE(help.out.find("usage: embed_example [DATA_DIR]") == 0);
  for (const char* flag : {"-h", "--version", "--data-dir", "-x", "--help=1"}) {
    Ran r = run_binary({BASIS_EMBED_PATH, flag}, false, cwd);
    INFO(flag << ": " << r.err);
    REQUIRE((r.code == 0 || r.code == 2));
  }
  REQUIRE(std::filesystem::is_empty(cwd));  // neither "--help" nor "embed-data" was created
  // After --, a name that starts with '-' is a directory.
  Ran dashed = run_binary({BASIS_EMBED_PATH, "--", "-dir"}, false, cwd);
  INFO(dashed.err);
  REQUIRE(dashed.code == 0);
  REQUIRE(std::filesystem::is_directory(cwd + "/-dir"));
}

TEST_CASE("CommandLine reads values, defaults, = forms and --", "[cli]") {
  CommandLine cli("prog", "[options] FILE...", "test");
  bool flag = false;
  std::string text = "default";
  uint64_t number = 7;
  std::string choice;
  std::vector<std::string> files;
  cli.flag("--flag", &flag, "a flag");
  cli.text("--text", "T", &text, "a text");
  cli.number("--number", "N", &number, "a number", 2, 100);
  cli.choice("--choice", {"a", "b"}, &choice, "a choice");
  cli.arguments("FILE", &files, 0, 3);
  SECTION("nothing given keeps the defaults") {
    REQUIRE(parse(cli, {}) == -1);
    REQUIRE(!flag);
    REQUIRE(text == "default");
    REQUIRE(number == 7);
    REQUIRE(files.empty());
  }
  SECTION("every kind") {
    REQUIRE(parse(cli, {"x", "--flag", "--text=a=b", "--number", "100", "--choice", "b", "y", "--", "--flag"}) == -1);
    REQUIRE(flag);
    REQUIRE(text == "a=b");
    REQUIRE(number == 100);
    REQUIRE(choice == "b");
    REQUIRE(files == std::vector<std::string>{"x", "y", "--flag"});
  }
  SECTION("bad usage asks for exit code 2 and changes nothing it refused") {
    REQUIRE(parse(cli, {"--number", "101"}) == 2);
    REQUIRE(number == 7);
    REQUIRE(parse(cli, {"--number", "1"}) == 2);
    REQUIRE(parse(cli, {"--choice", "c"}) == 2);
    REQUIRE(parse(cli, {"a", "b", "c", "d"}) == 2);
    REQUIRE(parse(cli, {"--text"}) == 2);
    REQUIRE(parse(cli, {"--tex", "x"}) == 2);  // no prefix matching
    REQUIRE(parse(cli, {"-f"}) == 2);
  }
  SECTION("--help and --version ask for exit code 0, whatever else is there") {
    REQUIRE(parse(cli, {"--help", "--bogus"}) == 0);
    REQUIRE(parse(cli, {"--version"}) == 0);
  }
  REQUIRE(cli.help().find("  --number N") != std::string::npos);
  REQUIRE(cli.help().find("  --choice a|b") != std::string::npos);
}

TEST_CASE("the progress line shows count, share, rate and ETA", "[cli]") {
  using basis::tools::progress_line;
  REQUIRE(progress_line("checking nodes", "", 50, 100, 10) ==
          "checking nodes [############            ] 50/100 50%  5/s  ETA 10 s");
  REQUIRE(progress_line("restoring", "bytes", 3 << 20, 12 << 20, 3) ==
          "restoring [######                  ] 3.0/12.0 MiB 25%  1.0 MiB/s  ETA 9 s");
  REQUIRE(progress_line("reading notes", "notes", 300, 0, 10) == "reading notes 300 notes  30 notes/s  10 s");
  REQUIRE(progress_line("verifying backup", "bytes", 0, 0, 75) == "verifying backup  1 min 15 s");
  // More than the estimate: the bar is full, no ETA.
  REQUIRE(progress_line("x", "", 150, 100, 1) == "x [########################] 100/100 100%  150/s");
}

TEST_CASE("Progress draws nothing when disabled", "[cli]") {
  // (A pseudo-terminal test of what it draws is in cli_progress_test.)
  basis::tools::Progress p(false, "x", "", 10);
  p.update(5);
  p.poll([] { return uint64_t{5}; });
  p.finish();
  SUCCEED();
}

TEST_CASE("a value given as NAME=VALUE is taken as it is, dashes and all", "[cli]") {
  // A tree may be named "--x" ([a-z0-9_-]): --tree=--x names it, where
  // "--tree --x" is a forgotten value.
  Ran inline_value = run_binary({BASIS_TOOL_PATH, "inspect", "--data-dir", "/nonexistent/basis-cli-test", "--tree=--x"});
  INFO(inline_value.err);
  CHECK(inline_value.code == 1);  // past the command line: the store is not there
  CHECK(inline_value.err.find("needs a value") == std::string::npos);
  Ran separate = run_binary({BASIS_TOOL_PATH, "inspect", "--data-dir", "/nonexistent/basis-cli-test", "--tree", "--x"});
  CHECK(separate.code == 2);
  CHECK(separate.err.find("option '--tree' needs a value (NAME), not '--x'") != std::string::npos);
}
