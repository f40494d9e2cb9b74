#include <gtest/gtest.h>
#include "gox/chan.h"
#include "gox/select.h"
#include "gox/go.h"
#include "gox/time.h"
#include "gox/wait_group.h"
#include "gox/once.h"
TEST(Smoke, Basic) {
  gox::Chan<int> c;
  gox::Chan<int> d(0);
  gox::Go([d]() mutable { d.Send(1); d.Close(); });
  int sum = 0;
  for (int v : d) sum += v;
  EXPECT_EQ(sum, 1);
  int got = -1;
  auto i = gox::Select(gox::RecvCase(c, [&](std::optional<int>) {}), gox::Default([&] { got = 0; }));
  EXPECT_EQ(i, 1u);
  EXPECT_EQ(got, 0);
  auto t = gox::After(std::chrono::milliseconds(5));
  EXPECT_TRUE(t.Recv().has_value());
  EXPECT_TRUE(gox::WaitGoroutines(std::chrono::seconds(1)));
}
