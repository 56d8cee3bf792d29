#include "tests/support/fault_file_system.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

namespace basis::testing {

using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;

FileKind file_kind(const std::string& path) {
  std::string_view name(path);
  if (auto slash = name.rfind('/'); slash != std::string_view::npos) name.remove_prefix(slash + 1);
  if (name.ends_with(".log")) return kWalFile;
  if (name.ends_with(".sst")) return kTableFile;
  if (name.starts_with("MANIFEST-")) return kManifestFile;
  return kOtherFile;
}

const char* fault_name(Fault fault) {
  switch (fault) {
    case Fault::kWrite: return "write";
    case Fault::kSync: return "sync";
    case Fault::kRead: return "read";
    case Fault::kNoSpace: return "nospace";
  }
  return "?";
}

namespace {

int kind_index(FileKind k) { return k == kWalFile ? 0 : k == kTableFile ? 1 : k == kManifestFile ? 2 : 3; }

// Every call holds the file system's I/O lock shared, so that a power loss
// (which takes it alone) falls between calls, never inside one.
class FaultWritableFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultWritableFile(FaultFileSystem* fs, std::string path, std::unique_ptr<rocksdb::FSWritableFile> f, uint64_t end)
      : FSWritableFileOwnerWrapper(std::move(f)), fs_(fs), path_(std::move(path)), end_(end) {}

  IOStatus Append(const Slice& data, const IOOptions& o, IODebugContext* d) override {
    std::shared_lock lock(fs_->io_lock());
    if (IOStatus s = check_write(); !s.ok()) return s;
    return appended(target()->Append(data, o, d), end_ + data.size());
  }
  IOStatus Append(const Slice& data, const IOOptions& o, const rocksdb::DataVerificationInfo& v,
                  IODebugContext* d) override {
    std::shared_lock lock(fs_->io_lock());
    if (IOStatus s = check_write(); !s.ok()) return s;
    return appended(target()->Append(data, o, v, d), end_ + data.size());
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& o, IODebugContext* d) override {
    std::shared_lock lock(fs_->io_lock());
    if (IOStatus s = check_write(); !s.ok()) return s;
    return appended(target()->PositionedAppend(data, offset, o, d), std::max(end_, offset + data.size()));
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& o,
                            const rocksdb::DataVerificationInfo& v, IODebugContext* d) override {
    std::shared_lock lock(fs_->io_lock());
    if (IOStatus s = check_write(); !s.ok()) return s;
    return appended(target()->PositionedAppend(data, offset, o, v, d), std::max(end_, offset + data.size()));
  }
  IOStatus Truncate(uint64_t size, const IOOptions& o, IODebugContext* d) override {
    std::shared_lock lock(fs_->io_lock());
    if (IOStatus s = fs_->check_power(); !s.ok()) return s;
    IOStatus s = target()->Truncate(size, o, d);
    if (s.ok()) {
      end_ = size;
      fs_->truncated(path_, size);
    }
    return s;
  }
  IOStatus Sync(const IOOptions& o, IODebugContext* d) override {
    return sync([&] { return target()->Sync(o, d); });
  }
  IOStatus Fsync(const IOOptions& o, IODebugContext* d) override {
    return sync([&] { return target()->Fsync(o, d); });
  }
  IOStatus Close(const IOOptions& o, IODebugContext* d) override {
    std::shared_lock lock(fs_->io_lock());
    if (IOStatus s = fs_->check_power(); !s.ok()) return s;
    return target()->Close(o, d);
  }

 private:
  IOStatus check_write() {
    if (IOStatus s = fs_->check_power(); !s.ok()) return s;
    if (IOStatus s = fs_->maybe_fail(Fault::kNoSpace, path_); !s.ok()) return s;
    return fs_->maybe_fail(Fault::kWrite, path_);
  }
  IOStatus appended(IOStatus s, uint64_t end) {
    if (s.ok()) {
      end_ = end;
      fs_->wrote(path_, end);
    }
    return s;
  }
  template <class F>
  IOStatus sync(F&& f) {
    std::shared_lock lock(fs_->io_lock());
    if (IOStatus s = fs_->check_power(); !s.ok()) return s;
    if (IOStatus s = fs_->maybe_fail(Fault::kSync, path_); !s.ok()) return s;
    IOStatus s = f();
    if (s.ok()) fs_->synced(path_);
    return s;
  }

