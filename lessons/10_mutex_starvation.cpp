// 10 Mutex starvation (锁饥饿): barging vs hand-off vs spinning vs Go's mode.
// Goroutine 1 re-locks a mutex in a tight loop and holds it a while each time;
// goroutine 2 wants the lock now and then. Does goroutine 2 ever get it?
// Watch: acquisitions per thread, goroutine 2's max and p99 wait, throughput, and
// the timeline (1: goroutine 1 held the lock most of a slice, 2: goroutine 2 got it).
//   go        gox::Mutex, Go's sync.Mutex: barging, but a waiter stuck > 1 ms flips
//             the mutex into starvation mode and Unlock hands the lock to it.
//   barging   std::mutex (glibc futex lock): whoever grabs it first wins.
//   handoff   lesson::TicketLock: strict FIFO, fair, every hand-off waits for a wake-up.
//   spinning  lesson::SpinLock: the waiter burns a core polling the flag.
// After the chosen variant, a table compares all four on the same scenario (the
// measuring stand, table and timeline are in lessons/support/contention.h).
// Run: build/dev/lessons/10_mutex_starvation --variant=barging
// Note: notes/10_mutex_starvation.md
#include <algorithm>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include "contention.h"
#include "gox/mutex.h"
#include "lesson.h"
#include "teaching_locks.h"

namespace {

using std::chrono::nanoseconds;

// We put the four locks on the same stand: only the lock type differs.
lesson::ContentionStats Run(const std::string& v, const lesson::Scenario& sc) {
  if (v == "go") return lesson::MeasureContention<gox::Mutex>("go (gox::Mutex)", sc);
  if (v == "barging") return lesson::MeasureContention<std::mutex>("barging (std::mutex)", sc);
  if (v == "handoff")
    return lesson::MeasureContention<lesson::TicketLock>("handoff (TicketLock)", sc);
  return lesson::MeasureContention<lesson::SpinLock>("spinning (SpinLock)", sc);
}

// We compare all four locks on a shorter run of the same scenario.
void Compare(lesson::Scenario sc) {
  sc.run = std::min(sc.run, nanoseconds(250'000'000));
  lesson::Say("the same scenario, every lock, %.0f ms each:", sc.run.count() / 1e6);
  const lesson::Table table = lesson::ContentionTable();
  table.Header();
  for (const char* v : {"go", "barging", "handoff", "spinning"}) {
    lesson::ContentionRow(table, Run(v, sc));
  }
}

// We call goroutine 2 starved when it got the lock for less than 1 in 20 of its chances.
int Verdict(const std::string& v, const lesson::Scenario& sc, const lesson::ContentionStats& st) {
  const double chances =
      static_cast<double>(st.span_ns) /
      static_cast<double>(std::max<int64_t>(1000, sc.gap.count() + sc.hold.count()));
  const bool starved = static_cast<double>(st.g2) < chances / 20;
  if (v == "go") {
    // We say how g2 got the lock: after a wait over Go's 1 ms threshold (starvation
    // mode: Unlock hands it over), or sooner (normal mode: it won while spinning/woken).
    return lesson::Conclude(
        st.g2 >= 10,
        "go: g2 got the lock %lld times, %lld after waiting over 1 ms (starvation mode: "
        "handed over), %lld sooner (normal mode: won the race); wait p50 %.2f ms, p99 %.2f "
        "ms, max %.2f ms",
        static_cast<long long>(st.g2), static_cast<long long>(st.g2_over_1ms),
        static_cast<long long>(st.g2 - st.g2_over_1ms), st.g2_median_ms, st.g2_p99_ms,
        st.g2_max_ms);
  }
  return lesson::Conclude(true, "%s: g2 %s: %lld acquisitions in %.0f ms, max wait %.2f ms",
                          v.c_str(), starved ? "STARVED" : "was NOT starved on this machine",
                          static_cast<long long>(st.g2), st.span_ns / 1e6, st.g2_max_ms);
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
  using std::chrono::seconds;
  lesson::Scenario sc{args.DurIn("run", nanoseconds(1), seconds(60)),
                      args.DurIn("hold", nanoseconds(0), seconds(1)),
                      args.DurIn("gap", nanoseconds(0), seconds(1)), args.IntIn("busy", 0, 1) != 0,
                      args.OneOf("pin", {"split", "same", "none"})};
  const bool compare = args.IntIn("compare", 0, 1) != 0;
  if (sc.pin == "split" && std::thread::hardware_concurrency() < 2) sc.pin = "same";
  lesson::Say(
      "scenario: g1 holds the lock %.0f us (%s) and re-locks at once; "
      "g2 waits %.0f us, then locks; %u CPUs (load average %.1f), pinning: %s",
      sc.hold.count() / 1e3, sc.busy ? "computing" : "asleep", sc.gap.count() / 1e3,
      std::thread::hardware_concurrency(), lesson::LoadAverage(), sc.pin.c_str());
  lesson::TimingCaveat();
  const lesson::ContentionStats st = Run(args.Variant(), sc);
  const lesson::Table table = lesson::ContentionTable();
  table.Header();
  lesson::ContentionRow(table, st);
  lesson::Timeline(st, 0, st.span_ns, 64, "timeline of the whole run");
  lesson::Timeline(st, 0, std::min<int64_t>(st.span_ns, 20'000'000), 64, "zoom on the first 20 ms");
  if (compare) Compare(sc);
  return Verdict(args.Variant(), sc, st);
}
