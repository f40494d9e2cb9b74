// go_bench: starting goroutines. gox::Go reuses cached threads; a fresh
// std::thread per task pays thread creation and join every time.
//   GoWaitGroup1000   1000 gox::Go of a trivial task, then WaitGroup.Wait
//   StdThread1000     1000 std::thread of the same task, then join each
#include <benchmark/benchmark.h>

#include <atomic>
#include <thread>
#include <vector>

#include "gox/go.h"
#include "gox/wait_group.h"

namespace {

constexpr int kTasks = 1000;

void BM_GoWaitGroup1000(benchmark::State& state) {
  std::atomic<int> sum{0};
  for (auto _ : state) {
    gox::WaitGroup wg;
    wg.Add(kTasks);
    for (int i = 0; i < kTasks; ++i) {
      gox::Go([&] {
        sum.fetch_add(1, std::memory_order_relaxed);
        wg.Done();
      });
    }
    wg.Wait();
  }
  benchmark::DoNotOptimize(sum.load());
  state.SetItemsProcessed(state.iterations() * kTasks);
}
BENCHMARK(BM_GoWaitGroup1000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_StdThread1000(benchmark::State& state) {
  std::atomic<int> sum{0};
  for (auto _ : state) {
    std::vector<std::thread> threads;
    threads.reserve(kTasks);
    for (int i = 0; i < kTasks; ++i) {
      threads.emplace_back([&] { sum.fetch_add(1, std::memory_order_relaxed); });
    }
    for (auto& t : threads) t.join();
  }
  benchmark::DoNotOptimize(sum.load());
  state.SetItemsProcessed(state.iterations() * kTasks);
}
BENCHMARK(BM_StdThread1000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
