// Tests for time.h: After, Timer (Stop, Reset), Ticker (ticks, drops, Stop), Sleep.
// Timing assertions are one-sided ("no earlier than d"); "never" checks wait a
// bounded while on another After channel.
#include "gox/time.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <utility>

#include "gox/select.h"
#include "test_util.h"

namespace {

using namespace std::chrono_literals;
using gox::Clock;
using gox_test::Eventually;
using gox_test::RunWithWatchdog;
using TimeChan = gox::Chan<Clock::time_point>;

// ExpectNothingWithin checks that c delivers nothing for d (a gox::After is the clock).
void ExpectNothingWithin(TimeChan c, gox::Duration d, const char* what) {
  std::size_t idx = gox::Select(
      gox::RecvCase(c, [&](std::optional<Clock::time_point>) { ADD_FAILURE() << what; }),
      gox::RecvCase(gox::After(d), [] {}));
  EXPECT_EQ(idx, 1u) << what;
}

TEST(TimeTest, AfterFiresOnceNoEarlierThanD) {
  RunWithWatchdog(10s, [] {
    Clock::time_point start = Clock::now();
    TimeChan c = gox::After(30ms);
    EXPECT_EQ(c.Cap(), 1u);
    std::optional<Clock::time_point> v = c.Recv();
    Clock::time_point end = Clock::now();
    ASSERT_TRUE(v.has_value());
    EXPECT_GE(*v - start, 30ms);  // the value is the firing time
    EXPECT_GE(end - start, 30ms);
    EXPECT_LE(*v, end);
    // Once: nothing more arrives, and the channel is not closed either.
    ExpectNothingWithin(c, 80ms, "After fired twice");
    bool default_ran = false;
    gox::Select(gox::RecvCase(c, [] { ADD_FAILURE() << "After's channel was closed"; }),
                gox::Default([&] { default_ran = true; }));
    EXPECT_TRUE(default_ran);
  });
}

TEST(TimeTest, AfterWithNonPositiveDurationFiresAtOnce) {
  RunWithWatchdog(10s, [] {
    EXPECT_TRUE(gox::After(0ms).Recv().has_value());
    EXPECT_TRUE(gox::After(-1s).Recv().has_value());
  });
}

TEST(TimeTest, TimerFiresOnceNoEarlierThanD) {
  RunWithWatchdog(10s, [] {
    Clock::time_point start = Clock::now();
    gox::Timer t(20ms);
    std::optional<Clock::time_point> v = t.C().Recv();
    ASSERT_TRUE(v.has_value());
    EXPECT_GE(*v - start, 20ms);
    EXPECT_GE(Clock::now() - start, 20ms);
    EXPECT_FALSE(t.Stop());  // already fired
    ExpectNothingWithin(t.C(), 50ms, "Timer fired twice");
  });
}

TEST(TimeTest, TimerStopBeforeExpiryReturnsTrueAndNothingIsSent) {
  RunWithWatchdog(10s, [] {
    gox::Timer t(50ms);
    TimeChan c = t.C();
    EXPECT_TRUE(t.Stop());
    EXPECT_FALSE(t.Stop());  // the second Stop finds nothing pending
    ExpectNothingWithin(c, 200ms, "stopped Timer sent");
    EXPECT_EQ(c.Len(), 0u);
  });
}

TEST(TimeTest, TimerStopAfterFiringDrainsTheStaleValue) {
  RunWithWatchdog(10s, [] {
    gox::Timer t(5ms);
    EXPECT_TRUE(Eventually(5000ms, [&] { return t.C().Len() == 1; }));
    EXPECT_FALSE(t.Stop());
    EXPECT_EQ(t.C().Len(), 0u);  // Go 1.23: no stale value after Stop
  });
}

TEST(TimeTest, TimerResetRearms) {
  RunWithWatchdog(10s, [] {
    gox::Timer t(std::chrono::hours(1));
    Clock::time_point start = Clock::now();
    EXPECT_TRUE(t.Reset(30ms));  // was pending
    std::optional<Clock::time_point> v = t.C().Recv();
    ASSERT_TRUE(v.has_value());
    EXPECT_GE(*v - start, 30ms);
    // Reset after it fired: returns false and fires again.
    start = Clock::now();
    EXPECT_FALSE(t.Reset(20ms));
    v = t.C().Recv();
    ASSERT_TRUE(v.has_value());
    EXPECT_GE(*v - start, 20ms);
  });
}

TEST(TimeTest, TimerResetPostponesFiring) {
  RunWithWatchdog(10s, [] {
    gox::Timer t(30ms);
    EXPECT_TRUE(t.Reset(400ms));
    ExpectNothingWithin(t.C(), 150ms, "Timer fired at its old deadline");
    EXPECT_TRUE(t.C().Recv().has_value());
  });
}

TEST(TimeTest, DestroyedTimerNeverFires) {
  RunWithWatchdog(10s, [] {
    TimeChan c;
    {
      gox::Timer t(20ms);
      c = t.C();
    }
    ExpectNothingWithin(c, 120ms, "destroyed Timer sent");
  });
}

TEST(TimeTest, MovedTimerKeepsItsChannel) {
  RunWithWatchdog(10s, [] {
    gox::Timer a(10ms);
    TimeChan c = a.C();
    gox::Timer b(std::move(a));
    EXPECT_TRUE(b.C() == c);
    EXPECT_TRUE(c.Recv().has_value());
  });
}

TEST(TimeTest, TickerTicksUntilStop) {
  RunWithWatchdog(10s, [] {
    Clock::time_point start = Clock::now();
    gox::Ticker tk(15ms);
    Clock::time_point prev = start;
    for (int k = 1; k <= 5; ++k) {
      std::optional<Clock::time_point> v = tk.C().Recv();
      ASSERT_TRUE(v.has_value());
      EXPECT_GT(*v, prev);
      EXPECT_GE(*v - start, k * 15ms) << "tick " << k;  // never early
      prev = *v;
    }
    tk.Stop();
    EXPECT_EQ(tk.C().Len(), 0u);
    ExpectNothingWithin(tk.C(), 100ms, "stopped Ticker ticked");
  });
}

TEST(TimeTest, TickerDropsTicksForASlowReader) {
  RunWithWatchdog(10s, [] {
    Clock::time_point start = Clock::now();
    gox::Ticker tk(10ms);
    EXPECT_EQ(tk.C().Cap(), 1u);
    gox::After(200ms).Recv();  // we are a slow reader: ~20 ticks happen meanwhile
    EXPECT_LE(tk.C().Len(), 1u);
    Clock::time_point drain = Clock::now();
    std::optional<Clock::time_point> stale = tk.C().Recv();
    std::optional<Clock::time_point> fresh = tk.C().Recv();
    ASSERT_TRUE(stale && fresh);
    EXPECT_LT(*stale, drain);
    // Without dropping, the next value would be the 2nd tick (~start + 20 ms).
    // With dropping, it is a tick made after we drained (minus a tiny race window
    // between the ticker reading the clock and sending).
    EXPECT_GT(*fresh, drain - 50ms) << "fresh tick is " << (*fresh - start).count() << " ns";
    EXPECT_GT(*fresh - start, 150ms);
  });
}

// Stop racing a tick: once Stop returns, no tick is (or becomes) receivable.
TEST(TimeTest, TickerStopRacingATickLeavesNothingToReceive) {
  RunWithWatchdog(30s, [] {
    for (int i = 0; i < 100; ++i) {
      gox::Ticker tk(200us);
      if (i % 2 == 0) (void)tk.C().Recv();  // sometimes stop right after a tick
      tk.Stop();
      if (tk.C().Len() != 0) {
        ADD_FAILURE() << "iteration " << i << ": a tick was left after Stop";
        return;
      }
      if (i % 10 == 0) ExpectNothingWithin(tk.C(), 5ms, "tick after Stop");
    }
  });
}

// Reset racing the firing: once Reset returns, no stale value from the old deadline.
TEST(TimeTest, TimerResetRacingTheFiringLeavesNoStaleValue) {
  RunWithWatchdog(30s, [] {
    for (int i = 0; i < 200; ++i) {
      gox::Timer t(std::chrono::microseconds(100 + (i % 7) * 50));
      // Busy-wait a little so the reset lands around the deadline.
      auto until = Clock::now() + std::chrono::microseconds(50 * (i % 9));
      while (Clock::now() < until) {
      }
      t.Reset(std::chrono::hours(1));
      if (t.C().Len() != 0) {
        ADD_FAILURE() << "iteration " << i << ": stale value after Reset";
        return;
      }
    }
  });
}

TEST(TimeTest, TickerWithNonPositiveIntervalPanics) {
  for (gox::Duration d : {gox::Duration(0ms), gox::Duration(-5ms)}) {
    try {
      gox::Ticker tk(d);
      ADD_FAILURE() << "no panic";
    } catch (const gox::Panic& p) {
      EXPECT_STREQ(p.what(), "non-positive interval for NewTicker");
    }
  }
}

TEST(TimeTest, TickerResetChangesPeriodAndRejectsNonPositive) {
  RunWithWatchdog(10s, [] {
    gox::Ticker tk(std::chrono::hours(1));
    Clock::time_point start = Clock::now();
    tk.Reset(10ms);
    std::optional<Clock::time_point> v = tk.C().Recv();
    ASSERT_TRUE(v.has_value());
    EXPECT_GE(*v - start, 10ms);
    EXPECT_THROW(tk.Reset(0ms), gox::Panic);
    tk.Stop();
  });
}

TEST(TimeTest, SleepLastsAtLeastD) {
  Clock::time_point start = Clock::now();
  gox::Sleep(20ms);
  EXPECT_GE(Clock::now() - start, 20ms);
  gox::Sleep(-1s);  // returns at once
}

}  // namespace

