// go_bench: starting goroutines on the run queue (go.h), against a fresh
// std::thread per task. Go twins: bench/go (see bench/twins/go.txt).
//   GoWaitGroup1000    1000 gox::Go of a trivial task, then WaitGroup.Wait
//                      (counter peak_threads: most worker threads alive at once)
//   GoBurst10000       the same with 10,000 goroutines in one burst
//   BlockedRelease10000  10,000 goroutines block on one channel, then its close
//                      releases them all (counter rss_kb_per_goroutine: RSS
//                      growth while all are blocked, over the first iteration)
//   StdThread1000      1000 std::thread of the same task, then join each
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include "gox/chan.h"
#include "gox/go.h"
#include "gox/wait_group.h"

namespace {

// RssKb is this process's resident set size in KiB.
long RssKb() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

void GoWaitGroup(benchmark::State& state, int n) {
  std::atomic<int> sum{0};
  gox::detail::ResetPeakThreads();
  for (auto _ : state) {
    gox::WaitGroup wg;
    wg.Add(n);
    for (int i = 0; i < n; ++i) {
      gox::Go([&] {
        sum.fetch_add(1, std::memory_order_relaxed);
        wg.Done();
      });
    }
    wg.Wait();
  }
  benchmark::DoNotOptimize(sum.load());
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["peak_threads"] = gox::detail::PeakThreads();
}

void BM_GoWaitGroup1000(benchmark::State& state) { GoWaitGroup(state, 1000); }
BENCHMARK(BM_GoWaitGroup1000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_GoBurst10000(benchmark::State& state) { GoWaitGroup(state, 10000); }
BENCHMARK(BM_GoBurst10000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_BlockedRelease10000(benchmark::State& state) {
  constexpr int kN = 10000;
  // Measured once per process, on the first run: later runs reuse the idle
  // threads (and their touched stacks) of the first.
  static const long base = RssKb();
  static double per = 0;
  for (auto _ : state) {
    gox::Chan<int> release(0);
    gox::WaitGroup blocked, done;
    blocked.Add(kN);
    done.Add(kN);
    for (int i = 0; i < kN; ++i) {
      gox::Go([&, release]() mutable {
        blocked.Done();
        (void)release.Recv();
        done.Done();
      });
    }
    blocked.Wait();  // each is about to block (or blocked) in Recv
    if (per == 0) per = static_cast<double>(RssKb() - base) / kN;
    release.Close();
    done.Wait();
  }
  state.counters["rss_kb_per_goroutine"] = per;
}
BENCHMARK(BM_BlockedRelease10000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_StdThread1000(benchmark::State& state) {
  std::atomic<int> sum{0};
  for (auto _ : state) {
    std::vector<std::thread> threads;
    threads.reserve(1000);
    for (int i = 0; i < 1000; ++i) {
      threads.emplace_back([&] { sum.fetch_add(1, std::memory_order_relaxed); });
    }
    for (auto& t : threads) t.join();
  }
  benchmark::DoNotOptimize(sum.load());
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_StdThread1000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
