// sync_bench: gox's sync primitives (Go twins: bench/go/sync_bench_test.go).
//   MutexUncontended                 Lock+Unlock on one thread
//   StdMutexUncontended              (no twin) the same on std::mutex, for comparison
//   MutexContended/threads:N         N threads Lock, count, Unlock (ns per lock, all threads)
//   RWMutexReadMostly/threads:N      N readers RLock+read+RUnlock; 1 writer Lock+write+Unlock,
//                                    then sleeps 100 us (ns per read, all readers)
//   PoolGetPut4K / NewDelete4K       a 4 KiB buffer from gox::Pool (Get, touch, Put) vs
//                                    new+delete, on 1 thread and on every core
//   AtomicValueLoad/writer:0|1       Load + read a field; writer:1 = a second thread Stores
//                                    a new value in a loop meanwhile
//   SharedPtrCopy                    (no twin) copy + drop a std::shared_ptr: the floor of
//                                    AtomicValue::Load, which returns one
// Contended benchmarks count voluntary context switches per 1000 ops (vcsw_per_kop):
// a waiter that sleeps in the kernel instead of spinning shows up there.
//   MutexStarvationWait/pct:50|99|100  lesson 10's scenario: a hog re-locks at once and
//                                    sleeps 100 us inside the lock; a waiter sleeps
//                                    100 us, then locks; the time is the waiter's wait
//                                    (p50, p99, max) over a 250 ms run
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "gox/atomic_value.h"
#include "gox/mutex.h"
#include "gox/pool.h"

namespace {

using namespace std::chrono_literals;

// A gox program always has more than one thread, and once a process has had a
// second thread glibc clears __libc_single_threaded for good, which switches
// libstdc++'s shared_ptr reference counts from plain to atomic increments. We start
// (and join) one thread before any benchmark, so the first benchmarks are measured
// in the same mode as the later ones and as real programs (measured: BM_Err 6 ns
// alone vs 13 ns after a benchmark that started a thread).
const bool kMultiThreaded = [] {
  std::thread([] {}).join();
  return true;
}();
using Clock = std::chrono::steady_clock;

void BM_MutexUncontended(benchmark::State& state) {
  gox::Mutex mu;
  int64_t n = 0;
  for (auto _ : state) {
    mu.Lock();
    ++n;
    mu.Unlock();
  }
  benchmark::DoNotOptimize(n);
}
BENCHMARK(BM_MutexUncontended);

void BM_StdMutexUncontended(benchmark::State& state) {
  std::mutex mu;
  int64_t n = 0;
  for (auto _ : state) {
    mu.lock();
    ++n;
    mu.unlock();
  }
  benchmark::DoNotOptimize(n);
}
BENCHMARK(BM_StdMutexUncontended);

// VoluntarySwitches is the process's voluntary context switches so far.
int64_t VoluntarySwitches() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_nvcsw;
}

// CountSwitches reports vcsw_per_kop; thread 0 calls it with the count before its loop.
void CountSwitches(benchmark::State& state, int64_t before) {
  if (state.thread_index() != 0) return;
  const double ops = static_cast<double>(state.iterations()) * state.threads();
  state.counters["vcsw_per_kop"] = static_cast<double>(VoluntarySwitches() - before) * 1000 / ops;
}

gox::Mutex g_mu;
int64_t g_count = 0;     // guarded by g_mu
int g_owner = -1;        // guarded by g_mu: the thread that held it last
int64_t g_handoffs = 0;  // guarded by g_mu: times the lock changed threads

// MutexContended also counts hand-offs per 1000 ops (handoffs_per_kop): how often
// the lock went to another thread than the one that held it last.
void BM_MutexContended(benchmark::State& state) {
  const int me = state.thread_index();
  if (me == 0) g_handoffs = 0;  // before the start barrier: no one holds g_mu
  const int64_t before = VoluntarySwitches();
  for (auto _ : state) {
    g_mu.Lock();
    ++g_count;
    if (g_owner != me) {
      g_owner = me;
      ++g_handoffs;
    }
    g_mu.Unlock();
  }
  CountSwitches(state, before);
  if (me == 0) {
    g_mu.Lock();  // the others may still be in their last iterations
    state.counters["handoffs_per_kop"] =
        static_cast<double>(g_handoffs) * 1000 /
        (static_cast<double>(state.iterations()) * state.threads());
    g_mu.Unlock();
  }
}
BENCHMARK(BM_MutexContended)->Threads(2)->Threads(4)->UseRealTime();

gox::RWMutex g_rw;
int64_t g_shared = 0;  // guarded by g_rw
std::atomic<bool> g_writer_stop{false};
std::thread g_writer;

