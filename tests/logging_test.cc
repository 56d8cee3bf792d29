// The log's pieces: JSON lines that parse whatever a message holds, and the
// log file that reopens at its path after logrotate renamed it, rotates at
// its size and survives a path it cannot open.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

#include "engine/json_log_formatter.h"
#include "engine/log_file_sink.h"
#include "engine/logger.h"
#include "tests/storage_test_util.h"

using basis::engine::JsonLogFormatter;
using basis::engine::ReopenableFileSink;
using basis::storage::testing::TempDir;

namespace {

std::string format_json(std::string_view message, spdlog::level::level_enum level = spdlog::level::info) {
  spdlog::details::log_msg msg("basis", level, spdlog::string_view_t(message.data(), message.size()));
  spdlog::memory_buf_t out;
  JsonLogFormatter().format(msg, out);
  return std::string(out.data(), out.size());
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::shared_ptr<spdlog::logger> file_logger(std::shared_ptr<ReopenableFileSink> sink) {
  auto logger = std::make_shared<spdlog::logger>("test", sink);
  logger->set_pattern("%v");
  return logger;
}

}  // namespace

TEST_CASE("a JSON log line parses whatever the message holds", "[logging]") {
  struct Case {
    std::string message, decoded;
  };
  const Case cases[] = {
      {"plain", "plain"},
      {"a \"quoted\" word", "a \"quoted\" word"},
      {"back\\slash \\\" \\n", "back\\slash \\\" \\n"},
      {"two\nlines\r\n\tand a tab", "two\nlines\r\n\tand a tab"},
      {std::string("nul \0 bell \x07 del \x7f", 18), std::string("nul \0 bell \x07 del \x7f", 18)},
      {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e"},  // valid UTF-8 as is
      {"lone \xff byte", "lone \\xff byte"},
      {"overlong \xc0\xaf slash", "overlong \\xc0\\xaf slash"},
      {"surrogate \xed\xa0\x80", "surrogate \\xed\\xa0\\x80"},
      {"too high \xf4\x90\x80\x80", "too high \\xf4\\x90\\x80\\x80"},
      {"cut \xe2\x82", "cut \\xe2\\x82"},
      {"\x80", "\\x80"},
      {"", ""},
  };
  for (const Case& c : cases) {
    std::string line = format_json(c.message);
    INFO(line);
    REQUIRE(line.back() == '\n');
    REQUIRE(line.find('\n') == line.size() - 1);  // one line, whatever the message
    nlohmann::json j = nlohmann::json::parse(line);  // throws on invalid JSON or UTF-8
    REQUIRE(j.size() == 4);
    REQUIRE(j["message"] == c.decoded);
    REQUIRE(j["level"] == "info");
    REQUIRE(j["logger"] == "basis");
    REQUIRE(std::regex_match(j["time"].get<std::string>(),
                             std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
  }
  REQUIRE(nlohmann::json::parse(format_json("x", spdlog::level::warn))["level"] == "warn");
  REQUIRE(nlohmann::json::parse(format_json("x", spdlog::level::err))["level"] == "error");
}

TEST_CASE("random bytes always make one parsable JSON line", "[logging]") {
  std::mt19937 random(7);
  for (int i = 0; i < 2000; ++i) {
    std::string message(random() % 64, '\0');
    for (char& c : message) c = static_cast<char>(random() % 4 == 0 ? random() % 0x20 : random() % 256);
    std::string line = format_json(message);
    INFO(i);
    REQUIRE(line.find('\n') == line.size() - 1);
    REQUIRE_NOTHROW(nlohmann::json::parse(line));
  }
}

TEST_CASE("the log file reopens at its path after a rename", "[logging]") {
  TempDir dir;
  const std::string path = dir.path("daemon.log");
  auto sink = std::make_shared<ReopenableFileSink>(path, 1u << 20, 3);
  auto log = file_logger(sink);
  log->info("one");
  log->flush();
  std::filesystem::rename(path, path + ".1");  // logrotate
  log->info("two");  // still the renamed file until the reopen
  log->flush();
  REQUIRE_FALSE(std::filesystem::exists(path));
  std::string error;
  REQUIRE(sink->reopen(&error));
  log->info("three");
  log->flush();
  REQUIRE(read_file(path + ".1") == "one\ntwo\n");
  REQUIRE(read_file(path) == "three\n");
  // A reopen with nothing renamed appends to the same file; twice in a row too.
  REQUIRE(sink->reopen(&error));
  REQUIRE(sink->reopen(&error));
  log->info("four");
  log->flush();
  REQUIRE(read_file(path) == "three\nfour\n");
}

TEST_CASE("a log file that cannot be reopened keeps the one open", "[logging]") {
  TempDir dir;
  const std::string path = dir.path("daemon.log");
  auto sink = std::make_shared<ReopenableFileSink>(path, 1u << 20, 3);
  auto log = file_logger(sink);
  log->info("before");
  std::filesystem::rename(path, path + ".1");
  std::filesystem::create_directory(path);  // the path is now a directory: fopen fails
  std::string error;
  REQUIRE_FALSE(sink->reopen(&error));
  REQUIRE(error.find("daemon.log") != std::string::npos);
  log->info("after");
  log->flush();
  REQUIRE(read_file(path + ".1") == "before\nafter\n");
}

TEST_CASE("the log file rotates at its size and keeps max_files", "[logging]") {
  TempDir dir;
  const std::string path = dir.path("daemon.log");
  auto sink = std::make_shared<ReopenableFileSink>(path, 100, 2);
  auto log = file_logger(sink);
  for (int i = 0; i < 100; ++i) log->info("line {:04}", i);  // 10 bytes a line: 10 a file
  log->flush();
  REQUIRE(read_file(path).size() == 100);
  REQUIRE(read_file(path).substr(0, 9) == "line 0090");
  REQUIRE(read_file(dir.path("daemon.1.log")).substr(0, 9) == "line 0080");
  REQUIRE(read_file(dir.path("daemon.2.log")).substr(0, 9) == "line 0070");
  REQUIRE_FALSE(std::filesystem::exists(dir.path("daemon.3.log")));
}

TEST_CASE("reopen_log_files reopens every file open_log_file opened", "[logging]") {
  TempDir dir;
  std::string error;
  REQUIRE(basis::engine::open_log_file(dir.path("no-such-dir-file") + "/", &error) == nullptr);
  REQUIRE_FALSE(error.empty());
  auto access = basis::engine::open_log_file(dir.path("access.log"), &error);
  REQUIRE(access);
  auto log = std::make_shared<spdlog::logger>("access", access);
  log->set_pattern("%v");
  log->info("before");
  std::filesystem::rename(dir.path("access.log"), dir.path("access.log.1"));
  size_t reopened = 0;
  REQUIRE(basis::engine::reopen_log_files(&reopened, &error));
  REQUIRE(reopened == 1);
  log->info("after");
  log->flush();
  REQUIRE(read_file(dir.path("access.log.1")) == "before\n");
  REQUIRE(read_file(dir.path("access.log")) == "after\n");
}
