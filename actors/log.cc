#include "actors/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

namespace basis::actors {

std::shared_ptr<spdlog::logger> runtime_logger(const config::Config& config) {
  if (auto existing = spdlog::get("basis")) return existing;
  std::shared_ptr<spdlog::logger> logger;
  try {
    if (config.logging.file.empty()) {
      logger = spdlog::stderr_color_mt("basis");
    } else {
      logger = spdlog::basic_logger_mt("basis", config.logging.file);
    }
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

}  // namespace basis::actors
