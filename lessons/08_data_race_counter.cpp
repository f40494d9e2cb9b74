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
#include "gox/clock.h"
#include "gox/go.h"
#include "gox/mutex.h"
#include "gox/wait_group.h"
#include "lesson.h"

namespace {

// Pause is the course's time.Sleep(1 * time.Nanosecond): it gives the CPU away,
// so the other goroutine can run between our read and our write. --pause=yield
// only yields, --pause=none does nothing: the window shrinks, the race stays.
enum class PauseKind { kSleep, kYield, kNone };
PauseKind g_pause = PauseKind::kSleep;  // set by main before any goroutine starts

void Pause() {
  if (g_pause == PauseKind::kSleep) std::this_thread::sleep_for(std::chrono::nanoseconds(1));
  if (g_pause == PauseKind::kYield) std::this_thread::yield();
}

// TwoRoutines is the course's main: start two goroutines running `routine`, wait for both.
template <class F>
void TwoRoutines(F routine) {
  gox::WaitGroup wg;
  for (int i = 1; i <= 2; ++i) {
    wg.Add(1);
    gox::Go([&] {
      routine();
      wg.Done();
    });
  }
  wg.Wait();
}

// RacyRoutine is the course's Routine(): read, pause, write, twice. Two of them at
// once are a data race on counter (the read and the write below).
void RacyRoutine(int& counter) {
  for (int count = 0; count < 2; ++count) {
    int value = counter;  // the racy read
    Pause();
    ++value;
    counter = value;  // the racy write
  }
}

// We run RacyRoutine on two goroutines sharing a plain int, with no synchronisation
// at all. Returns the final counter.
int Racy() {
  int counter = 0;
  TwoRoutines([&] { RacyRoutine(counter); });
  return counter;
}

// We hold a mutex across the whole read-pause-write.
int WithMutex() {
  gox::Mutex mu;
  int counter = 0;  // guarded by mu
  TwoRoutines([&] {
    for (int count = 0; count < 2; ++count) {
      mu.Lock();
      int value = counter;
      Pause();
      ++value;
      counter = value;
      mu.Unlock();
    }
  });
  return counter;
}

// We make read-modify-write one step: nothing can come in between.
int WithAtomic() {
  std::atomic<int> counter{0};
  TwoRoutines([&] {
    for (int count = 0; count < 2; ++count) {
      Pause();
      counter.fetch_add(1, std::memory_order_relaxed);
    }
  });
  return counter.load();
}

// We share memory by communicating: one owner goroutine holds the counter, the
// workers send it increments, and it reports the total once the channel closes.
int WithChannel() {
  gox::Chan<gox::Unit> incs(0);  // increments for the owner (unbuffered)
  gox::Chan<int> total(1);       // the owner's final count
  gox::Go([incs, total]() mutable {
    int n = 0;  // owned by this goroutine only
    for (gox::Unit u : incs) {
      (void)u;
      ++n;
    }
    total.Send(n);
  });
  TwoRoutines([&] {
    for (int count = 0; count < 2; ++count) {
      Pause();
      incs.Send(gox::Unit{});
    }
  });
  incs.Close();
  return total.Recv().value_or(-1);
}

struct Variant {
  const char* name;
  int (*run)();  // runs the two goroutines once, returns the final counter
};
constexpr Variant kVariants[] = {
    {"mutex", WithMutex}, {"atomic", WithAtomic}, {"channel", WithChannel}, {"racy", Racy}};

// MedianPauseUs times Pause() five times and returns the median in microseconds,
// so the transcript shows how long "1ns" really is here.
double MedianPauseUs() {
  std::vector<double> us;
  for (int i = 0; i < 5; ++i) {
    auto t0 = gox::Clock::now();
    Pause();
    us.push_back(std::chrono::duration<double, std::micro>(gox::Clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  return us[2];
}

// Verdict prints the final values seen and the result line; returns the exit status.
int Verdict(const std::string& variant, int64_t runs, const std::map<int, int64_t>& finals) {
  std::string hist;
  for (auto [value, n] : finals)
    hist += lesson::Format(" %d:%lld", value, static_cast<long long>(n));
  const auto ll = [](int64_t v) { return static_cast<long long>(v); };
  lesson::Say("final counter over %lld runs (value:runs):%s", ll(runs), hist.c_str());
  const int64_t lost = runs - (finals.count(4) != 0 ? finals.at(4) : 0);
  if (variant != "racy") {
    return lesson::Conclude(lost == 0, "%s: final counter 4 in %lld of %lld runs", variant.c_str(),
                            ll(runs - lost), ll(runs));
  }
  if (lost > 0) {
    return lesson::Conclude(true, "racy: lost updates in %lld of %lld runs (final < 4)", ll(lost),
                            ll(runs));
  }
  return lesson::Conclude(
      true, "racy: no update lost in %lld runs this time; the data race is still there", ll(runs));
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
  const std::string pause = args.OneOf("pause", {"sleep", "yield", "none"});
  const int64_t runs = args.IntIn("runs", 1, 1000000);
  g_pause = pause == "sleep" ? PauseKind::kSleep
                             : (pause == "yield" ? PauseKind::kYield : PauseKind::kNone);
  lesson::Say("variant %s: %lld runs of 2 goroutines x 2 increments; pause=%s took %.1fus",
              variant.c_str(), static_cast<long long>(runs), pause.c_str(), MedianPauseUs());

  // We run the chosen variant `runs` times and count the final values.
  int (*run)() = nullptr;
  for (const Variant& v : kVariants) run = variant == v.name ? v.run : run;
  std::map<int, int64_t> finals;  // final value -> number of runs
  for (int64_t i = 0; i < runs; ++i) {
    int final_value = run();
    if (i == 0) lesson::Say("run 1: Final Counter: %d", final_value);
    ++finals[final_value];
  }
  return Verdict(variant, runs, finals);
}
