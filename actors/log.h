// The runtime's logger ("basis"), set up from the [logging] section: level,
// and a file or standard error. A host that registered its own "basis"
// logger keeps it.
#pragma once

#include <memory>
#include <spdlog/spdlog.h>

#include "config/config.h"

namespace basis::actors {

std::shared_ptr<spdlog::logger> runtime_logger(const config::Config& config);

}  // namespace basis::actors
