#include "gox/atomic_value.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "gox/error.h"
#include "test_util.h"

namespace {

using namespace std::chrono_literals;
using gox_test::RunWithWatchdog;
using gox_test::Scaled;

struct Config {
  uint64_t version = 0;
  std::array<uint64_t, 32> fields{};  // every field == version in a whole value
};

std::shared_ptr<const Config> MakeConfig(uint64_t v) {
  auto c = std::make_shared<Config>();
  c->version = v;
  c->fields.fill(v);
  return c;
}

TEST(AtomicValueTest, LoadIsNullBeforeStore) {
  gox::AtomicValue<int> v;
  EXPECT_EQ(v.Load(), nullptr);
  v.Store(std::make_shared<const int>(5));
  ASSERT_NE(v.Load(), nullptr);
  EXPECT_EQ(*v.Load(), 5);
}

TEST(AtomicValueTest, NilStoresPanic) {
  gox::AtomicValue<int> v;
  EXPECT_THROW(v.Store(nullptr), gox::Panic);
  EXPECT_THROW(v.Swap(nullptr), gox::Panic);
  EXPECT_THROW(v.CompareAndSwap(nullptr, nullptr), gox::Panic);
  try {
    v.Store(nullptr);
  } catch (const gox::Panic& p) {
    EXPECT_STREQ(p.what(), "sync/atomic: store of nil value into Value");
  }
  EXPECT_EQ(v.Load(), nullptr);  // nothing was stored
}

TEST(AtomicValueTest, SwapReturnsThePreviousValue) {
  gox::AtomicValue<int> v;
  auto one = std::make_shared<const int>(1);
  EXPECT_EQ(v.Swap(one), nullptr);
  auto prev = v.Swap(std::make_shared<const int>(2));
  EXPECT_EQ(prev, one);
  EXPECT_EQ(*v.Load(), 2);
}

TEST(AtomicValueTest, CompareAndSwapComparesIdentity) {
  gox::AtomicValue<int> v;
  auto a = std::make_shared<const int>(1);
  auto same_text = std::make_shared<const int>(1);
  EXPECT_TRUE(v.CompareAndSwap(nullptr, a));  // nothing stored matches nullptr
  EXPECT_FALSE(v.CompareAndSwap(nullptr, same_text));
  EXPECT_FALSE(v.CompareAndSwap(same_text, same_text));  // equal value, other object
  EXPECT_EQ(v.Load(), a);
  auto b = std::make_shared<const int>(2);
  EXPECT_TRUE(v.CompareAndSwap(a, b));
  EXPECT_EQ(v.Load(), b);
}

// A Load after Store on another thread returns the new value (the version bump
// invalidates this thread's cached one).
TEST(AtomicValueTest, LoadSeesAStoreFromAnotherThread) {
  gox::AtomicValue<Config> v;
  v.Store(MakeConfig(1));
  EXPECT_EQ(v.Load()->version, 1u);
  std::thread([&] { v.Store(MakeConfig(2)); }).join();
  EXPECT_EQ(v.Load()->version, 2u);
}

// Writers publish whole new values while readers load: a reader never sees a
// half-written value, and never goes back in time.
TEST(AtomicValueTest, ConcurrentReadersNeverSeeTornOrOlderValues) {
  gox::AtomicValue<Config> v;
  v.Store(MakeConfig(0));
  std::atomic<uint64_t> next{1};
  std::atomic<bool> stop{false};
  std::atomic<int64_t> torn{0}, backwards{0}, loads{0};
  const int writes = Scaled(20000);
  RunWithWatchdog(60s, [&] {
    std::vector<std::thread> ts;
    for (int r = 0; r < 3; ++r) {
      ts.emplace_back([&] {
        uint64_t last = 0;
        while (!stop.load(std::memory_order_relaxed)) {
          auto c = v.Load();
          for (uint64_t f : c->fields)
            if (f != c->version) torn.fetch_add(1);
          if (c->version < last) backwards.fetch_add(1);
          last = c->version;
          loads.fetch_add(1, std::memory_order_relaxed);
        }
      });
    }
    std::vector<std::thread> writers;
    for (int w = 0; w < 2; ++w) {
      writers.emplace_back([&] {
        for (int i = 0; i < writes; ++i) {
          // Versions only grow: a CAS loop publishes a value newer than the
          // current one, as a config reloader would.
          for (;;) {
            auto cur = v.Load();
            if (v.CompareAndSwap(cur, MakeConfig(next.fetch_add(1)))) break;
          }
        }
      });
    }
    for (auto& t : writers) t.join();
    stop.store(true);
    for (auto& t : ts) t.join();
  });
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(backwards.load(), 0);
  EXPECT_GT(loads.load(), 0);
}

// Old values are released: readers keep at most their last snapshot alive.
TEST(AtomicValueTest, OldValuesAreFreed) {
  auto first = MakeConfig(1);
  std::weak_ptr<const Config> weak_first = first;
  gox::AtomicValue<Config> v;
  v.Store(std::move(first));
  std::thread([&] { EXPECT_EQ(v.Load()->version, 1u); }).join();  // that thread exits
  EXPECT_EQ(v.Load()->version, 1u);
  v.Store(MakeConfig(2));
  EXPECT_EQ(v.Load()->version, 2u);  // our cache moves on to 2
  EXPECT_TRUE(weak_first.expired());
}

}  // namespace
