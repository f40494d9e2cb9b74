// once.h: gox::Once, Go's sync.Once.
//   Do(f)  calls f() if and only if Do is called for the first time on this Once;
//          concurrent callers wait until that first f() has returned.
// Go semantics, unlike std::call_once: if f throws, the exception reaches that
// caller and the Once is still done (std::call_once would let the next caller
// retry). Ordering: f's effects are visible to every Do that returns.
// Invalid: calling Do on the same Once from inside f (deadlocks, as in Go).
#pragma once

#include <atomic>
#include <mutex>
#include <utility>

namespace gox {

class Once {
 public:
  Once() = default;
  Once(const Once&) = delete;
  Once& operator=(const Once&) = delete;

  // Do runs f once; later calls do nothing (see the file comment).
  template <class F>
  void Do(F&& f) {
    if (done_.load(std::memory_order_acquire)) return;
    std::lock_guard lock(mu_);
    if (done_.load(std::memory_order_relaxed)) return;
    struct MarkDone {
      std::atomic<bool>& d;
      ~MarkDone() { d.store(true, std::memory_order_release); }
    } mark{done_};
    std::forward<F>(f)();
  }

 private:
  std::mutex mu_;
  std::atomic<bool> done_{false};  // written under mu_ once f has returned or thrown
};

}  // namespace gox
