// Tests for go.h: Go recovers escaping exceptions, NumGoroutine, WaitGoroutines,
// thread reuse. NumGoroutine is process-global: each test first waits for the
// goroutines of earlier tests and ends with none of its own left.
#include "gox/go.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "gox/chan.h"
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
  // ids prove reuse. Another idle thread (from an earlier test) may be picked
  // first, so we allow a few attempts.
  bool reused = false;
  for (int attempt = 0; attempt < 5 && !reused; ++attempt) {
    gox::Chan<long> tid(1);
    gox::Go([tid]() mutable { tid.Send(gox_test::ThisThreadTid()); });
    std::optional<long> first;
    RunWithWatchdog(10s, [&] { first = tid.Recv(); });
    ASSERT_TRUE(gox::WaitGoroutines(10s));
    ASSERT_TRUE(Eventually(5000ms, [] { return gox::detail::IdleThreads() > 0; }));
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
  constexpr int kBlocked = 32;  // the cache grows: each blocked goroutine has its thread
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

}  // namespace
