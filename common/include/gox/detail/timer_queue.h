// detail/timer_queue.h: one timer thread running callbacks at deadlines (internal).
// Used by After/Timer/Ticker and by Context deadlines. The thread is internal:
// it is started on first use, lives for the process, and is not a goroutine.
#pragma once

#include <cstdint>
#include <functional>

#include "gox/clock.h"

namespace gox::detail {

// DeadlineAfter is now + d, saturated so a huge d (Duration::max()) means "never"
// instead of overflowing.
inline Clock::time_point DeadlineAfter(Duration d) {
  Clock::time_point now = Clock::now();
  if (d > Clock::time_point::max() - now) return Clock::time_point::max();
  return now + d;
}

// ScheduleAt runs fn on the timer thread at (or soon after) when. Returns an id
// for CancelTimer. fn must not block: it runs on the one timer thread.
uint64_t ScheduleAt(Clock::time_point when, std::function<void()> fn);

// CancelTimer removes a pending callback: true if it had not started running.
bool CancelTimer(uint64_t id);

// PendingTimers is the number of scheduled callbacks (for leak tests).
std::size_t PendingTimers();

}  // namespace gox::detail
