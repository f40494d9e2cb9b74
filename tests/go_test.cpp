// Tests for go.h: Go recovers escaping exceptions, NumGoroutine, WaitGoroutines,
// thread reuse, and the run queue's guarantees: liveness behind blocked
// goroutines (gox-blocked: hand-off; foreign-blocked: the monitor), ordering,
// bounded threads in a burst, the spinner bound. NumGoroutine is
// process-global: each test first waits for the goroutines of earlier tests
// and ends with none of its own left. (go_process_test: exit, thread limit.)
#include "gox/go.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "gox/chan.h"
#include "gox/detail/parker.h"
#include "gox/wait_group.h"
#include "test_util.h"

namespace {

using namespace std::chrono_literals;
using gox_test::Eventually;
using gox_test::RunWithWatchdog;

class GoTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(gox::WaitGoroutines(10s)) << "goroutines left over"; }
  void TearDown() override { EXPECT_TRUE(gox::WaitGoroutines(10s)) << "test leaked goroutines"; }
};

TEST_F(GoTest, RunsFunctionAndSeesCallersWrites) {
  RunWithWatchdog(10s, [] {
    int before = 41;  // plain: Go(f) orders it before f (TSan checks)
    gox::Chan<int> out(0);
    gox::Go([&before, out]() mutable { out.Send(before + 1); });
    EXPECT_EQ(out.Recv(), 42);
  });
}

TEST_F(GoTest, AcceptsMoveOnlyCallableAndDestroysItBeforeCountingGone) {
  gox::Chan<int> out(1);
  auto alive = std::make_shared<int>(0);
  std::weak_ptr<int> weak = alive;
  gox::Go([p = std::make_unique<int>(9), alive, out]() mutable { out.Send(*p); });
  alive.reset();
  RunWithWatchdog(10s, [&] { EXPECT_EQ(out.Recv(), 9); });
  ASSERT_TRUE(gox::WaitGoroutines(10s));
  EXPECT_TRUE(weak.expired());  // captures died before the goroutine counted as gone
}

TEST_F(GoTest, EscapingExceptionIsRecoveredAndLogged) {
  testing::internal::CaptureStderr();
  std::atomic<uint64_t> id{0};
  gox::Go([&id] {
    id = gox::GoroutineId();
    throw std::runtime_error("boom");
  });
  bool gone = gox::WaitGoroutines(10s);
  std::string err = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(gone);
  ASSERT_NE(id.load(), 0u);
  std::string want = "goroutine " + std::to_string(id.load()) + " panicked: boom\n";
  EXPECT_NE(err.find(want), std::string::npos) << "stderr was: " << err;
  // The process keeps running, and so does the goroutine machinery.
  RunWithWatchdog(10s, [] {
    gox::Chan<int> out(0);
    gox::Go([out]() mutable { out.Send(1); });
    EXPECT_EQ(out.Recv(), 1);
  });
}

TEST_F(GoTest, GoxPanicInGoroutineIsRecoveredWithGoText) {
  testing::internal::CaptureStderr();
  std::atomic<uint64_t> id{0};
  gox::Go([&id] {
    id = gox::GoroutineId();
    gox::Chan<int> nil;
    nil.Close();
  });
  bool gone = gox::WaitGoroutines(10s);
  std::string err = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(gone);
  std::string want = "goroutine " + std::to_string(id.load()) + " panicked: close of nil channel\n";
  EXPECT_NE(err.find(want), std::string::npos) << "stderr was: " << err;
}

TEST_F(GoTest, NonStdExceptionIsRecovered) {
  testing::internal::CaptureStderr();
  std::atomic<uint64_t> id{0};
  gox::Go([&id] {
    id = gox::GoroutineId();
    throw 42;
  });
  bool gone = gox::WaitGoroutines(10s);
  std::string err = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(gone);
  std::string want = "goroutine " + std::to_string(id.load()) + " panicked: unknown exception\n";
  EXPECT_NE(err.find(want), std::string::npos) << "stderr was: " << err;
}