// ---- ParseDuration (Go's time.ParseDuration syntax) ----

TEST(TimeTest, ParseDurationAcceptsGoSyntax) {
  using namespace std::chrono;
  struct Case {
    const char* in;
    gox::Duration want;
  } cases[] = {
      {"0", 0ns},
      {"300ms", 300ms},
      {"1.5s", 1500ms},
      {"1m30s", 90s},
      {"2h", 2h},
      {"-1.5h", -90min},
      {"+5s", 5s},
      {"10us", 10us},
      {"10\xC2\xB5s", 10us},
      {"7ns", 7ns},
      {"1h2m3s4ms", 1h + 2min + 3s + 4ms},
  };
  for (const Case& c : cases) {
    gox::Duration d{};
    EXPECT_TRUE(gox::ParseDuration(c.in, &d)) << c.in;
    EXPECT_EQ(d, c.want) << c.in;
  }
}

TEST(TimeTest, ParseDurationRejectsBadInput) {
  for (const char* in :
       {"", "-", "5", "s", "1.2.3s", ".s", "5x", "12ms3", "1e3s", "9999999999h", " 5s", "5 s"}) {
    gox::Duration d = std::chrono::seconds(42);
    EXPECT_FALSE(gox::ParseDuration(in, &d)) << in;
    EXPECT_EQ(d, std::chrono::seconds(42)) << in << ": *out must be left alone";
  }
}
