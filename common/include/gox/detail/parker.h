// detail/parker.h: one-shot park/unpark of one thread (internal).
// Park() spins briefly, then sleeps on a futex; Unpark() may come first.
// Ordering: writes before Unpark() are visible after Park() returns.
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

// BlockForever parks the calling thread for good (a nil-channel operation).
[[noreturn]] void BlockForever();

// FastRand returns a pseudo-random number from a per-thread generator.
uint64_t FastRand();

}  // namespace gox::detail
