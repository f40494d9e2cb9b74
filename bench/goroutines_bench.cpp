// goroutines_bench: Go's own channel test programs at scale, ported to gox
// (after golang/go test/chan/goroutines.go and sieve1.go; our code).
//   Chain/N      N goroutines in a chain, each passes one value from its right
//                channel to its left one; main sends at one end and receives
//                at the other (all N block at once: one thread each)
//   Sieve/1000   the concurrent prime sieve: a generator and one filter
//                goroutine per prime, until 1000 primes (1002 goroutines)
// One op = one whole program run. Go twins: bench/go/goroutines_test.go.
#include <benchmark/benchmark.h>

#include <atomic>

#include "gox/chan.h"
#include "gox/go.h"

namespace {

void BM_Chain(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  for (auto _ : state) {
    gox::Chan<int> leftmost(0);
    gox::Chan<int> left = leftmost, right = leftmost;
    for (int i = 0; i < n; ++i) {
      right = gox::Chan<int>(0);
      gox::Go([left, right]() mutable { left.Send(1 + *right.Recv()); });
      left = right;
    }
    right.Send(0);
    int got = *leftmost.Recv();
    if (got != n) state.SkipWithError("chain lost a value");
  }
  if (!gox::WaitGoroutines(std::chrono::seconds(60))) state.SkipWithError("goroutines left");
}
BENCHMARK(BM_Chain)
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(30000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_Sieve(benchmark::State& state) {
  const int primes = static_cast<int>(state.range(0));
  for (auto _ : state) {
    std::atomic<bool> stop{false};
    gox::Chan<int> ch(0);
    gox::Go([ch, &stop]() mutable {  // generate 2, 3, 4, ... until stopped
      for (int i = 2; !stop.load(std::memory_order_relaxed); ++i) ch.Send(i);
      ch.Close();
    });
    int last = 0;
    for (int k = 0; k < primes; ++k) {
      int p = *ch.Recv();
      last = p;
      gox::Chan<int> out(0);
      gox::Go([in = ch, out, p]() mutable {  // pass on what p does not divide
        while (auto v = in.Recv()) {
          if (*v % p != 0) out.Send(*v);
        }
        out.Close();
      });
      ch = out;
    }
    stop.store(true);
    while (ch.Recv()) {  // drain: the closes run down the chain
    }
    if (primes == 1000 && last != 7919) state.SkipWithError("wrong 1000th prime");
  }
  if (!gox::WaitGoroutines(std::chrono::seconds(60))) state.SkipWithError("goroutines left");
}
BENCHMARK(BM_Sieve)->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
