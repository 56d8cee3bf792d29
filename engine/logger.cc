#include "engine/logger.h"

#include <pthread.h>
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/json_log_formatter.h"
#include "engine/log_file_sink.h"

namespace basis::engine {

namespace {

// 10 files of 16 MiB at most: a log that cannot fill the disk, whatever
// logrotate does or does not do.
constexpr size_t kMaxFileSize = size_t{16} << 20;
constexpr size_t kMaxFiles = 10;

// The files runtime_logger() opened, for reopen_log_files(), and the one it
// could not open (logging to standard error only).
std::mutex files_mutex;
std::vector<std::shared_ptr<ReopenableFileSink>> files;
std::string unopened_file;

// Flushes one logger every interval, on a thread of its own, so that a line
// is on disk within the interval even when nothing is logged after it.
// spdlog::flush_every takes whole seconds only and flushes every logger.
// Its thread takes no signal (a host's sigwait thread gets them all).
class PeriodicFlusher {
 public:
  PeriodicFlusher(std::shared_ptr<spdlog::logger> logger, std::chrono::milliseconds interval) {
    sigset_t all, before;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &before);
    thread_ = std::thread([this, logger = std::move(logger), interval] {
      std::unique_lock<std::mutex> lock(mutex_);
      while (!wake_.wait_for(lock, interval, [this] { return stopping_; })) {
        lock.unlock();
        logger->flush();
        lock.lock();
      }
    });
    pthread_sigmask(SIG_SETMASK, &before, nullptr);
  }
  ~PeriodicFlusher() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

std::unique_ptr<PeriodicFlusher> flusher;  // stopped and joined at exit

// A forked child has no flusher thread: it must not join the parent's at exit.
void forget_flusher_in_child() { (void)flusher.release(); }

}  // namespace

std::shared_ptr<spdlog::logger> runtime_logger(const config::Config& config) {
  if (auto existing = spdlog::get("basis")) return existing;
  std::shared_ptr<spdlog::logger> logger;
  std::shared_ptr<ReopenableFileSink> file;
  std::string failure;
  try {
    std::vector<spdlog::sink_ptr> sinks{std::make_shared<spdlog::sinks::stderr_color_sink_mt>()};
    if (!config.logging.file.empty()) {
      file = std::make_shared<ReopenableFileSink>(config.logging.file, kMaxFileSize, kMaxFiles);
      sinks.push_back(file);
    }
    logger = std::make_shared<spdlog::logger>("basis", sinks.begin(), sinks.end());
    spdlog::register_logger(logger);
  } catch (const spdlog::spdlog_ex& e) {
    // The file cannot be opened (or another thread registered the name):
    // fall back to standard error rather than run blind.
    if (auto existing = spdlog::get("basis")) return existing;
    file.reset();
    logger = std::make_shared<spdlog::logger>("basis", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    if (!config.logging.file.empty()) {
      std::lock_guard<std::mutex> lock(files_mutex);
      unopened_file = config.logging.file;
      failure = e.what();
    }
  }
  if (config.logging.format == config::LogFormat::kJson) logger->set_formatter(std::make_unique<JsonLogFormatter>());
  logger->set_level(spdlog::level::from_str(config.logging.level));
  const auto interval = config.logging.flush_interval;
  logger->flush_on(interval.count() == 0 ? spdlog::level::trace : spdlog::level::warn);
  std::lock_guard<std::mutex> lock(files_mutex);
  if (file) files.push_back(file);
  if (interval.count() != 0 && !flusher) {
    flusher = std::make_unique<PeriodicFlusher>(logger, interval);
    static const bool forget_in_children = pthread_atfork(nullptr, nullptr, forget_flusher_in_child) == 0;
    (void)forget_in_children;
  }
  if (!failure.empty()) logger->error("logging.file: {}; logging to standard error only", failure);
  return logger;
}

std::shared_ptr<spdlog::sinks::sink> open_log_file(const std::string& path, std::string* error) {
  std::shared_ptr<ReopenableFileSink> file;
  try {
    file = std::make_shared<ReopenableFileSink>(path, kMaxFileSize, kMaxFiles);
  } catch (const spdlog::spdlog_ex& e) {
    *error = e.what();
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(files_mutex);
  files.push_back(file);
  return file;
}

bool reopen_log_files(size_t* reopened, std::string* error) {
  std::lock_guard<std::mutex> lock(files_mutex);
  *reopened = 0;
  bool all = unopened_file.empty();
  if (!all) *error = unopened_file + " could not be opened at start: standard error only (a restart tries again)";
  for (const auto& file : files) {
    std::string why;
    if (file->reopen(&why)) {
      ++*reopened;
    } else {
      *error += (all ? "" : "; ") + file->path() + ": " + why + " (still writing to the file it had)";
      all = false;
    }
  }
  return all;
}

}  // namespace basis::engine
