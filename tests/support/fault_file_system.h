// A RocksDB file system for tests that fails where real disks fail: writes
// (Append), syncs (Sync, Fsync), reads, and writes on a full disk (ENOSPC),
// each for chosen kinds of file, either the next N calls or each call with a
// probability drawn from a seed. It also simulates a power loss: it tracks
// how much of every file it wrote is synced, and drop_unsynced_data() cuts
// every file back to that.
//
// What a power loss keeps (our choice, after RocksDB's FaultInjectionTestFS):
// - a file written here is cut back to the bytes a successful Sync or Fsync
//   covered (RangeSync promises nothing);
// - a file created here and never synced is deleted: neither its data nor
//   its directory entry was made durable (directory syncs are not tracked, so
//   a synced file's entry is taken as durable);
// - files that were there before, and files deleted or renamed meanwhile,
//   stay as they are now.
// After drop_unsynced_data() the machine is off: every call fails until
// power_on().
//
// Thread-safe: RocksDB calls it from many threads; faults may be set and
// counters read from any thread meanwhile.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <string>

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

namespace basis::testing {

// Which files a fault hits, as a bit mask.
enum FileKind : uint32_t { kWalFile = 1, kTableFile = 2, kManifestFile = 4, kOtherFile = 8 };
constexpr uint32_t kAllFiles = kWalFile | kTableFile | kManifestFile | kOtherFile;
// By name: *.log is a WAL, *.sst a table, MANIFEST-* a manifest.
FileKind file_kind(const std::string& path);

enum class Fault { kWrite, kSync, kRead, kNoSpace };
constexpr int kFaultKinds = 4;
const char* fault_name(Fault fault);

// When a fault hits: the next `next` matching calls fail; after them, each
// matching call fails with `probability`. A call matches when its file is of
// a kind in `files` and its path holds `path_contains` (say "ingest-": the
// node tables the node writer builds, not RocksDB's flushes).
struct FaultRule {
  uint32_t files = kAllFiles;
  uint64_t next = 0;
  double probability = 0;
  std::string path_contains;
};

class FaultFileSystem : public rocksdb::FileSystemWrapper {
 public:
  explicit FaultFileSystem(std::shared_ptr<rocksdb::FileSystem> base = rocksdb::FileSystem::Default(),
                           uint64_t seed = 1);
  const char* Name() const override { return "FaultFileSystem"; }

  void set_rule(Fault fault, FaultRule rule);
  void fail_next(Fault fault, uint32_t files, uint64_t n, std::string path_contains = "") {
    set_rule(fault, FaultRule{files, n, 0, std::move(path_contains)});
  }
  void fail_randomly(Fault fault, uint32_t files, double p) { set_rule(fault, FaultRule{files, 0, p, ""}); }
  void clear_faults();
  void reseed(uint64_t seed);

  // Faults injected so far, of one kind (and on one kind of file).
  uint64_t injected(Fault fault) const;
  uint64_t injected(Fault fault, FileKind files) const;

  // The power goes off: see above. Returns the first error met while cutting.
  rocksdb::IOStatus drop_unsynced_data();
  void power_on();
  bool powered() const { return !off_.load(); }
  // Bytes written here and not synced yet (for tests of this class).
  uint64_t unsynced_bytes() const;

  // Called by the file wrappers.
  rocksdb::IOStatus maybe_fail(Fault fault, const std::string& path);
  rocksdb::IOStatus check_power() const;
  void wrote(const std::string& path, uint64_t end);  // the file now ends at `end` (at least)
  void truncated(const std::string& path, uint64_t size);
  void synced(const std::string& path);
  std::shared_mutex& io_lock() { return io_; }

  rocksdb::IOStatus NewSequentialFile(const std::string& f, const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSSequentialFile>* r,
                                      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewRandomAccessFile(const std::string& f, const rocksdb::FileOptions& o,
                                        std::unique_ptr<rocksdb::FSRandomAccessFile>* r,
                                        rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReuseWritableFile(const std::string& f, const std::string& old, const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSWritableFile>* r,
                                      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus RenameFile(const std::string& s, const std::string& t, const rocksdb::IOOptions& o,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus LinkFile(const std::string& s, const std::string& t, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteFile(const std::string& f, const rocksdb::IOOptions& o,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus Truncate(const std::string& f, size_t size, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* dbg) override;

 private:
  struct FileState {
    uint64_t size = 0;
    uint64_t synced = 0;
    bool created = false;      // by NewWritableFile here
    bool ever_synced = false;
  };
  rocksdb::IOStatus wrap_writable(const std::string& f, rocksdb::IOStatus s,
                                  std::unique_ptr<rocksdb::FSWritableFile>* r, bool created);

  std::shared_mutex io_;  // shared by every call; a power loss takes it alone
  std::atomic<bool> off_{false};
  mutable std::mutex mutex_;  // guards what follows
  std::array<FaultRule, kFaultKinds> rules_{};
  std::array<std::array<uint64_t, 4>, kFaultKinds> injected_{};
  std::mt19937_64 random_;
  std::map<std::string, FileState> files_;
};

// An Env over a FaultFileSystem, to hand to actors::RuntimeAccess::open.
struct FaultEnv {
  explicit FaultEnv(uint64_t seed = 1);
  std::shared_ptr<FaultFileSystem> fs;
  std::unique_ptr<rocksdb::Env> env;
};

}  // namespace basis::testing
