#include "gox/detail/parker.h"

#include <sched.h>

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <chrono>
#include <climits>
#include <cstdlib>

namespace gox::detail {
namespace {

long Futex(std::atomic<uint32_t>* addr, int op, uint32_t val,
           const struct timespec* timeout = nullptr) {
  return syscall(SYS_futex, reinterpret_cast<uint32_t*>(addr), op | FUTEX_PRIVATE_FLAG, val,
                 timeout, nullptr, 0);
}

// How long Park spins before it sleeps: first actively (pause), then passively
// (sched_yield, so a runnable thread on this core goes first). A hand-off between
// two running threads takes a few hundred ns; a futex sleep and wake-up costs
// tens of microseconds on a virtual machine, and once one side sleeps the other
// tends to sleep too. GOX_SPIN_NS / GOX_YIELD_NS override them (for experiments).
std::chrono::nanoseconds EnvNs(const char* name, long long def) {
  const char* e = std::getenv(name);
  return std::chrono::nanoseconds(e != nullptr ? std::atoll(e) : def);
}
const std::chrono::nanoseconds kSpin = EnvNs("GOX_SPIN_NS", 10000);
const std::chrono::nanoseconds kYield = EnvNs("GOX_YIELD_NS", 20000);

int Ncpu() {
  static const int n = [] {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    return c > 0 ? static_cast<int>(c) : 1;
  }();
  return n;
}

std::atomic<int> g_spinners{0};
std::atomic<int> g_peak_spinners{0};

void RecordPeak(int now);

// TrySpin takes a spinner slot if the machine has a CPU to spare for it.
bool TrySpin() {
  const int ncpu = Ncpu();
  if (ncpu < 2 || ActiveGoroutineThreads() > ncpu) return false;
  int now = g_spinners.fetch_add(1, std::memory_order_relaxed) + 1;
  if (now > MaxSpinners()) {
    g_spinners.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  RecordPeak(now);
  return true;
}

// TrySpinOrWait is TrySpin with a grace of ~1 us when the slots are taken: in
// a ping-pong the other side is just leaving its spin (it saw our Unpark) and
// frees its slot a few hundred ns later. True: the caller holds a slot.
// False: state_ became 1 meanwhile (*woken) or no slot came (sleep).
bool TrySpinOrWait(const std::atomic<uint32_t>& state, bool* woken) {
  if (TrySpin()) return true;
  for (int i = 0; i < 64; ++i) {  // ~1 us of pause
    CpuRelax();
    if (state.load(std::memory_order_acquire) == 1) {
      *woken = true;
      return false;
    }
    if (g_spinners.load(std::memory_order_relaxed) < MaxSpinners() && TrySpin()) return true;
  }
  return false;
}

void RecordPeak(int now) {
  int peak = g_peak_spinners.load(std::memory_order_relaxed);
  while (now > peak && !g_peak_spinners.compare_exchange_weak(peak, now)) {
  }
}

// Spin waits for state 1 up to kSpin + kYield; true if it came.
bool Spin(const std::atomic<uint32_t>& state) {
  auto deadline = std::chrono::steady_clock::now() + kSpin;
  for (int i = 1;; ++i) {
    CpuRelax();
    if (state.load(std::memory_order_acquire) == 1) return true;
    if ((i & 31) == 0 && std::chrono::steady_clock::now() > deadline) break;
  }
  deadline = std::chrono::steady_clock::now() + kYield;
  while (std::chrono::steady_clock::now() < deadline) {
    sched_yield();
    if (state.load(std::memory_order_acquire) == 1) return true;
  }
  return false;
}

}  // namespace

int MaxSpinners() {
  // GOX_MAX_SPINNERS overrides the bound (for experiments).
  static const int n = [] {
    const char* e = std::getenv("GOX_MAX_SPINNERS");
    if (e != nullptr && std::atoi(e) > 0) return std::atoi(e);
    return Ncpu() / 2 > 1 ? Ncpu() / 2 : 1;
  }();
  return n;
}
int Spinners() { return g_spinners.load(std::memory_order_relaxed); }
int PeakSpinners() { return g_peak_spinners.load(std::memory_order_relaxed); }
void ResetPeakSpinners() { g_peak_spinners.store(0, std::memory_order_relaxed); }

void Parker::Park() { ParkFor(std::chrono::nanoseconds::max()); }

bool Parker::ParkFor(std::chrono::nanoseconds limit) {
  if (state_.load(std::memory_order_acquire) == 1) return true;
  const auto start = std::chrono::steady_clock::now();
  const bool forever = limit == std::chrono::nanoseconds::max();
  bool woken = false;
  if (TrySpinOrWait(state_, &woken)) {
    bool got = Spin(state_);
    g_spinners.fetch_sub(1, std::memory_order_relaxed);
    if (got) return true;
  } else if (woken) {
    return true;
  }
  BeforeSleep();
  bool unparked = Sleep(start, forever, limit);
  AfterSleep();
  return unparked;
}

bool Parker::Sleep(std::chrono::steady_clock::time_point start, bool forever,
                   std::chrono::nanoseconds limit) {
  uint32_t expected = 0;
  if (!state_.compare_exchange_strong(expected, 2, std::memory_order_acquire)) return true;
  while (state_.load(std::memory_order_acquire) != 1) {
    if (forever) {
      Futex(&state_, FUTEX_WAIT, 2);
      continue;
    }
    auto left = limit - (std::chrono::steady_clock::now() - start);
    if (left <= std::chrono::nanoseconds::zero()) {
      expected = 2;
      if (state_.compare_exchange_strong(expected, 0, std::memory_order_acquire)) return false;
      return true;  // unparked just now
    }
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(left);
    struct timespec ts {
      static_cast<time_t>(secs.count()), static_cast<long>((left - secs).count())
    };
    Futex(&state_, FUTEX_WAIT, 2, &ts);
  }
  return true;
}

void Parker::Unpark() {
  if (state_.exchange(1, std::memory_order_release) == 2) {
    // The owner may already be gone (spurious futex return saw 1); a wake on
    // its old address is harmless: every futex wait here re-checks its word.
    Futex(&state_, FUTEX_WAKE, 1);
  }
}

void BlockForever() {
  for (;;) {
    Parker p;
    p.Park();
  }
}

uint64_t FastRand() {
  thread_local uint64_t s = [] {
    uint64_t seed =
        static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    seed ^= reinterpret_cast<uintptr_t>(&seed);
    return seed | 1;
  }();
  // splitmix64
  uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace gox::detail