TEST_F(GoTest, NumGoroutineCountsLiveOnes) {
  EXPECT_EQ(gox::NumGoroutine(), 0);
  gox::Chan<int> release(0);
  gox::WaitGroup started;
  constexpr int kN = 3;
  started.Add(kN);
  for (int i = 0; i < kN; ++i) {
    gox::Go([release, &started]() mutable {
      started.Done();
      (void)release.Recv();
    });
  }
  RunWithWatchdog(10s, [&] { started.Wait(); });
  EXPECT_EQ(gox::NumGoroutine(), kN);
  EXPECT_FALSE(gox::WaitGoroutines(50ms));  // they are blocked
  EXPECT_EQ(gox::NumGoroutine(), kN);
  release.Close();
  EXPECT_TRUE(gox::WaitGoroutines(10s));
  EXPECT_EQ(gox::NumGoroutine(), 0);
}

TEST_F(GoTest, WaitGoroutinesFalseWhileOneIsBlockedTrueOnceGone) {
  gox::Chan<int> release(0);
  gox::Go([release]() mutable { (void)release.Recv(); });
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(gox::WaitGoroutines(100ms));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);  // it did wait
  RunWithWatchdog(10s, [&] { release.Send(1); });
  EXPECT_TRUE(gox::WaitGoroutines(10s));
}

TEST_F(GoTest, IdleThreadsAreKeptAndNotCounted) {
  gox::Chan<int> out(0);
  gox::Go([out]() mutable { out.Send(1); });
  RunWithWatchdog(10s, [&] { EXPECT_EQ(out.Recv(), 1); });
  ASSERT_TRUE(gox::WaitGoroutines(10s));
  // The finished goroutine's thread parks in the cache (bounded poll: it gets
  // there just after the goroutine counts as gone).
  EXPECT_TRUE(Eventually(5000ms, [] { return gox::detail::IdleThreads() > 0; }));
  EXPECT_EQ(gox::NumGoroutine(), 0);
}

TEST_F(GoTest, ReusesTheThreadOfAFinishedGoroutine) {
  // A fresh thread never has the kernel id of one that is still alive, so equal
  // ids prove reuse: the idle list is LIFO, so Go hands the next goroutine to
  // the thread that became idle last.
  bool reused = false;
  const auto all_idle = [] { return gox::detail::IdleThreads() == gox::detail::Threads(); };
  for (int attempt = 0; attempt < 5 && !reused; ++attempt) {
    ASSERT_TRUE(Eventually(5000ms, all_idle));  // earlier tests' workers settled
    gox::Chan<long> tid(1);
    gox::Go([tid]() mutable { tid.Send(gox_test::ThisThreadTid()); });
    std::optional<long> first;
    RunWithWatchdog(10s, [&] { first = tid.Recv(); });
    ASSERT_TRUE(gox::WaitGoroutines(10s));
    // Every worker idle (none still on its way from the goroutine to the idle
    // list): the first goroutine's thread is the most recently idle one.
    ASSERT_TRUE(Eventually(5000ms, all_idle));
    int idle_before = gox::detail::IdleThreads();
    gox::Go([tid]() mutable { tid.Send(gox_test::ThisThreadTid()); });
    std::optional<long> second;
    RunWithWatchdog(10s, [&] { second = tid.Recv(); });
    ASSERT_TRUE(first && second);
    EXPECT_NE(*second, gox_test::ThisThreadTid());
    reused = *first == *second;
    ASSERT_TRUE(gox::WaitGoroutines(10s));
    if (!reused) {
      ADD_FAILURE() << "attempt " << attempt << ": idle before " << idle_before << ", first tid "
                    << *first << ", second " << *second;
    }
  }
  EXPECT_TRUE(reused);
}

