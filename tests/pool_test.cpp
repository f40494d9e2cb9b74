#include "gox/pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "test_util.h"

namespace {

using namespace std::chrono_literals;
using gox_test::RunWithWatchdog;
using gox_test::Scaled;

std::atomic<int> g_live{0};

struct Buffer {
  Buffer() { g_live.fetch_add(1); }
  ~Buffer() { g_live.fetch_sub(1); }
  std::atomic<bool> in_use{false};
  int payload = 0;
};

TEST(PoolTest, GetCallsNewWhenEmpty) {
  int made = 0;
  gox::Pool<int> pool([&] {
    ++made;
    return std::make_unique<int>(42);
  });
  auto x = pool.Get();
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(*x, 42);
  EXPECT_EQ(made, 1);
}

TEST(PoolTest, WithoutNewGetReturnsNullWhenEmpty) {
  gox::Pool<int> pool(nullptr);
  EXPECT_EQ(pool.Get(), nullptr);
  pool.Put(std::make_unique<int>(7));
  auto x = pool.Get();  // may be the 7 or nullptr (objects may be dropped)
  if (x) {
    EXPECT_EQ(*x, 7);
  }
}

TEST(PoolTest, PutNullIsANoOp) {
  int made = 0;
  gox::Pool<int> pool([&] {
    ++made;
    return std::make_unique<int>(1);
  });
  pool.Put(nullptr);
  EXPECT_NE(pool.Get(), nullptr);  // from New: Put(nullptr) stored nothing
  EXPECT_EQ(made, 1);
}

// The per-thread cache is what makes the pool pay: one thread that puts back
// what it got allocates only a handful of times.
TEST(PoolTest, ReusesOnTheSameThread) {
  int made = 0;
  gox::Pool<int> pool([&] {
    ++made;
    return std::make_unique<int>(0);
  });
  for (int i = 0; i < 1000; ++i) {
    auto x = pool.Get();
    pool.Put(std::move(x));
  }
  EXPECT_LT(made, 10);
}

// Many threads Get and Put concurrently: an object is never handed to two
// holders at once, nothing leaks, and everything is destroyed with the pool
// (objects cached by exited threads die with those threads).
TEST(PoolTest, ConcurrentGetPutNeverSharesAnObject) {
  std::atomic<int> made{0};
  std::atomic<int> shared_twice{0};
  const int iters = Scaled(20000);
  RunWithWatchdog(60s, [&] {
    gox::Pool<Buffer> pool([&] {
      made.fetch_add(1);
      return std::make_unique<Buffer>();
    });
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t) {
      ts.emplace_back([&, t] {
        std::vector<std::unique_ptr<Buffer>> held;
        for (int i = 0; i < iters; ++i) {
          auto b = pool.Get();
          if (b->in_use.exchange(true)) shared_twice.fetch_add(1);
          b->payload = t;  // a plain write: TSan checks the hand-over
          held.push_back(std::move(b));
          if (held.size() > static_cast<size_t>(i % 7)) {
            for (auto& h : held) {
              h->in_use.store(false);
              pool.Put(std::move(h));
            }
            held.clear();
          }
        }
        for (auto& h : held) {
          h->in_use.store(false);
          pool.Put(std::move(h));
        }
      });
    }
    for (auto& t : ts) t.join();
  });
  EXPECT_EQ(shared_twice.load(), 0);
  EXPECT_LT(made.load(), 4 * iters / 10) << "the pool barely reused anything";
  EXPECT_EQ(g_live.load(), 0) << "objects outlived their pool and threads";
}

// Two pools of one type keep separate caches, and a pool destroyed while this
// thread still caches its objects does not confuse a newer pool.
TEST(PoolTest, PoolsDoNotShareCaches) {
  auto a = std::make_unique<gox::Pool<int>>([] { return std::make_unique<int>(1); });
  gox::Pool<int> b([] { return std::make_unique<int>(2); });
  a->Put(std::make_unique<int>(10));
  b.Put(std::make_unique<int>(20));
  auto xb = b.Get();
  EXPECT_TRUE(*xb == 20 || *xb == 2);
  a.reset();
  gox::Pool<int> c([] { return std::make_unique<int>(3); });
  EXPECT_EQ(*c.Get(), 3);  // not a's cached 10
}

}  // namespace
