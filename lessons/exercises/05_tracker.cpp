// Exercise 05 Tracker: make Shutdown return as soon as Run has drained, not at the deadline.
// The course's Tracker as written: `stop` is never made, so Run's last send blocks
// for ever and Shutdown always waits for its whole deadline (lesson 05, nil_stop).
// Check: make exercise NAME=05_tracker   Note: notes/05_tracker.md
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "gox/chan.h"
#include "gox/context.h"
#include "gox/error.h"
#include "gox/go.h"
#include "gox/select.h"
#include "gox/time.h"

namespace {

class Tracker {
 public:
  explicit Tracker(std::size_t capacity) : ch_(capacity) {}

  // Event queues data, or returns ctx.Err() if ctx ends first.
  gox::Error Event(const gox::Context& ctx, const std::string& data) {
    gox::Error err;
    gox::Select(gox::SendCase(ch_, data, [] {}),
                gox::RecvCase(ctx.Done(), [&] { err = ctx.Err(); }));
    return err;
  }

  // Run handles events until ch is closed and drained, then tells Shutdown.
  void Run() {
    for (const std::string& data : ch_) {
      (void)data;
      gox::Sleep(std::chrono::milliseconds(20));  // the work of tracking one event
    }
    stop_.Send(gox::Unit{});
  }

  // Shutdown closes ch and waits for Run to finish, or for ctx to end.
  gox::Error Shutdown(const gox::Context& ctx) {
    ch_.Close();
    gox::Error err;
    gox::Select(gox::RecvCase(stop_, [] {}), gox::RecvCase(ctx.Done(), [&] { err = ctx.Err(); }));
    return err;
  }

 private:
  gox::Chan<std::string> ch_;
  // TODO(exercise): stop is a nil channel: nobody ever made it. Make it, and have Run
  // signal it in a way that never blocks, even when Shutdown has stopped waiting.
  gox::Chan<gox::Unit> stop_;
};

}  // namespace

// RunTracker starts a Tracker's Run, sends the events, then calls Shutdown with the
// given deadline and returns its result (the check times it).
gox::Error RunTracker(const std::vector<std::string>& events, gox::Duration deadline) {
  auto tr = std::make_shared<Tracker>(events.size());
  gox::Go([tr] { tr->Run(); });
  for (const std::string& e : events) (void)tr->Event(gox::Background(), e);
  auto [ctx, cancel] = gox::WithTimeout(gox::Background(), deadline);
  gox::Error err = tr->Shutdown(ctx);
  cancel();
  return err;
}
