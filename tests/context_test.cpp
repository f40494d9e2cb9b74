#include "gox/context.h"

#include <gtest/gtest.h>

#include <chrono>

#include "gox/select.h"
#include "test_util.h"

using namespace std::chrono_literals;
using gox_test::RunWithWatchdog;

namespace {

bool IsClosed(const gox::Chan<gox::Unit>& done) {
  bool closed = false;
  gox::Select(gox::RecvCase(done, [&](std::optional<gox::Unit>) { closed = true; }),
              gox::Default([] {}));
  return closed;
}

TEST(ContextTest, BackgroundIsNeverDone) {
  gox::Context bg = gox::Background();
  EXPECT_TRUE(bg.Done().IsNil());
  EXPECT_FALSE(bg.Err());
  EXPECT_FALSE(bg.Deadline().has_value());
  EXPECT_FALSE(gox::Cause(bg));
  EXPECT_TRUE(gox::TODO().Done().IsNil());
}

TEST(ContextTest, CancelParentCancelsDescendantsBeforeReturning) {
  auto [parent, cancel] = gox::WithCancel(gox::Background());
  auto [child, cancel_child] = gox::WithCancel(parent);
  auto [grandchild, cancel_gc] = gox::WithTimeout(child, 1h);
  EXPECT_FALSE(child.Err());
  EXPECT_FALSE(IsClosed(grandchild.Done()));
  cancel();
  EXPECT_EQ(parent.Err(), gox::Canceled);
  EXPECT_EQ(child.Err(), gox::Canceled);
  EXPECT_EQ(grandchild.Err(), gox::Canceled);
  EXPECT_TRUE(IsClosed(child.Done()));
  EXPECT_TRUE(IsClosed(grandchild.Done()));
  cancel_child();
  cancel_gc();
  EXPECT_EQ(grandchild.Err(), gox::Canceled);
}

}  // namespace
