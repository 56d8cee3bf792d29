#include "engine/log_file_sink.h"

#include <cstdio>

#include <spdlog/details/os.h>
#include <spdlog/sinks/rotating_file_sink.h>

namespace basis::engine {

ReopenableFileSink::ReopenableFileSink(std::string path, size_t max_size, size_t max_files)
    : path_(std::move(path)), max_size_(max_size), max_files_(max_files),
      file_(std::make_unique<spdlog::details::file_helper>()) {
  file_->open(path_, false);
  size_ = file_->size();
}

bool ReopenableFileSink::reopen(std::string* error) {
  auto fresh = std::make_unique<spdlog::details::file_helper>();
  try {
    fresh->open(path_, false);
  } catch (const spdlog::spdlog_ex& e) {
    *error = e.what();
    return false;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  file_->flush();
  file_ = std::move(fresh);  // the old file closes here
  size_ = file_->size();
  return true;
}

void ReopenableFileSink::sink_it_(const spdlog::details::log_msg& msg) {
  spdlog::memory_buf_t formatted;
  formatter_->format(msg, formatted);
  if (size_ + formatted.size() > max_size_ && size_ > 0) rotate();
  file_->write(formatted);
  size_ += formatted.size();
}

void ReopenableFileSink::flush_() { file_->flush(); }

// As spdlog's rotating_file_sink (NAME.EXT -> NAME.1.EXT -> ... ->
// NAME.<max_files>.EXT), but the file in use stays open until the new one
// is: a path that cannot be opened any more (its directory removed) leaves
// the sink writing to the renamed file instead of to a closed handle.
void ReopenableFileSink::rotate() {
  using spdlog::sinks::rotating_file_sink_mt;
  file_->flush();
  for (size_t i = max_files_; i > 0; --i) {
    std::string from = rotating_file_sink_mt::calc_filename(path_, i - 1);
    if (!spdlog::details::os::path_exists(from)) continue;
    std::string to = rotating_file_sink_mt::calc_filename(path_, i);
    std::remove(to.c_str());
    std::rename(from.c_str(), to.c_str());  // a failure leaves `from`: it is truncated below
  }
  size_ = 0;  // also when the open fails: the next try is max_size later, not at every line
  auto fresh = std::make_unique<spdlog::details::file_helper>();
  try {
    fresh->open(path_, true);
  } catch (const spdlog::spdlog_ex&) {
    return;
  }
  file_ = std::move(fresh);
}

}  // namespace basis::engine
