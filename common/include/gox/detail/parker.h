// detail/parker.h: one-shot park/unpark of one thread (internal).
// Park() spins briefly, then sleeps on a futex; Unpark() may come first.
// Ordering: writes before Unpark() are visible after Park() returns.
#pragma once

#include <atomic>
#include <cstdint>

namespace gox::detail {

class Parker {
 public:
  // Park blocks until Unpark has been called (returns at once if it already was).
  void Park();
  // Unpark wakes the parked thread; the Parker may be destroyed by the woken
  // thread as soon as this call has made it runnable.
  void Unpark();

 private:
  // 0 = nobody unparked yet, 1 = unparked, 2 = the owner sleeps in the futex.
  // Written by the owner (0->2) and by the waker (->1).
  std::atomic<uint32_t> state_{0};
};

// BlockForever parks the calling thread for good (a nil-channel operation).
[[noreturn]] void BlockForever();

// FastRand returns a pseudo-random number from a per-thread generator.
uint64_t FastRand();

}  // namespace gox::detail
