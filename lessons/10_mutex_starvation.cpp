// 10 Mutex starvation (锁饥饿): barging vs hand-off vs spinning vs Go's mode.
// Goroutine 1 re-locks a mutex in a tight loop and holds it a while each time;
// goroutine 2 wants the lock now and then. Does goroutine 2 ever get it?
// Watch: acquisitions per thread, goroutine 2's max and p99 wait, throughput, and
// the timeline (1 = goroutine 1 held the lock, 2 = goroutine 2 got it).
//   go        gox::Mutex, Go's sync.Mutex: barging, but a waiter stuck > 1 ms flips
//             the mutex into starvation mode and Unlock hands the lock to it.
//   barging   std::mutex (glibc futex lock): whoever grabs it first wins.
//   handoff   gox::TicketLock: strict FIFO, fair, every hand-off waits for a wake-up.
//   spinning  gox::SpinLock: the waiter burns a core polling the flag.
// After the chosen variant, a table compares all four on the same scenario.
// Run: build/release/lessons/10_mutex_starvation --variant=barging
// Note: notes/10_mutex_starvation.md
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gox/mutex.h"
#include "lesson.h"

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::duration;
using std::chrono::nanoseconds;

struct Scenario {
  nanoseconds run;   // how long goroutine 1 keeps re-locking
  nanoseconds hold;  // goroutine 1 sleeps this long inside the lock
  nanoseconds gap;   // goroutine 2 sleeps this long between attempts
  bool busy;         // goroutine 1 computes (true) or sleeps (false) inside the lock
  std::string pin;   // split: g1 on CPU 0, g2 on CPU 1; same: both on CPU 0; none
};

// Pin moves the calling thread onto one CPU (the scheduler's placement decides
// who wins a barging race, so we fix it).
void Pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

// BusyFor keeps the CPU busy for d (work inside the lock that does not sleep).
void BusyFor(nanoseconds d) {
  const auto until = Clock::now() + d;
  while (Clock::now() < until) {
  }
}

struct Hold {
  int64_t acq, rel;  // ns since start
  bool starving;     // gox::Mutex was in starvation mode at acquisition
};

struct Stats {
  std::string lock;
  int64_t g1 = 0, g2 = 0;
  double g2_max_ms = 0, g2_p99_ms = 0, g2_median_ms = 0;
  double per_sec = 0;
  std::vector<Hold> g1_holds, g2_holds;
  int64_t span_ns = 0;
};

template <class L>
bool Starving(L&) {
  return false;
}
bool Starving(gox::Mutex& mu) { return mu.Starving(); }

// We run the course's picture: goroutine 1 re-locks at once after each Unlock;
// goroutine 2 sleeps `gap`, then asks for the lock and times how long it waits.
template <class L>
Stats Measure(const char* name, const Scenario& sc) {
  L mu;
  Stats st;
  st.lock = name;
  st.g1_holds.reserve(1 << 16);
  st.g2_holds.reserve(1 << 16);
  std::vector<double> waits;
  waits.reserve(1 << 16);
  std::atomic<bool> stop{false};
  const auto t0 = Clock::now();
  auto since = [t0] { return (Clock::now() - t0).count(); };

  std::thread g2([&] {
    if (sc.pin != "none") Pin(sc.pin == "split" ? 1 : 0);
    while (!stop.load(std::memory_order_relaxed)) {
      std::this_thread::sleep_for(sc.gap);
      auto asked = Clock::now();
      mu.lock();
      auto got = Clock::now();
      bool s = Starving(mu);
      mu.unlock();
      waits.push_back(duration<double, std::milli>(got - asked).count());
      if (st.g2_holds.size() < st.g2_holds.capacity()) {
        st.g2_holds.push_back({(got - t0).count(), since(), s});
      }
      ++st.g2;
    }
  });
  if (sc.pin != "none") Pin(0);
  const auto end = t0 + sc.run;
  while (Clock::now() < end) {
    mu.lock();
    int64_t acq = since();
    bool s = Starving(mu);
    if (sc.busy) {
      BusyFor(sc.hold);
    } else {
      std::this_thread::sleep_for(sc.hold);
    }
    int64_t rel = since();
    mu.unlock();
    if (st.g1_holds.size() < st.g1_holds.capacity()) st.g1_holds.push_back({acq, rel, s});
    ++st.g1;
  }
  stop.store(true);
  g2.join();
  st.span_ns = since();
  std::sort(waits.begin(), waits.end());
  if (!waits.empty()) {
    st.g2_max_ms = waits.back();
    st.g2_p99_ms = waits[std::min(waits.size() - 1, waits.size() * 99 / 100)];
    st.g2_median_ms = waits[waits.size() / 2];
  }
  st.per_sec = static_cast<double>(st.g1 + st.g2) / (static_cast<double>(st.span_ns) / 1e9);
  return st;
}

