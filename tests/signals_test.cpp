#include "gox/signals.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "gox/chan.h"
#include "gox/go.h"
#include "gox/select.h"
#include "gox/time.h"
#include "test_util.h"

extern char** environ;

using namespace std::chrono_literals;
using gox_test::RunWithWatchdog;

namespace {

constexpr auto kWatchdog = 30s;

// We receive from ch, failing the test (instead of hanging) after 10 s.
template <class T>
std::optional<T> RecvOrFail(gox::Chan<T> ch) {
  std::optional<T> out;
  bool timed_out = false;
  gox::Select(gox::RecvCase(ch, [&](std::optional<T> v) { out = std::move(v); }),
              gox::RecvCase(gox::After(10s), [&](auto) { timed_out = true; }));
  EXPECT_FALSE(timed_out) << "no value within 10 s";
  return out;
}

// Barrier: SIGUSR2 to a sentinel subscription. The dispatcher handles pending
// signals in number order, so once the sentinel has SIGUSR2, every SIGUSR1
// raised before it (SIGUSR1 < SIGUSR2) has been dispatched.
struct Barrier {
  gox::Chan<int> sentinel{8};
  Barrier() { gox::NotifySignals(sentinel, {SIGUSR2}); }
  ~Barrier() { gox::StopSignals(sentinel); }
  void Sync() {
    raise(SIGUSR2);
    EXPECT_EQ(RecvOrFail(sentinel), SIGUSR2);
  }
};

TEST(SignalsTest, RaisedSignalReachesSubscriber) {
  RunWithWatchdog(kWatchdog, [] {
    gox::Chan<int> ch(1);
    gox::NotifySignals(ch, {SIGUSR1});
    raise(SIGUSR1);
    EXPECT_EQ(RecvOrFail(ch), SIGUSR1);
    gox::StopSignals(ch);
  });
}

TEST(SignalsTest, TwoChannelsBothGetTheSignal) {
  RunWithWatchdog(kWatchdog, [] {
    gox::Chan<int> a(1), b(1);
    gox::NotifySignals(a, {SIGUSR1});
    gox::NotifySignals(b, {SIGUSR1, SIGUSR2});
    raise(SIGUSR1);
    EXPECT_EQ(RecvOrFail(a), SIGUSR1);
    EXPECT_EQ(RecvOrFail(b), SIGUSR1);
    kill(getpid(), SIGUSR2);  // process-directed: any thread may take it
    EXPECT_EQ(RecvOrFail(b), SIGUSR2);
    EXPECT_FALSE(a.TryRecv().has_value());
    gox::StopSignals(a);
    gox::StopSignals(b);
  });
}

TEST(SignalsTest, RepeatedNotifyAddsSignals) {
  RunWithWatchdog(kWatchdog, [] {
    gox::Chan<int> ch(2);
    gox::NotifySignals(ch, {SIGUSR1});
    gox::NotifySignals(ch, {SIGUSR2, SIGUSR1});
    raise(SIGUSR1);
    EXPECT_EQ(RecvOrFail(ch), SIGUSR1);
    raise(SIGUSR2);
    EXPECT_EQ(RecvOrFail(ch), SIGUSR2);
    gox::StopSignals(ch);
    EXPECT_FALSE(gox::detail::SignalDispatcherRunning());
  });
}

TEST(SignalsTest, FullChannelDropsWithoutBlocking) {
  RunWithWatchdog(kWatchdog, [] {
    Barrier barrier;
    gox::Chan<int> full(1), unbuffered(0);
    gox::NotifySignals(full, {SIGUSR1});
    gox::NotifySignals(unbuffered, {SIGUSR1});  // nobody ever receives
    for (int i = 0; i < 5; ++i) {
      raise(SIGUSR1);
      barrier.Sync();  // the dispatcher is not stuck on either channel
    }
    EXPECT_EQ(full.Len(), 1u);
    EXPECT_EQ(full.TryRecv(), SIGUSR1);
    EXPECT_FALSE(full.TryRecv().has_value());
    EXPECT_FALSE(unbuffered.TryRecv().has_value());
    gox::StopSignals(full);
    gox::StopSignals(unbuffered);
  });
}

TEST(SignalsTest, NothingDeliveredAfterStop) {
  RunWithWatchdog(kWatchdog, [] {
    Barrier barrier;
    gox::Chan<int> stopped(64), kept(1);
    gox::NotifySignals(stopped, {SIGUSR1});
    gox::NotifySignals(kept, {SIGUSR1});  // keeps SIGUSR1 caught after Stop
    // We stop while another thread keeps raising, then check nothing arrives.
    std::atomic<bool> quit{false};
    std::thread raiser([&] {
      while (!quit) kill(getpid(), SIGUSR1);
    });
    raise(SIGUSR1);
    barrier.Sync();
    gox::StopSignals(stopped);
    std::size_t after_stop = stopped.Len();
    for (int i = 0; i < 5; ++i) barrier.Sync();
    quit = true;
    raiser.join();
    raise(SIGUSR1);
    barrier.Sync();
    EXPECT_GE(after_stop, 1u);
    EXPECT_EQ(stopped.Len(), after_stop);
    EXPECT_EQ(kept.TryRecv(), SIGUSR1);
    gox::StopSignals(kept);
  });
}

TEST(SignalsTest, NotifyContextCancelledBySignalCauseNamesIt) {
  RunWithWatchdog(kWatchdog, [] {
    auto [ctx, stop] = gox::NotifyContext(gox::Background(), {SIGUSR1});
    EXPECT_FALSE(ctx.Err());
    raise(SIGUSR1);
    RecvOrFail(ctx.Done());
    EXPECT_EQ(ctx.Err(), gox::Canceled);
    EXPECT_EQ(gox::Cause(ctx), gox::SignalError(SIGUSR1));
    EXPECT_EQ(gox::Cause(ctx).Message(), "signal received: SIGUSR1");
    raise(SIGUSR1);  // still caught until stop(): must not kill us
    stop();
    stop();  // idempotent
    EXPECT_EQ(gox::Cause(ctx), gox::SignalError(SIGUSR1));
    EXPECT_FALSE(gox::detail::SignalDispatcherRunning());
  });
}

TEST(SignalsTest, NotifyContextStopCancelsAndChildrenFollow) {
  auto [parent, cancel_parent] = gox::WithCancel(gox::Background());
  auto [ctx, stop] = gox::NotifyContext(parent, {SIGUSR1});
  auto [child, cancel_child] = gox::WithCancel(ctx);
  stop();
  EXPECT_EQ(ctx.Err(), gox::Canceled);
  EXPECT_EQ(gox::Cause(ctx), gox::Canceled);
  EXPECT_EQ(child.Err(), gox::Canceled);
  EXPECT_FALSE(parent.Err());
  cancel_child();
  cancel_parent();

  auto [p2, cancel2] = gox::WithCancel(gox::Background());
  auto [c2, stop2] = gox::NotifyContext(p2, {SIGUSR1});
  cancel2();  // the parent cancels it too
  EXPECT_EQ(c2.Err(), gox::Canceled);
  stop2();
}

TEST(SignalsTest, GoroutinesStartedByASignalHaveANormalMask) {
  RunWithWatchdog(kWatchdog, [] {
    if (gox::detail::IdleThreads() != 0) GTEST_SKIP() << "needs a fresh process (ctest)";
    auto [ctx, stop] = gox::NotifyContext(gox::Background(), {SIGUSR1});
    gox::Chan<bool> blocked(1);
    // The AfterFunc goroutine's thread is created by the dispatcher's cancel.
    auto stop_after = gox::AfterFunc(ctx, [&] {
      sigset_t cur;
      pthread_sigmask(SIG_BLOCK, nullptr, &cur);
      blocked.Send(sigismember(&cur, SIGUSR2) == 1);
    });
    raise(SIGUSR1);
    EXPECT_EQ(RecvOrFail(blocked), false);
    stop();
    EXPECT_TRUE(gox::WaitGoroutines(10s));
  });
}

TEST(SignalsTest, DispatcherExitsWithLastSubscriptionAndIsNoGoroutine) {
  RunWithWatchdog(kWatchdog, [] {
    ASSERT_TRUE(gox::WaitGoroutines(10s));
    int base = gox::NumGoroutine();
    EXPECT_FALSE(gox::detail::SignalDispatcherRunning());
    gox::Chan<int> a(1), b(1);
    gox::NotifySignals(a, {SIGUSR1});
    auto [ctx, stop] = gox::NotifyContext(gox::Background(), {SIGUSR2});
    EXPECT_TRUE(gox::detail::SignalDispatcherRunning());
    EXPECT_EQ(gox::NumGoroutine(), base);
    gox::StopSignals(a);
    EXPECT_TRUE(gox::detail::SignalDispatcherRunning());
    stop();
    EXPECT_FALSE(gox::detail::SignalDispatcherRunning());
    // It starts again for a new subscription.
    gox::NotifySignals(b, {SIGUSR1});
    raise(SIGUSR1);
    EXPECT_EQ(RecvOrFail(b), SIGUSR1);
    gox::StopSignals(b);
    EXPECT_FALSE(gox::detail::SignalDispatcherRunning());
    EXPECT_EQ(gox::NumGoroutine(), base);
  });
}

TEST(SignalsTest, MisusePanics) {
  EXPECT_THROW(gox::NotifySignals(gox::Chan<int>(), {SIGUSR1}), gox::Panic);
  gox::Chan<int> ch(1);
  EXPECT_THROW(gox::NotifySignals(ch, {0}), gox::Panic);
  EXPECT_THROW(gox::NotifySignals(ch, {SIGKILL}), gox::Panic);
  EXPECT_THROW(gox::NotifySignals(ch, {SIGSEGV}), gox::Panic);
  EXPECT_THROW(gox::NotifyContext(gox::Background(), {SIGSTOP}), gox::Panic);
  EXPECT_FALSE(gox::detail::SignalDispatcherRunning());
  gox::StopSignals(ch);  // never subscribed: nothing happens
  gox::StopSignals(gox::Chan<int>());
  try {
    gox::NotifySignals(gox::Chan<int>(), {SIGUSR1});
  } catch (const gox::Panic& p) {
    EXPECT_STREQ(p.what(), "os/signal: Notify using nil channel");
  }
}

TEST(SignalsTest, SignalNames) {
  EXPECT_EQ(gox::SignalName(SIGTERM), "SIGTERM");
  EXPECT_EQ(gox::SignalName(SIGINT), "SIGINT");
  EXPECT_EQ(gox::SignalName(0), "signal 0");
  EXPECT_EQ(gox::SignalError(SIGINT), gox::SignalError(SIGINT));
  EXPECT_FALSE(gox::SignalError(SIGINT) == gox::SignalError(SIGTERM));
  EXPECT_EQ(gox::SignalError(SIGQUIT).Message(), "signal received: SIGQUIT");
}

// We run a signal_child scenario and return its wait status.
int RunChild(const char* scenario) {
  pid_t pid = 0;
  char* argv[] = {const_cast<char*>(GOX_SIGNAL_CHILD), const_cast<char*>(scenario), nullptr};
  int rc = posix_spawn(&pid, GOX_SIGNAL_CHILD, nullptr, nullptr, argv, environ);
  EXPECT_EQ(rc, 0) << "posix_spawn " << GOX_SIGNAL_CHILD;
  if (rc != 0) return -1;
  auto status = std::make_shared<int>(0);  // outlives a watchdog-abandoned waiter
  bool done = RunWithWatchdog(60s, [pid, status] {
    while (waitpid(pid, status.get(), 0) < 0 && errno == EINTR) {
    }
  });
  if (!done) kill(pid, SIGKILL);
  return *status;
}

void ExpectKilledBySigterm(const char* scenario) {
  int status = RunChild(scenario);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)
      << scenario << ": status " << status << " exit "
      << (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

void ExpectExitZero(const char* scenario) {
  int status = RunChild(scenario);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << scenario << ": status " << status << " exit "
      << (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

TEST(SignalsChildTest, NotifyContextStopRestoresDefaultSigterm) {
  ExpectKilledBySigterm("notify_context_stop");
}

TEST(SignalsChildTest, StopSignalsRestoresDefaultSigterm) { ExpectKilledBySigterm("notify_stop"); }

TEST(SignalsChildTest, DefaultBackOnlyAfterLastSubscriptionStops) {
  ExpectKilledBySigterm("last_stop");
}

TEST(SignalsChildTest, SigtermCaughtWhileSubscribed) { ExpectExitZero("caught_by_context"); }

TEST(SignalsChildTest, SignalBlockedInMainStillReachesDispatcher) {
  ExpectExitZero("masked_in_main");
}

}  // namespace
