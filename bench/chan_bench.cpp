// chan_bench: gox::Chan over a matrix of workloads x capacities, each with a Go twin
// in bench/go/chan_bench_test.go (pairs in bench/twins/chan.txt), plus a plain
// std::mutex + std::condition_variable queue on the same workloads as the "plain C++"
// reference. Every row reports ns per item (one op = one value moved).
//   seq          one thread at a time: cap >= 1: send a batch of cap values, then
//                receive them; cap 0 has no buffer to fill alone, so it is strict
//                alternation between two threads: an unbuffered ping-pong round trip
//   spsc         1 sender thread, 1 receiver
//   mpsc         4 senders, 1 receiver
//   mpmc         4 senders, 4 receivers
//   select_rx    4 senders, each on its own channel; 1 receiver selects over the 4
//   select_both  4 senders select-send over 4 channels, 4 receivers select-receive
// x capacity 0, 1, 1024. Names: BM_Chan/<workload>/<cap>/real_time (Go:
// BenchmarkChan/<workload>/<cap>), BM_MutexQueue/<workload>/<cap>/real_time.
// Each matrix row also reports, from getrusage over the timed runs (all threads of
// the process): vcsw_per_kitem (voluntary context switches, i.e. sleeps in a futex,
// per 1000 items), cpu_ns_per_item (user + system CPU time per item; 2 x the wall
// time = both cores busy) and sys_ns_per_item (the system part: futex calls and
// scheduling). The Go twins report the same (vcsw/kop, cpu-ns/op, sys-ns/op).
// Also: Select2 (select over two always-ready channels, one thread) and Spin/RoundTrip
// (two threads spinning on one atomic: the floor for a round trip on OS threads).
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gox/chan.h"
#include "gox/select.h"

namespace {

constexpr int kThreads = 4;  // senders (and receivers) of mpsc, mpmc, select_*

// MutexQueue is the textbook bounded queue: one mutex, two condition variables.
// Capacity 0 is treated as 1 (it cannot rendezvous).
template <class T>
class MutexQueue {
 public:
  explicit MutexQueue(std::size_t cap) : cap_(cap == 0 ? 1 : cap) {}
  void Send(T v) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return q_.size() < cap_; });
    q_.push_back(std::move(v));
    lock.unlock();
    not_empty_.notify_one();
  }
  T Recv() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return !q_.empty(); });
    T v = std::move(q_.front());
    q_.pop_front();
    lock.unlock();
    not_full_.notify_one();
    return v;
  }
  bool TryRecv(T* out) {
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

// ChanQ gives gox::Chan the same two calls.
struct ChanQ {
  explicit ChanQ(std::size_t cap) : ch(cap) {}
  void Send(int v) const { ch.Send(v); }
  int Recv() const { return *ch.Recv(); }
  gox::Chan<int> ch;
};

// Share is part i of n items split into k parts.
int64_t Share(int64_t n, int k, int i) { return n / k + (i < n % k ? 1 : 0); }

// ---- the workloads: each moves exactly n items ----

template <class Q>
void Seq(int64_t n, std::size_t cap) {
  if (cap == 0) {  // ping-pong round trip between two threads
    Q ping(0), pong(0);
    std::thread echo([&] {
      for (int64_t i = 0; i < n; ++i) pong.Send(ping.Recv());
    });
    for (int64_t i = 0; i < n; ++i) {
      ping.Send(1);
      benchmark::DoNotOptimize(pong.Recv());
    }
    echo.join();
    return;
  }
  Q q(cap);
  for (int64_t done = 0; done < n;) {
    int64_t batch = std::min<int64_t>(static_cast<int64_t>(cap), n - done);
    for (int64_t i = 0; i < batch; ++i) q.Send(static_cast<int>(i));
    for (int64_t i = 0; i < batch; ++i) benchmark::DoNotOptimize(q.Recv());
    done += batch;
  }
}

template <class Q>
void Producers(Q& q, int64_t n, std::vector<std::thread>* threads, int k) {
  for (int t = 0; t < k; ++t) {
    threads->emplace_back([&q, m = Share(n, k, t)] {
      for (int64_t i = 0; i < m; ++i) q.Send(static_cast<int>(i));
    });
  }
}

// OneReceiver: kSenders producer threads, the benchmark thread receives all n.
template <class Q, int kSenders>
void OneReceiver(int64_t n, std::size_t cap) {
  Q q(cap);
  std::vector<std::thread> threads;
  Producers(q, n, &threads, kSenders);
  for (int64_t i = 0; i < n; ++i) benchmark::DoNotOptimize(q.Recv());
  for (auto& t : threads) t.join();
}

template <class Q>
void Mpmc(int64_t n, std::size_t cap) {
  Q q(cap);
  std::vector<std::thread> threads;
  Producers(q, n, &threads, kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&q, m = Share(n, kThreads, t)] {
      for (int64_t i = 0; i < m; ++i) benchmark::DoNotOptimize(q.Recv());
    });
  }
  for (auto& t : threads) t.join();
}

