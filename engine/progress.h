// How a long step tells its caller how far it is (the admin tool draws it as
// a progress line). Optional everywhere: an empty function is never called.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace basis::engine {

// `phase` names what runs ("replaying log"), `done` counts what it has done
// of `total` (0: not known). Called on the thread doing the work, often
// (callers throttle what they draw); it must not throw.
using ProgressFn = std::function<void(std::string_view phase, uint64_t done, uint64_t total)>;

}  // namespace basis::engine
