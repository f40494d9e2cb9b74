// 08 Data race counter: the course's Counter race; TSan names it; three fixes.
// Two goroutines each add 2, with a context switch between read and write: always 4?
// Watch: `racy` loses updates in many runs and TSan names both lines (the read and
// the write); the fixes (`mutex`, `atomic`, `channel`) end at 4 every time.
// Variants: mutex (default), atomic, channel, racy (a data race: TSan reports it).
// Run: build/dev/lessons/08_data_race_counter --variant=racy
// Note: notes/08_data_race_counter.md
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "gox/chan.h"
#include "gox/go.h"
#include "gox/mutex.h"
#include "gox/wait_group.h"
#include "lesson.h"

namespace {

using Clock = std::chrono::steady_clock;

// Pause is the course's time.Sleep(1 * time.Nanosecond): it gives the CPU away,
// so the other goroutine can run between our read and our write. --pause=yield
// only yields, --pause=none does nothing: the window shrinks, the race stays.
enum class PauseKind { kSleep, kYield, kNone };
PauseKind g_pause = PauseKind::kSleep;  // set by main before any goroutine starts

void Pause() {
  if (g_pause == PauseKind::kSleep) std::this_thread::sleep_for(std::chrono::nanoseconds(1));
  if (g_pause == PauseKind::kYield) std::this_thread::yield();
}

// We give each variant its own shared state; every run starts from zero.
struct Shared {
  int counter = 0;                     // racy: plain int, no synchronisation at all
  gox::Mutex mu;                       // mutex: guards counter
  std::atomic<int> atomic_counter{0};  // atomic: one indivisible read-modify-write
};

// RacyRoutine is the course's Routine(): read, pause, write, twice. Two of them at
// once are a data race on s.counter (the read and the write below).
void RacyRoutine(Shared& s) {
  for (int count = 0; count < 2; ++count) {
    int value = s.counter;  // the racy read
    Pause();
    ++value;
    s.counter = value;  // the racy write
  }
}

// MutexRoutine holds the lock across the whole read-pause-write.
void MutexRoutine(Shared& s) {
  for (int count = 0; count < 2; ++count) {
    s.mu.Lock();
    int value = s.counter;
    Pause();
    ++value;
    s.counter = value;
    s.mu.Unlock();
  }
}

// AtomicRoutine makes read-modify-write one step: nothing can come in between.
void AtomicRoutine(Shared& s) {
  for (int count = 0; count < 2; ++count) {
    Pause();
    s.atomic_counter.fetch_add(1, std::memory_order_relaxed);
  }
}

// RunOnce starts two goroutines, waits for both and returns the final counter.
// `channel` shares memory by communicating: a single owner goroutine holds the
// counter, the workers send it increments, and it reports the total when done.
int RunOnce(const std::string& variant) {
  Shared s;
  gox::WaitGroup wg;
  gox::Chan<gox::Unit> incs;  // channel: increments for the owner (unbuffered)
  gox::Chan<int> total(1);    // channel: the owner's final count
  if (variant == "channel") {
    incs = gox::Chan<gox::Unit>(0);
    gox::Go([incs, total]() mutable {
      int n = 0;  // owned by this goroutine only
      for (gox::Unit u : incs) {
        (void)u;
        ++n;
      }
      total.Send(n);
    });
  }
  for (int routine = 1; routine <= 2; ++routine) {
    wg.Add(1);
    gox::Go([&s, &wg, &variant, incs]() mutable {
      if (variant == "racy") {
        RacyRoutine(s);
      } else if (variant == "mutex") {
        MutexRoutine(s);
      } else if (variant == "atomic") {
        AtomicRoutine(s);
      } else {
        for (int count = 0; count < 2; ++count) {
          Pause();
          incs.Send(gox::Unit{});
        }
      }
      wg.Done();
    });
  }
  wg.Wait();
  if (variant == "racy" || variant == "mutex") return s.counter;
  if (variant == "atomic") return s.atomic_counter.load();
  incs.Close();
  return total.Recv().value_or(-1);
}

// MedianPauseUs times Pause() five times and returns the median in microseconds,
// so the transcript shows how long "1ns" really is here.
double MedianPauseUs() {
  std::vector<double> us;
  for (int i = 0; i < 5; ++i) {
    auto t0 = Clock::now();
    Pause();
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  return us[2];
}

// Verdict prints the final values seen and the result line; returns the exit status.
int Verdict(const std::string& variant, int64_t runs, const std::map<int, int64_t>& finals) {
  std::string hist;
  for (auto [value, n] : finals) {
    char item[48];
    std::snprintf(item, sizeof item, " %d:%lld", value, static_cast<long long>(n));
    hist += item;
  }
  const auto ll = [](int64_t v) { return static_cast<long long>(v); };
  lesson::Say("final counter over %lld runs (value:runs):%s", ll(runs), hist.c_str());
  const int64_t lost = runs - (finals.count(4) != 0 ? finals.at(4) : 0);
  if (variant != "racy") {
    lesson::Result("%s: final counter 4 in %lld of %lld runs", variant.c_str(), ll(runs - lost),
                   ll(runs));
    return lost == 0 ? 0 : 1;
  }
  if (lost > 0) {
    lesson::Result("racy: lost updates in %lld of %lld runs (final < 4)", ll(lost), ll(runs));
  } else {
    lesson::Result("racy: no update lost in %lld runs this time; the data race is still there",
                   ll(runs));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto args = lesson::Parse(
      argc, argv,
      {"08_data_race_counter",
       "The course's Counter: two goroutines each do {value := Counter; time.Sleep(1ns); "
       "value++; Counter = value} twice. Runs it many times and counts final values. racy: "
       "no synchronisation (a data race); mutex: gox::Mutex around read-sleep-write; atomic: "
       "fetch_add; channel: one owner goroutine does the increments.",
       {"mutex", "atomic", "channel", "racy"},
       {{"runs", "300", "how many times to run the two goroutines"},
        {"pause", "sleep", "between read and write: sleep (1ns, as the course), yield, none"}}});
  const std::string variant = args.Variant();
  const std::string pause = args.Str("pause");
  const int64_t runs = args.Int("runs");
  if ((pause != "sleep" && pause != "yield" && pause != "none") || runs <= 0 || runs > 1000000) {
    std::fprintf(stderr,
                 "08_data_race_counter: need --pause sleep|yield|none, --runs in "
                 "1..1000000\n");
    return 2;
  }
  g_pause = pause == "sleep" ? PauseKind::kSleep
                             : (pause == "yield" ? PauseKind::kYield : PauseKind::kNone);

  lesson::Say("variant %s: %lld runs of 2 goroutines x 2 increments; pause=%s took %.1fus",
              variant.c_str(), static_cast<long long>(runs), pause.c_str(), MedianPauseUs());

  // We run the two goroutines `runs` times and count the final values.
  std::map<int, int64_t> finals;  // final value -> number of runs
  for (int64_t i = 0; i < runs; ++i) {
    int final_value = RunOnce(variant);
    if (i == 0) lesson::Say("run 1: Final Counter: %d", final_value);
    ++finals[final_value];
  }
  return Verdict(variant, runs, finals);
}
