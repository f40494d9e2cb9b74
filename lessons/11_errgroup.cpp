// 11 errgroup: parallel work, first error cancels the rest, SetLimit, panics become errors.
// The group's ctx only lives as long as the group.
// The question: how do we run N calls at once, stop all of them when one fails, and
// get one error back - without a panic killing main, and without a dead ctx later?
// Watch: `ok` takes as long as the slowest fetch, not the sum; `first_error` shows the
// other fetches stopping within milliseconds of the failure; `limit` never has more
// than 3 running; `panic` gets "panic: ..." back from Wait and main keeps going;
// `wrong_ctx` reuses the group's ctx after Wait and fails at once, then fixes it.
// Variants: ok (default), first_error, limit, panic, wrong_ctx.
// Run: build/dev/lessons/11_errgroup --variant=first_error
// Note: notes/11_errgroup.md
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "gox/clock.h"
#include "gox/context.h"
#include "gox/err_group.h"
#include "gox/error.h"
#include "gox/select.h"
#include "gox/time.h"
#include "lesson.h"

namespace {

using gox::Clock;
using std::chrono::milliseconds;

double MsSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// We fake a fetch of `url` that takes `took`: it waits on a timer or on ctx.Done(),
// whichever comes first (Go: select { case <-time.After(d): case <-ctx.Done(): }).
// Returns nil, or ctx's error wrapped with the url when ctx was cancelled first.
// The timer is stopped when Fetch returns, so nothing outlives the call.
gox::Error Fetch(const gox::Context& ctx, const std::string& url, milliseconds took) {
  gox::Timer timer(took);
  gox::Error err;
  gox::Select(gox::RecvCase(timer.C(), [] {}),
              gox::RecvCase(ctx.Done(), [&] { err = gox::Wrap(ctx.Err(), "fetch " + url); }));
  return err;
}

struct Url {
  std::string url;
  milliseconds took;
};

// We fetch every url on its own goroutine of one group and wait for all of them.
int RunOk(const gox::Context& parent) {
  const std::vector<Url> urls = {{"/users", milliseconds(60)},
                                 {"/orders", milliseconds(120)},
                                 {"/stock", milliseconds(80)},
                                 {"/prices", milliseconds(150)},
                                 {"/reviews", milliseconds(100)}};
  auto [g, ctx] = gox::WithContext(parent);
  const auto t0 = Clock::now();
  milliseconds sum(0), slowest(0);
  for (const Url& u : urls) {
    sum += u.took;
    slowest = std::max(slowest, u.took);
    g.Go([ctx = ctx, u, t0]() -> gox::Error {
      gox::Error err = Fetch(ctx, u.url, u.took);
      lesson::Say("  %-9s done after %6.1fms (takes %lldms)", u.url.c_str(), MsSince(t0),
                  static_cast<long long>(u.took.count()));
      return err;
    });
  }
  lesson::Say("started %zu fetches in one group; g.Wait()", urls.size());
  gox::Error err = g.Wait();
  const double wall = MsSince(t0);
  lesson::Say("Wait returned %s after %.1fms (slowest %lldms, sum %lldms)", err.Message().c_str(),
              wall, static_cast<long long>(slowest.count()), static_cast<long long>(sum.count()));
  const bool shown = !err && wall < static_cast<double>(sum.count());
  lesson::Result(
      "ok: Wait returned %s after %.0fms: about the slowest (%lldms), not the sum (%lldms)",
      err.Message().c_str(), wall, static_cast<long long>(slowest.count()),
      static_cast<long long>(sum.count()));
  return shown ? 0 : 1;
}

// We let one fetch fail early; the others wait on the group's ctx and stop with it.
int RunFirstError(const gox::Context& parent) {
  const gox::Error down = gox::Error::New("GET /stock: 503 service unavailable");
  auto [g, ctx] = gox::WithContext(parent);
  const auto t0 = Clock::now();
  const std::vector<std::string> slow = {"/users", "/orders", "/prices", "/reviews"};
  const milliseconds slow_took(400);
  std::vector<double> stopped(slow.size(), 0.0);  // each written by its task, read after Wait
  for (size_t i = 0; i < slow.size(); ++i) {
    g.Go([ctx = ctx, &slow, &stopped, i, slow_took, t0]() -> gox::Error {
      gox::Error err = Fetch(ctx, slow[i], slow_took);
      stopped[i] = MsSince(t0);
      lesson::Say("  %-9s returned after %6.1fms: %s", slow[i].c_str(), stopped[i],
                  err.Message().c_str());
      return err;
    });
  }
  g.Go([down, t0]() -> gox::Error {
    gox::Sleep(milliseconds(30));
    lesson::Say("  /stock    fails after %6.1fms: %s", MsSince(t0), down.Message().c_str());
    return down;
  });
  lesson::Say("started 4 fetches of %lldms and /stock, which fails after 30ms; g.Wait()",
              static_cast<long long>(slow_took.count()));
  gox::Error err = g.Wait();
  const double wall = MsSince(t0);
  const double latest = *std::max_element(stopped.begin(), stopped.end());
  lesson::Say("Wait returned after %.1fms: %s (the first error, not a ctx error)", wall,
              err.Message().c_str());
  lesson::Say("ctx.Err(): %s; Cause(ctx): %s", ctx.Err().Message().c_str(),
              gox::Cause(ctx).Message().c_str());
  const bool shown = err == down && latest < static_cast<double>(slow_took.count());
  lesson::Result(
      "first_error: Wait returned \"%s\"; the other 4 stopped by %.0fms instead of %lldms",
      err.Message().c_str(), latest, static_cast<long long>(slow_took.count()));
  return shown ? 0 : 1;
}

// We run 12 tasks under SetLimit(3) and count how many run at once.
int RunLimit(const gox::Context& parent) {
  constexpr int kTasks = 12;
  constexpr int kLimit = 3;
  const milliseconds took(40);
  auto [g, ctx] = gox::WithContext(parent);
  g.SetLimit(kLimit);
  std::atomic<int> running{0};
  std::atomic<int> high{0};
  const auto t0 = Clock::now();
  lesson::Say("SetLimit(%d); starting %d tasks of %lldms (g.Go blocks at the limit)", kLimit,
              kTasks, static_cast<long long>(took.count()));
  for (int i = 1; i <= kTasks; ++i) {
    g.Go([ctx = ctx, i, took, &running, &high]() -> gox::Error {
      const int now = running.fetch_add(1) + 1;
      int seen = high.load();
      while (now > seen && !high.compare_exchange_weak(seen, now)) {
      }
      lesson::Say("  task %2d starts, running now: %d", i, now);
      gox::Error err = Fetch(ctx, "/task" + std::to_string(i), took);
      running.fetch_sub(1);
      return err;
    });
  }
  gox::Error err = g.Wait();
  const double wall = MsSince(t0);
  lesson::Say("Wait returned %s after %.1fms (%d tasks / %d at a time x %lldms = %lldms)",
              err.Message().c_str(), wall, kTasks, kLimit, static_cast<long long>(took.count()),
              static_cast<long long>(kTasks / kLimit * took.count()));
  const int hw = high.load();
  lesson::Result("limit: high-water mark of running tasks %d with SetLimit(%d), %d tasks in %.0fms",
                 hw, kLimit, kTasks, wall);
  return !err && hw <= kLimit && hw >= 1 ? 0 : 1;
}

// We let one task throw, as a Go task would panic on a bad index; the group recovers
// it into an error and main carries on.
int RunPanic(const gox::Context& parent) {
  auto [g, ctx] = gox::WithContext(parent);
  const auto t0 = Clock::now();
  g.Go([ctx = ctx, t0]() -> gox::Error {
    gox::Error err = Fetch(ctx, "/users", milliseconds(200));
    lesson::Say("  /users returned after %.1fms: %s", MsSince(t0), err.Message().c_str());
    return err;
  });
  g.Go([t0]() -> gox::Error {
    const std::vector<int> ids = {1, 2, 3};
    lesson::Say("  task 2 reads ids.at(5) on a vector of %zu after %.1fms", ids.size(),
                MsSince(t0));
    return gox::Error::New("id " + std::to_string(ids.at(5)));  // throws std::out_of_range
  });
  lesson::Say("started /users (200ms) and task 2, which throws; g.Wait()");
  gox::Error err = g.Wait();
  lesson::Say("Wait returned after %.1fms: %s", MsSince(t0), err.Message().c_str());
  lesson::Say("main is still running (a raw Go errgroup would have crashed); exception kept: %s",
              err.Exception() ? "err.Exception() != nullptr" : "none");
  const bool shown = err && err.Message().rfind("panic: ", 0) == 0;
  lesson::Result("panic: Wait returned \"%s\" and main kept running", err.Message().c_str());
  return shown ? 0 : 1;
}

// We use the group's ctx for a call after Wait (the pitfall), then the parent (the fix).
int RunWrongCtx(const gox::Context& parent) {
  auto [g, ctx] = gox::WithContext(parent);
  g.Go([ctx = ctx]() -> gox::Error { return Fetch(ctx, "/users", milliseconds(30)); });
  g.Go([ctx = ctx]() -> gox::Error { return Fetch(ctx, "/orders", milliseconds(40)); });
  gox::Error err = g.Wait();
  lesson::Say("g.Wait() returned %s: every task succeeded", err.Message().c_str());
  lesson::Say("but Wait cancelled the group's ctx: ctx.Err() = %s", ctx.Err().Message().c_str());

  auto t1 = Clock::now();
  gox::Error wrong = Fetch(ctx, "/invoice", milliseconds(50));
  const double wrong_ms = MsSince(t1);
  lesson::Say("follow-up Fetch(ctx, /invoice, 50ms) with the group's ctx: %s after %.1fms",
              wrong.Message().c_str(), wrong_ms);

  t1 = Clock::now();
  gox::Error right = Fetch(parent, "/invoice", milliseconds(50));
  const double right_ms = MsSince(t1);
  lesson::Say("fix: Fetch(parent, /invoice, 50ms) with the parent ctx: %s after %.1fms",
              right.Message().c_str(), right_ms);
  const bool shown = !err && gox::Is(wrong, gox::Canceled) && !right;
  lesson::Result(
      "wrong_ctx: the group's ctx after Wait failed in %.1fms (\"%s\"); the parent ctx "
      "succeeded in %.0fms",
      wrong_ms, wrong.Message().c_str(), right_ms);
  return shown ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  auto args = lesson::Parse(
      argc, argv,
      {"11_errgroup",
       "gox::ErrGroup (Go's errgroup) fetching fake URLs (timers) in parallel. ok: all "
       "succeed, Wait takes the slowest; first_error: one fails, its ctx stops the others; "
       "limit: SetLimit(3) with 12 tasks; panic: a task throws, Wait returns \"panic: ...\"; "
       "wrong_ctx: the group's ctx is cancelled once Wait returns - use the parent.",
       {"ok", "first_error", "limit", "panic", "wrong_ctx"},
       {}});
  const std::string variant = args.Variant();

  // We bound the whole run: every fetch also stops when this parent ctx expires.
  auto [parent, cancel] = gox::WithTimeout(gox::Background(), std::chrono::seconds(2));
  lesson::Say("variant %s: parent ctx = WithTimeout(Background(), 2s)", variant.c_str());
  int rc = 1;
  if (variant == "ok") rc = RunOk(parent);
  if (variant == "first_error") rc = RunFirstError(parent);
  if (variant == "limit") rc = RunLimit(parent);
  if (variant == "panic") rc = RunPanic(parent);
  if (variant == "wrong_ctx") rc = RunWrongCtx(parent);
  cancel();
  return rc;
}
