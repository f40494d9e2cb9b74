// chan_bench: gox::Chan against a plain std::mutex + std::condition_variable queue,
// same workloads in one binary, then a side-by-side table with the ratios.
//   RoundTrip   unbuffered ping-pong between two threads (one round trip per op)
//   SPSC        cap 1024, one producer, one consumer (per item)
//   MPMC4x4     cap 1024, 4 producers, 4 consumers (per item)
//   Select2     select over two ready channels (per select + refill)
// Spin/RoundTrip is the floor on OS threads: two threads busy-spinning on atomics.
#include <benchmark/benchmark.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "gox/chan.h"
#include "gox/select.h"

namespace {

// MutexQueue is the textbook bounded queue: one mutex, two condition variables.
// Capacity 0 is treated as 1 (it cannot rendezvous).
template <class T>
class MutexQueue {
 public:
  explicit MutexQueue(std::size_t cap) : cap_(cap == 0 ? 1 : cap) {}
  void Push(T v) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return q_.size() < cap_; });
    q_.push_back(std::move(v));
    lock.unlock();
    not_empty_.notify_one();
  }
  T Pop() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return !q_.empty(); });
    T v = std::move(q_.front());
    q_.pop_front();
    lock.unlock();
    not_full_.notify_one();
    return v;
  }
  bool TryPop(T* out) {
    std::unique_lock lock(mu_);
    if (q_.empty()) return false;
    *out = std::move(q_.front());
    q_.pop_front();
    lock.unlock();
    not_full_.notify_one();
    return true;
  }

 private:
  const std::size_t cap_;
  std::mutex mu_;
  std::condition_variable not_empty_, not_full_;
  std::deque<T> q_;
};

// ---- RoundTrip ----

void BM_RoundTrip_Chan(benchmark::State& state) {
  gox::Chan<int> ping(0), pong(0);
  std::thread echo([&] {
    while (auto v = ping.Recv()) pong.Send(*v);
  });
  for (auto _ : state) {
    ping.Send(1);
    benchmark::DoNotOptimize(pong.Recv());
  }
  ping.Close();
  echo.join();
}
BENCHMARK(BM_RoundTrip_Chan)->UseRealTime();

void BM_RoundTrip_MutexQueue(benchmark::State& state) {
  MutexQueue<int> ping(1), pong(1);
  std::thread echo([&] {
    for (;;) {
      int v = ping.Pop();
      if (v < 0) return;
      pong.Push(v);
    }
  });
  for (auto _ : state) {
    ping.Push(1);
    benchmark::DoNotOptimize(pong.Pop());
  }
  ping.Push(-1);
  echo.join();
}
BENCHMARK(BM_RoundTrip_MutexQueue)->UseRealTime();

void BM_RoundTrip_Spin(benchmark::State& state) {
  std::atomic<int> ball{0};  // odd: echo's turn; even: ours; -1: stop
  std::thread echo([&] {
    for (;;) {
      int v = ball.load(std::memory_order_acquire);
      if (v < 0) return;
      if (v & 1) ball.store(v + 1, std::memory_order_release);
    }
  });
  int v = 0;
  for (auto _ : state) {
    ball.store(v + 1, std::memory_order_release);
    while (ball.load(std::memory_order_acquire) != v + 2) {
    }
    v += 2;
  }
  ball.store(-1);
  echo.join();
}
BENCHMARK(BM_RoundTrip_Spin)->UseRealTime();

// ---- SPSC, cap 1024: the producer sends exactly as many items as we receive ----

void BM_SPSC_Chan(benchmark::State& state) {
  gox::Chan<int> ch(1024);
  const auto n = state.max_iterations;
  std::thread prod([&] {
    for (benchmark::IterationCount i = 0; i < n; ++i) ch.Send(static_cast<int>(i));
  });
  for (auto _ : state) benchmark::DoNotOptimize(ch.Recv());
  prod.join();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SPSC_Chan)->UseRealTime();

void BM_SPSC_MutexQueue(benchmark::State& state) {
  MutexQueue<int> q(1024);
  const auto n = state.max_iterations;
  std::thread prod([&] {
    for (benchmark::IterationCount i = 0; i < n; ++i) q.Push(static_cast<int>(i));
  });
  for (auto _ : state) benchmark::DoNotOptimize(q.Pop());
  prod.join();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SPSC_MutexQueue)->UseRealTime();

// ---- 4 producers x 4 consumers, cap 1024 (benchmark threads 0-3 send, 4-7 receive) ----

