#include "tools/cli.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>

#include "basis/version.h"

namespace basis::tools {

namespace {

enum class Kind { kFlag, kText, kNumber, kChoice };

struct Spec {
  Kind kind = Kind::kFlag;
  std::string name;  // "--data-dir"
  std::string value_name;
  std::string help;
  bool* flag = nullptr;
  std::string* text = nullptr;
  uint64_t* number = nullptr;
  uint64_t min = 0, max = UINT64_MAX;
  std::vector<std::string> choices;
  // Filled by parse.
  std::string raw;
  bool inline_value = false;  // given as NAME=VALUE: VALUE is taken as it is
  CLI::Option* option = nullptr;
};

Spec make_spec(Kind kind, const std::string& name, const std::string& value_name, const std::string& help) {
  Spec s;
  s.kind = kind;
  s.name = name;
  s.value_name = value_name;
  s.help = help;
  return s;
}

std::string join(const std::vector<std::string>& words, const char* between) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) out += (i ? between : "") + words[i];
  return out;
}

bool parse_decimal(const std::string& text, uint64_t* out) {
  // Digits only: from_chars would take neither a sign nor spaces, but say so.
  if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

struct CommandLine::Impl {
  std::string program, synopsis, about, footer;
  std::vector<Spec> specs;
  std::vector<std::string>* arguments = nullptr;
  std::string arguments_name;
  size_t min_arguments = 0, max_arguments = 0;

  // The first problem with the values given, or "".
  std::string check_values() {
    for (Spec& s : specs) {
      if (!s.option || s.option->count() == 0) continue;
      if (s.option->count() > 1) return "option '" + s.name + "' given more than once";
      if (s.kind == Kind::kFlag) {
        *s.flag = true;
        continue;
      }
      // CLI11 takes the next token as the value whatever it is: a forgotten
      // value must not turn the next option into a directory name.
      // (A number's own check names "-1" better.)
      const size_t dashes = s.kind == Kind::kNumber ? 2 : 1;
      // NAME=VALUE says which token is the value: a tree named "--x" is one.
      if (s.raw.empty() || (!s.inline_value && s.raw.size() > dashes &&
                            s.raw.compare(0, dashes, std::string(dashes, '-')) == 0)) {
        std::string got = s.raw.empty() ? "" : ", not '" + s.raw + "'";
        return "option '" + s.name + "' needs a value (" + s.value_name + ")" + got;
      }
      if (s.kind == Kind::kNumber) {
        uint64_t v = 0;
        if (!parse_decimal(s.raw, &v) || v < s.min || v > s.max) {
          std::string range = s.max != UINT64_MAX ? "a decimal number from " + std::to_string(s.min) + " to " +
                                                        std::to_string(s.max)
                              : s.min > 0 ? "a decimal number of at least " + std::to_string(s.min)
                                          : "an unsigned decimal number";
          return "option '" + s.name + "' takes " + range + ", not '" + s.raw + "'";
        }
        *s.number = v;
      } else if (s.kind == Kind::kChoice) {
        if (std::find(s.choices.begin(), s.choices.end(), s.raw) == s.choices.end()) {
          return "option '" + s.name + "' takes " + join(s.choices, " or ") + ", not '" + s.raw + "'";
        }
        *s.text = s.raw;
      } else {
        *s.text = s.raw;
      }
    }
    return "";
  }

  // CLI11's own words for a token it could not take, with the option named.
  std::string mismatch(const std::string& what) {
    for (const Spec& s : specs) {
      if (what.rfind(s.name + ":", 0) == 0 && what.find("missing") != std::string::npos) {
        return "option '" + s.name + "' needs a value (" + s.value_name + ")";
      }
      if (what.rfind(s.name.substr(2) + " was given a disallowed flag override", 0) == 0) {
        return "option '" + s.name + "' takes no value";
      }
    }
    if (what.rfind("help was given", 0) == 0) return "option '--help' takes no value";
    if (what.rfind("version was given", 0) == 0) return "option '--version' takes no value";
    return what;
  }
};

CommandLine::CommandLine(std::string program, std::string synopsis, std::string about) : impl_(new Impl) {
  impl_->program = std::move(program);
  impl_->synopsis = std::move(synopsis);
  impl_->about = std::move(about);
}

CommandLine::~CommandLine() = default;

void CommandLine::flag(const std::string& name, bool* out, const std::string& help) {
  Spec s = make_spec(Kind::kFlag, name, "", help);
  s.flag = out;
  impl_->specs.push_back(std::move(s));
}

void CommandLine::text(const std::string& name, const std::string& value_name, std::string* out,
                       const std::string& help) {
  Spec s = make_spec(Kind::kText, name, value_name, help);
  s.text = out;
  impl_->specs.push_back(std::move(s));
}

void CommandLine::number(const std::string& name, const std::string& value_name, uint64_t* out,
                         const std::string& help, uint64_t min, uint64_t max) {
  Spec s = make_spec(Kind::kNumber, name, value_name, help);
  s.number = out;
  s.min = min;
  s.max = max;
  impl_->specs.push_back(std::move(s));
}

void CommandLine::choice(const std::string& name, const std::vector<std::string>& choices, std::string* out,
                         const std::string& help) {
  Spec s = make_spec(Kind::kChoice, name, join(choices, "|"), help);
  s.text = out;
  s.choices = choices;
  impl_->specs.push_back(std::move(s));
}

void CommandLine::arguments(const std::string& value_name, std::vector<std::string>* out, size_t min, size_t max) {
  impl_->arguments = out;
  impl_->arguments_name = value_name;
  impl_->min_arguments = min;
  impl_->max_arguments = max;
}

void CommandLine::footer(const std::string& text) { impl_->footer = text; }

const std::string& CommandLine::program() const { return impl_->program; }

int CommandLine::usage_error(const std::string& what) const {
  std::fprintf(stderr, "%s: %s (see %s --help)\n", impl_->program.c_str(), what.c_str(), impl_->program.c_str());
  return 2;
}

std::string CommandLine::help() const {
  std::vector<std::pair<std::string, std::string>> rows;
  for (const Spec& s : impl_->specs) rows.emplace_back(s.name + (s.value_name.empty() ? "" : " " + s.value_name), s.help);
  rows.emplace_back("-h, --help", "print this help");
  rows.emplace_back("--version", "print the version");
  size_t width = 0;
  for (const auto& row : rows) width = std::max(width, row.first.size());
  std::string out = "usage: " + impl_->program + (impl_->synopsis.empty() ? "" : " " + impl_->synopsis) + "\n";
  out += impl_->about + "\n\noptions:\n";
  for (const auto& [left, right] : rows) {
    std::string indented = right;
    for (size_t at = indented.find('\n'); at != std::string::npos; at = indented.find('\n', at + 1)) {
      indented.insert(at + 1, std::string(width + 4, ' '));
    }
    out += "  " + left + std::string(width - left.size() + 2, ' ') + indented + "\n";
  }
  if (!impl_->footer.empty()) out += impl_->footer + (impl_->footer.back() == '\n' ? "" : "\n");
  return out;
}

int CommandLine::parse(int argc, const char* const* argv) {
  CLI::App app(impl_->about, impl_->program);
  app.set_help_flag();  // ours, below: CLI11's would print its own format
  app.allow_extras(true);  // named here, with the project's wording
  bool wants_help = false, version = false;
  CLI::Option* help_option = app.add_flag("-h,--help", wants_help)->disable_flag_override();
  CLI::Option* version_option = app.add_flag("--version", version)->disable_flag_override();
  help_option->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  version_option->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  for (Spec& s : impl_->specs) {
    s.raw.clear();
    s.inline_value = false;
    if (s.kind == Kind::kFlag) {
      s.option = app.add_flag(s.name)->disable_flag_override();
    } else {
      s.option = app.add_option(s.name, s.raw)->type_name(s.value_name);
    }
    // Repeats are counted and refused in check_values, by name.
    s.option->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  }
  std::vector<std::string> positional;
  app.add_option("arguments", positional);
  std::vector<std::string> tokens(argv, argv + argc);
  // CLI11 reads "--json=true" as --json; a flag takes no value at all.
  for (const std::string& t : tokens) {
    if (t == "--") break;
    // No short option clusters: CLI11 would read "-hx" as -h and -x.
    if (t.size() > 2 && t[0] == '-' && std::isalpha(static_cast<unsigned char>(t[1]))) {
      return usage_error("unknown option '" + t + "'");
    }
    for (Spec& s : impl_->specs) {
      if (t.rfind(s.name + "=", 0) != 0) continue;
      if (s.kind == Kind::kFlag) return usage_error("option '" + s.name + "' takes no value");
      s.inline_value = true;  // (the last one given wins, as in CLI11; repeats are refused anyway)
    }
  }
  std::reverse(tokens.begin(), tokens.end());  // CLI11 takes them last first
  try {
    app.parse(tokens);
  } catch (const CLI::ArgumentMismatch& e) {
    return usage_error(impl_->mismatch(e.what()));
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what());
  }
  if (wants_help) {
    std::fputs(help().c_str(), stdout);
    return 0;
  }
  if (version) {
    std::printf("%s\n", version_line(impl_->program.substr(0, impl_->program.find(' '))).c_str());
    return 0;
  }
  for (const std::string& extra : app.remaining()) {
    if (extra == "--") continue;  // the end of options: CLI11 hands it back
    if (extra.size() > 1 && extra[0] == '-') {
      return usage_error("unknown option '" + extra.substr(0, extra.find('=')) + "'");
    }
    return usage_error("unexpected argument '" + extra + "'");
  }
  if (std::string problem = impl_->check_values(); !problem.empty()) return usage_error(problem);
  if (positional.size() > impl_->max_arguments) {
    return usage_error("unexpected argument '" + positional[impl_->max_arguments] + "'");
  }
  if (positional.size() < impl_->min_arguments) return usage_error("missing " + impl_->arguments_name);
  if (impl_->arguments) *impl_->arguments = std::move(positional);
  return -1;
}

std::string version_line(const std::string& name) { return name + " " + BASIS_VERSION_STRING; }

}  // namespace basis::tools
