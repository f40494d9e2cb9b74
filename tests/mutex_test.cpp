#include "gox/mutex.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "gox/error.h"
#include "gox/wait_group.h"
#include "teaching_locks.h"  // lesson 10's TicketLock and SpinLock (lessons/support)
#include "test_util.h"

namespace {

using namespace std::chrono_literals;
using gox_test::RunWithWatchdog;
using gox_test::Scaled;

// We hammer a plain int from several threads; any overlap of two critical
// sections loses an update (and TSan would name it).
template <class Lock>
void ExpectMutualExclusion(Lock& mu, int iters = Scaled(20000)) {
  constexpr int kThreads = 4;
  int counter = 0;
  RunWithWatchdog(60s, [&] {
    std::vector<std::thread> ts;
    for (int t = 0; t < kThreads; ++t) {
      ts.emplace_back([&] {
        for (int i = 0; i < iters; ++i) {
          std::lock_guard lock(mu);
          int v = counter;
          if (i % 64 == 0) std::this_thread::yield();  // widen the window
          counter = v + 1;
        }
      });
    }
    for (auto& t : ts) t.join();
  });
  EXPECT_EQ(counter, kThreads * iters);
}

std::string PanicText(const std::function<void()>& f) {
  try {
    f();
  } catch (const gox::Panic& p) {
    return p.what();
  }
  return "<no panic>";
}

TEST(MutexTest, MutualExclusionUnderContention) {
  gox::Mutex mu;
  ExpectMutualExclusion(mu);
  EXPECT_FALSE(mu.Starving());
}

TEST(MutexTest, TryLock) {
  gox::Mutex mu;
  EXPECT_TRUE(mu.TryLock());
  EXPECT_FALSE(mu.TryLock());
  std::thread([&] { EXPECT_FALSE(mu.try_lock()); }).join();
  mu.Unlock();
  EXPECT_TRUE(mu.try_lock());
  mu.unlock();
}

TEST(MutexTest, UnlockOfUnlockedPanics) {
  gox::Mutex mu;
  EXPECT_EQ(PanicText([&] { mu.Unlock(); }), "sync: unlock of unlocked mutex");
  mu.Lock();
  mu.Unlock();
  EXPECT_THROW(mu.Unlock(), gox::Panic);
  // The mutex still works after the panic.
  EXPECT_TRUE(mu.TryLock());
  mu.Unlock();
}

TEST(MutexTest, UnlockFromAnotherThread) {
  gox::Mutex mu;
  mu.Lock();
  std::thread([&] { mu.Unlock(); }).join();
  EXPECT_TRUE(mu.TryLock());
  mu.Unlock();
}

// Hog re-locks with a sleep inside its critical section until told to stop.
struct Hog {
  explicit Hog(gox::Mutex& mu, std::chrono::microseconds hold) {
    thread = std::thread([this, &mu, hold] {
      while (!stop.load()) {
        mu.Lock();
        if (mu.Starving()) saw_starving.store(true);
        std::this_thread::sleep_for(hold);
        mu.Unlock();
      }
    });
  }
  ~Hog() {
    stop.store(true);
    thread.join();
  }
  std::atomic<bool> stop{false};
  std::atomic<bool> saw_starving{false};
  std::thread thread;
};

// Go's TestMutexFairness: a hog re-locks with a short sleep inside; another
// goroutine must still get the lock 10 times within 10 s.
TEST(MutexTest, Fairness) {
  gox::Mutex mu;
  RunWithWatchdog(60s, [&] {
    std::promise<void> done;
    std::future<void> fut = done.get_future();
    Hog hog(mu, 100us);
    std::thread other([&] {
      for (int i = 0; i < 10; ++i) {
        std::this_thread::sleep_for(100us);  // workload shape, not synchronisation
        mu.Lock();
        mu.Unlock();
      }
      done.set_value();
    });
    EXPECT_EQ(fut.wait_for(10s), std::future_status::ready)
        << "could not acquire the mutex 10 times in 10 s: starved";
    hog.stop.store(true);  // lets `other` finish even if it starved
    other.join();
  });
  EXPECT_FALSE(mu.Starving());
}

// A waiter that waits more than 1 ms switches to starvation mode; the mode ends
// once the queue is empty.
TEST(MutexTest, StarvationModeEnteredAndLeft) {
  gox::Mutex mu;
  std::atomic<bool> saw_starving{false};
  RunWithWatchdog(30s, [&] {
    Hog hog(mu, 2ms);  // each hold outlasts the 1 ms threshold
    auto give_up = std::chrono::steady_clock::now() + 10s;
    while (!saw_starving.load() && !hog.saw_starving.load() &&
           std::chrono::steady_clock::now() < give_up) {
      mu.Lock();
      if (mu.Starving()) saw_starving.store(true);
      mu.Unlock();
    }
    if (hog.saw_starving.load()) saw_starving.store(true);
  });
  EXPECT_TRUE(saw_starving.load()) << "a waiter blocked > 1 ms never saw starvation mode";
  EXPECT_FALSE(mu.Starving()) << "starvation mode must end when the queue empties";
  EXPECT_TRUE(mu.TryLock());  // back to normal: a newcomer may take it
  mu.Unlock();
}

TEST(RWMutexTest, ReadersShareWritersExclude) {
  gox::RWMutex rw;
  rw.RLock();
  EXPECT_TRUE(rw.TryRLock());  // a second reader gets in
  EXPECT_FALSE(rw.TryLock());  // a writer does not
  rw.RUnlock();
  rw.RUnlock();
  EXPECT_TRUE(rw.TryLock());
  EXPECT_FALSE(rw.TryRLock());
  EXPECT_FALSE(rw.TryLock());
  rw.Unlock();
  {
    std::shared_lock read(rw);
    std::shared_lock read2(rw);
  }
  std::unique_lock write(rw);
}

TEST(RWMutexTest, Panics) {
  gox::RWMutex rw;
  EXPECT_EQ(PanicText([&] { rw.RUnlock(); }), "sync: RUnlock of unlocked RWMutex");
  EXPECT_EQ(PanicText([&] { rw.Unlock(); }), "sync: Unlock of unlocked RWMutex");
  rw.Lock();
  EXPECT_EQ(PanicText([&] { rw.RUnlock(); }), "sync: RUnlock of unlocked RWMutex");
  rw.Unlock();
  rw.RLock();
  EXPECT_EQ(PanicText([&] { rw.Unlock(); }), "sync: Unlock of unlocked RWMutex");
  rw.RUnlock();
  // Still usable after the panics.
  EXPECT_TRUE(rw.TryLock());
  rw.Unlock();
  EXPECT_TRUE(rw.TryRLock());
  rw.RUnlock();
}

// Writers keep a == b; readers must never see them differ.
TEST(RWMutexTest, ReadersNeverSeeAHalfDoneWrite) {
  gox::RWMutex rw;
  int64_t a = 0, b = 0;
  std::atomic<int64_t> bad{0};
  const int iters = Scaled(20000);
  RunWithWatchdog(60s, [&] {
    std::vector<std::thread> ts;
    for (int t = 0; t < 2; ++t) {
      ts.emplace_back([&] {
        for (int i = 0; i < iters; ++i) {
          std::unique_lock lock(rw);
          ++a;
          if (i % 64 == 0) std::this_thread::yield();
          ++b;
        }
      });
      ts.emplace_back([&] {
        for (int i = 0; i < iters; ++i) {
          std::shared_lock lock(rw);
          if (a != b) bad.fetch_add(1);
        }
      });
    }
    for (auto& t : ts) t.join();
  });
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(a, 2 * iters);
}

// Go's RWMutex: once a writer waits in Lock, a new RLock waits behind it, so a
// stream of overlapping readers cannot starve the writer.
TEST(RWMutexTest, WaitingWriterBlocksNewReaders) {
  gox::RWMutex rw;
  std::vector<std::string> order;
  std::mutex order_mu;
  auto log = [&](const char* e) {
    std::lock_guard lock(order_mu);
    order.emplace_back(e);
  };
  std::atomic<bool> reader2_in{false};
  RunWithWatchdog(30s, [&] {
    rw.RLock();  // reader 1
    std::thread writer([&] {
      rw.Lock();
      log("writer");
      rw.Unlock();
    });
    // We wait until the writer has announced itself: TryRLock starts failing.
    while (rw.TryRLock()) {
      rw.RUnlock();
      std::this_thread::yield();
    }
    std::promise<void> starting;
    std::thread reader2([&] {
      starting.set_value();
      rw.RLock();
      reader2_in.store(true);
      log("reader2");
      rw.RUnlock();
    });
    starting.get_future().wait();
    // One-sided: reader 2 had 50 ms to (wrongly) get in past the waiting writer.
    std::this_thread::sleep_for(50ms);
    EXPECT_FALSE(reader2_in.load()) << "a new reader got past a waiting writer";
    log("reader1 leaves");
    rw.RUnlock();
    writer.join();
    reader2.join();
  });
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order[0], "reader1 leaves");
  EXPECT_EQ(order[1], "writer");
  EXPECT_EQ(order[2], "reader2");
}

