// chan_mutex.cpp: the slow path of detail::ChanMutex (spin, then sleep on a futex).
#include "gox/detail/chan_mutex.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gox/detail/parker.h"

namespace gox::detail {
namespace {

void FutexCall(std::atomic<uint32_t>* addr, int op, uint32_t val) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(addr), op | FUTEX_PRIVATE_FLAG, val, nullptr,
          nullptr, 0);
}

}  // namespace

void ChanMutex::LockSlow() {
  for (int i = 0; i < 100; ++i) {
    CpuRelax();
    uint32_t unlocked = 0;
    if (state_.load(std::memory_order_relaxed) == 0 &&
        state_.compare_exchange_weak(unlocked, 1, std::memory_order_acquire))
      return;
  }
  while (state_.exchange(2, std::memory_order_acquire) != 0) FutexCall(&state_, FUTEX_WAIT, 2);
}

void ChanMutex::WakeOne() { FutexCall(&state_, FUTEX_WAKE, 1); }

}  // namespace gox::detail
