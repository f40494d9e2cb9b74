// time.h: Go's time.After, time.Timer, time.Ticker and time.Sleep.
//   After(d)        a channel that receives the time once, at or after now + d.
//   Timer(d)        fires once on C(); Stop() prevents it; Reset(d) re-arms it.
//   Ticker(d)       ticks on C() every d until Stop(); a slow reader misses
//                   ticks (C() holds one), as in Go.
//   Sleep(d)        blocks the calling goroutine for d.
//   ParseDuration   Go's time.ParseDuration syntax ("300ms", "1m30s", "-1.5h").
// Channels have capacity 1 and the timer thread never blocks on them.
// Like Go 1.23: after Stop() or Reset() returns, no stale value is received.
// Timer and Ticker are move-only; destroying one stops it.
// Panics: Ticker with d <= 0 ("non-positive interval for NewTicker").
#pragma once

#include <memory>
#include <string_view>

#include "gox/chan.h"
#include "gox/clock.h"

namespace gox {

// After returns a channel that receives the current time once d has elapsed.
Chan<Clock::time_point> After(Duration d);

// Sleep pauses the calling thread for at least d.
void Sleep(Duration d);

// ParseDuration parses Go's duration syntax: an optional sign, then one or more
// decimal numbers each with a unit (ns, us, µs, ms, s, m, h), e.g. "1m30s";
// "0" alone is zero. Returns false (and leaves *out alone) for anything else or
// a value that does not fit. Callers apply their own range (e.g. no negatives).
bool ParseDuration(std::string_view s, Duration* out);

class Timer {
 public:
  // Timer starts a timer that sends the time on C() after d.
  explicit Timer(Duration d);
  Timer(Timer&&) noexcept = default;
  Timer& operator=(Timer&&) noexcept;
  ~Timer();

  Chan<Clock::time_point> C() const;
  // Stop prevents the timer from firing: true if it was still pending, false
  // if it had already fired or been stopped. Drains an unreceived value.
  bool Stop();
  // Reset re-arms the timer to fire after d: true if it was still pending.
  bool Reset(Duration d);

  struct State;

 private:
  std::shared_ptr<State> s_;
};

class Ticker {
 public:
  // Ticker sends the time on C() every d. Panics if d <= 0.
  explicit Ticker(Duration d);
  Ticker(Ticker&&) noexcept = default;
  Ticker& operator=(Ticker&&) noexcept;
  ~Ticker();

  Chan<Clock::time_point> C() const;
  // Stop turns the ticker off; no tick is received after it returns.
  void Stop();
  // Reset stops the ticker and restarts it with period d.
  void Reset(Duration d);

  struct State;

 private:
  std::shared_ptr<State> s_;
};

}  // namespace gox