// We draw who held the lock: one column per slice of the run; '2' if goroutine 2
// got the lock in that slice, '1' if goroutine 1 held it most of the slice.
void Timeline(const Stats& st, int64_t from_ns, int64_t to_ns, int cols, const char* label) {
  std::string who(cols, '.'), mode(cols, '-');
  const double w = static_cast<double>(to_ns - from_ns) / cols;
  std::vector<double> busy(cols, 0);
  bool any_starving = false;
  for (const Hold& h : st.g1_holds) {
    for (int64_t a = std::max(h.acq, from_ns); a < std::min(h.rel, to_ns);) {
      int c = static_cast<int>((a - from_ns) / w);
      int64_t col_end = from_ns + static_cast<int64_t>((c + 1) * w);
      int64_t b = std::min({h.rel, to_ns, col_end});
      busy[c] += static_cast<double>(b - a);
      a = std::max(b, a + 1);
    }
    if (h.starving && h.acq >= from_ns && h.acq < to_ns) {
      mode[static_cast<int>((h.acq - from_ns) / w)] = 'S';
      any_starving = true;
    }
  }
  for (int c = 0; c < cols; ++c) {
    if (busy[c] > w / 2) who[c] = '1';
  }
  for (const Hold& h : st.g2_holds) {
    if (h.acq < from_ns || h.acq >= to_ns) continue;
    int c = static_cast<int>((h.acq - from_ns) / w);
    who[c] = '2';
    if (h.starving) {
      mode[c] = 'S';
      any_starving = true;
    }
  }
  lesson::Say("%s, %.2f ms per column:", label, w / 1e6);
  std::printf("    holder |%s|\n", who.c_str());
  if (any_starving) std::printf("    mode   |%s|  (S = starvation mode seen)\n", mode.c_str());
  std::fflush(stdout);
}

double LoadAverage() {
  double load[1] = {0};
  getloadavg(load, 1);
  return load[0];
}

Stats Run(const std::string& v, const Scenario& sc) {
  if (v == "go") return Measure<gox::Mutex>("go (gox::Mutex)", sc);
  if (v == "barging") return Measure<std::mutex>("barging (std::mutex)", sc);
  if (v == "handoff") return Measure<gox::TicketLock>("handoff (TicketLock)", sc);
  return Measure<gox::SpinLock>("spinning (SpinLock)", sc);
}

void Row(const Stats& s) {
  std::printf("  %-22s %8lld %8lld %10.2f %10.2f %10.2f %10.0f\n", s.lock.c_str(),
              static_cast<long long>(s.g1), static_cast<long long>(s.g2), s.g2_median_ms,
              s.g2_p99_ms, s.g2_max_ms, s.per_sec);
}

void Header() {
  std::printf("  %-22s %8s %8s %10s %10s %10s %10s\n", "lock", "g1 acq", "g2 acq", "g2 p50 ms",
              "g2 p99 ms", "g2 max ms", "acq/s");
}

}  // namespace

