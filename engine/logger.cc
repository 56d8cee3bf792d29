#include "engine/logger.h"

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

namespace basis::engine {

std::shared_ptr<spdlog::logger> runtime_logger(const config::Config& config) {
  if (auto existing = spdlog::get("basis")) return existing;
  std::shared_ptr<spdlog::logger> logger;
  try {
    std::vector<spdlog::sink_ptr> sinks{std::make_shared<spdlog::sinks::stderr_color_sink_mt>()};
    if (!config.logging.file.empty()) {
      // 10 files of 16 MiB at most: a log that cannot fill the disk.
      sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(config.logging.file, 16u << 20, 10));
    }
    logger = std::make_shared<spdlog::logger>("basis", sinks.begin(), sinks.end());
    spdlog::register_logger(logger);
  } catch (const spdlog::spdlog_ex&) {
    // The file cannot be opened (or another thread registered the name):
    // fall back to standard error rather than run blind.
    if (auto existing = spdlog::get("basis")) return existing;
    logger = std::make_shared<spdlog::logger>("basis", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  }
  logger->set_level(spdlog::level::from_str(config.logging.level));
  logger->flush_on(spdlog::level::warn);
  return logger;
}

}  // namespace basis::engine
