#include "basis/config.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <sstream>
#include <toml++/toml.h>

namespace basis::config {

namespace {

using std::chrono::milliseconds;

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string_view::npos ? std::string() : std::string(s.substr(b, e - b + 1));
}

// "512MB" -> (512, "MB"); the unit is lowercased.
bool split_number(std::string_view text, uint64_t* number, std::string* unit) {
  std::string t = trim(text);
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), *number);
  if (ec != std::errc() || end == t.data()) return false;
  *unit = trim(std::string_view(end, t.data() + t.size() - end));
  for (char& c : *unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return true;
}

const std::map<std::string, uint64_t>& size_units() {
  static const std::map<std::string, uint64_t> units = {
      {"", 1}, {"b", 1}, {"kb", 1ull << 10}, {"kib", 1ull << 10}, {"k", 1ull << 10},
      {"mb", 1ull << 20}, {"mib", 1ull << 20}, {"m", 1ull << 20}, {"gb", 1ull << 30},
      {"gib", 1ull << 30}, {"g", 1ull << 30}, {"tb", 1ull << 40}, {"tib", 1ull << 40}, {"t", 1ull << 40}};
  return units;
}

const std::map<std::string, uint64_t>& duration_units() {
  static const std::map<std::string, uint64_t> units = {
      {"ms", 1}, {"millisecond", 1}, {"milliseconds", 1},
      {"s", 1000}, {"sec", 1000}, {"second", 1000}, {"seconds", 1000},
      {"min", 60'000}, {"minute", 60'000}, {"minutes", 60'000},
      {"h", 3'600'000}, {"hour", 3'600'000}, {"hours", 3'600'000},
      {"d", 86'400'000}, {"day", 86'400'000}, {"days", 86'400'000}};
  return units;
}

std::string format_size(uint64_t bytes) {
  const char* names[] = {"TB", "GB", "MB", "KB"};
  const uint64_t factors[] = {1ull << 40, 1ull << 30, 1ull << 20, 1ull << 10};
  for (int i = 0; i < 4; ++i) {
    if (bytes != 0 && bytes % factors[i] == 0) return std::to_string(bytes / factors[i]) + names[i];
  }
  return std::to_string(bytes) + "B";
}

std::string format_duration(milliseconds d) {
  uint64_t ms = static_cast<uint64_t>(d.count());
  const char* names[] = {"days", "hours", "minutes", "seconds"};
  const uint64_t factors[] = {86'400'000, 3'600'000, 60'000, 1000};
  for (int i = 0; i < 4; ++i) {
    if (ms != 0 && ms % factors[i] == 0) return std::to_string(ms / factors[i]) + " " + names[i];
  }
  return std::to_string(ms) + " ms";
}

const char* validation_name(RecoveryValidation v) {
  switch (v) {
    case RecoveryValidation::kFull: return "full";
    case RecoveryValidation::kBackground: return "background";
    case RecoveryValidation::kDigests: return "digests";
  }
  return "?";
}

// Reads one file's tables into a Config, stopping at the first error.
class Loader {
 public:
  Loader(std::string source, Config* out) : source_(std::move(source)), out_(out) {}

  Status load(const toml::table& root) {
    using Handler = std::function<bool(const toml::node&)>;
    auto& t = out_->tree;
    auto& st = out_->storage;
    auto& p = out_->persistence;
    const std::map<std::string, std::map<std::string, Handler>> sections = {
        {"tree", {
            {"key_length", [&](const toml::node& n) { return integer(n, 1, 255, &t.key_length); }},
            {"value_length", [&](const toml::node& n) { return value_length(n, &t.value_length); }},
        }},
        {"storage", {
            {"data_dir", [&](const toml::node& n) { return string(n, &st.data_dir); }},
            {"max_disk_size", [&](const toml::node& n) { return size(n, &st.max_disk_size); }},
            {"min_free_space", [&](const toml::node& n) { return size(n, &st.min_free_space); }},
            {"sync", [&](const toml::node& n) {
               return choice(n, {{"always", SyncPolicy::kAlways}, {"never", SyncPolicy::kNever}}, &st.sync);
             }},
        }},
        {"persistence", {
            {"node_cache_size", [&](const toml::node& n) { return size(n, &p.node_cache_size); }},
            {"node_compression", [&](const toml::node& n) { return boolean(n, &p.node_compression); }},
            {"node_ingest_min_size", [&](const toml::node& n) { return size(n, &p.node_ingest_min_size); }},
            {"operation_log_retention", [&](const toml::node& n) { return duration(n, &p.operation_log_retention); }},
            {"operation_log_archive", [&](const toml::node& n) { return boolean(n, &p.operation_log_archive); }},
            {"archive_dir", [&](const toml::node& n) { return string(n, &p.archive_dir); }},
            {"operation_batch_size", [&](const toml::node& n) { return integer(n, 1, 1'000'000, &p.operation_batch_size); }},
            {"max_inflight_batches", [&](const toml::node& n) { return integer(n, 1, 100'000, &p.max_inflight_batches); }},
            {"checkpoint_interval", [&](const toml::node& n) { return interval(n, &p.checkpoint_interval); }},
            {"checkpoint_retention", [&](const toml::node& n) { return integer(n, 1, 1'000'000, &p.checkpoint_retention); }},
            {"node_gc_every", [&](const toml::node& n) { return integer(n, 0, 1'000'000, &p.node_gc_every); }},
            {"checkpoint_lag_limit", [&](const toml::node& n) { return integer(n, 0, int64_t{1} << 40, &p.checkpoint_lag_limit); }},
            {"checkpoint_compression", [&](const toml::node& n) { return boolean(n, &p.checkpoint_compression); }},
            {"recovery_parallelism", [&](const toml::node& n) { return integer(n, 1, 256, &p.recovery_parallelism); }},
            {"recovery_validation", [&](const toml::node& n) {
               return choice(n, {{"full", RecoveryValidation::kFull},
                                 {"background", RecoveryValidation::kBackground},
                                 {"digests", RecoveryValidation::kDigests}},
                             &p.recovery_validation);
             }},
            {"accept_rebuilt_digest", [&](const toml::node& n) { return string(n, &p.accept_rebuilt_digest); }},
            {"health_check_interval", [&](const toml::node& n) { return duration(n, &p.health_check_interval); }},
            {"health_check_samples", [&](const toml::node& n) { return integer(n, 1, 1'000'000, &p.health_check_samples); }},
            {"max_answer_bytes", [&](const toml::node& n) { return size(n, &p.max_answer_bytes); }},
        }},
        {"server", {
            {"listen", [&](const toml::node& n) { return string(n, &out_->server.listen); }},
            {"token", [&](const toml::node& n) { return string(n, &out_->server.token); }},
            {"token_file", [&](const toml::node& n) { return string(n, &out_->server.token_file); }},
            {"tls_certificate", [&](const toml::node& n) { return string(n, &out_->server.tls_certificate); }},
            {"tls_key", [&](const toml::node& n) { return string(n, &out_->server.tls_key); }},
            {"max_body_size", [&](const toml::node& n) { return size(n, &out_->server.max_body_size); }},
            {"max_connections", [&](const toml::node& n) { return integer(n, 1, 100'000, &out_->server.max_connections); }},
            {"header_timeout", [&](const toml::node& n) { return duration(n, &out_->server.header_timeout); }},
            {"body_timeout", [&](const toml::node& n) { return duration(n, &out_->server.body_timeout); }},
            {"idle_timeout", [&](const toml::node& n) { return duration(n, &out_->server.idle_timeout); }},
            {"write_timeout", [&](const toml::node& n) { return duration(n, &out_->server.write_timeout); }},
        }},
        {"logging", {
            {"level", [&](const toml::node& n) { return string(n, &out_->logging.level); }},
            {"file", [&](const toml::node& n) { return string(n, &out_->logging.file); }},
            {"format", [&](const toml::node& n) {
               return choice(n, {{"text", LogFormat::kText}, {"json", LogFormat::kJson}}, &out_->logging.format);
             }},
            {"flush_interval", [&](const toml::node& n) { return duration(n, &out_->logging.flush_interval); }},
        }},
    };
    for (auto&& [name, node] : root) {
      key_ = std::string(name.str());
      line_ = name.source().begin.line;
      if (key_ == "trees") {
        if (!load_trees(node)) return error_;
        continue;
      }
      auto section = sections.find(key_);
      if (section == sections.end()) return fail("unknown section");
      const toml::table* table = node.as_table();
      if (!table) return fail("must be a table ([" + key_ + "])");
      for (auto&& [k, v] : *table) {
        key_ = section->first + "." + std::string(k.str());
        line_ = k.source().begin.line;
        auto handler = section->second.find(std::string(k.str()));
        if (handler == section->second.end()) return fail("unknown key");
        if (!handler->second(v)) return error_;
      }
    }
    return Status::ok();
  }

 private:
  // [[trees]]: an array of tables, each with name, key_length, value_length.
  bool load_trees(const toml::node& node) {
    const toml::array* list = node.as_array();
    if (!list) return wrong("must be an array of tables ([[trees]])");
    for (size_t i = 0; i < list->size(); ++i) {
      const toml::table* table = (*list)[i].as_table();
      key_ = "trees[" + std::to_string(i) + "]";
      if (!table) return wrong("must be a table ([[trees]])");
      Config::Tree t;
      t.name.clear();
      for (auto&& [k, v] : *table) {
        key_ = "trees[" + std::to_string(i) + "]." + std::string(k.str());
        line_ = k.source().begin.line;
        bool ok = true;
        if (k.str() == "name") {
          ok = string(v, &t.name);
          if (ok) {
            if (Status s = check_tree_name(t.name); !s.is_ok()) return wrong(s.message());
          }
        } else if (k.str() == "key_length") {
          ok = integer(v, 1, 255, &t.key_length);
        } else if (k.str() == "value_length") {
          ok = value_length(v, &t.value_length);
          if (ok && t.value_length && *t.value_length > (uint32_t{1} << 20)) {
            return wrong("at most 1048576 bytes (a named tree's sentinels hold a value each), or \"variable\"");
          }
        } else {
          return wrong("unknown key");
        }
        if (!ok) return false;
      }
      key_ = "trees[" + std::to_string(i) + "]";
      if (t.name.empty()) return wrong("needs a name");
      for (const Config::Tree& other : out_->trees) {
        if (other.name == t.name) return wrong("names the tree '" + t.name + "' a second time");
      }
      out_->trees.push_back(std::move(t));
    }
    return true;
  }

  Status fail(const std::string& what) {
    error_ = Status::error(source_ + ":" + std::to_string(line_) + ": " + key_ + ": " + what);
    return error_;
  }
  bool wrong(const std::string& what) {
    fail(what);
    return false;
  }

  template <class T>
  bool integer(const toml::node& n, int64_t min, int64_t max, T* out) {
    auto v = n.value_exact<int64_t>();
    if (!v) return wrong("expected an integer");
    if (*v < min || *v > max) {
      return wrong(std::to_string(*v) + " is out of range " + std::to_string(min) + ".." + std::to_string(max));
    }
    *out = static_cast<T>(*v);
    return true;
  }
  bool boolean(const toml::node& n, bool* out) {
    auto v = n.value_exact<bool>();
    if (!v) return wrong("expected true or false");
    *out = *v;
    return true;
  }
  bool string(const toml::node& n, std::string* out) {
    auto v = n.value_exact<std::string>();
    if (!v) return wrong("expected a string");
    *out = *v;
    return true;
  }
  template <class E>
  bool choice(const toml::node& n, const std::map<std::string, E>& options, E* out) {
    std::string s;
    if (!string(n, &s)) return false;
    auto it = options.find(s);
    if (it == options.end()) {
      std::string names;
      for (const auto& [name, value] : options) names += (names.empty() ? "" : ", ") + name;
      return wrong("'" + s + "' is not one of: " + names);
    }
    *out = it->second;
    return true;
  }
  bool value_length(const toml::node& n, std::optional<uint32_t>* out) {
    if (auto s = n.value_exact<std::string>(); s && *s == "variable") {
      out->reset();
      return true;
    }
    uint32_t v = 0;
    if (!n.value_exact<int64_t>()) return wrong("expected a number of bytes or \"variable\"");
    if (!integer(n, 0, 0x7fffffff, &v)) return false;
    *out = v;
    return true;
  }
  bool size(const toml::node& n, uint64_t* out) {
    if (auto i = n.value_exact<int64_t>()) {
      if (*i < 0) return wrong("a size cannot be negative");
      *out = static_cast<uint64_t>(*i);
      return true;
    }
    auto s = n.value_exact<std::string>();
    if (!s) return wrong("expected a size such as \"512MB\"");
    auto v = parse_size(*s);
    if (!v) return wrong("bad size '" + *s + "' (use B, KB, MB, GB or TB)");
    *out = *v;
    return true;
  }
  bool duration(const toml::node& n, milliseconds* out) {
    auto s = n.value_exact<std::string>();
    if (!s) return wrong("expected a duration such as \"30 days\"");
    auto v = parse_duration(*s);
    if (!v) return wrong("bad duration '" + *s + "' (use ms, seconds, minutes, hours or days)");
    *out = *v;
    return true;
  }
  bool interval(const toml::node& n, CheckpointInterval* out) {
    auto s = n.value_exact<std::string>();
    if (!s) return wrong("expected \"N operations\" or a duration");
    uint64_t number;
    std::string unit;
    if (split_number(*s, &number, &unit) && (unit == "operations" || unit == "operation" || unit == "ops")) {
      *out = CheckpointInterval{number, milliseconds(0)};
      return true;
    }
    auto d = parse_duration(*s);
    if (!d) return wrong("bad interval '" + *s + "' (use \"N operations\" or a duration)");
    *out = CheckpointInterval{0, *d};
    return true;
  }

  std::string source_;
  Config* out_;
  std::string key_;
  uint32_t line_ = 0;
  Status error_;
};

Status load_table(const toml::table& table, const std::string& source, Config* out) {
  Config cfg;
  Loader loader(source, &cfg);
  if (Status s = loader.load(table); !s.is_ok()) return s;
  if (Status s = cfg.validate(); !s.is_ok()) return Status::error(source + ": " + s.message());
  *out = cfg;
  return Status::ok();
}

Status parse_error(const toml::parse_error& e, const std::string& source) {
  return Status::error(source + ":" + std::to_string(e.source().begin.line) + ": " +
                       std::string(e.description()));
}

}  // namespace

std::optional<uint64_t> parse_size(std::string_view text) {
  uint64_t n;
  std::string unit;
  if (!split_number(text, &n, &unit)) return std::nullopt;
  auto it = size_units().find(unit);
  if (it == size_units().end()) return std::nullopt;
  uint64_t r;
  if (__builtin_mul_overflow(n, it->second, &r)) return std::nullopt;
  return r;
}

std::optional<milliseconds> parse_duration(std::string_view text) {
  uint64_t n;
  std::string unit;
  if (!split_number(text, &n, &unit) || unit.empty()) return std::nullopt;
  auto it = duration_units().find(unit);
  if (it == duration_units().end()) return std::nullopt;
  uint64_t r;
  if (__builtin_mul_overflow(n, it->second, &r) || r > uint64_t{INT64_MAX}) return std::nullopt;
  return milliseconds(static_cast<int64_t>(r));
}

Status load_file(const std::string& path, Config* out) {
  try {
    toml::table t = toml::parse_file(path);
    return load_table(t, path, out);
  } catch (const toml::parse_error& e) {
    return parse_error(e, path);
  }
}

Status load_string(std::string_view text, std::string_view source_name, Config* out) {
  std::string source(source_name);
  try {
    toml::table t = toml::parse(text, std::string_view(source));
    return load_table(t, source, out);
  } catch (const toml::parse_error& e) {
    return parse_error(e, source);
  }
}

Status check_tree_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return Status::error("a tree name has 1..64 characters");
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
      return Status::error("a tree name has only a-z, 0-9, '_' and '-'");
    }
  }
  if (name == "default") return Status::error("'default' names the default tree ([tree])");
  return Status::ok();
}

Status Config::validate() const {
  if (tree.key_length < 1 || tree.key_length > 255) return Status::error("tree.key_length must be 1..255");
  for (size_t i = 0; i < trees.size(); ++i) {
    const std::string where = "trees[" + std::to_string(i) + "]";
    if (Status s = check_tree_name(trees[i].name); !s.is_ok()) return Status::error(where + ": " + s.message());
    if (trees[i].key_length < 1 || trees[i].key_length > 255) return Status::error(where + ".key_length must be 1..255");
    if (trees[i].value_length && *trees[i].value_length > (uint32_t{1} << 20)) {
      // basis::kMaxFixedValueLength (trees.h): the sentinels hold a value each.
      return Status::error(where + ".value_length must be at most 1048576 (or \"variable\")");
    }
    for (size_t j = 0; j < i; ++j) {
      if (trees[j].name == trees[i].name) return Status::error(where + " names '" + trees[i].name + "' a second time");
    }
  }
  if (storage.data_dir.empty()) return Status::error("storage.data_dir must not be empty");
  if (persistence.node_cache_size < (uint64_t{1} << 20)) {
    return Status::error("persistence.node_cache_size must be at least 1MB");
  }
  const auto& ci = persistence.checkpoint_interval;
  if (ci.every.count() == 0 && ci.operations == 0) {
    return Status::error("persistence.checkpoint_interval must be at least 1 operation");
  }
  if (ci.every.count() != 0 && ci.every < std::chrono::seconds(1)) {
    return Status::error("persistence.checkpoint_interval must be at least 1 second");
  }
  if (persistence.operation_batch_size == 0) return Status::error("persistence.operation_batch_size must be at least 1");
  if (persistence.max_inflight_batches == 0) return Status::error("persistence.max_inflight_batches must be at least 1");
  if (persistence.checkpoint_retention == 0) return Status::error("persistence.checkpoint_retention must be at least 1");
  if (persistence.recovery_parallelism == 0) return Status::error("persistence.recovery_parallelism must be at least 1");
  const std::string& accept = persistence.accept_rebuilt_digest;
  if (!accept.empty() && (accept.size() != 66 || accept.find_first_not_of("0123456789abcdef") != std::string::npos)) {
    return Status::error("persistence.accept_rebuilt_digest must be a digest: 66 lowercase hex digits");
  }
  if (persistence.health_check_samples == 0) return Status::error("persistence.health_check_samples must be at least 1");
  static const char* kLevels[] = {"trace", "debug", "info", "warn", "error", "off"};
  if (std::find(std::begin(kLevels), std::end(kLevels), logging.level) == std::end(kLevels)) {
    return Status::error("logging.level '" + logging.level + "' is not one of trace, debug, info, warn, error, off");
  }
  if (logging.flush_interval > std::chrono::minutes(1)) {
    return Status::error("logging.flush_interval must be at most 1 minute");
  }
  if (!server.token.empty() && !server.token_file.empty()) {
    return Status::error("server.token and server.token_file are both set: choose one");
  }
  if (server.tls_certificate.empty() != server.tls_key.empty()) {
    return Status::error("server.tls_certificate and server.tls_key go together");
  }
  if (server.max_body_size < 1024) return Status::error("server.max_body_size must be at least 1KB");
  if (persistence.max_answer_bytes < 1024) return Status::error("persistence.max_answer_bytes must be at least 1KB");
  for (auto [name, value] : {std::pair{"header_timeout", server.header_timeout}, {"body_timeout", server.body_timeout},
                             {"idle_timeout", server.idle_timeout}, {"write_timeout", server.write_timeout}}) {
    if (value < std::chrono::milliseconds(100)) {
      return Status::error(std::string("server.") + name + " must be at least 100 ms");
    }
  }
  size_t colon = server.listen.rfind(':');
  unsigned port = 0;
  if (colon == std::string::npos || colon == 0 ||
      std::from_chars(server.listen.data() + colon + 1, server.listen.data() + server.listen.size(), port).ec != std::errc() ||
      port > 65535) {
    return Status::error("server.listen '" + server.listen + "' is not HOST:PORT");
  }
  return Status::ok();
}

Status Config::check_directories() const {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path dir(storage.data_dir);
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) return Status::error("storage.data_dir " + storage.data_dir + " is not a directory");
    if (::access(dir.c_str(), W_OK) != 0) return Status::error("storage.data_dir " + storage.data_dir + " is not writable");
    return Status::ok();
  }
  fs::path parent = fs::absolute(dir, ec).parent_path();
  while (!parent.empty() && !fs::exists(parent, ec)) parent = parent.parent_path();
  if (parent.empty() || ::access(parent.c_str(), W_OK) != 0) {
    return Status::error("storage.data_dir " + storage.data_dir + " cannot be created");
  }
  return Status::ok();
}

std::string Config::to_toml() const {
  std::ostringstream o;
  auto quoted = [](const std::string& s) {  // a TOML basic string
    std::string q = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') {
        q += '\\';
        q += c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        q += buf;
      } else {
        q += c;
      }
    }
    return q + "\"";
  };
  o << "[tree]\n"
    << "key_length = " << tree.key_length << "\n"
    << "value_length = " << (tree.value_length ? std::to_string(*tree.value_length) : "\"variable\"") << "\n\n"
    << "[storage]\n"
    << "data_dir = " << quoted(storage.data_dir) << "\n"
    << "sync = \"" << (storage.sync == SyncPolicy::kAlways ? "always" : "never") << "\"\n"
    << "max_disk_size = \"" << format_size(storage.max_disk_size) << "\"\n"
    << "min_free_space = \"" << format_size(storage.min_free_space) << "\"\n\n"
    << "[persistence]\n"
    << "node_cache_size = \"" << format_size(persistence.node_cache_size) << "\"\n"
    << "node_compression = " << (persistence.node_compression ? "true" : "false") << "\n"
    << "node_ingest_min_size = " << persistence.node_ingest_min_size << "\n"
    << "operation_log_retention = \"" << format_duration(persistence.operation_log_retention) << "\"\n"
    << "operation_log_archive = " << (persistence.operation_log_archive ? "true" : "false") << "\n"
    << "archive_dir = " << quoted(persistence.archive_dir) << "\n"
    << "operation_batch_size = " << persistence.operation_batch_size << "\n"
    << "max_inflight_batches = " << persistence.max_inflight_batches << "\n"
    << "checkpoint_interval = \""
    << (persistence.checkpoint_interval.every.count() == 0
            ? std::to_string(persistence.checkpoint_interval.operations) + " operations"
            : format_duration(persistence.checkpoint_interval.every))
    << "\"\n"
    << "checkpoint_retention = " << persistence.checkpoint_retention << "\n"
    << "node_gc_every = " << persistence.node_gc_every << "\n"
    << "checkpoint_lag_limit = " << persistence.checkpoint_lag_limit << "\n"
    << "checkpoint_compression = " << (persistence.checkpoint_compression ? "true" : "false") << "\n"
    << "recovery_parallelism = " << persistence.recovery_parallelism << "\n"
    << "recovery_validation = \"" << validation_name(persistence.recovery_validation) << "\"\n"
    << "accept_rebuilt_digest = " << quoted(persistence.accept_rebuilt_digest) << "\n"
    << "health_check_interval = \"" << format_duration(persistence.health_check_interval) << "\"\n"
    << "health_check_samples = " << persistence.health_check_samples << "\n"
    << "max_answer_bytes = \"" << format_size(persistence.max_answer_bytes) << "\"\n\n"
    << "[server]\n"
    << "listen = " << quoted(server.listen) << "\n"
    << "token = " << quoted(server.token) << "\n"
    << "token_file = " << quoted(server.token_file) << "\n"
    << "tls_certificate = " << quoted(server.tls_certificate) << "\n"
    << "tls_key = " << quoted(server.tls_key) << "\n"
    << "max_body_size = \"" << format_size(server.max_body_size) << "\"\n"
    << "max_connections = " << server.max_connections << "\n"
    << "header_timeout = \"" << format_duration(server.header_timeout) << "\"\n"
    << "body_timeout = \"" << format_duration(server.body_timeout) << "\"\n"
    << "idle_timeout = \"" << format_duration(server.idle_timeout) << "\"\n"
    << "write_timeout = \"" << format_duration(server.write_timeout) << "\"\n\n"
    << "[logging]\n"
    << "level = " << quoted(logging.level) << "\n"
    << "file = " << quoted(logging.file) << "\n"
    << "format = \"" << (logging.format == LogFormat::kJson ? "json" : "text") << "\"\n"
    << "flush_interval = \"" << format_duration(logging.flush_interval) << "\"\n";
  for (const Tree& t : trees) {
    o << "\n[[trees]]\n"
      << "name = " << quoted(t.name) << "\n"
      << "key_length = " << t.key_length << "\n"
      << "value_length = " << (t.value_length ? std::to_string(*t.value_length) : "\"variable\"") << "\n";
  }
  return o.str();
}

std::string Config::archive_path() const {
  if (!persistence.operation_log_archive) return "";
  if (!persistence.archive_dir.empty()) return persistence.archive_dir;
  return (std::filesystem::path(storage.data_dir) / "archive").string();
}

}  // namespace basis::config
