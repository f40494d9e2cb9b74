// 05 Tracker: Event(ctx)/Run/Shutdown(ctx); a nil `stop` channel makes Shutdown wait it out.
// The question: a Tracker owns a goroutine (Run) that drains a buffered channel of
// events. How does Shutdown know that Run has finished - and what if it cannot know?
// Watch: `fixed` returns from Shutdown as soon as Run has drained the events, well
// under the deadline, and no goroutine is left. `nil_stop` is the course's code as
// written: `stop` is never made, so Run's last send blocks forever on a nil channel
// and Shutdown always waits for its whole deadline. Both first show Event with a
// cancelled ctx returning the ctx's error instead of blocking on a full buffer.
// Variants: fixed (default), nil_stop.
// Run: build/dev/lessons/05_tracker --variant=nil_stop   Note: notes/05_tracker.md
#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "gox/chan.h"
#include "gox/clock.h"
#include "gox/context.h"
#include "gox/error.h"
#include "gox/go.h"
#include "gox/select.h"
#include "gox/time.h"
#include "lesson.h"

namespace {

using std::chrono::milliseconds;

double MsSince(gox::Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(gox::Clock::now() - t0).count();
}

// We port the course's Tracker. `ch` buffers events for Run; `stop` tells Shutdown
// that Run has finished. The course forgets to make `stop` (a nil channel); the
// fix makes it and has Run close it, so Run never blocks even if nobody waits.
class Tracker {
 public:
  Tracker(std::size_t capacity, bool make_stop, milliseconds work)
      : ch_(capacity),
        stop_(make_stop ? gox::Chan<gox::Unit>(0) : gox::Chan<gox::Unit>()),
        make_stop_(make_stop),
        work_(work) {}

  // Event queues data, or returns ctx.Err() if ctx ends first (Go: select on both).
  gox::Error Event(const gox::Context& ctx, const std::string& data) const {
    gox::Error err;
    gox::Select(gox::SendCase(ch_, data, [] {}),
                gox::RecvCase(ctx.Done(), [&] { err = ctx.Err(); }));
    return err;
  }

  // Run handles events until ch is closed and drained, then signals stop.
  void Run() {
    for (const std::string& data : ch_) {
      gox::Sleep(work_);  // the work of tracking one event
      lesson::Say("  Run: tracked \"%s\"", data.c_str());
    }
    drained_ms_ = lesson::Elapsed().count() / 1e6;
    if (make_stop_) {
      lesson::Say("  Run: drained; close(stop)");
      stop_.Close();
    } else {
      lesson::Say("  Run: drained; stop <- struct{}{} on a nil channel: blocks forever");
      stop_.Send(gox::Unit{});  // never returns: stop_ is nil
    }
  }

  // Shutdown closes ch, then waits for Run's stop signal or for ctx to end.
  gox::Error Shutdown(const gox::Context& ctx) {
    ch_.Close();
    gox::Error err;
    gox::Select(gox::RecvCase(stop_, [] {}), gox::RecvCase(ctx.Done(), [&] { err = ctx.Err(); }));
    return err;
  }

  double DrainedAtMs() const { return drained_ms_.load(); }

 private:
  gox::Chan<std::string> ch_;
  gox::Chan<gox::Unit> stop_;  // nil when !make_stop_
  bool make_stop_;
  milliseconds work_;
  std::atomic<double> drained_ms_{0};  // written by Run, read by main
};

// We fill the buffer before Run starts, so a 4th Event has no room: with an
// already-cancelled ctx it must return the ctx's error at once, not block.
void ShowCancelledEvent(const Tracker& tr, int events) {
  for (int i = 1; i <= events; ++i) {
    gox::Error err = tr.Event(gox::Background(), "event " + std::to_string(i));
    lesson::Say("Event(Background, \"event %d\") = %s", i, err ? err.Message().c_str() : "nil");
  }
  auto [ctx, cancel] = gox::WithCancel(gox::Background());
  cancel();
  const auto t0 = gox::Clock::now();
  gox::Error err = tr.Event(ctx, "event 4");
  lesson::Say(
      "buffer full, Run not started: Event(cancelled ctx, \"event 4\") = \"%s\" after %.2fms",
      err.Message().c_str(), MsSince(t0));
}

// We judge the run: `fixed` must return nil well under the deadline with nothing
// left; `nil_stop` must wait the whole deadline and leave Run blocked.
int Report(bool fixed, const gox::Error& err, double waited, double drained, double deadline_ms,
           bool left) {
  const int n = gox::NumGoroutine();
  if (fixed)
    return lesson::Conclude(!err && waited < deadline_ms / 2 && !left,
                            "fixed: Shutdown returned nil after %.0fms, as soon as Run had drained "
                            "(deadline %.0fms); %d goroutines left",
                            waited, deadline_ms, n);
  return lesson::Conclude(gox::Is(err, gox::DeadlineExceeded) && waited >= deadline_ms && left,
                          "nil_stop: Shutdown waited %.0fms, its whole %.0fms deadline (\"%s\"), "
                          "though Run had drained at %.0fms; %d goroutine left, blocked on the nil "
                          "stop channel",
                          waited, deadline_ms, err.Message().c_str(), drained, n);
}

}  // namespace

int main(int argc, char** argv) {
  auto args =
      lesson::Parse(argc, argv,
                    {"05_tracker",
                     "The course's Tracker: Event(ctx, data) queues on a buffered channel, "
                     "Run drains it, Shutdown(ctx) closes it and waits for Run. nil_stop "
                     "never makes the stop channel: Shutdown always waits its whole deadline.",
                     {"fixed", "nil_stop"},
                     {{"deadline", "300ms", "Shutdown's deadline (50ms..10s)"}}});
  const auto deadline = args.DurIn("deadline", milliseconds(50), std::chrono::seconds(10));
  const double deadline_ms = deadline.count() / 1e6;
  const bool fixed = args.Variant() == "fixed";
  auto tr = std::make_shared<Tracker>(3, fixed, milliseconds(20));  // Run may outlive main
  ShowCancelledEvent(*tr, 3);

  // We start Run, then shut down with a deadline, as the course's main does.
  gox::Go([tr] { tr->Run(); });
  lesson::Say("go tr.Run(); tr.Shutdown(ctx with a %.0fms deadline)", deadline_ms);
  const auto t0 = gox::Clock::now();  // before the ctx: its deadline is t0 + deadline or later
  auto [ctx, cancel] = gox::WithTimeout(gox::Background(), deadline);
  gox::Error err = tr->Shutdown(ctx);
  const double waited = MsSince(t0);
  cancel();
  lesson::Say("Shutdown returned %s after %.1fms; Run had drained at %.1fms",
              err ? ("\"" + err.Message() + "\"").c_str() : "nil", waited, tr->DrainedAtMs());
  const bool left = !gox::WaitGoroutines(milliseconds(100));
  lesson::Say("NumGoroutine() after waiting up to 100ms for goroutines to end: %d%s",
              gox::NumGoroutine(), left ? " (Run, blocked on the nil stop channel)" : "");
  return Report(fixed, err, waited, tr->DrainedAtMs(), deadline_ms, left);
}
