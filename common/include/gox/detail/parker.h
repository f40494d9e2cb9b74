// detail/parker.h: one-shot park/unpark of one thread (internal).
// Park() spins briefly, then sleeps on a futex; Unpark() may come first.
// Ordering: writes before Unpark() are visible after Park() returns.
// Spinning knows the machine (Go's runtime keeps the same rule for its
// spinning Ms): at most MaxSpinners() = max(1, ncpu/2) threads spin at once (a
// counter of spinners, taken with one fetch_add), the rest sleep at once; and
// nobody spins while more goroutine threads run than there are CPUs (the
// spinner would steal the CPU from a thread with work). On 1 CPU nobody spins.
// Before a goroutine's thread sleeps, the Parker tells the scheduler (go.cpp),
// which hands queued goroutines to another thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace gox::detail {

class Parker {
 public:
  // Park blocks until Unpark has been called (returns at once if it already was).
  void Park();
  // Unpark wakes the parked thread; the Parker may be destroyed by the woken
  // thread as soon as this call has made it runnable.
  void Unpark();
  // ParkFor is Park with a time limit: true if unparked, false on timeout. After
  // a timeout the caller must make sure no Unpark can still arrive before it
  // destroys the Parker (e.g. both sides hold one mutex around Unpark/Reset).
  bool ParkFor(std::chrono::nanoseconds limit);
  // Reset makes the Parker reusable; only its owner calls it, between parks.
  void Reset() { state_.store(0, std::memory_order_relaxed); }

 private:
  bool Sleep(std::chrono::steady_clock::time_point start, bool forever,
             std::chrono::nanoseconds limit);
  // 0 = nobody unparked yet, 1 = unparked, 2 = the owner sleeps in the futex.
  // Written by the owner (0->2) and by the waker (->1).
  std::atomic<uint32_t> state_{0};
};

// CpuRelax tells the CPU we are spinning (x86 pause, ARM yield).
inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Scheduler hooks (go.cpp): the calling thread is about to sleep in a Parker /
// woke up again. No-ops outside goroutines.
void BeforeSleep();
void AfterSleep();
// ActiveGoroutineThreads: goroutine threads running, not asleep (a hint).
int ActiveGoroutineThreads();

// Spin policy state (for tests): the bound, spinners now, and the most seen at
// once since ResetPeakSpinners.
int MaxSpinners();
int Spinners();
int PeakSpinners();
void ResetPeakSpinners();

// BlockForever parks the calling thread for good (a nil-channel operation).
[[noreturn]] void BlockForever();

// FastRand returns a pseudo-random number from a per-thread generator.
uint64_t FastRand();

}  // namespace gox::detail