  FaultFileSystem* fs_;
  std::string path_;
  uint64_t end_;
};

class FaultRandomAccessFile : public rocksdb::FSRandomAccessFileOwnerWrapper {
 public:
  FaultRandomAccessFile(FaultFileSystem* fs, std::string path, std::unique_ptr<rocksdb::FSRandomAccessFile> f)
      : FSRandomAccessFileOwnerWrapper(std::move(f)), fs_(fs), path_(std::move(path)) {}

  IOStatus Read(uint64_t offset, size_t n, const IOOptions& o, Slice* result, char* scratch,
                IODebugContext* d) const override {
    std::shared_lock lock(fs_->io_lock());
    if (IOStatus s = check_read(); !s.ok()) return s;
    return target()->Read(offset, n, o, result, scratch, d);
  }
  IOStatus MultiRead(rocksdb::FSReadRequest* reqs, size_t num_reqs, const IOOptions& o,
                     IODebugContext* d) override {
    std::shared_lock lock(fs_->io_lock());
    if (IOStatus s = check_read(); !s.ok()) {
      for (size_t i = 0; i < num_reqs; ++i) reqs[i].status = s;
      return s;
    }
    return target()->MultiRead(reqs, num_reqs, o, d);
  }

 private:
  IOStatus check_read() const {
    if (IOStatus s = fs_->check_power(); !s.ok()) return s;
    return fs_->maybe_fail(Fault::kRead, path_);
  }
  FaultFileSystem* fs_;
  std::string path_;
};

class FaultSequentialFile : public rocksdb::FSSequentialFileOwnerWrapper {
 public:
  FaultSequentialFile(FaultFileSystem* fs, std::string path, std::unique_ptr<rocksdb::FSSequentialFile> f)
      : FSSequentialFileOwnerWrapper(std::move(f)), fs_(fs), path_(std::move(path)) {}

  IOStatus Read(size_t n, const IOOptions& o, Slice* result, char* scratch, IODebugContext* d) override {
    std::shared_lock lock(fs_->io_lock());
    if (IOStatus s = check_read(); !s.ok()) return s;
    return target()->Read(n, o, result, scratch, d);
  }
  IOStatus PositionedRead(uint64_t offset, size_t n, const IOOptions& o, Slice* result, char* scratch,
                          IODebugContext* d) override {
    std::shared_lock lock(fs_->io_lock());
    if (IOStatus s = check_read(); !s.ok()) return s;
    return target()->PositionedRead(offset, n, o, result, scratch, d);
  }

 private:
  IOStatus check_read() {
    if (IOStatus s = fs_->check_power(); !s.ok()) return s;
    return fs_->maybe_fail(Fault::kRead, path_);
  }
  FaultFileSystem* fs_;
  std::string path_;
};

}  // namespace

FaultFileSystem::FaultFileSystem(std::shared_ptr<rocksdb::FileSystem> base, uint64_t seed)
    : FileSystemWrapper(base), random_(seed) {}

void FaultFileSystem::set_rule(Fault fault, FaultRule rule) {
  std::lock_guard lock(mutex_);
  rules_[static_cast<int>(fault)] = rule;
}

void FaultFileSystem::clear_faults() {
  std::lock_guard lock(mutex_);
  rules_ = {};
}

void FaultFileSystem::reseed(uint64_t seed) {
  std::lock_guard lock(mutex_);
  random_.seed(seed);
}

uint64_t FaultFileSystem::injected(Fault fault) const {
  std::lock_guard lock(mutex_);
  uint64_t n = 0;
  for (uint64_t c : injected_[static_cast<int>(fault)]) n += c;
  return n;
}

uint64_t FaultFileSystem::injected(Fault fault, FileKind files) const {
  std::lock_guard lock(mutex_);
  return injected_[static_cast<int>(fault)][kind_index(files)];
}

