// The runtime's logger ("basis"), set up from the [logging] section: level,
// standard error, and a rotating file when one is named. A host that
// registered its own "basis" logger keeps it.
#pragma once

#include <memory>
#include <spdlog/spdlog.h>

#include "basis/config.h"

namespace basis::engine {

std::shared_ptr<spdlog::logger> runtime_logger(const config::Config& config);

}  // namespace basis::engine
