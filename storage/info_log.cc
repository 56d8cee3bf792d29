#include "storage/info_log.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <ctime>

namespace basis::storage {

namespace {

std::string timestamp() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  tm utc{};
  ::gmtime_r(&now.tv_sec, &utc);
  char text[96];  // room for any int the format could meet
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, now.tv_nsec / 1000);
  return text;
}

}  // namespace

std::shared_ptr<InfoLog> InfoLog::open(rocksdb::Env* env, const std::string& dir, uint64_t max_bytes) {
  std::shared_ptr<rocksdb::FileSystem> fs = (env ? env : rocksdb::Env::Default())->GetFileSystem();
  std::shared_ptr<InfoLog> log(new InfoLog(std::move(fs), dir, max_bytes));
  // RocksDB creates the directory of a new store in DB::Open; its log comes first.
  (void)log->fs_->CreateDirIfMissing(dir, rocksdb::IOOptions(), nullptr);
  std::lock_guard lock(log->mutex_);
  log->reopen_locked(false);
  return log;
}

InfoLog::InfoLog(std::shared_ptr<rocksdb::FileSystem> fs, std::string dir, uint64_t max_bytes)
    : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL),
      fs_(std::move(fs)),
      path_(std::move(dir) + "/LOG"),
      max_bytes_(max_bytes) {}

InfoLog::~InfoLog() {
  std::lock_guard lock(mutex_);
  if (file_) (void)file_->Close(rocksdb::IOOptions(), nullptr);
}

rocksdb::Status InfoLog::CloseImpl() {
  std::lock_guard lock(mutex_);
  if (file_) (void)file_->Close(rocksdb::IOOptions(), nullptr);
  file_.reset();
  return rocksdb::Status::OK();
}

void InfoLog::reopen_locked(bool rotate) {
  if (file_) (void)file_->Close(rocksdb::IOOptions(), nullptr);
  file_.reset();
  bytes_ = 0;
  if (rotate) (void)fs_->RenameFile(path_, path_ + ".old", rocksdb::IOOptions(), nullptr);
  rocksdb::FileOptions options;
  options.allow_fallocate = false;  // a log line needs no reserved space
  std::unique_ptr<rocksdb::FSWritableFile> file;
  // Reopen appends to an existing LOG, or creates it.
  if (!fs_->ReopenWritableFile(path_, options, &file, nullptr).ok()) return;
  uint64_t size = 0;  // a reopened file does not know its own size
  if (fs_->GetFileSize(path_, rocksdb::IOOptions(), &size, nullptr).ok()) bytes_ = size;
  file_ = std::move(file);
}

bool InfoLog::write_locked(const std::string& line) {
  if (!file_) return false;
  if (!file_->Append(line, rocksdb::IOOptions(), nullptr).ok()) {
    // The file's own idea of its size may now be wrong: start from a fresh
    // handle next time (it appends at the real end of the file).
    reopen_locked(false);
    return false;
  }
  bytes_ += line.size();
  return true;
}

void InfoLog::Logv(const char* format, va_list ap) {
  char body[2048];
  va_list copy;
  va_copy(copy, ap);
  const int n = std::vsnprintf(body, sizeof body, format, copy);
  va_end(copy);
  if (n < 0) return;
  std::string line = timestamp() + " " + std::to_string(static_cast<long>(::syscall(SYS_gettid))) + " " + body;
  if (static_cast<size_t>(n) >= sizeof body) line += "...(cut)";
  if (line.back() != '\n') line += '\n';

  std::lock_guard lock(mutex_);
  if (bytes_ + line.size() > max_bytes_) reopen_locked(true);
  if (!file_) reopen_locked(false);  // the disk may have room again
  const uint64_t dropped = dropped_.load(std::memory_order_relaxed);
  if (dropped > reported_dropped_) {
    const std::string note = timestamp() + " " + std::to_string(dropped - reported_dropped_) +
                             " lines of this log were dropped: they could not be written\n";
    if (!write_locked(note)) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    reported_dropped_ = dropped;
  }
  if (!write_locked(line)) dropped_.fetch_add(1, std::memory_order_relaxed);
}

size_t InfoLog::GetLogFileSize() const {
  std::lock_guard lock(mutex_);
  return static_cast<size_t>(bytes_);
}

}  // namespace basis::storage
