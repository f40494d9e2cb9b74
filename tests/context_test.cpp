#include "gox/context.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "gox/detail/timer_queue.h"
#include "gox/go.h"
#include "gox/select.h"
#include "gox/time.h"
#include "test_util.h"

using namespace std::chrono_literals;
using gox_test::RunWithWatchdog;

namespace {

constexpr auto kWatchdog = 60s;

bool IsClosed(const gox::Chan<gox::Unit>& done) {
  bool closed = false;
  gox::Select(gox::RecvCase(done, [&](std::optional<gox::Unit>) { closed = true; }),
              gox::Default([] {}));
  return closed;
}

// We wait (bounded) for done to close; false after 10 s.
bool WaitClosed(const gox::Chan<gox::Unit>& done) {
  bool closed = false;
  gox::Timer limit(10s);  // stopped (and off the timer queue) when we return
  gox::Select(gox::RecvCase(done, [&](std::optional<gox::Unit>) { closed = true; }),
              gox::RecvCase(limit.C(), [](auto) {}));
  return closed;
}

long ResidentKiB() {
  long size = 0, resident = 0;
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return -1;
  if (std::fscanf(f, "%ld %ld", &size, &resident) != 2) resident = -1;
  std::fclose(f);
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

TEST(ContextTest, BackgroundIsNeverDone) {
  for (gox::Context bg : {gox::Background(), gox::TODO(), gox::Context()}) {
    EXPECT_TRUE(bg.Done().IsNil());
    EXPECT_FALSE(bg.Err());
    EXPECT_FALSE(bg.Deadline().has_value());
    EXPECT_FALSE(gox::Cause(bg));
  }
}

TEST(ContextTest, DoneIsOneChannelAndErrNilUntilCancel) {
  auto [ctx, cancel] = gox::WithCancel(gox::Background());
  EXPECT_TRUE(ctx.Done() == ctx.Done());
  EXPECT_FALSE(ctx.Done().IsNil());
  EXPECT_FALSE(ctx.Err());
  EXPECT_FALSE(gox::Cause(ctx));
  EXPECT_FALSE(IsClosed(ctx.Done()));
  cancel();
  EXPECT_TRUE(IsClosed(ctx.Done()));
  EXPECT_EQ(ctx.Err(), gox::Canceled);
  EXPECT_EQ(ctx.Err().Message(), "context canceled");
  cancel();  // idempotent
  EXPECT_EQ(ctx.Err(), gox::Canceled);
}

TEST(ContextTest, CancelParentCancelsDescendantsBeforeReturning) {
  auto [parent, cancel] = gox::WithCancel(gox::Background());
  auto [child, cancel_child] = gox::WithCancel(parent);
  gox::ContextKey<int> key("k");
  gox::Context valued = gox::WithValue(child, key, 1);
  auto [grandchild, cancel_gc] = gox::WithTimeout(valued, 1h);
  auto [cause_child, cancel_cc] = gox::WithCancelCause(grandchild);
  EXPECT_FALSE(child.Err());
  EXPECT_FALSE(IsClosed(grandchild.Done()));
  cancel();
  for (const gox::Context& c : {parent, child, valued, grandchild, cause_child}) {
    EXPECT_EQ(c.Err(), gox::Canceled);
    EXPECT_TRUE(IsClosed(c.Done()));
    EXPECT_EQ(gox::Cause(c), gox::Canceled);
  }
  cancel_child();
  cancel_gc();
  cancel_cc(gox::Error::New("late"));
  EXPECT_EQ(gox::Cause(cause_child), gox::Canceled);  // first cancel wins
}

TEST(ContextTest, CancelChildLeavesParentAndSiblingsAlone) {
  auto [parent, cancel] = gox::WithCancel(gox::Background());
  auto [a, cancel_a] = gox::WithCancel(parent);
  auto [b, cancel_b] = gox::WithTimeout(parent, 1h);
  auto [a1, cancel_a1] = gox::WithCancel(a);
  EXPECT_EQ(gox::detail::ContextChildCount(parent), 2u);
  cancel_a();
  EXPECT_EQ(a.Err(), gox::Canceled);
  EXPECT_EQ(a1.Err(), gox::Canceled);
  EXPECT_FALSE(parent.Err());
  EXPECT_FALSE(b.Err());
  EXPECT_FALSE(IsClosed(parent.Done()));
  EXPECT_FALSE(IsClosed(b.Done()));
  EXPECT_EQ(gox::detail::ContextChildCount(parent), 1u);  // a removed itself
  cancel_b();
  EXPECT_EQ(gox::detail::ContextChildCount(parent), 0u);
  cancel();
  cancel_a1();
}

// The classic leak: a long-lived parent with many short-lived children.
TEST(ContextTest, CancelledChildrenAreRemovedMemoryStaysFlat) {
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
  const int n = 100'000;
#else
  const int n = 1'000'000;
#endif
  auto [parent, cancel] = gox::WithCancel(gox::Background());
  auto churn = [&, p = parent](int count) {
    for (int i = 0; i < count; ++i) {
      auto [child, cancel_child] = i % 10 != 0 ? gox::WithCancel(p) : gox::WithTimeout(p, 1h);
      cancel_child();
    }
  };
  churn(10'000);  // warm the allocator
  long before = ResidentKiB();
  churn(n);
  long after = ResidentKiB();
  std::printf("RSS grew by %ld KiB over %d children\n", after - before, n);
  EXPECT_EQ(gox::detail::ContextChildCount(parent), 0u);
  EXPECT_EQ(gox::detail::PendingTimers(), 0u);
#if !defined(__SANITIZE_ADDRESS__)  // ASan's quarantine keeps freed memory resident
  ASSERT_GT(before, 0);
  EXPECT_LT(after - before, 20 * 1024)
      << "RSS grew by " << (after - before) << " KiB over " << n << " children";
#endif
  // Children that are dropped uncancelled stay linked until the parent is done (Go's rule).
  for (int i = 0; i < 100; ++i) gox::WithCancel(parent);
  EXPECT_EQ(gox::detail::ContextChildCount(parent), 100u);
  cancel();
  EXPECT_EQ(gox::detail::ContextChildCount(parent), 0u);
}

TEST(ContextTest, ChildOfCancelledParentIsBornCancelled) {
  gox::Error why = gox::Error::New("why");
  auto [parent, cancel] = gox::WithCancelCause(gox::Background());
  cancel(why);
  auto [c1, cancel1] = gox::WithCancel(parent);
  auto [c2, cancel2] = gox::WithTimeout(parent, 1h);
  auto [c3, cancel3] = gox::WithCancelCause(parent);
  for (const gox::Context& c : {c1, c2, c3}) {
    EXPECT_EQ(c.Err(), gox::Canceled);
    EXPECT_TRUE(IsClosed(c.Done()));
    EXPECT_EQ(gox::Cause(c), why);
  }
  EXPECT_EQ(gox::detail::PendingTimers(), 0u);  // no timer for a born-cancelled child
  cancel1();
  cancel2();
  cancel3(gox::Error());
}

TEST(ContextTest, EffectiveDeadlineIsTheEarlier) {
  auto now = gox::Clock::now();
  auto [parent, cancel] = gox::WithDeadline(gox::Background(), now + 1h);
  auto [later, cancel_later] = gox::WithDeadline(parent, now + 2h);
  auto [sooner, cancel_sooner] = gox::WithDeadline(parent, now + 30min);
  auto [plain, cancel_plain] = gox::WithCancel(parent);
  EXPECT_EQ(parent.Deadline(), now + 1h);
  EXPECT_EQ(later.Deadline(), now + 1h);
  EXPECT_EQ(sooner.Deadline(), now + 30min);
  EXPECT_EQ(plain.Deadline(), now + 1h);
  EXPECT_FALSE(gox::WithoutCancel(parent).Deadline().has_value());
  auto [t, cancel_t] = gox::WithTimeout(gox::Background(), 10min);
  ASSERT_TRUE(t.Deadline().has_value());
  EXPECT_GE(*t.Deadline(), now + 10min);
  EXPECT_LE(*t.Deadline(), gox::Clock::now() + 10min);
  cancel();
  cancel_later();
  cancel_sooner();
  cancel_plain();
  cancel_t();
}

TEST(ContextTest, PastDeadlineIsExceededAtOnce) {
  auto [ctx, cancel] = gox::WithDeadline(gox::Background(), gox::Clock::now() - 1s);
  EXPECT_EQ(ctx.Err(), gox::DeadlineExceeded);
  EXPECT_EQ(ctx.Err().Message(), "context deadline exceeded");
  EXPECT_TRUE(IsClosed(ctx.Done()));
  EXPECT_EQ(gox::Cause(ctx), gox::DeadlineExceeded);
  auto [z, cancel_z] = gox::WithTimeout(gox::Background(), 0s);
  EXPECT_EQ(z.Err(), gox::DeadlineExceeded);
  cancel();
  cancel_z();
  EXPECT_EQ(ctx.Err(), gox::DeadlineExceeded);  // never changes
}

TEST(ContextTest, DeadlineFiresWithDeadlineExceeded) {
  RunWithWatchdog(kWatchdog, [] {
    auto [parent, cancel_parent] = gox::WithCancel(gox::Background());
    auto start = gox::Clock::now();
    auto [ctx, cancel] = gox::WithTimeout(parent, 20ms);
    auto [child, cancel_child] = gox::WithCancel(ctx);
    EXPECT_FALSE(ctx.Err());
    ASSERT_TRUE(WaitClosed(child.Done()));
    EXPECT_GE(gox::Clock::now() - start, 20ms);
    EXPECT_EQ(ctx.Err(), gox::DeadlineExceeded);
    EXPECT_EQ(child.Err(), gox::DeadlineExceeded);
    EXPECT_EQ(gox::Cause(child), gox::DeadlineExceeded);
    EXPECT_FALSE(parent.Err());
    // The timer unlinks the child right after closing Done (as Go does): wait for it.
    auto until = gox::Clock::now() + 10s;
    while (gox::detail::ContextChildCount(parent) != 0 && gox::Clock::now() < until) {
      std::this_thread::yield();
    }
    EXPECT_EQ(gox::detail::ContextChildCount(parent), 0u);  // the fired timer unlinked it
    cancel();
    EXPECT_EQ(ctx.Err(), gox::DeadlineExceeded);
    cancel_child();
    cancel_parent();
  });
}

TEST(ContextTest, DeadlineRacingCancelGivesExactlyOneStableErr) {
  RunWithWatchdog(kWatchdog, [] {
    int canceled = 0, exceeded = 0;
    for (int i = 0; i < 1000; ++i) {
      auto [ctx, cancel] = gox::WithTimeout(gox::Background(), std::chrono::microseconds(i % 50));
      std::atomic<bool> stop{false};
      std::atomic<int> changes{0};
      std::thread reader([&, c = ctx] {
        gox::Error seen;
        while (!stop) {
          gox::Error e = c.Err();
          if (seen && !(e == seen)) {
            ++changes;
            std::fprintf(stderr, "changed: %s -> %s\n", seen.Message().c_str(),
                         e.Message().c_str());
          }
          if (e) seen = e;
        }
      });
      auto spin_until = gox::Clock::now() + std::chrono::microseconds((i * 7) % 50);
      while (gox::Clock::now() < spin_until) {
      }
      cancel();
      gox::Error err = ctx.Err();
      ASSERT_TRUE(err == gox::Canceled || err == gox::DeadlineExceeded) << err.Message();
      EXPECT_EQ(gox::Cause(ctx), err);
      EXPECT_TRUE(IsClosed(ctx.Done()));
      stop = true;
      reader.join();
      EXPECT_EQ(changes.load(), 0);
      EXPECT_EQ(ctx.Err(), err);
      (err == gox::Canceled ? canceled : exceeded)++;
    }
    EXPECT_EQ(canceled + exceeded, 1000);
    EXPECT_EQ(gox::detail::PendingTimers(), 0u);
    std::printf("deadline won %d times, cancel won %d times\n", exceeded, canceled);
  });
}

TEST(ContextTest, ValueNearestKeyWinsAndKeysNeverCollide) {
  gox::ContextKey<std::string> user("user");
  gox::ContextKey<std::string> user_too("user");  // same name and type, another key
  gox::ContextKey<int> id("id");
  gox::ContextKey<std::string> copy = user;  // a copy is the same key

  gox::Context c1 = gox::WithValue(gox::Background(), user, std::string("alice"));
  auto [c2, cancel] = gox::WithCancel(c1);
  gox::Context c3 = gox::WithValue(c2, id, 42);
  gox::Context c4 = gox::WithValue(c3, user, std::string("bob"));

  ASSERT_NE(c4.Value(user), nullptr);
  EXPECT_EQ(*c4.Value(user), "bob");
  EXPECT_EQ(*c3.Value(user), "alice");
  EXPECT_EQ(*c4.Value(copy), "bob");
  EXPECT_EQ(c4.Value(user_too), nullptr);
  EXPECT_EQ(*c4.Value(id), 42);
  EXPECT_EQ(c1.Value(id), nullptr);
  EXPECT_EQ(gox::Background().Value(user), nullptr);

  gox::Context c5 = gox::WithValue(c4, user_too, std::string("carol"));
  const std::string* carol = c5.Value(user_too);
  gox::Context keep = c5;
  c5 = gox::Background();
  EXPECT_EQ(*carol, "carol");  // valid while a copy (keep) lives
  EXPECT_EQ(*keep.Value(user), "bob");
  cancel();
  EXPECT_EQ(*c4.Value(user), "bob");  // values survive cancellation
}

TEST(ContextTest, CauseFollowsGoRules) {
  gox::Error boom = gox::Error::New("boom");
  auto [ctx, cancel] = gox::WithCancelCause(gox::Background());
  auto [child, cancel_child] = gox::WithCancel(ctx);
  gox::ContextKey<int> k("k");
  gox::Context valued = gox::WithValue(child, k, 1);
  EXPECT_FALSE(gox::Cause(ctx));
  cancel(boom);
  EXPECT_EQ(ctx.Err(), gox::Canceled);
  EXPECT_EQ(gox::Cause(ctx), boom);
  EXPECT_EQ(gox::Cause(child), boom);
  EXPECT_EQ(gox::Cause(valued), boom);
  cancel(gox::Error::New("second"));
  EXPECT_EQ(gox::Cause(ctx), boom);
  cancel_child();

  auto [nil_cause, cancel_nil] = gox::WithCancelCause(gox::Background());
  cancel_nil(gox::Error());
  EXPECT_EQ(gox::Cause(nil_cause), gox::Canceled);

  gox::Error slow = gox::Error::New("too slow");
  auto [timed, cancel_timed] = gox::WithTimeoutCause(gox::Background(), -1s, slow);
  EXPECT_EQ(timed.Err(), gox::DeadlineExceeded);
  EXPECT_EQ(gox::Cause(timed), slow);
  cancel_timed();
  RunWithWatchdog(kWatchdog, [&] {
    auto [d, cancel_d] = gox::WithDeadlineCause(gox::Background(), gox::Clock::now() + 5ms, slow);
    ASSERT_TRUE(WaitClosed(d.Done()));
    EXPECT_EQ(d.Err(), gox::DeadlineExceeded);
    EXPECT_EQ(gox::Cause(d), slow);
    cancel_d();
    auto [plain, cancel_plain] = gox::WithTimeout(gox::Background(), 5ms);
    ASSERT_TRUE(WaitClosed(plain.Done()));
    EXPECT_EQ(gox::Cause(plain), gox::DeadlineExceeded);
    cancel_plain();
  });
}

TEST(ContextTest, AfterFuncRunsOnceOnItsOwnGoroutine) {
  RunWithWatchdog(kWatchdog, [] {
    ASSERT_TRUE(gox::WaitGoroutines(10s));
    auto [ctx, cancel] = gox::WithCancel(gox::Background());
    std::atomic<int> runs{0};
    gox::Chan<uint64_t> ran_on(1);
    gox::Chan<gox::Unit> release(0);
    auto stop = gox::AfterFunc(ctx, [&] {
      ++runs;
      ran_on.Send(gox::GoroutineId());
      release.Recv();
    });
    EXPECT_EQ(gox::detail::ContextChildCount(ctx), 1u);
    cancel();
    auto id = ran_on.Recv();
    ASSERT_TRUE(id.has_value());
    EXPECT_NE(*id, 0u);                 // a gox goroutine
    EXPECT_EQ(gox::NumGoroutine(), 1);  // counted while it runs
    EXPECT_FALSE(stop());               // already started
    release.Send(gox::Unit{});
    cancel();
    EXPECT_TRUE(gox::WaitGoroutines(10s));
    EXPECT_EQ(runs.load(), 1);
  });
}

TEST(ContextTest, AfterFuncStopBeforeCancelPreventsIt) {
  RunWithWatchdog(kWatchdog, [] {
    ASSERT_TRUE(gox::WaitGoroutines(10s));
    auto [ctx, cancel] = gox::WithCancel(gox::Background());
    std::atomic<bool> ran{false};
    auto stop = gox::AfterFunc(ctx, [&] { ran = true; });
    EXPECT_TRUE(stop());
    EXPECT_FALSE(stop());
    EXPECT_EQ(gox::detail::ContextChildCount(ctx), 0u);
    cancel();
    EXPECT_TRUE(gox::WaitGoroutines(10s));
    EXPECT_FALSE(ran.load());

    // On a done context it runs at once; on Background never.
    gox::Chan<gox::Unit> now_ran(1);
    auto stop2 = gox::AfterFunc(ctx, [&] { now_ran.Send(gox::Unit{}); });
    EXPECT_TRUE(now_ran.Recv().has_value());
    EXPECT_FALSE(stop2());
    auto stop3 = gox::AfterFunc(gox::Background(), [&] { ran = true; });
    EXPECT_TRUE(stop3());
    EXPECT_TRUE(gox::WaitGoroutines(10s));
    EXPECT_FALSE(ran.load());
  });
}

TEST(ContextTest, AfterFuncStopRacingCancelRunsAtMostOnce) {
  RunWithWatchdog(kWatchdog, [] {
    std::atomic<int> runs{0}, stopped{0};
    const int n = gox_test::Scaled(500);
    for (int i = 0; i < n; ++i) {
      auto [ctx, cancel] = gox::WithCancel(gox::Background());
      auto stop = gox::AfterFunc(ctx, [&] { ++runs; });
      std::thread t([&, c = cancel] { c(); });
      if (stop()) ++stopped;
      t.join();
    }
    EXPECT_TRUE(gox::WaitGoroutines(10s));
    EXPECT_EQ(runs.load() + stopped.load(), n);
  });
}

TEST(ContextTest, WithoutCancelKeepsValuesNeverCancels) {
  gox::ContextKey<int> k("k");
  auto [parent, cancel] = gox::WithTimeout(gox::WithValue(gox::Background(), k, 7), 1h);
  gox::Context detached = gox::WithoutCancel(parent);
  auto [child, cancel_child] = gox::WithCancel(detached);
  cancel();
  EXPECT_EQ(parent.Err(), gox::Canceled);
  EXPECT_FALSE(detached.Err());
  EXPECT_TRUE(detached.Done().IsNil());
  EXPECT_FALSE(detached.Deadline().has_value());
  EXPECT_FALSE(gox::Cause(detached));
  EXPECT_FALSE(child.Err());
  ASSERT_NE(detached.Value(k), nullptr);
  EXPECT_EQ(*detached.Value(k), 7);
  EXPECT_EQ(*child.Value(k), 7);
  cancel_child();
  EXPECT_EQ(child.Err(), gox::Canceled);
}

TEST(ContextTest, TimersReleasedOnCancelNothingLeftBehind) {
  RunWithWatchdog(kWatchdog, [] {
    ASSERT_TRUE(gox::WaitGoroutines(10s));
    int base_goroutines = gox::NumGoroutine();
    std::size_t base_timers = gox::detail::PendingTimers();
    std::vector<gox::CancelFunc> cancels;
    auto [root, cancel_root] = gox::WithCancel(gox::Background());
    for (int i = 0; i < 100; ++i) {
      auto [c, cancel] = gox::WithTimeout(i < 50 ? gox::Background() : root, 1h);
      cancels.push_back(cancel);
    }
    EXPECT_EQ(gox::detail::PendingTimers(), base_timers + 100);
    EXPECT_EQ(gox::NumGoroutine(), base_goroutines);  // a deadline is no goroutine
    for (int i = 0; i < 50; ++i) cancels[i]();
    EXPECT_EQ(gox::detail::PendingTimers(), base_timers + 50);
    cancel_root();  // the parent's cancel releases its children's timers
    EXPECT_EQ(gox::detail::PendingTimers(), base_timers);
    EXPECT_TRUE(gox::WaitGoroutines(10s));
    EXPECT_EQ(gox::NumGoroutine(), base_goroutines);
  });
}

TEST(ContextTest, ConcurrentCreateAndCancelUnderOneParent) {
  RunWithWatchdog(kWatchdog, [] {
    auto [parent, cancel] = gox::WithCancel(gox::Background());
    const int per_thread = gox_test::Scaled(20'000);
    std::atomic<int> born_cancelled{0};
    std::atomic<int> ready{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t) {
      ts.emplace_back([&, p = parent] {
        ++ready;
        for (int i = 0; i < per_thread; ++i) {
          auto [c, cancel_c] = gox::WithTimeout(p, 1h);
          gox::Error before = c.Err();
          if (before) ++born_cancelled;
          if (i % 3 == 0) continue;  // left to the parent's cancel
          cancel_c();
          if (c.Err() != gox::Canceled) ADD_FAILURE() << "child not cancelled";
        }
      });
    }
    while (ready < 4) std::this_thread::yield();
    cancel();
    for (auto& t : ts) t.join();
    EXPECT_EQ(gox::detail::ContextChildCount(parent), 0u);
    EXPECT_EQ(gox::detail::PendingTimers(), 0u);
  });
}

// Stress for the lock-free paths (context.cpp): lazy Done made while a cancel
// runs, Err() without the lock, the intrusive child list under concurrent
// link/unlink/cancel. Workers keep making children (some with a grandchild,
// some fetching Done first, some cancelling themselves) while the main thread
// cancels the parent. A worker that sees parent.Err() non-nil must see every
// child it made before already cancelled (Go: Err() non-nil only after the
// cancel's locked section, which cancels the children); a watcher that sees
// parent's Done closed must see Err() non-nil.
TEST(ContextTest, StressLazyDoneLockFreeErrChildListRacingCancel) {
  RunWithWatchdog(kWatchdog, [] {
    const int rounds = gox_test::Scaled(60);
    std::atomic<int> failures{0};
    for (int r = 0; r < rounds && failures == 0; ++r) {
      auto [parent, cancel] = gox::WithCancel(gox::Background());
      struct Kid {
        gox::Context ctx;
        gox::CancelFunc cancel;
        gox::Chan<gox::Unit> early_done;  // nil unless Done() was fetched early
        gox::Context grandchild;
      };
      std::vector<std::vector<Kid>> kept(3);
      std::atomic<int> made{0};
      std::vector<std::thread> ts;
      for (int t = 0; t < 3; ++t) {
        ts.emplace_back([&, t, p = parent] {
          for (int i = 0; i < 100'000; ++i) {
            Kid k;
            std::tie(k.ctx, k.cancel) = gox::WithCancel(p);
            if (i % 2 == 0) k.early_done = k.ctx.Done();
            if (i % 5 == 0) k.grandchild = gox::WithCancel(k.ctx).first;
            if (i % 3 == 0) k.cancel();  // races the parent's cancel
            ++made;
            bool parent_done = static_cast<bool>(p.Err());
            bool ok = k.ctx.Err() || !parent_done;
            if (parent_done) {
              ok = ok && IsClosed(k.ctx.Done()) && k.ctx.Done() == k.ctx.Done();
              if (!k.early_done.IsNil()) ok = ok && IsClosed(k.early_done);
              if (k.grandchild.Node())
                ok = ok && k.grandchild.Err() && IsClosed(k.grandchild.Done());
            }
            if (!ok) ++failures;
            kept[t].push_back(std::move(k));
            if (parent_done) break;
          }
        });
      }
      ts.emplace_back([&, p = parent] {  // the watcher
        for (;;) {
          bool closed = IsClosed(p.Done());
          if (closed && !p.Err()) ++failures;
          if (closed) break;
        }
      });
      while (made < 3000 * (1 + r % 3)) std::this_thread::yield();
      cancel();
      for (auto& th : ts) th.join();
      EXPECT_EQ(gox::detail::ContextChildCount(parent), 0u);
      for (auto& ks : kept) {
        for (Kid& k : ks) {
          bool ok = k.ctx.Err() && IsClosed(k.ctx.Done());
          if (!k.early_done.IsNil()) ok = ok && k.early_done == k.ctx.Done();
          if (k.grandchild.Node()) ok = ok && k.grandchild.Err() == gox::Canceled;
          if (!ok) ++failures;
        }
      }
    }
    EXPECT_EQ(failures.load(), 0);
  });
}

}  // namespace