IOStatus FaultFileSystem::maybe_fail(Fault fault, const std::string& path) {
  const FileKind kind = file_kind(path);
  std::lock_guard lock(mutex_);
  FaultRule& rule = rules_[static_cast<int>(fault)];
  if (!(rule.files & kind)) return IOStatus::OK();
  if (!rule.path_contains.empty() && path.find(rule.path_contains) == std::string::npos) return IOStatus::OK();
  bool fail = false;
  if (rule.next > 0) {
    --rule.next;
    fail = true;
  } else if (rule.probability > 0) {
    fail = std::uniform_real_distribution<double>(0, 1)(random_) < rule.probability;
  }
  if (!fail) return IOStatus::OK();
  ++injected_[static_cast<int>(fault)][kind_index(kind)];
  switch (fault) {
    case Fault::kNoSpace: return IOStatus::NoSpace("injected: No space left on device", path);
    case Fault::kWrite: return IOStatus::IOError("injected write error", path);
    case Fault::kSync: return IOStatus::IOError("injected sync error", path);
    case Fault::kRead: return IOStatus::IOError("injected read error", path);
  }
  return IOStatus::OK();
}

IOStatus FaultFileSystem::check_power() const {
  return off_.load() ? IOStatus::IOError("power is off (simulated power loss)") : IOStatus::OK();
}

void FaultFileSystem::wrote(const std::string& path, uint64_t end) {
  std::lock_guard lock(mutex_);
  FileState& f = files_[path];
  f.size = std::max(f.size, end);
}

void FaultFileSystem::truncated(const std::string& path, uint64_t size) {
  std::lock_guard lock(mutex_);
  FileState& f = files_[path];
  f.size = size;
  f.synced = std::min(f.synced, size);
}

void FaultFileSystem::synced(const std::string& path) {
  std::lock_guard lock(mutex_);
  FileState& f = files_[path];
  f.synced = f.size;
  f.ever_synced = true;
}

uint64_t FaultFileSystem::unsynced_bytes() const {
  std::lock_guard lock(mutex_);
  uint64_t n = 0;
  for (const auto& [path, f] : files_) n += f.size - std::min(f.size, f.synced);
  return n;
}

IOStatus FaultFileSystem::drop_unsynced_data() {
  std::unique_lock io(io_);  // no call is under way, and none starts
  off_ = true;
  std::lock_guard lock(mutex_);
  IOStatus first;
  for (const auto& [path, f] : files_) {
    IOStatus s;
    if (f.created && !f.ever_synced) {
      s = target()->DeleteFile(path, IOOptions(), nullptr);
    } else if (f.size > f.synced) {
      // The default file system has no Truncate: the system call does it.
      if (::truncate(path.c_str(), static_cast<off_t>(f.synced)) != 0) {
        s = IOStatus::IOError("cannot truncate " + path, std::strerror(errno));
      }
    }
    if (!s.ok() && !s.IsNotFound() && first.ok()) first = s;
  }
  files_.clear();  // what is on disk now is durable
  return first;
}

void FaultFileSystem::power_on() { off_ = false; }

IOStatus FaultFileSystem::wrap_writable(const std::string& f, IOStatus s,
                                        std::unique_ptr<rocksdb::FSWritableFile>* r, bool created) {
  if (!s.ok()) return s;
  uint64_t end = 0;
  {
    std::lock_guard lock(mutex_);
    auto it = files_.find(f);
    if (created) {
      files_[f] = FileState{0, 0, true, false};
    } else if (it != files_.end()) {
      end = it->second.size;
    } else {
      // Reopened, and there before: what it holds now is taken as durable.
      uint64_t size = 0;
      if (!target()->GetFileSize(f, IOOptions(), &size, nullptr).ok()) size = 0;
      files_[f] = FileState{size, size, false, true};
      end = size;
    }
  }
  *r = std::make_unique<FaultWritableFile>(this, f, std::move(*r), end);
  return s;
}

IOStatus FaultFileSystem::NewSequentialFile(const std::string& f, const rocksdb::FileOptions& o,
                                            std::unique_ptr<rocksdb::FSSequentialFile>* r, IODebugContext* dbg) {
  std::shared_lock lock(io_);
  if (IOStatus s = check_power(); !s.ok()) return s;
  IOStatus s = target()->NewSequentialFile(f, o, r, dbg);
  if (s.ok()) *r = std::make_unique<FaultSequentialFile>(this, f, std::move(*r));
  return s;
}

