// 09 Copy-on-write config: AtomicValue vs Mutex vs RWMutex; fork() as Redis BGSAVE.
// A config is read all the time and changed rarely. Should readers take a lock, or
// load an immutable snapshot that writers replace whole (copy-on-write, COW)?
// Watch: the table of reads/s, writes/s, CPU time per op and writers' p99 latency
// for AtomicValue (COW), gox::Mutex and gox::RWMutex at 0.1% and at 50% writes.
// Between writes COW readers write no shared memory and never wait; whether that
// buys throughput depends on free CPUs. At 50% writes COW copying makes it slowest.
//   cow | mutex | rwmutex   the same table; the result line speaks for that scheme.
//   bgsave                  the kernel's COW: fork() a child that saves a snapshot
//                           of a big map while the parent keeps changing it.
// Run: build/dev/lessons/09_atomic_value_cow --variant=bgsave
// Note: notes/09_atomic_value_cow.md
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <time.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "gox/atomic_value.h"
#include "gox/clock.h"
#include "gox/mutex.h"
#include "lesson.h"

namespace {

using gox::Clock;

// Scaled down where the code runs slower (sanitizers, unoptimised builds).
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__) || !defined(__OPTIMIZE__)
constexpr bool kSlowBuild = true;
#else
constexpr bool kSlowBuild = false;
#endif

// Config is what readers read: 1 KiB of settings. A whole value has every field
// equal to version, so a half-written one is easy to spot.
struct Config {
  uint64_t version = 0;
  std::array<uint64_t, 127> fields{};
};

// We read the whole config, as a request handler that consults many settings
// would, and check it: any field that differs from version means a torn value.
inline bool ReadConfig(const Config& c, uint64_t* sink) {
  uint64_t differ = 0, sum = 0;
  for (uint64_t f : c.fields) {
    differ |= f ^ c.version;
    sum += f;
  }
  *sink += sum;
  return differ == 0;
}

inline void Bump(Config& c) {
  ++c.version;
  c.fields.fill(c.version);
}

// We wrap the three schemes in one shape: Read() and Write().
class CowConfig {
 public:
  CowConfig() { v_.Store(std::make_shared<const Config>()); }
  bool Read(uint64_t* sink) { return ReadConfig(*v_.Load(), sink); }
  void Write() {
    std::lock_guard lock(writers_);                    // writers serialise; readers never wait
    auto next = std::make_shared<Config>(*v_.Load());  // the copy in copy-on-write
    Bump(*next);
    v_.Store(std::move(next));
  }

 private:
  gox::AtomicValue<Config> v_;
  gox::Mutex writers_;
};

class MutexConfig {
 public:
  bool Read(uint64_t* sink) {
    std::lock_guard lock(mu_);
    return ReadConfig(c_, sink);
  }
  void Write() {
    std::lock_guard lock(mu_);
    Bump(c_);
  }

 private:
  gox::Mutex mu_;
  Config c_;
};

class RWMutexConfig {
 public:
  bool Read(uint64_t* sink) {
    std::shared_lock lock(mu_);
    return ReadConfig(c_, sink);
  }
  void Write() {
    std::unique_lock lock(mu_);
    Bump(c_);
  }

 private:
  gox::RWMutex mu_;
  Config c_;
};

std::atomic<uint64_t> g_sink{0};

struct Cell {
  double reads_per_s = 0, writes_per_s = 0;
  double cpu_ns_per_op = 0;  // thread CPU time per op: immune to other processes' load
  double write_p99_us = 0;   // how long one Write() call took (waiting included)
  int64_t torn = 0;
};

int64_t ThreadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// We run `threads` workers for `run`; each op is a write with probability
// 1/write_every, else a read.
template <class Scheme>
Cell Measure(int threads, uint32_t write_every, std::chrono::nanoseconds run) {
  Scheme s;
  const uint64_t write_below = UINT64_MAX / write_every;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> reads{0}, writes{0}, torn{0}, cpu_ns{0};
  std::vector<std::vector<float>> write_us(threads);
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      uint64_t rng = 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(t + 1);  // xorshift
      int64_t r = 0, w = 0, bad = 0;
      const int64_t c0 = ThreadCpuNs();
      uint64_t sink = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        for (int i = 0; i < 64; ++i) {
          rng ^= rng << 13;
          rng ^= rng >> 7;
          rng ^= rng << 17;
          if (rng < write_below) {
            auto w0 = Clock::now();
            s.Write();
            if (write_us[t].size() < 1'000'000) {
              write_us[t].push_back(
                  std::chrono::duration<float, std::micro>(Clock::now() - w0).count());
            }
            ++w;
          } else {
            if (!s.Read(&sink)) ++bad;
            ++r;
          }
        }
      }
      cpu_ns += ThreadCpuNs() - c0;
      reads += r;
      writes += w;
      torn += bad;
      g_sink.fetch_add(sink, std::memory_order_relaxed);  // keeps the reads alive
    });
  }
  auto t0 = Clock::now();
  std::this_thread::sleep_for(run);
  stop.store(true);
  for (auto& t : ts) t.join();
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  const double ops = static_cast<double>(reads.load() + writes.load());
  std::vector<float> all;
  for (auto& v : write_us) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  const double p99 = all.empty() ? 0 : all[all.size() * 99 / 100];
  return {static_cast<double>(reads.load()) / secs, static_cast<double>(writes.load()) / secs,
          static_cast<double>(cpu_ns.load()) / ops, p99, torn.load()};
}