TEST_F(GoTest, BlockedGoroutinesDoNotStarveANewOne) {
  constexpr int kBlocked = 32;  // each blocked goroutine keeps its thread; the queue moves on
  gox::Chan<int> release(0);
  for (int i = 0; i < kBlocked; ++i) gox::Go([release]() mutable { (void)release.Recv(); });
  gox::Chan<int> out(0);
  gox::Go([out]() mutable { out.Send(7); });
  RunWithWatchdog(
      10s, [&] { EXPECT_EQ(out.Recv(), 7); }, "a new goroutine behind blocked ones");
  EXPECT_GE(gox::NumGoroutine(), kBlocked);
  release.Close();
}

TEST_F(GoTest, GoroutineIdsAreDistinctAndZeroOutside) {
  EXPECT_EQ(gox::GoroutineId(), 0u);
  constexpr int kN = 20;
  gox::Chan<uint64_t> ids(kN);
  for (int i = 0; i < kN; ++i) gox::Go([ids]() mutable { ids.Send(gox::GoroutineId()); });
  std::set<uint64_t> seen;
  RunWithWatchdog(10s, [&] {
    for (int i = 0; i < kN; ++i) seen.insert(*ids.Recv());
  });
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kN));
  EXPECT_EQ(seen.count(0), 0u);
}

TEST_F(GoTest, ManyTrivialGoroutinesAllRun) {
  const int n = 5000;
  std::atomic<int> ran{0};
  gox::WaitGroup wg;
  wg.Add(n);
  for (int i = 0; i < n; ++i) {
    gox::Go([&] {
      ++ran;
      wg.Done();
    });
  }
  RunWithWatchdog(60s, [&] { wg.Wait(); });
  EXPECT_EQ(ran.load(), n);
}

// Liveness: n goroutines wait on one barrier that only the last one opens, so
// all n must be live at once. They block in a gox channel: each blocking
// thread hands the queue to a new one at once.
TEST_F(GoTest, LivenessAllBlockedOnAChannelBarrier) {
  const int n = 2000;
  std::atomic<int> arrived{0};
  gox::Chan<int> barrier(0);
  gox::WaitGroup done;
  done.Add(n);
  for (int i = 0; i < n; ++i) {
    gox::Go([&, barrier]() mutable {
      if (arrived.fetch_add(1) + 1 == n) {
        barrier.Close();
      } else {
        (void)barrier.Recv();
      }
      done.Done();
    });
  }
  EXPECT_TRUE(RunWithWatchdog(
      120s, [&] { done.Wait(); }, "2000 goroutines on a barrier"));
}

// The same with a foreign barrier (std::mutex + condition_variable): gox does
// not see these threads block; the monitor adds a worker when the queue stops
// moving.
TEST_F(GoTest, LivenessAllBlockedOnAForeignBarrier) {
  const int n = gox_test::Scaled(500);
  std::mutex mu;
  std::condition_variable cv;
  int arrived = 0;  // guarded by mu
  gox::WaitGroup done;
  done.Add(n);
  for (int i = 0; i < n; ++i) {
    gox::Go([&] {
      std::unique_lock lock(mu);
      if (++arrived == n) cv.notify_all();
      cv.wait(lock, [&] { return arrived == n; });
      lock.unlock();
      done.Done();
    });
  }
  EXPECT_TRUE(RunWithWatchdog(
      120s, [&] { done.Wait(); }, "goroutines on a foreign barrier"));
}

// A goroutine queued behind goroutines blocked in foreign calls still starts;
// the delay is printed (the bound is measured in bench/go_bench).
TEST_F(GoTest, QueuedGoroutineStartsBehindForeignBlockedOnes) {
  std::mutex held;
  held.lock();
  const int blocked = gox::detail::Threads() + 8;  // every idle worker, and 8 more
  gox::WaitGroup started;
  started.Add(blocked);
  for (int i = 0; i < blocked; ++i) {
    gox::Go([&] {
      started.Done();
      held.lock();  // blocks: main holds it
      held.unlock();
    });
  }
  RunWithWatchdog(60s, [&] { started.Wait(); });
  gox::Chan<gox::Clock::time_point> ran(1);
  const auto t0 = gox::Clock::now();
  gox::Go([ran]() mutable { ran.Send(gox::Clock::now()); });
  std::optional<gox::Clock::time_point> t1;
  RunWithWatchdog(
      30s, [&] { t1 = ran.Recv(); }, "a goroutine queued behind blocked ones");
  held.unlock();
  EXPECT_TRUE(gox::WaitGoroutines(30s));  // before `held` goes out of scope
  ASSERT_TRUE(t1.has_value());
  std::printf("start delay behind %d blocked goroutines: %lld us\n", blocked,
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::microseconds>(*t1 - t0).count()));
}

