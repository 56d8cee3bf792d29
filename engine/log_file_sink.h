// The log file: a size-capped rotating file (like spdlog's
// rotating_file_sink: at max_size the file becomes NAME.1.EXT, the older
// ones shift up to NAME.<max_files>.EXT and the oldest goes), which can also
// be reopened at its path. logrotate renames the file and then sends
// SIGHUP (postrotate); until the reopen the process keeps writing to the
// renamed file, after it to a new file at the configured path.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>

#include <spdlog/details/file_helper.h>
#include <spdlog/sinks/base_sink.h>

namespace basis::engine {

class ReopenableFileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // Opens (appends to) `path`, creating its directory; throws spdlog_ex
  // when it cannot, as spdlog's file sinks do.
  ReopenableFileSink(std::string path, size_t max_size, size_t max_files);

  const std::string& path() const { return path_; }

  // Opens `path` anew (appending) and switches to it once it is open; the
  // file written so far is flushed and closed. When the path cannot be
  // opened, the sink keeps writing to the file it has and false is
  // returned, with *error saying why.
  bool reopen(std::string* error);

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override;

 private:
  void rotate();

  const std::string path_;
  const size_t max_size_;
  const size_t max_files_;
  std::unique_ptr<spdlog::details::file_helper> file_;
  size_t size_ = 0;
};

}  // namespace basis::engine
