// Configuration: defaults, every unit form, errors that name file, line and
// key, and printing back as TOML.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "basis/config.h"

using namespace basis::config;
using std::chrono::milliseconds;

namespace {
Status load(const std::string& text, Config* cfg) { return load_string(text, "basis.toml", cfg); }
}  // namespace

TEST_CASE("an empty file gives every default", "[config]") {
  Config cfg;
  cfg.tree.key_length = 7;  // overwritten by the load
  REQUIRE(load("", &cfg).is_ok());
  REQUIRE(cfg == Config{});
  REQUIRE(cfg.tree.key_length == 32);
  REQUIRE_FALSE(cfg.tree.value_length);
  REQUIRE(cfg.persistence.node_cache_size == (uint64_t{1} << 30));
  REQUIRE(cfg.persistence.operation_log_retention == std::chrono::hours(24 * 30));
  REQUIRE(cfg.persistence.checkpoint_interval.operations == 10'000);
  REQUIRE(cfg.validate().is_ok());
}

TEST_CASE("every unit form", "[config][units]") {
  REQUIRE(parse_size("1GB") == uint64_t{1} << 30);
  REQUIRE(parse_size("512MB") == uint64_t{512} << 20);
  REQUIRE(parse_size("512 MiB") == uint64_t{512} << 20);
  REQUIRE(parse_size("64KB") == uint64_t{64} << 10);
  REQUIRE(parse_size("64k") == uint64_t{64} << 10);
  REQUIRE(parse_size("2TB") == uint64_t{2} << 40);
  REQUIRE(parse_size("100B") == 100u);
  REQUIRE(parse_size("100") == 100u);
  REQUIRE_FALSE(parse_size("1 GiBB"));
  REQUIRE_FALSE(parse_size("GB"));
  REQUIRE_FALSE(parse_size("-1MB"));
  REQUIRE_FALSE(parse_size("99999999999999999999TB"));

  REQUIRE(parse_duration("30 days") == milliseconds(30LL * 86'400'000));
  REQUIRE(parse_duration("1 day") == milliseconds(86'400'000));
  REQUIRE(parse_duration("1 hour") == milliseconds(3'600'000));
  REQUIRE(parse_duration("2h") == milliseconds(7'200'000));
  REQUIRE(parse_duration("5 minutes") == milliseconds(300'000));
  REQUIRE(parse_duration("10 s") == milliseconds(10'000));
  REQUIRE(parse_duration("10 seconds") == milliseconds(10'000));
  REQUIRE(parse_duration("500 ms") == milliseconds(500));
  REQUIRE_FALSE(parse_duration("30"));
  REQUIRE_FALSE(parse_duration("30 fortnights"));

  Config cfg;
  REQUIRE(load("[persistence]\ncheckpoint_interval = \"1000 operations\"\n", &cfg).is_ok());
  REQUIRE(cfg.persistence.checkpoint_interval == CheckpointInterval{1000, milliseconds(0)});
  REQUIRE(load("[persistence]\ncheckpoint_interval = \"1 hour\"\n", &cfg).is_ok());
  REQUIRE(cfg.persistence.checkpoint_interval == CheckpointInterval{0, milliseconds(3'600'000)});
  REQUIRE(load("[persistence]\nnode_cache_size = 67108864\n", &cfg).is_ok());
  REQUIRE(cfg.persistence.node_cache_size == 64u << 20);
}

TEST_CASE("a full file is read into typed values", "[config]") {
  Config cfg;
  Status s = load(R"(
[tree]
key_length = 32
value_length = 8

[storage]
data_dir = "/var/lib/basis"
sync = "never"

[persistence]
node_cache_size = "512MB"
node_compression = true
operation_log_retention = "7 days"
operation_batch_size = 500
checkpoint_interval = "30 minutes"
checkpoint_retention = 4
checkpoint_compression = true
recovery_parallelism = 2
recovery_validation = "digests"
accept_rebuilt_digest = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff10"
health_check_interval = "90 seconds"
health_check_samples = 128

[server]
listen = "0.0.0.0:9000"

[logging]
level = "debug"
file = "logs/basis.log"
format = "json"
flush_interval = "250 ms"
)", &cfg);
  INFO(s.message());
  REQUIRE(s.is_ok());
  REQUIRE(cfg.tree.value_length == 8u);
  REQUIRE(cfg.storage.sync == SyncPolicy::kNever);
  REQUIRE(cfg.persistence.node_cache_size == 512u << 20);
  REQUIRE(cfg.persistence.operation_log_retention == milliseconds(7LL * 86'400'000));
  REQUIRE(cfg.persistence.recovery_validation == RecoveryValidation::kDigests);
  REQUIRE(cfg.persistence.accept_rebuilt_digest.size() == 66);
  REQUIRE(cfg.persistence.health_check_interval == milliseconds(90'000));
  REQUIRE(cfg.persistence.health_check_samples == 128);
  REQUIRE(Config{}.persistence.recovery_validation == RecoveryValidation::kBackground);
  REQUIRE(cfg.server.listen == "0.0.0.0:9000");
  REQUIRE(cfg.logging.format == LogFormat::kJson);
  REQUIRE(cfg.logging.flush_interval == milliseconds(250));
  REQUIRE(Config{}.logging.format == LogFormat::kText);
  REQUIRE(Config{}.logging.flush_interval == milliseconds(1000));

  // Printed back as TOML, it reads back equal.
  Config again;
  REQUIRE(load(cfg.to_toml(), &again).is_ok());
  REQUIRE(again == cfg);
  Config defaults;
  REQUIRE(load(Config{}.to_toml(), &defaults).is_ok());
  REQUIRE(defaults == Config{});
}

TEST_CASE("errors name the file, the line and the key", "[config][errors]") {
  struct Case {
    const char* text;
    const char* expected;
  };
  const Case cases[] = {
      {"[tree]\nkey_length = 32\nkeylength = 3\n", "basis.toml:3: tree.keylength: unknown key"},
      {"[treee]\n", "basis.toml:1: treee: unknown section"},
      {"[tree]\nkey_length = \"32\"\n", "basis.toml:2: tree.key_length: expected an integer"},
      {"[tree]\nkey_length = 0\n", "basis.toml:2: tree.key_length: 0 is out of range 1..255"},
      {"[tree]\nkey_length = 256\n", "basis.toml:2: tree.key_length: 256 is out of range 1..255"},
      {"\n[persistence]\nnode_cache_size = \"1 GiBB\"\n",
       "basis.toml:3: persistence.node_cache_size: bad size '1 GiBB'"},
      {"[persistence]\noperation_log_retention = \"30 fortnights\"\n",
       "basis.toml:2: persistence.operation_log_retention: bad duration '30 fortnights'"},
      {"[persistence]\noperation_log_retention = 30\n",
       "basis.toml:2: persistence.operation_log_retention: expected a duration"},
      {"[persistence]\ncheckpoint_interval = \"1000 opps\"\n",
       "basis.toml:2: persistence.checkpoint_interval: bad interval '1000 opps'"},
      {"[persistence]\nnode_compression = \"yes\"\n",
       "basis.toml:2: persistence.node_compression: expected true or false"},
      {"[storage]\nsync = \"sometimes\"\n",
       "basis.toml:2: storage.sync: 'sometimes' is not one of: always, never"},
      {"[storage]\ndata_dir = 5\n", "basis.toml:2: storage.data_dir: expected a string"},
      {"tree = 5\n", "basis.toml:1: tree: must be a table"},
      {"[server]\nlisten = 127.0.0.1:7000\n", "basis.toml:2:"},  // a TOML syntax error
      {"[logging]\nlevel = \"loud\"\n", "basis.toml: logging.level 'loud' is not one of"},
      {"[logging]\nformat = \"xml\"\n", "basis.toml:2: logging.format: 'xml' is not one of: json, text"},
      {"[logging]\nflush_interval = 1\n", "basis.toml:2: logging.flush_interval: expected a duration"},
      {"[logging]\nflush_interval = \"2 minutes\"\n", "basis.toml: logging.flush_interval must be at most 1 minute"},
      {"[server]\nlisten = \"localhost\"\n", "basis.toml: server.listen 'localhost' is not HOST:PORT"},
      {"[persistence]\nrecovery_validation = \"some\"\n",
       "basis.toml:2: persistence.recovery_validation: 'some' is not one of: background, digests, full"},
      {"[persistence]\naccept_rebuilt_digest = \"abc\"\n",
       "basis.toml: persistence.accept_rebuilt_digest must be a digest: 66 lowercase hex digits"},
      {"[persistence]\nhealth_check_samples = 0\n", "basis.toml:2: persistence.health_check_samples: 0 is out of range"},
  };
  for (const Case& c : cases) {
    Config cfg;
    Status s = load(c.text, &cfg);
    INFO(c.text << " -> " << s.message());
    REQUIRE_FALSE(s.is_ok());
    REQUIRE(s.message().find(c.expected) != std::string::npos);
    REQUIRE(cfg == Config{});  // nothing half-loaded
  }
}

TEST_CASE("files are read from disk and data directories checked", "[config]") {
  auto dir = std::filesystem::temp_directory_path() / "basis-config-test";
  std::filesystem::create_directories(dir);
  auto path = (dir / "basis.toml").string();
  std::ofstream(path) << "[storage]\ndata_dir = \"" << (dir / "data").string() << "\"\nbogus = 1\n";
  Config cfg;
  Status s = load_file(path, &cfg);
  REQUIRE(s.message() == path + ":3: storage.bogus: unknown key");
  std::ofstream(path) << "[storage]\ndata_dir = \"" << (dir / "data").string() << "\"\n";
  REQUIRE(load_file(path, &cfg).is_ok());
  REQUIRE(cfg.check_directories().is_ok());  // creatable
  std::ofstream(dir / "file") << "x";
  cfg.storage.data_dir = (dir / "file").string();
  REQUIRE(cfg.check_directories().message().find("is not a directory") != std::string::npos);
  REQUIRE(load_file((dir / "missing.toml").string(), &cfg).message().find("missing.toml") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("the example configuration names every key with its default", "[config]") {
  Config cfg;
  Status s = load_file(BASIS_SOURCE_DIR "/examples/basis-treed.toml", &cfg);
  INFO(s.message());
  REQUIRE(s.is_ok());
  REQUIRE(cfg == Config{});
  // Every key that to_toml() prints appears in the example.
  std::ifstream in(BASIS_SOURCE_DIR "/examples/basis-treed.toml");
  std::string example((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream keys(Config{}.to_toml());
  std::string line;
  while (std::getline(keys, line)) {
    if (line.empty() || line[0] == '[') continue;
    std::string key = line.substr(0, line.find(" ="));
    INFO(key);
    REQUIRE(example.find("\n" + key + " = ") != std::string::npos);
  }
}

TEST_CASE("[[trees]] declares named trees, and a bad or repeated name, an unknown key or a bad length is an error "
          "naming it", "[config]") {
  Config cfg;
  REQUIRE(load_string("[[trees]]\nname = \"tracker\"\nkey_length = 32\nvalue_length = 8\n"
                      "[[trees]]\nname = \"reserve-1\"\nvalue_length = \"variable\"\n",
                      "t.toml", &cfg)
              .is_ok());
  REQUIRE(cfg.trees.size() == 2);
  CHECK(cfg.trees[0].name == "tracker");
  CHECK(cfg.trees[0].value_length == std::optional<uint32_t>(8));
  CHECK(cfg.trees[1].key_length == 32);
  CHECK_FALSE(cfg.trees[1].value_length);
  Config again;
  REQUIRE(load_string(cfg.to_toml(), "round trip", &again).is_ok());
  CHECK(again == cfg);
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"[[trees]]\nkey_length = 32\n", "needs a name"},
      {"[[trees]]\nname = \"a\"\n[[trees]]\nname = \"a\"\n", "a second time"},
      {"[[trees]]\nname = \"default\"\n", "default"},
      {"[[trees]]\nname = \"Big\"\n", "a-z"},
      {"[[trees]]\nname = \"\"\n", "1..64"},
      {"[[trees]]\nname = \"a\"\nkey_length = 0\n", "out of range"},
      {"[[trees]]\nname = \"a\"\nkeylength = 3\n", "unknown key"},
      {"[trees]\nname = \"a\"\n", "array of tables"},
      {"[[trees]]\nname = \"a\"\nvalue_length = 2147483647\n", "at most 1048576"},
  };
  for (const auto& [text, why] : bad) {
    Config c;
    Status s = load_string(text, "bad.toml", &c);
    INFO(text << " -> " << s.message());
    REQUIRE_FALSE(s.is_ok());
    CHECK(s.message().find("bad.toml:") == 0);
    CHECK(s.message().find(why) != std::string::npos);
  }
}