// We measure the three schemes at two mixes and print one table; the result line
// speaks for the chosen scheme.
int RunTable(const std::string& variant, std::chrono::nanoseconds run, int threads) {
  double load[1] = {0};
  getloadavg(load, 1);
  lesson::Say("%d threads (%u CPUs, load average %.1f), 1 KiB config, %.0f ms per cell", threads,
              std::thread::hardware_concurrency(), load[0], run.count() / 1e6);
  lesson::Say("every variant measures all three schemes; the result line speaks for %s",
              variant.c_str());
  lesson::TimingCaveat();
  const lesson::Table table({{"scheme", -10},
                             {"mix", -12},
                             {"reads/s", 14},
                             {"writes/s", 14},
                             {"CPU ns/op", 12},
                             {"write p99 us", 12},
                             {"torn", 6}});
  table.Header();
  struct Row {
    const char* scheme;
    const char* mix;
    Cell c;
  };
  std::vector<Row> rows;
  for (auto [mix, every] : {std::pair{"0.1% writes", 1000u}, std::pair{"50% writes", 2u}}) {
    rows.push_back({"cow", mix, Measure<CowConfig>(threads, every, run)});
    rows.push_back({"mutex", mix, Measure<MutexConfig>(threads, every, run)});
    rows.push_back({"rwmutex", mix, Measure<RWMutexConfig>(threads, every, run)});
    for (size_t i = rows.size() - 3; i < rows.size(); ++i) {
      const Row& r = rows[i];
      table.Row(
          {r.scheme, r.mix, lesson::Format("%.0f", r.c.reads_per_s),
           lesson::Format("%.0f", r.c.writes_per_s), lesson::Format("%.1f", r.c.cpu_ns_per_op),
           lesson::Format("%.2f", r.c.write_p99_us), lesson::Format("%" PRId64, r.c.torn)},
          variant == r.scheme ? "<- this variant" : "");
    }
  }
  int64_t torn = 0;
  for (const Row& r : rows) torn += r.c.torn;
  auto find = [&](const char* scheme, int mix) -> const Cell& {
    for (const Row& r : rows)
      if (std::string(r.scheme) == scheme && (mix == 0) == (std::string(r.mix) == "0.1% writes"))
        return r.c;
    return rows[0].c;
  };
  const Cell& mine_ro = find(variant.c_str(), 0);
  const Cell& mine_wh = find(variant.c_str(), 1);
  const Cell& cow_ro = find("cow", 0);
  const Cell& mutex_ro = find("mutex", 0);
  const Cell& cow_wh = find("cow", 1);
  const Cell& mutex_wh = find("mutex", 1);
  lesson::Say(
      "read-mostly: cow reads %.1fx mutex's; write-heavy: cow ops %.2fx mutex's",
      cow_ro.reads_per_s / mutex_ro.reads_per_s,
      (cow_wh.reads_per_s + cow_wh.writes_per_s) / (mutex_wh.reads_per_s + mutex_wh.writes_per_s));
  return lesson::Conclude(
      torn == 0,
      "%s: %.1f M reads/s at 0.1%% writes, %.1f M ops/s at 50%% writes; torn reads: %" PRId64,
      variant.c_str(), mine_ro.reads_per_s / 1e6,
      (mine_wh.reads_per_s + mine_wh.writes_per_s) / 1e6, torn);
}

// ==== bgsave: the kernel's copy-on-write, as Redis BGSAVE uses it ====
// The same idea one level down: fork() gives the child a snapshot of the parent's
// memory by sharing every page read-only; the first write to a page (in either
// process) copies that page. The child saves a consistent snapshot while the parent
// keeps changing its map, and the parent pays one page copy per page it first touches.
// This half reads alone: it shares nothing with the table above but kSlowBuild.

long MinorFaults() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt;
}

// We checksum a map independently of its iteration order.
uint64_t Checksum(const std::unordered_map<uint64_t, uint64_t>& m) {
  uint64_t sum = 0;
  for (const auto& [k, v] : m) sum += (k * 0x9e3779b97f4a7c15ULL) ^ (v * 0xbf58476d1ce4e5b9ULL);
  return sum;
}

void Mutate(std::unordered_map<uint64_t, uint64_t>& m, uint64_t keys, int n, uint32_t seed) {
  std::minstd_rand rng(seed);
  for (int i = 0; i < n; ++i) m[(static_cast<uint64_t>(rng()) << 16 ^ rng()) % keys] += 1;
}