int main(int argc, char** argv) {
  lesson::Args args = lesson::Parse(
      argc, argv,
      {"10_mutex_starvation",
       "Lock starvation: a hog re-locks at once; does a second thread ever get the lock?",
       {"go", "barging", "handoff", "spinning"},
       {{"run", "400ms", "how long goroutine 1 keeps re-locking"},
        {"hold", "100us", "goroutine 1 holds the lock this long (asleep; busy with --busy=1)"},
        {"gap", "100us", "goroutine 2 sleeps this long between attempts"},
        {"pin", "split", "split: g1 on CPU 0, g2 on CPU 1; same: both on CPU 0; none"},
        {"busy", "0", "1: goroutine 1 computes inside the lock instead of sleeping"},
        {"compare", "1", "1: afterwards compare all four locks (250 ms each)"}}});
  Scenario sc{args.Dur("run"), args.Dur("hold"), args.Dur("gap"), args.Int("busy") != 0,
              args.Str("pin")};
  if (sc.pin != "split" && sc.pin != "same" && sc.pin != "none") {
    std::fprintf(stderr, "--pin must be split, same or none\n");
    return 2;
  }
  using std::chrono::seconds;
  if (sc.run <= nanoseconds(0) || sc.run > seconds(60) || sc.hold < nanoseconds(0) ||
      sc.hold > seconds(1) || sc.gap < nanoseconds(0) || sc.gap > seconds(1)) {
    std::fprintf(stderr, "--run must be in (0, 60s], --hold and --gap in [0, 1s]\n");
    return 2;
  }
  if (sc.pin == "split" && std::thread::hardware_concurrency() < 2) sc.pin = "same";
  lesson::Say(
      "scenario: g1 holds the lock %.0f us (%s) and re-locks at once; "
      "g2 waits %.0f us, then locks; %u CPUs (load average %.1f), pinning: %s",
      sc.hold.count() / 1e3, sc.busy ? "computing" : "asleep", sc.gap.count() / 1e3,
      std::thread::hardware_concurrency(), LoadAverage(), sc.pin.c_str());
  const std::string v = args.Variant();
  Stats st = Run(v, sc);
  Header();
  Row(st);
  Timeline(st, 0, st.span_ns, 64, "timeline of the whole run");
  Timeline(st, 0, std::min<int64_t>(st.span_ns, 20'000'000), 64, "zoom on the first 20 ms");

  if (args.Int("compare") != 0) {
    Scenario short_sc = sc;
    short_sc.run = std::min(sc.run, nanoseconds(250'000'000));
    lesson::Say("the same scenario, every lock, %.0f ms each:", short_sc.run.count() / 1e6);
    Header();
    for (const char* other : {"go", "barging", "handoff", "spinning"}) {
      Row(Run(other, short_sc));
    }
  }

  // g2 "starved" when it got the lock for less than 1 in 20 of its chances.
  const double chances =
      static_cast<double>(st.span_ns) /
      static_cast<double>(std::max<int64_t>(1000, sc.gap.count() + sc.hold.count()));
  const bool starved = static_cast<double>(st.g2) < chances / 20;
  if (v == "go") {
    lesson::Result(
        "go: g2 got the lock %lld times; wait p50 %.2f ms (the 1 ms starvation "
        "threshold, then a hand-off), p99 %.2f ms, max %.2f ms",
        static_cast<long long>(st.g2), st.g2_median_ms, st.g2_p99_ms, st.g2_max_ms);
    return st.g2 >= 10 ? 0 : 1;
  }
  lesson::Result("%s: g2 %s: %lld acquisitions in %.0f ms, max wait %.2f ms", v.c_str(),
                 starved ? "STARVED" : "was NOT starved on this machine",
                 static_cast<long long>(st.g2), st.span_ns / 1e6, st.g2_max_ms);
  return 0;
}