// NumGoroutine counts a goroutine from Go's return, queued or running, and
// never the library's threads.
TEST_F(GoTest, NumGoroutineCountsQueuedAndRunningOnes) {
  const int n = 300;
  gox::Chan<int> release(0);
  for (int i = 0; i < n; ++i) gox::Go([release]() mutable { (void)release.Recv(); });
  EXPECT_EQ(gox::NumGoroutine(), n);  // many are still queued here
  release.Close();
  EXPECT_TRUE(gox::WaitGoroutines(60s));
  EXPECT_EQ(gox::NumGoroutine(), 0);
  EXPECT_GT(gox::detail::Threads(), 0);  // workers (and the monitor) are not counted
}

// What the caller wrote before Go(f) is visible to f, whichever way f reaches
// its thread (hand-off to an idle worker, a new thread, the queue). Plain
// writes: TSan reports a missing happens-before edge.
TEST_F(GoTest, CallersWritesAreVisibleThroughTheQueue) {
  const int n = 1000;
  std::vector<int> data(n, 0);
  std::atomic<int> bad{0};
  gox::WaitGroup wg;
  wg.Add(n);
  for (int i = 0; i < n; ++i) {
    data[i] = i + 1;
    gox::Go([&, i] {
      if (data[i] != i + 1) ++bad;
      wg.Done();
    });
  }
  RunWithWatchdog(60s, [&] { wg.Wait(); });
  EXPECT_EQ(bad.load(), 0);
}

// A burst of trivial goroutines is served by a few threads, not one each.
TEST_F(GoTest, BurstOfTrivialGoroutinesUsesFewThreads) {
  const int n = 10000;
  gox::detail::ResetPeakThreads();
  const int before = gox::detail::Threads();
  std::atomic<int> ran{0};
  gox::WaitGroup wg;
  wg.Add(n);
  for (int i = 0; i < n; ++i) {
    gox::Go([&] {
      ran.fetch_add(1, std::memory_order_relaxed);
      wg.Done();
    });
  }
  RunWithWatchdog(60s, [&] { wg.Wait(); });
  EXPECT_EQ(ran.load(), n);
  const int peak = gox::detail::PeakThreads();
  std::printf("burst of %d: worker threads %d before, peak %d\n", n, before, peak);
  EXPECT_LT(peak - before, 100);
}

// At most MaxSpinners() threads spin before they sleep, however many park.
TEST_F(GoTest, AtMostMaxSpinnersSpinAtOnce) {
  const int pairs = 8, rounds = gox_test::Scaled(2000);
  gox::detail::ResetPeakSpinners();
  gox::WaitGroup wg;
  wg.Add(2 * pairs);
  for (int p = 0; p < pairs; ++p) {
    gox::Chan<int> ping(0), pong(0);
    gox::Go([&, ping, pong]() mutable {
      for (int i = 0; i < rounds; ++i) {
        ping.Send(i);
        (void)pong.Recv();
      }
      wg.Done();
    });
    gox::Go([&, ping, pong]() mutable {
      for (int i = 0; i < rounds; ++i) {
        (void)ping.Recv();
        pong.Send(i);
      }
      wg.Done();
    });
  }
  RunWithWatchdog(120s, [&] { wg.Wait(); });
  EXPECT_LE(gox::detail::PeakSpinners(), gox::detail::MaxSpinners());
  // Idle workers spin briefly too; all stop within microseconds.
  EXPECT_TRUE(Eventually(5000ms, [] { return gox::detail::Spinners() == 0; }));
}

}  // namespace