void SelectRx(int64_t n, std::size_t cap) {
  std::vector<ChanQ> qs;
  for (int t = 0; t < kThreads; ++t) qs.emplace_back(cap);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([q = qs[t], m = Share(n, kThreads, t)] {
      for (int64_t i = 0; i < m; ++i) q.Send(static_cast<int>(i));
    });
  }
  auto take = [](std::optional<int> v) { benchmark::DoNotOptimize(v); };
  for (int64_t i = 0; i < n; ++i) {
    gox::Select(gox::RecvCase(qs[0].ch, take), gox::RecvCase(qs[1].ch, take),
                gox::RecvCase(qs[2].ch, take), gox::RecvCase(qs[3].ch, take));
  }
  for (auto& t : threads) t.join();
}

void SelectBoth(int64_t n, std::size_t cap) {
  std::vector<gox::Chan<int>> cs;
  for (int t = 0; t < kThreads; ++t) cs.emplace_back(cap);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([cs, m = Share(n, kThreads, t)] {
      for (int64_t i = 0; i < m; ++i) {
        int v = static_cast<int>(i);
        gox::Select(gox::SendCase(cs[0], v, [] {}), gox::SendCase(cs[1], v, [] {}),
                    gox::SendCase(cs[2], v, [] {}), gox::SendCase(cs[3], v, [] {}));
      }
    });
    threads.emplace_back([cs, m = Share(n, kThreads, t)] {
      auto take = [](std::optional<int> v) { benchmark::DoNotOptimize(v); };
      for (int64_t i = 0; i < m; ++i) {
        gox::Select(gox::RecvCase(cs[0], take), gox::RecvCase(cs[1], take),
                    gox::RecvCase(cs[2], take), gox::RecvCase(cs[3], take));
      }
    });
  }
  for (auto& t : threads) t.join();
}

// Usage is the process's voluntary context switches and CPU time so far.
struct Usage {
  int64_t vcsw, cpu_ns, sys_ns;
};
Usage Now() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto ns = [](const timeval& t) { return int64_t{t.tv_sec} * 1000000000 + t.tv_usec * 1000; };
  return {ru.ru_nvcsw, ns(ru.ru_utime) + ns(ru.ru_stime), ns(ru.ru_stime)};
}

// Register runs workload(n, cap) once per batch of n iterations: one iteration is one
// item, so Google Benchmark's time per iteration is the time per item.
void Register(const std::string& name, void (*workload)(int64_t, std::size_t), std::size_t cap) {
  benchmark::RegisterBenchmark(name.c_str(), [workload, cap](benchmark::State& state) {
    const Usage before = Now();
    int64_t items = 0;
    while (state.KeepRunningBatch(state.max_iterations)) {
      workload(state.max_iterations, cap);
      items += state.max_iterations;
    }
    const Usage after = Now();
    const double n = static_cast<double>(items > 0 ? items : 1);
    state.counters["vcsw_per_kitem"] = static_cast<double>(after.vcsw - before.vcsw) * 1000 / n;
    state.counters["cpu_ns_per_item"] = static_cast<double>(after.cpu_ns - before.cpu_ns) / n;
    state.counters["sys_ns_per_item"] = static_cast<double>(after.sys_ns - before.sys_ns) / n;
  })->UseRealTime();
}

