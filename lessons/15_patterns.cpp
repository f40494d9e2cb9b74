// 15 Patterns: pipeline, fan-in, timeout; the forgotten sender; work lost without a WaitGroup.
// The question: which channel patterns end cleanly - every goroutine stops, every
// value arrives - and which two common mistakes leave a goroutine stuck forever or
// lose work when main returns?
// Watch: `pipeline`'s close travels stage by stage; `fan_in` merges three producers
// into one channel and stops when all three closed; `timeout` lets After win against
// a slow call; `leak` leaves the forgotten sender blocked (NumGoroutine() = 1) and a
// buffer of 1 leaves 0; `incomplete` counts the work done when main would return,
// without and with a WaitGroup.
// Variants: pipeline (default), fan_in, timeout, leak, incomplete.
// Run: build/dev/lessons/15_patterns --variant=leak   Note: notes/15_patterns.md
#include <atomic>
#include <chrono>
#include <map>
#include <string>

#include "gox/chan.h"
#include "gox/clock.h"
#include "gox/go.h"
#include "gox/select.h"
#include "gox/time.h"
#include "gox/wait_group.h"
#include "lesson.h"

namespace {

using std::chrono::milliseconds;

double MsSince(gox::Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(gox::Clock::now() - t0).count();
}

// We build a three-stage pipeline: Gen sends 1..n, Square squares, main sums.
// Each stage owns its output channel and closes it when its input is drained.
gox::Chan<int> Gen(int n) {
  gox::Chan<int> out(0);
  gox::Go([out, n]() mutable {
    for (int i = 1; i <= n; ++i) out.Send(i);
    lesson::Say("  gen:    sent 1..%d, close(out)", n);
    out.Close();
  });
  return out;
}

gox::Chan<int> Square(gox::Chan<int> in) {
  gox::Chan<int> out(0);
  gox::Go([in, out]() mutable {
    int n = 0;
    for (int v : in) out.Send(v * v), ++n;
    lesson::Say("  square: input closed after %d values, close(out)", n);
    out.Close();
  });
  return out;
}

int RunPipeline() {
  long sum = 0;
  int n = 0;
  for (int v : Square(Gen(10))) sum += v, ++n;
  lesson::Say("  sink:   input closed after %d values; sum of squares %ld", n, sum);
  const bool clean = gox::WaitGoroutines(milliseconds(500));
  return lesson::Conclude(sum == 385 && clean,
                          "pipeline: 3 stages, %d values, sum of squares %ld; close reached the "
                          "last stage; %d goroutines left",
                          n, sum, gox::NumGoroutine());
}

// We start a producer that sends `count` strings, `every` apart, then closes.
gox::Chan<std::string> Producer(std::string name, int count, milliseconds every) {
  gox::Chan<std::string> out(0);
  gox::Go([out, name, count, every]() mutable {
    for (int i = 1; i <= count; ++i) {
      gox::Sleep(every);
      out.Send(name + std::to_string(i));
    }
    out.Close();
  });
  return out;
}

// We merge with one Select over the three inputs; a closed input is set to nil so
// its case never fires again. The merged channel is closed when all three are.
gox::Chan<std::string> Merge(gox::Chan<std::string> a, gox::Chan<std::string> b,
                             gox::Chan<std::string> c) {
  gox::Chan<std::string> out(0);
  gox::Go([a, b, c, out]() mutable {
    auto on = [&out](gox::Chan<std::string>& ch) {
      return [&out, &ch](std::optional<std::string> v) {
        if (v)
          out.Send(*v);
        else
          ch = gox::Chan<std::string>();
      };
    };
    while (!a.IsNil() || !b.IsNil() || !c.IsNil())
      gox::Select(gox::RecvCase(a, on(a)), gox::RecvCase(b, on(b)), gox::RecvCase(c, on(c)));
    lesson::Say("  merge: all three inputs closed, close(out)");
    out.Close();
  });
  return out;
}

int RunFanIn() {
  auto merged = Merge(Producer("a", 3, milliseconds(10)), Producer("b", 3, milliseconds(15)),
                      Producer("c", 3, milliseconds(25)));
  std::map<char, int> from;
  int n = 0;
  for (const std::string& v : merged) {
    lesson::Say("  got %s", v.c_str());
    ++from[v[0]], ++n;
  }
  const bool clean = gox::WaitGoroutines(milliseconds(500));
  return lesson::Conclude(n == 9 && clean,
                          "fan_in: merged %d values from 3 producers into one channel (a:%d b:%d "
                          "c:%d); %d goroutines left",
                          n, from['a'], from['b'], from['c'], gox::NumGoroutine());
}

// We fake a call that answers after `took` on a channel of capacity `cap`.
gox::Chan<std::string> Call(milliseconds took, std::size_t cap) {
  gox::Chan<std::string> result(cap);
  gox::Go([result, took]() mutable {
    gox::Sleep(took);
    result.Send("answer after " + std::to_string(took.count()) + "ms");
  });
  return result;
}

// We wait for a call's answer or for After(timeout), whichever comes first.
// Returns the time waited; *answered tells which case won.
double WaitFor(gox::Chan<std::string> result, milliseconds timeout, bool* answered) {
  const auto t0 = gox::Clock::now();
  *answered = false;
  gox::Select(gox::RecvCase(result,
                            [&](std::optional<std::string> v) {
                              *answered = v.has_value();
                              lesson::Say("  got \"%s\"", v ? v->c_str() : "(closed)");
                            }),
              gox::RecvCase(gox::After(timeout), [&] {
                lesson::Say("  After(%lldms) won: timeout",
                            static_cast<long long>(timeout.count()));
              }));
  return MsSince(t0);
}

int RunTimeout() {
  bool fast = false, slow = false;
  lesson::Say("fast call (10ms) vs After(100ms):");
  const double fast_ms = WaitFor(Call(milliseconds(10), 1), milliseconds(100), &fast);
  lesson::Say("slow call (300ms) vs After(100ms):");
  const double slow_ms = WaitFor(Call(milliseconds(300), 1), milliseconds(100), &slow);
  const bool clean = gox::WaitGoroutines(milliseconds(500));  // cap 1: the slow sender finishes
  return lesson::Conclude(fast && !slow && clean,
                          "timeout: the fast call answered in %.0fms; the slow one timed out after "
                          "%.0fms (After won); %d goroutines left",
                          fast_ms, slow_ms, gox::NumGoroutine());
}

// We wait 30ms for a 100ms call. With an unbuffered result channel the sender
// blocks forever once we stop waiting (Ardan Labs' "forgotten sender"); with a
// buffer of 1 its Send completes and it ends.
int RunLeak() {
  bool got = false;
  lesson::Say("unbuffered result channel, call 100ms, timeout 30ms:");
  gox::Chan<std::string> result = Call(milliseconds(100), 0);
  WaitFor(result, milliseconds(30), &got);
  const bool stuck = !gox::WaitGoroutines(milliseconds(300));
  const int leaked = gox::NumGoroutine();
  lesson::Say(
      "  300ms later NumGoroutine() = %d: the sender is blocked on Send; nobody will receive",
      leaked);
  (void)result.Recv();  // the lesson's back door, so the next count starts from 0
  lesson::Say(
      "  (the lesson receives the stale answer itself to free it; a real caller has "
      "no handle left)");
  const bool freed = gox::WaitGoroutines(milliseconds(300));
  lesson::Say("result channel with a buffer of 1, same call and timeout:");
  WaitFor(Call(milliseconds(100), 1), milliseconds(30), &got);
  const bool clean = gox::WaitGoroutines(milliseconds(300));
  const int left = gox::NumGoroutine();
  lesson::Say("  NumGoroutine() = %d once the sender's Send went into the buffer", left);
  return lesson::Conclude(
      stuck && leaked > 0 && freed && clean && left == 0,
      "leak: the forgotten sender left %d goroutine blocked on an unbuffered Send; "
      "with a buffer of 1 the same call left %d",
      leaked, left);
}

// We "write" records on goroutines; each write takes 20ms.
void Write(std::atomic<int>& written) {
  gox::Sleep(milliseconds(20));
  written.fetch_add(1);
}

int RunIncomplete() {
  constexpr int kRecords = 5;
  static std::atomic<int> lost_batch{0};  // static: its goroutines may outlive this frame
  for (int i = 0; i < kRecords; ++i) gox::Go([] { Write(lost_batch); });
  const int without = lost_batch.load();
  lesson::Say(
      "without a WaitGroup: main would return now with %d of %d records written; "
      "a Go program exits here and the rest is lost",
      without, kRecords);
  std::atomic<int> written{0};
  gox::WaitGroup wg;
  for (int i = 0; i < kRecords; ++i) {
    wg.Add(1);
    gox::Go([&] {
      Write(written);
      wg.Done();
    });
  }
  wg.Wait();
  lesson::Say("with a WaitGroup: wg.Wait() returned with %d of %d records written", written.load(),
              kRecords);
  return lesson::Conclude(
      without < kRecords && written.load() == kRecords,
      "incomplete: without a WaitGroup main returns with %d of %d done; with one, %d of %d",
      without, kRecords, written.load(), kRecords);
}

}  // namespace

int main(int argc, char** argv) {
  auto args = lesson::Parse(
      argc, argv,
      {"15_patterns",
       "Channel patterns that end cleanly and two that do not. pipeline: gen -> square -> "
       "sum, close propagates; fan_in: Select merges 3 producers; timeout: Select with "
       "After; leak: the forgotten sender and its buffer-of-1 fix; incomplete: work lost "
       "when main returns without a WaitGroup.",
       {"pipeline", "fan_in", "timeout", "leak", "incomplete"},
       {}});
  const std::string v = args.Variant();
  lesson::Say("variant %s", v.c_str());
  if (v == "fan_in") return RunFanIn();
  if (v == "timeout") return RunTimeout();
  if (v == "leak") return RunLeak();
  if (v == "incomplete") return RunIncomplete();
  return RunPipeline();
}
