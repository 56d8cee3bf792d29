// The typed configuration: loaded from TOML, validated, with units. Every key
// has a default; an unknown key, a wrong type or a bad value is an error that
// names the file, the line and the key. Stands alone: no other module needed.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace basis::config {

// The outcome of loading or validating: OK, or a message naming what is wrong.
class Status {
 public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status error(std::string message) { return Status(std::move(message)); }
  bool is_ok() const { return !failed_; }
  const std::string& message() const { return message_; }

 private:
  explicit Status(std::string message) : failed_(true), message_(std::move(message)) {}
  bool failed_ = false;
  std::string message_;
};

enum class SyncPolicy { kAlways, kNever };             // "always" | "never"
enum class LogFormat { kText, kJson };                 // "text" | "json"
// What recovery checks beyond the log's digests: every node of the recovered
// checkpoint before serving ("full"), the same while already serving
// ("background"), or nothing more ("digests"; nodes are still checked
// against their labels as they load).
enum class RecoveryValidation { kFull, kBackground, kDigests };

// Seal a checkpoint every this many operations, or every this long.
struct CheckpointInterval {
  // Used when `every` is zero. Replay after a crash covers at most this many
  // operations, so it bounds the time to reopen.
  uint64_t operations = 10'000;
  std::chrono::milliseconds every{0};
  bool operator==(const CheckpointInterval&) const = default;
};

