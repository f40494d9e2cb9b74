#include "gox/mutex.h"

#include <chrono>
#include <thread>

#include "gox/detail/parker.h"
#include "gox/error.h"

namespace gox {
namespace detail {

struct Sema::Waiter {
  Parker parker;
  Waiter* next = nullptr;
};

void Sema::Acquire(bool lifo) {
  Waiter w;
  {
    std::lock_guard lock(mu_);
    if (count_ > 0) {
      --count_;
      return;
    }
    if (head_ == nullptr) {
      head_ = tail_ = &w;
    } else if (lifo) {
      w.next = head_;
      head_ = &w;
    } else {
      tail_->next = &w;
      tail_ = &w;
    }
  }
  w.parker.Park();
}

void Sema::Release() {
  Waiter* w = nullptr;
  {
    std::lock_guard lock(mu_);
    if (head_ == nullptr) {
      ++count_;
      return;
    }
    w = head_;
    head_ = w->next;
    if (head_ == nullptr) tail_ = nullptr;
  }
  w->parker.Unpark();  // w lives on the waiter's stack until Park returns
}

}  // namespace detail

namespace {

// Go's sync.Mutex constants: spin at most 4 rounds of 30 pauses, and only on a
// multicore machine; a waiter starves after 1 ms.
constexpr int kActiveSpin = 4;
constexpr int kActiveSpinCount = 30;
constexpr auto kStarvationThreshold = std::chrono::milliseconds(1);

bool CanSpin(int iter) {
  static const bool multicore = std::thread::hardware_concurrency() > 1;
  return multicore && iter < kActiveSpin;
}

void DoSpin() {
  for (int i = 0; i < kActiveSpinCount; ++i) detail::CpuRelax();
}

}  // namespace

// LockSlow is Go's (*Mutex).lockSlow, line for line where C++ allows.
void Mutex::LockSlow() {
  using Clock = std::chrono::steady_clock;
  Clock::time_point wait_start{};
  bool waited = false;
  bool starving = false;
  bool awoke = false;
  int iter = 0;
  int32_t old = state_.load(std::memory_order_relaxed);
  for (;;) {
    // We spin only in normal mode while the mutex is held: in starvation mode
    // ownership is handed to a waiter, so spinning cannot win it.
    if ((old & (kLocked | kStarving)) == kLocked && CanSpin(iter)) {
      // We set the woken flag so Unlock does not wake a parked waiter in vain.
      if (!awoke && (old & kWoken) == 0 && (old >> kWaiterShift) != 0 &&
          state_.compare_exchange_weak(old, old | kWoken, std::memory_order_relaxed)) {
        awoke = true;
      }
      DoSpin();
      ++iter;
      old = state_.load(std::memory_order_relaxed);
      continue;
    }
    int32_t desired = old;
    // We never barge in starvation mode: newcomers queue behind the waiters.
    if ((old & kStarving) == 0) desired |= kLocked;
    if ((old & (kLocked | kStarving)) != 0) desired += 1 << kWaiterShift;
    // We switch to starvation mode only while the mutex is held (else Unlock
    // would find no waiter to hand it to).
    if (starving && (old & kLocked) != 0) desired |= kStarving;
    if (awoke) {
      if ((desired & kWoken) == 0) throw Panic("sync: inconsistent mutex state");
      desired &= ~kWoken;
    }
    if (state_.compare_exchange_weak(old, desired, std::memory_order_acquire,
                                     std::memory_order_relaxed)) {
      if ((old & (kLocked | kStarving)) == 0) return;  // locked with CAS
      // A waiter that waited before goes back to the front of the queue (LIFO).
      bool lifo = waited;
      if (!waited) {
        wait_start = Clock::now();
        waited = true;
      }
      sema_.Acquire(lifo);
      starving = starving || Clock::now() - wait_start > kStarvationThreshold;
      old = state_.load(std::memory_order_acquire);
      if ((old & kStarving) != 0) {
        // Ownership was handed to us: the locked bit is clear and we are counted
        // as a waiter. We take the lock and drop our waiter count.
        if ((old & (kLocked | kWoken)) != 0 || (old >> kWaiterShift) == 0) {
          throw Panic("sync: inconsistent mutex state");
        }
        int32_t delta = kLocked - (1 << kWaiterShift);
        // We leave starvation mode if we did not starve or were the last waiter,
        // otherwise two threads could hand the lock back and forth for ever.
        if (!starving || (old >> kWaiterShift) == 1) delta -= kStarving;
        state_.fetch_add(delta, std::memory_order_acquire);
        return;
      }
      awoke = true;
      iter = 0;
    }
    // A failed CAS reloaded old.
  }
}

void Mutex::Unlock() {
  // Fast path: locked, nobody waiting. One CAS and no load before it: a plain
  // load first could fetch the line shared and the CAS fetch it again (Go's
  // Unlock is one atomic add). A failed CAS leaves the current state in old.
  int32_t old = kLocked;
  if (state_.compare_exchange_strong(old, 0, std::memory_order_release,
                                     std::memory_order_relaxed)) {
    return;
  }
  int32_t desired;
  do {
    if ((old & kLocked) == 0) throw Panic("sync: unlock of unlocked mutex");
    desired = old - kLocked;
  } while (!state_.compare_exchange_weak(old, desired, std::memory_order_release,
                                         std::memory_order_relaxed));
  if (desired != 0) UnlockSlow(desired);
}

void Mutex::UnlockSlow(int32_t new_state) {
  if ((new_state & kStarving) != 0) {
    // Starvation mode: hand ownership to the oldest waiter. The locked bit stays
    // clear but newcomers see the starving bit and queue.
    sema_.Release();
    return;
  }
  int32_t old = new_state;
  for (;;) {
    // Nobody to wake, or someone already woke/locked/starved it: done.
    if ((old >> kWaiterShift) == 0 || (old & (kLocked | kWoken | kStarving)) != 0) return;
    int32_t desired = (old - (1 << kWaiterShift)) | kWoken;
    if (state_.compare_exchange_weak(old, desired, std::memory_order_release,
                                     std::memory_order_relaxed)) {
      sema_.Release();
      return;
    }
  }
}

bool Mutex::TryLock() {
  int32_t old = state_.load(std::memory_order_relaxed);
  if ((old & (kLocked | kStarving)) != 0) return false;
  // There may be a waiter that wants the lock; we compete like a barging newcomer.
  return state_.compare_exchange_strong(old, old | kLocked, std::memory_order_acquire,
                                        std::memory_order_relaxed);
}

// RWMutex is Go's rwmutex.go: readers count themselves in reader_count_; a writer
// subtracts kMaxReaders so later readers see a negative count and wait.
void RWMutex::RLock() {
  if (reader_count_.fetch_add(1, std::memory_order_acquire) + 1 < 0) {
    reader_sem_.Acquire();  // a writer is pending: wait for it
  }
}

void RWMutex::RUnlock() {
  int32_t r = reader_count_.fetch_sub(1, std::memory_order_release) - 1;
  if (r >= 0) return;
  if (r + 1 == 0 || r + 1 == -kMaxReaders) {
    reader_count_.fetch_add(1, std::memory_order_relaxed);  // undo, then panic
    throw Panic("sync: RUnlock of unlocked RWMutex");
  }
  // A writer is pending; the last departing reader wakes it.
  if (reader_wait_.fetch_sub(1, std::memory_order_acq_rel) - 1 == 0) writer_sem_.Release();
}

void RWMutex::Lock() {
  w_.Lock();
  // We announce the pending writer; r readers are still inside.
  int32_t r = reader_count_.fetch_sub(kMaxReaders, std::memory_order_acq_rel);
  if (r != 0 && reader_wait_.fetch_add(r, std::memory_order_acq_rel) + r != 0) {
    writer_sem_.Acquire();
  }
}

void RWMutex::Unlock() {
  int32_t r = reader_count_.fetch_add(kMaxReaders, std::memory_order_release) + kMaxReaders;
  if (r >= kMaxReaders) {
    reader_count_.fetch_sub(kMaxReaders, std::memory_order_relaxed);  // undo, then panic
    throw Panic("sync: Unlock of unlocked RWMutex");
  }
  // We let in the readers that blocked while we held the lock.
  for (int32_t i = 0; i < r; ++i) reader_sem_.Release();
  w_.Unlock();
}

bool RWMutex::TryRLock() {
  int32_t c = reader_count_.load(std::memory_order_relaxed);
  for (;;) {
    if (c < 0) return false;
    if (reader_count_.compare_exchange_weak(c, c + 1, std::memory_order_acquire,
                                            std::memory_order_relaxed)) {
      return true;
    }
  }
}

bool RWMutex::TryLock() {
  if (!w_.TryLock()) return false;
  int32_t zero = 0;
  if (!reader_count_.compare_exchange_strong(zero, -kMaxReaders, std::memory_order_acquire,
                                             std::memory_order_relaxed)) {
    w_.Unlock();
    return false;
  }
  return true;
}

}  // namespace gox
