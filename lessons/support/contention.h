// contention.h: lesson 10's measuring stand. Two threads share one lock: goroutine 1
// re-locks at once after each Unlock and holds it a while; goroutine 2 sleeps, then
// asks for the lock and times its wait. Works with any Lockable (lock/unlock).
//   MeasureContention<L>(name, scenario)  runs the scenario on a fresh L; returns counts,
//                                         goroutine 2's waits, and every hold's times.
//   ContentionTable()/ContentionRow(t, s) the comparison table.
//   Timeline(s, from, to, cols, label)    who held the lock, one column per time slice.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "gox/clock.h"
#include "gox/mutex.h"
#include "lesson.h"

namespace lesson {

struct Scenario {
  std::chrono::nanoseconds run;   // how long goroutine 1 keeps re-locking
  std::chrono::nanoseconds hold;  // goroutine 1 holds the lock this long each time
  std::chrono::nanoseconds gap;   // goroutine 2 sleeps this long between attempts
  bool busy;                      // goroutine 1 computes (true) or sleeps (false) inside
  std::string pin;                // split: g1 on CPU 0, g2 on CPU 1; same: both on 0; none
};

struct Hold {
  int64_t acq, rel;  // ns since the start of the run
  bool starving;     // gox::Mutex was in starvation mode at acquisition
};

struct ContentionStats {
  std::string lock;
  int64_t g1 = 0, g2 = 0;  // acquisitions
  double g2_max_ms = 0, g2_p99_ms = 0, g2_median_ms = 0;
  int64_t g2_over_1ms = 0;  // acquisitions after a wait > 1 ms (Go's starvation threshold)
  double per_sec = 0;       // acquisitions per second, both threads
  std::vector<Hold> g1_holds, g2_holds;
  int64_t span_ns = 0;
};

namespace detail {
template <class L>
bool Starving(L&) {
  return false;
}
inline bool Starving(gox::Mutex& mu) { return mu.Starving(); }

// BusyFor keeps the CPU busy for d (work inside the lock that does not sleep).
inline void BusyFor(std::chrono::nanoseconds d) {
  const auto until = gox::Clock::now() + d;
  while (gox::Clock::now() < until) {
  }
}

void Summarise(std::vector<double>& waits_ms, ContentionStats* st);
}  // namespace detail

// MeasureContention runs the scenario once on a fresh L (pinned as sc.pin says: the
// scheduler's placement decides who wins a barging race, so we fix it).
template <class L>
ContentionStats MeasureContention(const char* name, const Scenario& sc) {
  using gox::Clock;
  L mu;
  ContentionStats st;
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
      bool s = detail::Starving(mu);
      mu.unlock();
      waits.push_back(std::chrono::duration<double, std::milli>(got - asked).count());
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
    bool s = detail::Starving(mu);
    if (sc.busy) {
      detail::BusyFor(sc.hold);
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
  detail::Summarise(waits, &st);
  return st;
}

// ContentionTable is the comparison table's layout; ContentionRow prints one lock.
Table ContentionTable();
void ContentionRow(const Table& t, const ContentionStats& s);

// Timeline draws who held the lock between from_ns and to_ns, one column per slice,
// in two rows: '1' where goroutine 1 held the lock most of the slice, '2' where
// goroutine 2 got it at least once; a third row marks starvation mode (S) when seen.
void Timeline(const ContentionStats& st, int64_t from_ns, int64_t to_ns, int cols,
              const char* label);

// LoadAverage is the 1-minute load average (0 if unknown).
double LoadAverage();

}  // namespace lesson
