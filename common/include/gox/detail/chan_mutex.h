// detail/chan_mutex.h: the lock of one channel (internal).
// A futex mutex (Drepper's "mutex 2") that spins briefly before sleeping, as
// Go's runtime lock does: channel critical sections last tens of nanoseconds,
// so a contended waiter usually gets the lock without a system call.
// Ordering: unlock() happens before the next lock() that acquires it.
#pragma once

#include <atomic>
#include <cstdint>

namespace gox::detail {

class ChanMutex {
 public:
  void lock() {
    uint32_t unlocked = 0;
    if (state_.compare_exchange_strong(unlocked, 1, std::memory_order_acquire)) return;
    LockSlow();
  }
  bool try_lock() {
    uint32_t unlocked = 0;
    return state_.compare_exchange_strong(unlocked, 1, std::memory_order_acquire);
  }
  void unlock() {
    if (state_.exchange(0, std::memory_order_release) == 2) WakeOne();
  }

 private:
  void LockSlow();
  void WakeOne();
  // 0 unlocked, 1 locked, 2 locked and a thread may sleep in the futex.
  std::atomic<uint32_t> state_{0};
};

}  // namespace gox::detail
