// wait_group.h: gox::WaitGroup, Go's sync.WaitGroup.
//   Add(delta)  adds delta (may be negative) to the counter.
//   Done()      Add(-1).
//   Wait()      blocks until the counter is zero; returns at once if it is.
// Ordering: everything a goroutine did before its Done() is visible after the
// Wait() it releases. Panics: a negative counter ("sync: negative WaitGroup
// counter"); the counter is left unchanged then. Not copyable (Go: must not be copied).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "gox/error.h"

namespace gox {

class WaitGroup {
 public:
  WaitGroup() = default;
  WaitGroup(const WaitGroup&) = delete;
  WaitGroup& operator=(const WaitGroup&) = delete;

  // Add adds delta to the counter; when it reaches zero, every Wait returns.
  void Add(int delta) {
    std::lock_guard lock(mu_);
    if (n_ + delta < 0) throw Panic("sync: negative WaitGroup counter");
    n_ += delta;
    if (n_ == 0) cv_.notify_all();
  }
  // Done decrements the counter by one.
  void Done() { Add(-1); }
  // Wait blocks until the counter is zero.
  void Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return n_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int64_t n_ = 0;  // guarded by mu_
};

}  // namespace gox
