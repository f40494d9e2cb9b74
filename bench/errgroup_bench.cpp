// errgroup_bench: gox::ErrGroup fan-out against the bare gox::Go + WaitGroup it wraps.
//   ErrGroup/GoWait/1000       Go 1000 trivial tasks, then Wait (per batch; ns/task counter)
//   ErrGroup/WithContext/1000  the same through WithContext (a context cancelled by Wait)
//   ErrGroup/Limit4/1000       the same with SetLimit(4)
//   GoWaitGroup/1000           the baseline: gox::Go + gox::WaitGroup
// Counters: ns_per_task, cs_per_task (context switches of the process per task).
#include <benchmark/benchmark.h>

#include <sys/resource.h>

#include <atomic>
#include <chrono>

#include "gox/err_group.h"
#include "gox/go.h"
#include "gox/wait_group.h"

namespace {

// ContextSwitches is this process's context switches so far (all threads,
// voluntary and involuntary).
long ContextSwitches() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_nvcsw + ru.ru_nivcsw;
}

// SetPerTask reports the wall time and the context switches per task (the
// benchmarks use real time; start_cs is ContextSwitches() before the loop).
void SetPerTask(benchmark::State& state, int n, std::chrono::steady_clock::time_point start,
                long start_cs) {
  std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - start;
  const double tasks = static_cast<double>(n) * state.iterations();
  state.counters["ns_per_task"] = took.count() / tasks;
  state.counters["cs_per_task"] = static_cast<double>(ContextSwitches() - start_cs) / tasks;
}

void BM_ErrGroupGoWait(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::atomic<int> sink{0};
  const long start_cs = ContextSwitches();
  auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    gox::ErrGroup g;
    for (int i = 0; i < n; ++i) g.Go([&sink] { sink.fetch_add(1, std::memory_order_relaxed); });
    benchmark::DoNotOptimize(g.Wait());
  }
  SetPerTask(state, n, start, start_cs);
}
BENCHMARK(BM_ErrGroupGoWait)->Arg(1000)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_ErrGroupWithContext(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const long start_cs = ContextSwitches();
  auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    auto [g, ctx] = gox::WithContext(gox::Background());
    for (int i = 0; i < n; ++i) g.Go([c = ctx]() -> gox::Error { return c.Err(); });
    benchmark::DoNotOptimize(g.Wait());
  }
  SetPerTask(state, n, start, start_cs);
}
BENCHMARK(BM_ErrGroupWithContext)->Arg(1000)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_ErrGroupLimit4(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::atomic<int> sink{0};
  const long start_cs = ContextSwitches();
  auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    gox::ErrGroup g;
    g.SetLimit(4);
    for (int i = 0; i < n; ++i) g.Go([&sink] { sink.fetch_add(1, std::memory_order_relaxed); });
    benchmark::DoNotOptimize(g.Wait());
  }
  SetPerTask(state, n, start, start_cs);
}
BENCHMARK(BM_ErrGroupLimit4)->Arg(1000)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_GoWaitGroup(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::atomic<int> sink{0};
  const long start_cs = ContextSwitches();
  auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    gox::WaitGroup wg;
    wg.Add(n);
    for (int i = 0; i < n; ++i) {
      gox::Go([&] {
        sink.fetch_add(1, std::memory_order_relaxed);
        wg.Done();
      });
    }
    wg.Wait();
  }
  SetPerTask(state, n, start, start_cs);
}
BENCHMARK(BM_GoWaitGroup)->Arg(1000)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