IOStatus FaultFileSystem::NewRandomAccessFile(const std::string& f, const rocksdb::FileOptions& o,
                                              std::unique_ptr<rocksdb::FSRandomAccessFile>* r,
                                              IODebugContext* dbg) {
  std::shared_lock lock(io_);
  if (IOStatus s = check_power(); !s.ok()) return s;
  IOStatus s = target()->NewRandomAccessFile(f, o, r, dbg);
  if (s.ok()) *r = std::make_unique<FaultRandomAccessFile>(this, f, std::move(*r));
  return s;
}

IOStatus FaultFileSystem::NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                          std::unique_ptr<rocksdb::FSWritableFile>* r, IODebugContext* dbg) {
  std::shared_lock lock(io_);
  if (IOStatus s = check_power(); !s.ok()) return s;
  return wrap_writable(f, target()->NewWritableFile(f, o, r, dbg), r, true);
}

IOStatus FaultFileSystem::ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                             std::unique_ptr<rocksdb::FSWritableFile>* r, IODebugContext* dbg) {
  std::shared_lock lock(io_);
  if (IOStatus s = check_power(); !s.ok()) return s;
  return wrap_writable(f, target()->ReopenWritableFile(f, o, r, dbg), r, false);
}

IOStatus FaultFileSystem::ReuseWritableFile(const std::string& f, const std::string& old,
                                            const rocksdb::FileOptions& o,
                                            std::unique_ptr<rocksdb::FSWritableFile>* r, IODebugContext* dbg) {
  std::shared_lock lock(io_);
  if (IOStatus s = check_power(); !s.ok()) return s;
  IOStatus s = target()->ReuseWritableFile(f, old, o, r, dbg);
  if (s.ok()) {
    std::lock_guard guard(mutex_);
    files_.erase(old);
  }
  return wrap_writable(f, s, r, true);
}

IOStatus FaultFileSystem::RenameFile(const std::string& s, const std::string& t, const IOOptions& o,
                                     IODebugContext* dbg) {
  std::shared_lock lock(io_);
  if (IOStatus st = check_power(); !st.ok()) return st;
  IOStatus st = target()->RenameFile(s, t, o, dbg);
  if (st.ok()) {
    std::lock_guard guard(mutex_);
    auto it = files_.find(s);
    if (it != files_.end()) {
      files_[t] = it->second;
      files_.erase(s);
    } else {
      files_.erase(t);
    }
  }
  return st;
}

IOStatus FaultFileSystem::LinkFile(const std::string& s, const std::string& t, const IOOptions& o,
                                   IODebugContext* dbg) {
  std::shared_lock lock(io_);
  if (IOStatus st = check_power(); !st.ok()) return st;
  IOStatus st = target()->LinkFile(s, t, o, dbg);
  if (st.ok()) {
    std::lock_guard guard(mutex_);
    auto it = files_.find(s);
    if (it != files_.end()) files_[t] = it->second;
  }
  return st;
}

IOStatus FaultFileSystem::DeleteFile(const std::string& f, const IOOptions& o, IODebugContext* dbg) {
  std::shared_lock lock(io_);
  if (IOStatus s = check_power(); !s.ok()) return s;
  IOStatus s = target()->DeleteFile(f, o, dbg);
  if (s.ok()) {
    std::lock_guard guard(mutex_);
    files_.erase(f);
  }
  return s;
}

IOStatus FaultFileSystem::Truncate(const std::string& f, size_t size, const IOOptions& o, IODebugContext* dbg) {
  std::shared_lock lock(io_);
  if (IOStatus s = check_power(); !s.ok()) return s;
  IOStatus s = target()->Truncate(f, size, o, dbg);
  if (s.ok()) {
    std::lock_guard guard(mutex_);
    auto it = files_.find(f);
    if (it != files_.end()) {
      it->second.size = std::min<uint64_t>(it->second.size, size);
      it->second.synced = std::min<uint64_t>(it->second.synced, size);
    }
  }
  return s;
}

FaultEnv::FaultEnv(uint64_t seed)
    : fs(std::make_shared<FaultFileSystem>(rocksdb::FileSystem::Default(), seed)), env(rocksdb::NewCompositeEnv(fs)) {}

}  // namespace basis::testing