void BM_RWMutexReadMostly(benchmark::State& state) {
  if (state.thread_index() == 0) {
    g_writer_stop.store(false);
    g_writer = std::thread([] {
      while (!g_writer_stop.load(std::memory_order_relaxed)) {
        g_rw.Lock();
        ++g_shared;
        g_rw.Unlock();
        std::this_thread::sleep_for(100us);
      }
    });
  }
  const int64_t before = VoluntarySwitches();
  int64_t sum = 0;
  for (auto _ : state) {
    g_rw.RLock();
    sum += g_shared;
    g_rw.RUnlock();
  }
  benchmark::DoNotOptimize(sum);
  CountSwitches(state, before);
  if (state.thread_index() == 0) {
    g_writer_stop.store(true);
    g_writer.join();
  }
}
BENCHMARK(BM_RWMutexReadMostly)->Threads(2)->Threads(4)->UseRealTime();

using Buf = std::array<char, 4096>;
gox::Pool<Buf> g_pool([] { return std::make_unique<Buf>(); });

void BM_PoolGetPut4K(benchmark::State& state) {
  for (auto _ : state) {
    std::unique_ptr<Buf> b = g_pool.Get();
    (*b)[0] = 1;
    (*b)[4095] = 2;
    benchmark::DoNotOptimize(b.get());
    g_pool.Put(std::move(b));
  }
}
BENCHMARK(BM_PoolGetPut4K)->Threads(1)->ThreadPerCpu()->UseRealTime();

void BM_NewDelete4K(benchmark::State& state) {
  for (auto _ : state) {
    auto b = std::make_unique_for_overwrite<Buf>();
    (*b)[0] = 1;
    (*b)[4095] = 2;
    benchmark::DoNotOptimize(b.get());
  }
}
BENCHMARK(BM_NewDelete4K)->Threads(1)->ThreadPerCpu()->UseRealTime();

struct Config {
  int64_t version;
  int64_t limit;
};

void BM_AtomicValueLoad(benchmark::State& state) {
  gox::AtomicValue<Config> v;
  v.Store(std::make_shared<const Config>(Config{0, 100}));
  std::atomic<bool> stop{false};
  std::atomic<int64_t> stores{0};
  std::thread writer;
  if (state.range(0) != 0) {
    writer = std::thread([&] {
      for (int64_t i = 1; !stop.load(std::memory_order_relaxed); ++i) {
        v.Store(std::make_shared<const Config>(Config{i, 100}));
        stores.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  int64_t sum = 0;
  for (auto _ : state) sum += v.Load()->limit;
  benchmark::DoNotOptimize(sum);
  stop.store(true);
  if (writer.joinable()) writer.join();
  state.counters["stores"] = static_cast<double>(stores.load());
}
BENCHMARK(BM_AtomicValueLoad)->ArgName("writer")->Arg(0)->Arg(1)->UseRealTime();

void BM_SharedPtrCopy(benchmark::State& state) {
  auto p = std::make_shared<const Config>(Config{0, 100});
  int64_t sum = 0;
  for (auto _ : state) {
    std::shared_ptr<const Config> q = p;
    benchmark::DoNotOptimize(q);
    sum += q->limit;
  }
  benchmark::DoNotOptimize(sum);
}
BENCHMARK(BM_SharedPtrCopy);

// Starvation runs lesson 10's scenario once on gox::Mutex and returns the waiter's
// sorted waits in ns.
std::vector<double> Starvation(std::chrono::nanoseconds run, int64_t* hog_acquisitions) {
  gox::Mutex mu;
  std::vector<double> waits;
  waits.reserve(1 << 14);
  std::atomic<bool> stop{false};
  std::thread waiter([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      std::this_thread::sleep_for(100us);
      auto asked = Clock::now();
      mu.Lock();
      auto got = Clock::now();
      mu.Unlock();
      waits.push_back(std::chrono::duration<double, std::nano>(got - asked).count());
    }
  });
  int64_t hog = 0;
  for (const auto end = Clock::now() + run; Clock::now() < end; ++hog) {
    mu.Lock();
    std::this_thread::sleep_for(100us);
    mu.Unlock();
  }
  stop.store(true);
  waiter.join();
  std::sort(waits.begin(), waits.end());
  *hog_acquisitions = hog;
  return waits;
}

void BM_MutexStarvationWait(benchmark::State& state) {
  const int64_t pct = state.range(0);
  for (auto _ : state) {
    int64_t hog = 0;
    std::vector<double> w = Starvation(250ms, &hog);
    double pick = 0;
    if (!w.empty()) {
      std::size_t i = pct >= 100 ? w.size() - 1 : w.size() * pct / 100;
      pick = w[std::min(i, w.size() - 1)];
    }
    state.SetIterationTime(pick / 1e9);
    state.counters["waiter_acq"] = static_cast<double>(w.size());
    state.counters["hog_acq"] = static_cast<double>(hog);
  }
}
BENCHMARK(BM_MutexStarvationWait)
    ->ArgName("pct")
    ->Arg(50)
    ->Arg(99)
    ->Arg(100)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