struct Config {
  // The parameters of a tree: [tree] for the default tree, one [[trees]]
  // entry for each named tree.
  struct Tree {
    uint32_t key_length = 32;              // 1..255
    std::optional<uint32_t> value_length;  // unset = any length
    // Named trees only: its name ([a-z0-9_-], 1..64 characters, not
    // "default"). Which tree of the store a runtime serves is `id` (0: the
    // default tree), set by the store from its catalog, never from TOML.
    std::string name = "default";
    uint32_t id = 0;
    bool operator==(const Tree&) const = default;
  } tree;
  // The named trees declared in the file ([[trees]]): created at start when
  // the store does not hold them yet. Trees created through the API need no
  // entry; a tree the store holds keeps its stored parameters, and an entry
  // that names it with others is an error at start.
  std::vector<Tree> trees;
  struct Storage {
    std::string data_dir = "data";
    SyncPolicy sync = SyncPolicy::kAlways;  // whether acknowledged batches are fsynced
    // Batches are refused while the store takes this many bytes or more (0:
    // no limit); reads go on, and writing resumes once it takes fewer.
    uint64_t max_disk_size = 0;
    // Batches are refused while the file system holding the store has fewer
    // bytes free (0: no reserve): RocksDB must never meet a full disk, which
    // it does not survive without a restart. Below half of it every write is
    // refused; it is also RocksDB's compaction buffer (SstFileManager).
    uint64_t min_free_space = uint64_t{64} << 20;
    bool operator==(const Storage&) const = default;
  } storage;
  struct Persistence {
    uint64_t node_cache_size = uint64_t{1} << 30;  // bytes
    bool node_compression = false;
    // Nodes written at once (a seal's, or 32 MB of a large one) below this
    // go through a synced write batch; at or above it, into a table file
    // ingested into the nodes family. 0: always a table file.
    uint64_t node_ingest_min_size = uint64_t{1} << 20;  // bytes
    std::chrono::milliseconds operation_log_retention = std::chrono::hours(24 * 30);
    // Records older than operation_log_retention (and than every retained
    // checkpoint) leave the live log; with this on they are archived first,
    // to archive_dir ("" = <data_dir>/archive).
    bool operation_log_archive = true;
    std::string archive_dir;
    uint32_t operation_batch_size = 1000;  // the most operations one batch may hold
    uint32_t max_inflight_batches = 64;    // applied but not yet durable, at most
    CheckpointInterval checkpoint_interval;
    uint32_t checkpoint_retention = 10;    // checkpoints kept
    // After every this many checkpoints, nodes no retained checkpoint reaches
    // are removed; 0 turns it off.
    uint32_t node_gc_every = 10;
    // With an operation-count interval: once the log runs this many operations
    // past a checkpoint still being sealed, batches wait for it, so a crash
    // under a load the checkpoints cannot keep up with replays at most about
    // this many. 0: no limit.
    uint64_t checkpoint_lag_limit = 100'000;
    bool checkpoint_compression = false;
    uint32_t recovery_parallelism = 2;     // threads verifying a checkpoint
    RecoveryValidation recovery_validation = RecoveryValidation::kBackground;
    // A tree rebuilt from the notes whose digest differs from the log's last
    // digest is served only when this names that digest (hex): the operator's
    // confirmation, since the old digest may be committed on chain.
    std::string accept_rebuilt_digest;
    // Every this long, sampled proofs are checked against the digest and
    // sampled leaves against the notes; zero turns it off.
    std::chrono::milliseconds health_check_interval = std::chrono::minutes(5);
    uint32_t health_check_samples = 64;  // keys per health check
    // The most bytes one batch's answer may hold (the proof plus the values
    // its results return); a batch that could exceed it is refused before it
    // is applied, with LimitExceeded.
    uint64_t max_answer_bytes = uint64_t{64} << 20;
    bool operator==(const Persistence&) const = default;
  } persistence;
  struct Server {
    std::string listen = "127.0.0.1:8686";  // loopback only unless configured
    // When set (inline, or the first line of token_file), every request but
    // the health check needs "Authorization: Bearer <token>".
    std::string token;
    std::string token_file;
    // HTTPS when both are set (PEM files).
    std::string tls_certificate;
    std::string tls_key;
    uint64_t max_body_size = uint64_t{16} << 20;  // bytes; larger requests get 413
    // Open connections at most; one more is answered 503 and closed.
    uint32_t max_connections = 256;
    // A request's line and headers must arrive within header_timeout of its
    // first byte, its body within body_timeout after them; an idle kept-alive
    // connection is closed after idle_timeout, a client that does not read
    // its answer after write_timeout. Each connection has its own thread, so
    // a slow client holds only its own.
    std::chrono::milliseconds header_timeout{10'000};
    std::chrono::milliseconds body_timeout{60'000};
    std::chrono::milliseconds idle_timeout{30'000};
    std::chrono::milliseconds write_timeout{30'000};
    bool operator==(const Server&) const = default;
  } server;
  struct Logging {
    std::string level = "info";  // trace, debug, info, warn, error, off
    std::string file;            // empty = standard error
    // "json": one JSON object a line (time, level, logger, message), on
    // standard error and in the file.
    LogFormat format = LogFormat::kText;
    // Lines reach the file (and standard error) within this long of being
    // logged; warnings and errors at once. Zero: every line at once.
    std::chrono::milliseconds flush_interval{1000};
    bool operator==(const Logging&) const = default;
  } logging;

  bool operator==(const Config&) const = default;

  // Checks ranges and relations between values (not the file system).
  Status validate() const;
  // Checks that data_dir is (or can be created as) a writable directory.
  Status check_directories() const;
  // Where archives go: archive_dir, or <data_dir>/archive; "" when archiving is off.
  std::string archive_path() const;
  // The whole configuration as TOML that load_string() reads back equal.
  std::string to_toml() const;
};

// Reads `path`; keys that are absent keep their defaults.
Status load_file(const std::string& path, Config* out);
// Reads TOML text; `source_name` names it in errors.
Status load_string(std::string_view text, std::string_view source_name, Config* out);

// Unit parsers, exposed for their tests. Sizes: "512MB", "1GB", "64 KiB",
// "100B" or a bare number of bytes (K, M, G, T are powers of 1024).
// Durations: "30 days", "1 hour", "10 s", "500 ms", ...
std::optional<uint64_t> parse_size(std::string_view text);
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
// OK when `name` may name a tree: 1..64 of a-z, 0-9, '_' and '-', not "default".
Status check_tree_name(std::string_view name);

}  // namespace basis::config
