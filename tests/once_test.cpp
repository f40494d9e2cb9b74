// Tests for gox::Once (once.h): one run under concurrency, waiting callers, and
// Go's semantics when f throws (done anyway, unlike std::call_once).
#include "gox/once.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gox/error.h"
#include "test_util.h"

namespace {

using namespace std::chrono_literals;
using gox_test::Eventually;
using gox_test::RunWithWatchdog;

constexpr int kCallers = 8;

TEST(OnceTest, RunsOnceUnderConcurrentCallersAndOthersWaitForIt) {
  RunWithWatchdog(20s, [] {
    gox::Once once;
    std::atomic<int> runs{0};
    std::atomic<int> entered{0};
    std::atomic<bool> f_finished{false};
    std::atomic<int> returned_before_f_finished{0};
    std::latch start(kCallers);
    std::vector<std::thread> callers;
    for (int i = 0; i < kCallers; ++i) {
      callers.emplace_back([&] {
        start.arrive_and_wait();
        ++entered;
        once.Do([&] {
          ++runs;
          // Hold f until every caller is at (or in) Do, then a little longer,
          // so the others are really waiting for it.
          EXPECT_TRUE(Eventually(5000ms, [&] { return entered.load() == kCallers; }));
          std::this_thread::sleep_for(20ms);  // not synchronisation: lets them block
          f_finished = true;
        });
        if (!f_finished.load()) ++returned_before_f_finished;
      });
    }
    for (auto& t : callers) t.join();
    EXPECT_EQ(runs.load(), 1);
    EXPECT_EQ(returned_before_f_finished.load(), 0);
  });
}

TEST(OnceTest, LaterCallsDoNothing) {
  gox::Once once;
  int a = 0, b = 0;
  once.Do([&] { ++a; });
  once.Do([&] { ++b; });
  once.Do([&] { ++a; });
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 0);
}

TEST(OnceTest, EffectsAreVisibleToEveryCaller) {
  RunWithWatchdog(20s, [] {
    gox::Once once;
    int value = 0;  // plain: TSan checks that f happens before every Do returns
    std::latch start(kCallers);
    std::vector<int> seen(kCallers, -1);
    std::vector<std::thread> callers;
    for (int i = 0; i < kCallers; ++i) {
      callers.emplace_back([&, i] {
        start.arrive_and_wait();
        once.Do([&] { value = 1234; });
        seen[i] = value;
      });
    }
    for (auto& t : callers) t.join();
    for (int i = 0; i < kCallers; ++i) EXPECT_EQ(seen[i], 1234);
  });
}

TEST(OnceTest, ExceptionReachesTheCallerAndOnceIsStillDone) {
  gox::Once once;
  int runs = 0;
  try {
    once.Do([&] {
      ++runs;
      throw std::runtime_error("init failed");
    });
    ADD_FAILURE() << "exception swallowed";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "init failed");
  }
  // Go semantics: done even though f panicked (std::call_once would retry).
  EXPECT_NO_THROW(once.Do([&] {
    ++runs;
    throw std::runtime_error("second");
  }));
  EXPECT_EQ(runs, 1);
}

TEST(OnceTest, ConcurrentCallersWhenFThrowsOnlyOneSeesIt) {
  RunWithWatchdog(20s, [] {
    gox::Once once;
    std::atomic<int> runs{0}, caught{0}, entered{0};
    std::latch start(kCallers);
    std::vector<std::thread> callers;
    for (int i = 0; i < kCallers; ++i) {
      callers.emplace_back([&] {
        start.arrive_and_wait();
        ++entered;
        try {
          once.Do([&] {
            ++runs;
            EXPECT_TRUE(Eventually(5000ms, [&] { return entered.load() == kCallers; }));
            throw gox::Panic("boom");
          });
        } catch (const gox::Panic& p) {
          EXPECT_STREQ(p.what(), "boom");
          ++caught;
        }
      });
    }
    for (auto& t : callers) t.join();
    EXPECT_EQ(runs.load(), 1);
    EXPECT_EQ(caught.load(), 1);
  });
}

}  // namespace