void RegisterMatrix() {
  for (std::size_t cap : {0, 1, 1024}) {
    std::string c = "/";
    c += std::to_string(cap);  // not "/" + to_string(): GCC 12 warns -Wrestrict (false positive)
    Register("BM_Chan/seq" + c, Seq<ChanQ>, cap);
    Register("BM_MutexQueue/seq" + c, Seq<MutexQueue<int>>, cap);
    Register("BM_Chan/spsc" + c, OneReceiver<ChanQ, 1>, cap);
    Register("BM_MutexQueue/spsc" + c, OneReceiver<MutexQueue<int>, 1>, cap);
    Register("BM_Chan/mpsc" + c, OneReceiver<ChanQ, kThreads>, cap);
    Register("BM_MutexQueue/mpsc" + c, OneReceiver<MutexQueue<int>, kThreads>, cap);
    Register("BM_Chan/mpmc" + c, Mpmc<ChanQ>, cap);
    Register("BM_MutexQueue/mpmc" + c, Mpmc<MutexQueue<int>>, cap);
    Register("BM_Chan/select_rx" + c, SelectRx, cap);
    Register("BM_Chan/select_both" + c, SelectBoth, cap);
  }
}

// ---- Select over two always-ready channels (each select is followed by a refill) ----

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

// ---- the floor: two threads spinning on one atomic ----

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

// ---- side-by-side table: gox::Chan against the mutex+condvar queue ----

class TableReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.error_occurred || r.run_type != Run::RT_Iteration) continue;
      results_[r.benchmark_name()] = r.GetAdjustedRealTime();
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\n%-22s %12s %12s %8s\n", "ns per item", "gox::Chan", "mutex+cv", "ratio");
    for (const char* w : {"seq", "spsc", "mpsc", "mpmc", "select_rx", "select_both"}) {
      for (const char* cap : {"0", "1", "1024"}) {
        std::string row = std::string(w) + "/" + cap;
        auto c = results_.find("BM_Chan/" + row + "/real_time");
        if (c == results_.end()) continue;
        auto q = results_.find("BM_MutexQueue/" + row + "/real_time");
        if (q == results_.end()) {
          std::printf("%-22s %12.1f %12s %8s\n", row.c_str(), c->second, "-", "-");
        } else {
          std::printf("%-22s %12.1f %12.1f %8.3f\n", row.c_str(), c->second, q->second,
                      c->second / q->second);
        }
      }
    }
    auto spin = results_.find("BM_RoundTrip_Spin/real_time");
    if (spin != results_.end())
      std::printf("%-22s %12.1f   (two threads spinning on one atomic: the round-trip floor)\n",
                  "spin round trip", spin->second);
  }

 private:
  std::map<std::string, double> results_;
};

}  // namespace

int main(int argc, char** argv) {
  RegisterMatrix();
  // The side-by-side table is for the console; --benchmark_format=json|csv (make
  // compare reads json) gets Google Benchmark's own reporter, untouched.
  bool console = true;
  for (int i = 1; i < argc; ++i) {
    const char* kFlag = "--benchmark_format=";
    if (std::strncmp(argv[i], kFlag, std::strlen(kFlag)) == 0 &&
        std::strcmp(argv[i], "--benchmark_format=console") != 0)
      console = false;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  TableReporter reporter;
  if (console) {
    benchmark::RunSpecifiedBenchmarks(&reporter);
  } else {
    benchmark::RunSpecifiedBenchmarks();
  }
  benchmark::Shutdown();
  return 0;
}
