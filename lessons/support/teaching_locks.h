// teaching_locks.h: two locks that exist only to be compared in lesson 10 (not part
// of gox: no Go twin, no owner checks). Both satisfy Lockable (lock/unlock/try_lock).
//   lesson::TicketLock  FIFO hand-off: Lock takes a ticket, Unlock serves the next
//                       one, so ownership passes strictly in arrival order (fair, slow).
//   lesson::SpinLock    test-and-test-and-set: waiters burn CPU until the flag is free
//                       (unfair: whoever sees it free first wins).
// Ordering: Unlock happens-before the Lock that next acquires (release/acquire on the
// lock word). Unlock of an unlocked lock is undefined (no owner check).
#pragma once

#include <atomic>
#include <cstdint>

namespace lesson {

// TicketLock waiters spin a few microseconds, then sleep on a futex.
class TicketLock {
 public:
  void Lock();
  void Unlock();
  bool TryLock();
  void lock() { Lock(); }
  void unlock() { Unlock(); }
  bool try_lock() { return TryLock(); }

 private:
  std::atomic<uint32_t> next_{0};      // next ticket to hand out
  std::atomic<uint32_t> serving_{0};   // ticket that owns the lock; written by the owner
  std::atomic<uint32_t> sleepers_{0};  // waiters asleep on serving_ (Unlock skips the wake if 0)
};

// SpinLock: after ~1000 failed probes a waiter calls sched_yield, so a preempted
// owner can run on a 2-core machine.
class SpinLock {
 public:
  void Lock();
  void Unlock() { locked_.store(false, std::memory_order_release); }
  bool TryLock() {
    return !locked_.load(std::memory_order_relaxed) &&
           !locked_.exchange(true, std::memory_order_acquire);
  }
  void lock() { Lock(); }
  void unlock() { Unlock(); }
  bool try_lock() { return TryLock(); }

 private:
  std::atomic<bool> locked_{false};
};

}  // namespace lesson
