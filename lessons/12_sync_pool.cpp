// 12 sync.Pool: request buffers with and without a Pool, allocations and time.
// Every request needs a 4 KiB scratch buffer. Allocate a fresh (zeroed, as Go's
// make does) one each time, or reuse buffers through a Pool?
// Watch: heap allocations counted by this program's own operator new, and the
// time per request, for both ways; the pool turns one allocation per request
// into a handful for the whole run.
//   pool    gox::Pool<Buffer>: Get, reset, use, Put back.
//   alloc   std::make_unique<Buffer>() per request (allocate + zero + free).
// Both run; the result line speaks for the chosen variant.
// Run: build/dev/lessons/12_sync_pool --variant=alloc   Note: notes/12_sync_pool.md
#include <array>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "gox/pool.h"
#include "lesson.h"

// We count every heap allocation each thread makes.
namespace {
thread_local uint64_t tl_allocs = 0;
thread_local uint64_t tl_bytes = 0;
}  // namespace

void* operator new(std::size_t n) {
  ++tl_allocs;
  tl_bytes += n;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
// GCC 12 at -O2 sees free() inlined next to a `new` and warns of a mismatch; here
// new is malloc, so free is its match.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace {

// Scaled down where the code runs slower (sanitizers, unoptimised builds).
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__) || !defined(__OPTIMIZE__)
constexpr int kRequestsPerThread = 20000;
#else
constexpr int kRequestsPerThread = 200000;
#endif

struct Buffer {
  std::array<char, 4096> data;
  std::size_t len = 0;
  void Append(const char* s, std::size_t n) {
    n = std::min(n, data.size() - len);
    std::memcpy(data.data() + len, s, n);
    len += n;
  }
};

// AppendNumber writes v in decimal (no printf: the buffer is what we measure).
void AppendNumber(Buffer& b, uint64_t v) {
  char digits[20];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) b.Append(&digits[--n], 1);
}

void AppendText(Buffer& b, const char* s) { b.Append(s, std::strlen(s)); }

// We handle a request the way a server renders a response: write headers and a
// body into the scratch buffer, then "send" it (here: hash it).
uint64_t Handle(Buffer& b, uint64_t id) {
  AppendText(b, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Request-Id: ");
  AppendNumber(b, id);
  AppendText(b, "\r\n\r\n");
  for (uint64_t i = 0; i < 8; ++i) {
    AppendText(b, "item ");
    AppendNumber(b, i);
    AppendText(b, " of request ");
    AppendNumber(b, id);
    AppendText(b, "\n");
  }
  uint64_t h = 1469598103934665603ULL;  // FNV-1a, 8 bytes a step, over what we would send
  for (std::size_t i = 0; i + 8 <= b.len; i += 8) {
    uint64_t w;
    std::memcpy(&w, b.data.data() + i, 8);
    h = (h ^ w) * 1099511628211ULL;
  }
  return h;
}

int64_t ThreadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

struct Run {
  uint64_t allocs = 0, bytes = 0, requests = 0;
  double ns_per_request = 0;  // CPU time: not inflated when other processes share the CPUs
  uint64_t checksum = 0;
};

// We serve kRequestsPerThread requests on each of `threads` handler threads.
template <class Serve>
Run Measure(int threads, Serve serve) {
  std::atomic<uint64_t> sum{0}, allocs{0}, bytes{0};
  std::atomic<int64_t> cpu_ns{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      uint64_t local = 0;
      const uint64_t a0 = tl_allocs, b0 = tl_bytes;
      const int64_t c0 = ThreadCpuNs();
      for (int i = 0; i < kRequestsPerThread; ++i) {
        local += serve(static_cast<uint64_t>(t) * kRequestsPerThread + static_cast<uint64_t>(i));
      }
      cpu_ns.fetch_add(ThreadCpuNs() - c0);
      allocs.fetch_add(tl_allocs - a0);
      bytes.fetch_add(tl_bytes - b0);
      sum.fetch_add(local);
    });
  }
  for (auto& t : ts) t.join();
  Run r;
  r.allocs = allocs.load();
  r.bytes = bytes.load();
  r.requests = static_cast<uint64_t>(threads) * kRequestsPerThread;
  r.ns_per_request = static_cast<double>(cpu_ns.load()) / static_cast<double>(r.requests);
  r.checksum = sum.load();
  return r;
}

Run WithAlloc(int threads) {
  return Measure(threads, [](uint64_t id) {
    auto b = std::make_unique<Buffer>();  // value-initialised: zeroed like Go's make
    return Handle(*b, id);
  });
}

Run WithPool(int threads) {
  gox::Pool<Buffer> pool([] { return std::make_unique<Buffer>(); });
  return Measure(threads, [&pool](uint64_t id) {
    auto b = pool.Get();
    b->len = 0;  // a pooled object keeps its old state: reset what we rely on
    uint64_t h = Handle(*b, id);
    pool.Put(std::move(b));
    return h;
  });
}

// We print both ways side by side.
void PrintTable(const Run& alloc, const Run& pool, const std::string& variant) {
  const lesson::Table table({{"way", -8},
                             {"requests", 10},
                             {"allocations", 12},
                             {"allocs/req", 12},
                             {"MiB", 12},
                             {"CPU ns/req", 14}});
  table.Header();
  for (const auto& [name, r] : {std::pair{"alloc", &alloc}, std::pair{"pool", &pool}}) {
    table.Row(
        {name, lesson::Format("%" PRIu64, r->requests), lesson::Format("%" PRIu64, r->allocs),
         lesson::Format("%.4f", static_cast<double>(r->allocs) / static_cast<double>(r->requests)),
         lesson::Format("%.1f", static_cast<double>(r->bytes) / (1 << 20)),
         lesson::Format("%.1f", r->ns_per_request)},
        variant == name ? "<- this variant" : "");
  }
}

}  // namespace

int main(int argc, char** argv) {
  lesson::Args args =
      lesson::Parse(argc, argv,
                    {"12_sync_pool",
                     "Request buffers with and without a Pool: allocations and time per request.",
                     {"pool", "alloc"},
                     {}});
  const int threads = 2;
  lesson::Say(
      "%d handler threads x %d requests, a 4 KiB buffer each; both ways run, the "
      "result line speaks for %s",
      threads, kRequestsPerThread, args.Variant().c_str());
  lesson::TimingCaveat();
  // We warm up both paths once (first-touch page faults, malloc arenas).
  WithAlloc(threads);
  WithPool(threads);
  Run alloc = WithAlloc(threads);
  Run pool = WithPool(threads);
  PrintTable(alloc, pool, args.Variant());
  if (alloc.checksum != pool.checksum) {
    lesson::Result("the two ways produced different responses: a pooled buffer leaked state");
    return 1;
  }
  lesson::Say("same responses from both ways (checksum %016" PRIx64 ")", pool.checksum);
  const Run& mine = args.Variant() == "pool" ? pool : alloc;
  const Run& other = args.Variant() == "pool" ? alloc : pool;
  lesson::Result(
      "%s: %.4f allocations per request (%s: %.4f), %.0f ns per request (%s: %.0f)",
      args.Variant().c_str(), static_cast<double>(mine.allocs) / static_cast<double>(mine.requests),
      args.Variant() == "pool" ? "alloc" : "pool",
      static_cast<double>(other.allocs) / static_cast<double>(other.requests), mine.ns_per_request,
      args.Variant() == "pool" ? "alloc" : "pool", other.ns_per_request);
  return pool.allocs * 100 < alloc.allocs ? 0 : 1;
}
