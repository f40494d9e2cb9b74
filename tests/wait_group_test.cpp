// Tests for gox::WaitGroup (wait_group.h).
#include "gox/wait_group.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "gox/go.h"
#include "test_util.h"

namespace {

using namespace std::chrono_literals;
using gox_test::Eventually;
using gox_test::RunWithWatchdog;

TEST(WaitGroupTest, NegativeCounterPanics) {
  gox::WaitGroup wg;
  try {
    wg.Done();
    ADD_FAILURE() << "no panic";
  } catch (const gox::Panic& p) {
    EXPECT_STREQ(p.what(), "sync: negative WaitGroup counter");
  }
  wg.Add(1);
  EXPECT_THROW(wg.Add(-2), gox::Panic);
  // The counter is left at 1: one Done is fine, a second panics.
  EXPECT_NO_THROW(wg.Done());
  EXPECT_THROW(wg.Done(), gox::Panic);
  RunWithWatchdog(5s, [&] { wg.Wait(); });
}

TEST(WaitGroupTest, WaitWithZeroReturnsAtOnce) {
  RunWithWatchdog(5s, [] {
    gox::WaitGroup wg;
    auto start = std::chrono::steady_clock::now();
    wg.Wait();
    wg.Add(2);
    wg.Add(-2);
    wg.Wait();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  });
}

TEST(WaitGroupTest, WaitBlocksUntilDone) {
  RunWithWatchdog(10s, [] {
    gox::WaitGroup wg;
    wg.Add(2);
    std::atomic<bool> entered{false}, returned{false}, last_done_seen{false};
    std::atomic<int> done_calls{0};
    std::thread waiter([&] {
      entered = true;
      wg.Wait();
      last_done_seen = done_calls.load() == 2;
      returned = true;
    });
    EXPECT_TRUE(Eventually(5000ms, [&] { return entered.load(); }));
    // It must still be waiting: a "never happens" check for a bounded while.
    EXPECT_FALSE(Eventually(50ms, [&] { return returned.load(); }));
    done_calls = 1;
    wg.Done();
    EXPECT_FALSE(Eventually(50ms, [&] { return returned.load(); }));
    done_calls = 2;
    wg.Done();
    waiter.join();
    EXPECT_TRUE(last_done_seen.load());
  });
}

TEST(WaitGroupTest, EveryWaiterIsReleased) {
  RunWithWatchdog(10s, [] {
    gox::WaitGroup wg, ready;
    wg.Add(1);
    constexpr int kWaiters = 6;
    ready.Add(kWaiters);
    std::atomic<int> released{0};
    std::vector<std::thread> waiters;
    for (int i = 0; i < kWaiters; ++i) {
      waiters.emplace_back([&] {
        ready.Done();
        wg.Wait();
        ++released;
      });
    }
    ready.Wait();
    EXPECT_EQ(released.load(), 0);
    wg.Done();
    for (auto& t : waiters) t.join();
    EXPECT_EQ(released.load(), kWaiters);
  });
}

TEST(WaitGroupTest, DoneHappensBeforeWaitReturns) {
  ASSERT_TRUE(gox::WaitGoroutines(10s));
  RunWithWatchdog(20s, [] {
    constexpr int kN = 16;
    std::vector<int> results(kN, 0);  // plain ints: TSan checks the Done -> Wait edge
    gox::WaitGroup wg;
    wg.Add(kN);
    for (int i = 0; i < kN; ++i) {
      gox::Go([&results, &wg, i] {
        results[i] = i * i;
        wg.Done();
      });
    }
    wg.Wait();
    for (int i = 0; i < kN; ++i) EXPECT_EQ(results[i], i * i);
  });
  EXPECT_TRUE(gox::WaitGoroutines(10s));
}

TEST(WaitGroupTest, ReusableAfterReachingZero) {
  RunWithWatchdog(20s, [] {
    gox::WaitGroup wg;
    for (int round = 0; round < 50; ++round) {
      std::atomic<int> n{0};
      wg.Add(3);
      std::vector<std::thread> ts;
      for (int i = 0; i < 3; ++i) {
        ts.emplace_back([&] {
          ++n;
          wg.Done();
        });
      }
      wg.Wait();
      EXPECT_EQ(n.load(), 3);
      for (auto& t : ts) t.join();
    }
  });
}

}  // namespace