gox::Chan<int>* g_mpmc_chan = nullptr;
MutexQueue<int>* g_mpmc_queue = nullptr;

void BM_MPMC4x4_Chan(benchmark::State& state) {
  if (state.thread_index() == 0) g_mpmc_chan = new gox::Chan<int>(1024);
  bool producer = state.thread_index() < 4;
  for (auto _ : state) {
    if (producer) {
      g_mpmc_chan->Send(1);
    } else {
      benchmark::DoNotOptimize(g_mpmc_chan->Recv());
    }
  }
  if (producer) state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MPMC4x4_Chan)->Threads(8)->UseRealTime();

void BM_MPMC4x4_MutexQueue(benchmark::State& state) {
  if (state.thread_index() == 0) g_mpmc_queue = new MutexQueue<int>(1024);
  bool producer = state.thread_index() < 4;
  for (auto _ : state) {
    if (producer) {
      g_mpmc_queue->Push(1);
    } else {
      benchmark::DoNotOptimize(g_mpmc_queue->Pop());
    }
  }
  if (producer) state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MPMC4x4_MutexQueue)->Threads(8)->UseRealTime();

// ---- Select over two ready channels (each select is followed by a refill) ----

void BM_Select2_Chan(benchmark::State& state) {
  gox::Chan<int> a(16), b(16);
  for (int i = 0; i < 8; ++i) {
    a.Send(i);
    b.Send(i);
  }
  for (auto _ : state) {
    gox::Select(gox::RecvCase(a, [&](std::optional<int> v) { a.TrySend(*v); }),
                gox::RecvCase(b, [&](std::optional<int> v) { b.TrySend(*v); }));
  }
}
BENCHMARK(BM_Select2_Chan);

void BM_Select2_MutexQueue(benchmark::State& state) {
  MutexQueue<int> a(16), b(16);
  for (int i = 0; i < 8; ++i) {
    a.Push(i);
    b.Push(i);
  }
  unsigned r = 1;
  for (auto _ : state) {
    r = r * 1103515245 + 12345;
    MutexQueue<int>& q = ((r >> 16) & 1) ? a : b;
    int v;
    if (q.TryPop(&v)) q.Push(v);
  }
}
BENCHMARK(BM_Select2_MutexQueue);

// ---- side-by-side table ----

class TableReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.error_occurred || r.run_type != Run::RT_Iteration) continue;
      std::string name = r.benchmark_name();
      double ns;
      auto it = r.counters.find("items_per_second");
      if (it != r.counters.end() && it->second.value > 0) {
        ns = 1e9 / it->second.value;
      } else {
        ns = r.GetAdjustedRealTime();
      }
      results_[name] = ns;
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    struct Row {
      const char* label;
      const char* chan;
      const char* queue;
      double target;
    };
    const Row rows[] = {
        {"unbuffered round trip (ns/op)", "BM_RoundTrip_Chan/real_time",
         "BM_RoundTrip_MutexQueue/real_time", 1.0 / 45},
        {"SPSC cap 1024 (ns/item)", "BM_SPSC_Chan/real_time", "BM_SPSC_MutexQueue/real_time", 0.3},
        {"4P x 4C cap 1024 (ns/item)", "BM_MPMC4x4_Chan/real_time/threads:8",
         "BM_MPMC4x4_MutexQueue/real_time/threads:8", 0.4},
        {"select over 2 ready (ns/op)", "BM_Select2_Chan", "BM_Select2_MutexQueue", 0},
    };
    std::printf("\n%-32s %12s %12s %8s %8s\n", "workload", "gox::Chan", "mutex+cv", "ratio",
                "target");
    for (const Row& row : rows) {
      auto c = results_.find(row.chan), q = results_.find(row.queue);
      if (c == results_.end() || q == results_.end()) continue;
      char target[16] = "-";
      if (row.target > 0) std::snprintf(target, sizeof target, "<=%.3f", row.target);
      std::printf("%-32s %12.1f %12.1f %8.3f %8s\n", row.label, c->second, q->second,
                  c->second / q->second, target);
    }
    auto spin = results_.find("BM_RoundTrip_Spin/real_time");
    if (spin != results_.end())
      std::printf("%-32s %12.1f   (two threads spinning on one atomic: the floor)\n",
                  "spin round trip (ns/op)", spin->second);
  }

 private:
  std::map<std::string, double> results_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  TableReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
