// mutex.h: gox::Mutex and gox::RWMutex (Go's sync.Mutex, sync.RWMutex).
//   Mutex     Lock/Unlock/TryLock. Normal mode: a newcomer may barge past parked
//             waiters and spins briefly first (throughput). A waiter that waited
//             more than 1 ms switches the mutex to starvation mode (锁饥饿 cure):
//             Unlock hands ownership straight to the oldest waiter, newcomers queue.
//             Back to normal when the queue empties or a waiter waited < 1 ms.
//   RWMutex   writer-preferring like Go's: once a writer waits in Lock, new RLock
//             calls block until it has had its turn (glibc's default rwlock does not).
// Ordering: Unlock (RUnlock) happens-before the Lock (RLock) that next acquires.
// Panics: Mutex::Unlock of an unlocked mutex ("sync: unlock of unlocked mutex"),
// RWMutex::RUnlock without a reader / Unlock without a writer (Go's texts).
// Waiters park on a futex (no polling); any thread may Unlock, as in Go.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

namespace gox {
namespace detail {

// Sema is Go's runtime semaphore as the mutexes use it: Acquire blocks until the
// count is positive and takes one (lifo: queue at the front, a re-waiting waiter);
// Release adds one or wakes the oldest waiter.
class Sema {
 public:
  void Acquire(bool lifo = false);
  void Release();

 private:
  struct Waiter;
  std::mutex mu_;
  uint32_t count_ = 0;      // guarded by mu_
  Waiter* head_ = nullptr;  // guarded by mu_; FIFO, head wakes first
  Waiter* tail_ = nullptr;  // guarded by mu_
};

}  // namespace detail

class Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  // Lock blocks until the mutex is ours.
  void Lock() {
    int32_t expected = 0;
    if (state_.compare_exchange_strong(expected, kLocked, std::memory_order_acquire)) return;
    LockSlow();
  }
  // Unlock releases the mutex (any thread may call it). Panics if it is not locked.
  // Fast path: one CAS kLocked -> 0 (release), with no load before it; any other
  // state (waiters, woken, starving, or not locked) takes the checked loop.
  void Unlock();
  // TryLock locks the mutex if that can be done without waiting.
  bool TryLock();
  // Starving reports whether the mutex is in starvation mode right now (a snapshot,
  // for timelines and tests; not for control flow).
  bool Starving() const { return state_.load(std::memory_order_relaxed) & kStarving; }

  void lock() { Lock(); }
  void unlock() { Unlock(); }
  bool try_lock() { return TryLock(); }

 private:
  // state_ encodes Go's mutex.state: bit 0 locked, bit 1 a waiter is awake (the
  // unlocker need not wake another), bit 2 starvation mode, bits 3.. the number of
  // waiters blocked (or about to block) on sema_.
  static constexpr int32_t kLocked = 1;
  static constexpr int32_t kWoken = 2;
  static constexpr int32_t kStarving = 4;
  static constexpr int kWaiterShift = 3;

  void LockSlow();
  void UnlockSlow(int32_t new_state);

  std::atomic<int32_t> state_{0};
  detail::Sema sema_;
};

class RWMutex {
 public:
  RWMutex() = default;
  RWMutex(const RWMutex&) = delete;
  RWMutex& operator=(const RWMutex&) = delete;

  // RLock blocks while a writer holds the lock or waits for it.
  void RLock();
  // RUnlock releases one read lock. Panics if no read lock is held.
  void RUnlock();
  // Lock blocks until no reader and no writer holds the lock; from the moment it
  // is called, new readers wait.
  void Lock();
  // Unlock releases the write lock and lets the readers that queued behind it in.
  // Panics if the write lock is not held.
  void Unlock();
  // TryRLock and TryLock acquire only if that can be done without waiting.
  bool TryRLock();
  bool TryLock();

  void lock() { Lock(); }
  void unlock() { Unlock(); }
  bool try_lock() { return TryLock(); }
  void lock_shared() { RLock(); }
  void unlock_shared() { RUnlock(); }
  bool try_lock_shared() { return TryRLock(); }

 private:
  static constexpr int32_t kMaxReaders = 1 << 30;

  Mutex w_;                               // held by the writer (serialises writers)
  detail::Sema writer_sem_;               // the writer waits here for readers to leave
  detail::Sema reader_sem_;               // readers wait here for the writer to finish
  std::atomic<int32_t> reader_count_{0};  // readers in; minus kMaxReaders once a writer came
  std::atomic<int32_t> reader_wait_{0};   // readers the waiting writer still waits for
};

}  // namespace gox
