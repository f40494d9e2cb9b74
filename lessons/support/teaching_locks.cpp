#include "teaching_locks.h"

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>

namespace lesson {
namespace {

long Futex(std::atomic<uint32_t>* addr, int op, uint32_t val) {
  return syscall(SYS_futex, reinterpret_cast<uint32_t*>(addr), op | FUTEX_PRIVATE_FLAG, val,
                 nullptr, nullptr, 0);
}

// Relax tells the CPU we are spinning (x86 pause, ARM yield).
inline void Relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace

// TicketLock: the futex word is serving_; sleepers_ lets Unlock skip the syscall.
// seq_cst on sleepers_ and serving_ orders "I sleep" against "I served": either
// Unlock sees the sleeper, or the sleeper sees the new ticket (and FUTEX_WAIT
// re-checks the word in the kernel).
void TicketLock::Lock() {
  const uint32_t ticket = next_.fetch_add(1, std::memory_order_relaxed);
  // We spin ~64 pauses (1-4 us: a PAUSE is 10-65 ns depending on the CPU), then sleep.
  for (int i = 0; i < 64; ++i) {
    if (serving_.load(std::memory_order_acquire) == ticket) return;
    Relax();
  }
  sleepers_.fetch_add(1);
  for (uint32_t s; (s = serving_.load()) != ticket;) Futex(&serving_, FUTEX_WAIT, s);
  sleepers_.fetch_sub(1);
}

void TicketLock::Unlock() {
  serving_.fetch_add(1);
  // Every sleeper re-checks its ticket; the 2-thread lesson has at most one.
  if (sleepers_.load() != 0) Futex(&serving_, FUTEX_WAKE, INT32_MAX);
}

bool TicketLock::TryLock() {
  uint32_t s = serving_.load(std::memory_order_acquire);
  uint32_t expected = s;
  return next_.compare_exchange_strong(expected, s + 1, std::memory_order_acquire,
                                       std::memory_order_relaxed);
}

void SpinLock::Lock() {
  for (int probes = 0;;) {
    if (!locked_.exchange(true, std::memory_order_acquire)) return;
    while (locked_.load(std::memory_order_relaxed)) {
      Relax();
      if (++probes % 1024 == 0) sched_yield();
    }
  }
}

}  // namespace lesson
