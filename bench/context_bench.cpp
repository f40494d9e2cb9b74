// context_bench: the cost of gox::Context operations.
//   WithCancel/CreateCancel     create a child and cancel it (parent: Background or cancellable)
//   WithTimeout/CreateCancel    the same with a deadline timer armed and released
//   CancelPropagation/1000      cancel a parent with 1000 children (per op; ns/child counter)
//   Err, DonePoll, Value/depth  the reads a hot loop does
//   DoneTryRecv                 (no Go twin) DonePoll without Select: the channel's own cost
//   Parts/1000                  (no Go twin) pieces of CancelPropagation per 1000 children:
//                               close 1000 Done-like channels; drop a 1000-entry children
//                               map (hash nodes freed, shared_ptr counts decremented)
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "gox/context.h"
#include "gox/select.h"

// Sanitizers pair their own operator new and delete: we count only without them.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define GOX_COUNT_ALLOCS 0
#else
#define GOX_COUNT_ALLOCS 1
#endif

namespace {
// t_allocs counts this thread's operator new calls: the benchmarks report
// allocs_per_op, the twin of Go's allocs/op (b.ReportAllocs).
thread_local int64_t t_allocs = 0;
}  // namespace

#if GOX_COUNT_ALLOCS
// We count allocations by replacing the global operator new (plain and
// aligned); the default operator delete calls std::free, which matches.
// noinline: inlined, GCC would see malloc paired with operator delete and warn.
[[gnu::noinline]] void* operator new(std::size_t n) {
  ++t_allocs;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
// Over-aligned types (a channel's state) come here; libstdc++'s aligned
// operator delete calls std::free, which matches std::aligned_alloc.
[[gnu::noinline]] void* operator new(std::size_t n, std::align_val_t al) {
  ++t_allocs;
  const auto a = static_cast<std::size_t>(al);
  if (void* p = std::aligned_alloc(a, (n + a - 1) / a * a)) return p;
  throw std::bad_alloc();
}
#endif

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

// AllocCount reports allocs_per_op since `before`.
void AllocCount(benchmark::State& state, int64_t before) {
  if (!GOX_COUNT_ALLOCS) return;
  state.counters["allocs_per_op"] =
      static_cast<double>(t_allocs - before) / static_cast<double>(state.iterations());
}

void BM_WithCancelCreateCancel(benchmark::State& state) {
  auto [parent, cancel_parent] = gox::WithCancel(gox::Background());
  gox::Context p = state.range(0) == 0 ? gox::Background() : parent;
  const int64_t allocs = t_allocs;
  for (auto _ : state) {
    auto [ctx, cancel] = gox::WithCancel(p);
    cancel();
    benchmark::DoNotOptimize(ctx);
  }
  AllocCount(state, allocs);
  cancel_parent();
  state.SetLabel(state.range(0) == 0 ? "parent=Background" : "parent=WithCancel");
}
BENCHMARK(BM_WithCancelCreateCancel)->Arg(0)->Arg(1);

void BM_WithTimeoutCreateCancel(benchmark::State& state) {
  const int64_t allocs = t_allocs;
  for (auto _ : state) {
    auto [ctx, cancel] = gox::WithTimeout(gox::Background(), 1h);
    cancel();
    benchmark::DoNotOptimize(ctx);
  }
  AllocCount(state, allocs);
}
BENCHMARK(BM_WithTimeoutCreateCancel);

void BM_CancelPropagation(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::vector<gox::Context> kids;
  kids.reserve(n);
  double total_ns = 0;
  int64_t cancel_allocs = 0;  // allocations inside cancel() only
  for (auto _ : state) {
    auto [parent, cancel] = gox::WithCancel(gox::Background());
    kids.clear();
    for (int i = 0; i < n; ++i) kids.push_back(gox::WithCancel(parent).first);
    const int64_t allocs = t_allocs;
    auto start = std::chrono::steady_clock::now();
    cancel();  // every child is cancelled before this returns
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    cancel_allocs += t_allocs - allocs;
    state.SetIterationTime(took.count());
    total_ns += took.count() * 1e9;
  }
  state.counters["ns_per_child"] = total_ns / (static_cast<double>(n) * state.iterations());
  AllocCount(state, t_allocs - cancel_allocs);
}
BENCHMARK(BM_CancelPropagation)->Arg(1000)->UseManualTime()->Unit(benchmark::kMicrosecond);

void BM_PartsCloseChans(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::vector<gox::Chan<gox::Unit>> chans;
  for (auto _ : state) {
    state.PauseTiming();
    chans.clear();
    for (int i = 0; i < n; ++i) chans.emplace_back(0);
    state.ResumeTiming();
    for (auto& c : chans) c.Close();
  }
}
BENCHMARK(BM_PartsCloseChans)->Arg(1000)->Unit(benchmark::kMicrosecond);

void BM_PartsDropChildMap(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::vector<std::shared_ptr<int>> owners;
  for (int i = 0; i < n; ++i) owners.push_back(std::make_shared<int>(i));
  for (auto _ : state) {
    state.PauseTiming();
    auto map = std::make_unique<std::unordered_map<int*, std::shared_ptr<int>>>();
    for (auto& o : owners) map->emplace(o.get(), o);
    state.ResumeTiming();
    map.reset();
  }
}
BENCHMARK(BM_PartsDropChildMap)->Arg(1000)->Unit(benchmark::kMicrosecond);

void BM_Err(benchmark::State& state) {
  auto [ctx, cancel] = gox::WithCancel(gox::Background());
  for (auto _ : state) benchmark::DoNotOptimize(ctx.Err());
  cancel();
}
BENCHMARK(BM_Err);

void BM_DonePoll(benchmark::State& state) {
  auto [ctx, cancel] = gox::WithCancel(gox::Background());
  gox::Chan<gox::Unit> done = ctx.Done();
  for (auto _ : state) {
    bool closed = false;
    gox::Select(gox::RecvCase(done, [&](std::optional<gox::Unit>) { closed = true; }),
                gox::Default([] {}));
    benchmark::DoNotOptimize(closed);
  }
  cancel();
}
BENCHMARK(BM_DonePoll);

void BM_DoneTryRecv(benchmark::State& state) {
  auto [ctx, cancel] = gox::WithCancel(gox::Background());
  gox::Chan<gox::Unit> done = ctx.Done();
  for (auto _ : state) benchmark::DoNotOptimize(done.TryRecv());
  cancel();
}
BENCHMARK(BM_DoneTryRecv);

void BM_Value(benchmark::State& state) {
  gox::ContextKey<int> key("key");
  gox::ContextKey<int> other("other");
  gox::Context ctx = gox::WithValue(gox::Background(), key, 1);
  for (int i = 0; i < state.range(0); ++i) ctx = gox::WithValue(ctx, other, i);
  for (auto _ : state) benchmark::DoNotOptimize(ctx.Value(key));
  state.SetLabel("depth=" + std::to_string(state.range(0)));
}
BENCHMARK(BM_Value)->Arg(1)->Arg(10);

}  // namespace

BENCHMARK_MAIN();
