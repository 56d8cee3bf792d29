// The runtime's logger ("basis"), set up from the [logging] section: level,
// standard error, and a rotating file when one is named; text or JSON lines
// (format); flushed at most flush_interval after a line is logged, at once
// from warn up. A host that registered its own "basis" logger keeps it.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include "basis/config.h"

namespace basis::engine {

std::shared_ptr<spdlog::logger> runtime_logger(const config::Config& config);

// A log file like the runtime's (appended to, rotated at 16 MB, 10 kept)
// that reopen_log_files() reopens too: for a host's other loggers (an access
// log, say). Null, with *error saying why, when it cannot be opened.
std::shared_ptr<spdlog::sinks::sink> open_log_file(const std::string& path, std::string* error);

// Reopens every log file runtime_logger() and open_log_file() opened, at its configured path:
// what SIGHUP does after logrotate renamed the files. *reopened counts the
// files reopened (0 when none is configured: nothing to do). False, with
// *error naming the file and the reason, when one could not be opened; that
// one keeps writing to the file it had.
bool reopen_log_files(size_t* reopened, std::string* error);

}  // namespace basis::engine