// The contrast: glibc's default pthread rwlock (PTHREAD_RWLOCK_PREFER_READER_NP,
// what std::shared_mutex uses) admits a new reader while a writer waits.
TEST(RWMutexTest, GlibcDefaultRwlockLetsReadersPassAWaitingWriter) {
  pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
  RunWithWatchdog(30s, [&] {
    ASSERT_EQ(pthread_rwlock_rdlock(&rw), 0);
    std::promise<void> starting;
    std::thread writer([&] {
      starting.set_value();
      pthread_rwlock_wrlock(&rw);
      pthread_rwlock_unlock(&rw);
    });
    starting.get_future().wait();
    std::this_thread::sleep_for(20ms);  // the writer is (very likely) waiting now
    int rc = -1;
    std::thread([&] {
      rc = pthread_rwlock_tryrdlock(&rw);
      if (rc == 0) pthread_rwlock_unlock(&rw);
    }).join();
    EXPECT_EQ(rc, 0) << "glibc's default rwlock prefers readers";
    pthread_rwlock_unlock(&rw);
    writer.join();
  });
}

TEST(TicketLockTest, MutualExclusionAndTryLock) {
  lesson::TicketLock mu;
  // Strict FIFO hand-off to a sleeping thread costs a wake-up per acquisition
  // once 4 threads share 2 cores: fewer rounds.
  ExpectMutualExclusion(mu, Scaled(2000));
  EXPECT_TRUE(mu.TryLock());
  EXPECT_FALSE(mu.TryLock());
  mu.Unlock();
}

TEST(SpinLockTest, MutualExclusionAndTryLock) {
  lesson::SpinLock mu;
  ExpectMutualExclusion(mu);
  EXPECT_TRUE(mu.TryLock());
  EXPECT_FALSE(mu.TryLock());
  mu.Unlock();
}

}  // namespace
