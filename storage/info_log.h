// RocksDB's diagnostic log, `LOG` in the store's directory, written so that
// no write of it can stop the process. RocksDB 7.8's own file logger aborts
// on the line after one that failed (an assertion in WritableFileWriter,
// built into Debian's library): on a full disk, the first line RocksDB logs
// fails and the next one kills the process, typically while closing.
//
// Promises: Logv never fails, throws or blocks on anything but the file's own
// write; a line that cannot be written is dropped and counted, and the first
// line written after drops says how many. The file is bounded: past
// `max_bytes` it becomes LOG.old (one kept, replaced) and a new LOG starts,
// so the store's log takes at most twice `max_bytes`. It appends to an
// existing LOG (never renames one at open: a refused open of a store held
// by another process must not touch the holder's log). Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

namespace basis::storage {

class InfoLog final : public rocksdb::Logger {
 public:
  static constexpr uint64_t kDefaultMaxBytes = 16ull << 20;

  // A log of the store in `dir`, through `env`'s file system (the default
  // one when null). Never fails: without a file to write, lines are dropped.
  static std::shared_ptr<InfoLog> open(rocksdb::Env* env, const std::string& dir,
                                       uint64_t max_bytes = kDefaultMaxBytes);
  ~InfoLog() override;
  InfoLog(const InfoLog&) = delete;
  InfoLog& operator=(const InfoLog&) = delete;

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override;
  size_t GetLogFileSize() const override;

  uint64_t dropped_lines() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  InfoLog(std::shared_ptr<rocksdb::FileSystem> fs, std::string dir, uint64_t max_bytes);
  rocksdb::Status CloseImpl() override;
  void reopen_locked(bool rotate);  // mutex_ held
  bool write_locked(const std::string& line);  // mutex_ held

  const std::shared_ptr<rocksdb::FileSystem> fs_;
  const std::string path_;
  const uint64_t max_bytes_;
  mutable std::mutex mutex_;
  std::unique_ptr<rocksdb::FSWritableFile> file_;  // null: lines are dropped
  uint64_t bytes_ = 0;  // of the current file
  std::atomic<uint64_t> dropped_{0};
  uint64_t reported_dropped_ = 0;
};

}  // namespace basis::storage