// Child: writes the snapshot to a file, waits until the parent says it has
// finished mutating, checksums its copy again, reports both, exits.
[[noreturn]] void Child(const std::unordered_map<uint64_t, uint64_t>& m, int done_fd,
                        int report_fd) {
  char path[] = "/tmp/gox_bgsave_XXXXXX";
  int fd = mkstemp(path);
  uint64_t sum = 0, entries = 0;
  if (fd >= 0) {
    unlink(path);
    std::vector<uint64_t> buf;
    buf.reserve(8192);
    for (const auto& [k, v] : m) {
      sum += (k * 0x9e3779b97f4a7c15ULL) ^ (v * 0xbf58476d1ce4e5b9ULL);
      ++entries;
      buf.push_back(k);
      buf.push_back(v);
      if (buf.size() == 8192) {
        if (write(fd, buf.data(), buf.size() * 8) < 0) break;
        buf.clear();
      }
    }
    if (!buf.empty() && write(fd, buf.data(), buf.size() * 8) < 0) sum = 0;
    close(fd);
  }
  char c;
  while (read(done_fd, &c, 1) < 0) {
  }
  uint64_t report[3] = {sum, Checksum(m), entries};
  if (write(report_fd, report, sizeof report) != sizeof report) _exit(1);
  _exit(fd >= 0 ? 0 : 1);
}

int RunBgsave() {
  const uint64_t keys = kSlowBuild ? (1u << 16) : (1u << 20);
  const int mutations = kSlowBuild ? 20000 : 300000;
  std::unordered_map<uint64_t, uint64_t> m;
  m.reserve(keys);
  for (uint64_t k = 0; k < keys; ++k) m[k] = k;
  lesson::Say("map of %" PRIu64 " keys built (single-threaded: fork is safe here)", keys);

  // We measure the same mutations without a child first: no page is shared, so
  // no write faults.
  long f0 = MinorFaults();
  auto t_alone = Clock::now();
  Mutate(m, keys, mutations, 1);
  double alone_ms = std::chrono::duration<double, std::milli>(Clock::now() - t_alone).count();
  long faults_alone = MinorFaults() - f0;
  const uint64_t at_fork = Checksum(m);
  lesson::Say("%d mutations with no child: %.1f ms, %ld minor faults; checksum now %016" PRIx64,
              mutations, alone_ms, faults_alone, at_fork);

  int done[2], report[2];
  if (pipe(done) != 0 || pipe(report) != 0) {
    std::perror("pipe");
    return 1;
  }
  auto t_fork = Clock::now();
  pid_t pid = fork();
  if (pid < 0) {
    std::perror("fork");
    return 1;
  }
  if (pid == 0) {
    close(done[1]);
    close(report[0]);
    Child(m, done[0], report[1]);
  }
  double fork_ms = std::chrono::duration<double, std::milli>(Clock::now() - t_fork).count();
  close(done[0]);
  close(report[1]);
  lesson::Say("fork() took %.2f ms (copies page tables, not pages); child %d saves the snapshot",
              fork_ms, static_cast<int>(pid));

  // We keep changing the map while the child writes its snapshot.
  long f1 = MinorFaults();
  auto t_mut = Clock::now();
  Mutate(m, keys, mutations, 2);
  double mut_ms = std::chrono::duration<double, std::milli>(Clock::now() - t_mut).count();
  long copies = MinorFaults() - f1;
  const uint64_t after = Checksum(m);
  lesson::Say(
      "%d mutations while the child runs: %.1f ms, %ld minor faults = pages copied "
      "(%.1f MiB); checksum now %016" PRIx64,
      mutations, mut_ms, copies, copies * 4096.0 / (1 << 20), after);
  if (write(done[1], "x", 1) != 1) std::perror("write");
  close(done[1]);
  uint64_t rep[3] = {0, 0, 0};
  ssize_t got = read(report[0], rep, sizeof rep);
  close(report[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (got != sizeof rep || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return lesson::Conclude(false, "bgsave: the child failed (status %d)", status);
  }
  lesson::Say("child saved %" PRIu64 " entries, snapshot checksum %016" PRIx64
              ", its map after the parent's changes %016" PRIx64,
              rep[2], rep[0], rep[1]);
  const bool consistent = rep[0] == at_fork && rep[1] == at_fork && after != at_fork;
  return lesson::Conclude(consistent && copies > faults_alone,
                          "bgsave: snapshot %s the state at fork time while the parent changed "
                          "%ld pages (%ld faults with no child)",
                          consistent ? "equals" : "DIFFERS FROM", copies, faults_alone);
}

}  // namespace

int main(int argc, char** argv) {
  lesson::Args args = lesson::Parse(
      argc, argv,
      {"09_atomic_value_cow",
       "Read-mostly config: copy-on-write (AtomicValue) vs Mutex vs RWMutex; fork() snapshot as "
       "Redis BGSAVE does.",
       {"cow", "mutex", "rwmutex", "bgsave"},
       {{"threads", "2", "worker threads (each does the op mix)"},
        {"cell", kSlowBuild ? "60ms" : "150ms", "how long each table cell runs"}}});
  if (args.Variant() == "bgsave") return RunBgsave();
  const auto threads = static_cast<int>(args.IntIn("threads", 1, 64));
  const auto cell = args.DurIn("cell", std::chrono::nanoseconds(1), std::chrono::seconds(60));
  return RunTable(args.Variant(), cell, threads);
}
