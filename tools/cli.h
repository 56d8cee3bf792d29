// The command line of the project's binaries (basis-tree and each of its
// commands, embed_example, basis-bench, torture, crash-test): long options
// (--name VALUE or --name=VALUE), flags, positional arguments, -h/--help and
// --version. Tokens are read by CLI11; the checks CLI11 2.1 leaves loose
// (a negative or overflowing number wraps around, a value may be the next
// option) are made here, and every mistake is named on stderr as
//
//   PROGRAM: WHAT (see PROGRAM --help)
//
// with exit code 2: an unknown option, a missing value, a bad number, an
// option given twice, a missing or an extra argument.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace basis::tools {

class CommandLine {
 public:
  // `program` as typed ("basis-tree verify"); `synopsis` what follows it in
  // the usage line ("BACKUP_DIR [options]"); `about` what the command does.
  CommandLine(std::string program, std::string synopsis, std::string about);
  ~CommandLine();
  CommandLine(const CommandLine&) = delete;
  CommandLine& operator=(const CommandLine&) = delete;

  // A flag: `*out` becomes true when given. It takes no value.
  void flag(const std::string& name, bool* out, const std::string& help);
  // An option with a value: `*out` keeps its default unless given.
  void text(const std::string& name, const std::string& value_name, std::string* out, const std::string& help);
  // A decimal number from `min` to `max`.
  void number(const std::string& name, const std::string& value_name, uint64_t* out, const std::string& help,
              uint64_t min = 0, uint64_t max = UINT64_MAX);
  // A value that must be one of `choices`.
  void choice(const std::string& name, const std::vector<std::string>& choices, std::string* out,
              const std::string& help);
  // The positional arguments: from `min` to `max` of them, named
  // `value_name` in messages ("missing BACKUP_DIR").
  void arguments(const std::string& value_name, std::vector<std::string>* out, size_t min, size_t max);
  // Text the help ends with (exit codes, examples).
  void footer(const std::string& text);

  // Reads the arguments after the program (and command) name. Returns -1 to
  // go on, else the exit code to return: 0 after --help or --version
  // (printed on stdout), 2 after bad usage (named on stderr).
  int parse(int argc, const char* const* argv);
  // A mistake found after parsing, named the same way. Returns 2.
  int usage_error(const std::string& what) const;
  std::string help() const;
  const std::string& program() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "NAME VERSION", as every binary's --version prints it.
std::string version_line(const std::string& name);

}  // namespace basis::tools
