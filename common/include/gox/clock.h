// clock.h: gox::Clock and gox::Duration, the one clock of the library.
//   Clock     std::chrono::steady_clock: monotonic, never jumps with the wall clock
//             (Go's time.Now() carries a monotonic reading for the same reason).
//   Duration  Clock::duration (nanoseconds), Go's time.Duration.
// Every deadline, timeout and elapsed time in gox and in the lessons uses these.
#pragma once

#include <chrono>

namespace gox {

using Clock = std::chrono::steady_clock;
using Duration = Clock::duration;

}  // namespace gox
