// Tests for gox::Select (select.h): exactly one case commits, uniform choice,
// Default, nil cases, parking without polling, closed channels.
#include "gox/select.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "chan_probe.h"
#include "gox/chan.h"
#include "gox/go.h"
#include "gox/time.h"
#include "gox/wait_group.h"
#include "test_util.h"

namespace {

using namespace std::chrono_literals;
using gox_test::Eventually;
using gox_test::QueuedReceivers;
using gox_test::QueuedSenders;
using gox_test::RunWithWatchdog;
using gox_test::WaitReceivers;
using gox_test::WaitSenders;

// ---- 4. exactly one case commits ----

TEST(SelectTest, CommitsExactlyOneCaseFourProducersFourConsumers) {
  constexpr int kProducers = 4;
  constexpr int kConsumers = 4;
  const int total = 20000;
  const int per_producer = total / kProducers;
  RunWithWatchdog(120s, [&] {
    gox::Chan<int> a(0);  // unbuffered: hand-over to a parked select
    gox::Chan<int> b(4);  // buffered: through the ring
    std::atomic<int> via_a{0}, via_b{0};
    std::vector<std::vector<int>> received(kConsumers);
    gox::WaitGroup producers;
    gox::WaitGroup consumers;
    std::vector<std::thread> threads;
    producers.Add(kProducers);
    consumers.Add(kConsumers);
    for (int p = 0; p < kProducers; ++p) {
      threads.emplace_back([&, p] {
        for (int i = 0; i < per_producer; ++i) {
          int v = p * per_producer + i;
          int ran = 0, ran_index = -1;
          std::size_t idx = gox::Select(gox::SendCase(a, v,
                                                      [&] {
                                                        ++ran;
                                                        ran_index = 0;
                                                      }),
                                        gox::SendCase(b, v, [&] {
                                          ++ran;
                                          ran_index = 1;
                                        }));
          if (ran != 1 || static_cast<int>(idx) != ran_index) {
            ADD_FAILURE() << "send select ran " << ran << " cases, returned " << idx;
            break;
          }
          (idx == 0 ? via_a : via_b)++;
        }
        producers.Done();
      });
    }
    for (int c = 0; c < kConsumers; ++c) {
      threads.emplace_back([&, c] {
        gox::Chan<int> ca = a, cb = b;
        std::vector<int>& got = received[c];
        while (!ca.IsNil() || !cb.IsNil()) {
          int ran = 0;
          // A closed channel is set to nil, so its case is never ready again (Go idiom).
          gox::Select(gox::RecvCase(ca,
                                    [&](std::optional<int> v) {
                                      ++ran;
                                      if (v) {
                                        got.push_back(*v);
                                      } else {
                                        ca = gox::Chan<int>();
                                      }
                                    }),
                      gox::RecvCase(cb, [&](std::optional<int> v) {
                        ++ran;
                        if (v) {
                          got.push_back(*v);
                        } else {
                          cb = gox::Chan<int>();
                        }
                      }));
          if (ran != 1) {
            ADD_FAILURE() << "recv select ran " << ran << " cases";
            break;
          }
        }
        consumers.Done();
      });
    }
    producers.Wait();
    a.Close();
    b.Close();
    consumers.Wait();
    for (auto& t : threads) t.join();
    std::vector<int> all;
    for (auto& r : received) all.insert(all.end(), r.begin(), r.end());
    std::sort(all.begin(), all.end());
    ASSERT_EQ(all.size(), static_cast<std::size_t>(kProducers * per_producer));
    for (int i = 0; i < kProducers * per_producer; ++i) {
      if (all[i] != i) {
        ADD_FAILURE() << "multiset differs at " << i << ": " << all[i];
        break;
      }
    }
    EXPECT_EQ(via_a + via_b, kProducers * per_producer);
    EXPECT_GT(via_a.load(), 0);  // both channels carried traffic
    EXPECT_GT(via_b.load(), 0);
  });
}

// Two selects, each with a send and a receive case over the same two unbuffered
// channels: every completed operation pairs one select of X with one of Y, so
// both finish exactly n selects and each side receives what the other sent.
TEST(SelectTest, MixedSendAndRecvCasesCommitOnce) {
  const int n = 10000;
  RunWithWatchdog(120s, [&] {
    gox::Chan<int> a(0), b(0);
    struct Side {
      std::vector<int> sent, got;
    };
    Side x, y;
    auto run = [n](gox::Chan<int> out, gox::Chan<int> in, Side& me, int base) {
      for (int i = 0; i < n; ++i) {
        int ran = 0;
        gox::Select(gox::SendCase(out, base + i,
                                  [&] {
                                    ++ran;
                                    me.sent.push_back(base + i);
                                  }),
                    gox::RecvCase(in, [&](std::optional<int> v) {
                      ++ran;
                      me.got.push_back(v ? *v : -1);
                    }));
        if (ran != 1) {
          ADD_FAILURE() << "ran " << ran << " cases";
          return;
        }
      }
    };
    std::thread tx([&] { run(a, b, x, 0); });
    std::thread ty([&] { run(b, a, y, 1000000); });
    tx.join();
    ty.join();
    EXPECT_EQ(x.sent.size() + x.got.size(), static_cast<std::size_t>(n));
    EXPECT_EQ(x.sent.size(), y.got.size());
    EXPECT_EQ(y.sent.size(), x.got.size());
    // Sent values are not sequential per side (a select may receive instead), so
    // compare what one side sent with what the other got, in order.
    EXPECT_EQ(x.sent, y.got);
    EXPECT_EQ(y.sent, x.got);
  });
}

TEST(SelectTest, SameChannelInTwoCasesCommitsOnce) {
  RunWithWatchdog(10s, [] {
    gox::Chan<int> ch(1);
    for (int i = 0; i < 1000; ++i) {
      ch.Send(i);
      int ran = 0;
      gox::Select(gox::RecvCase(ch, [&](std::optional<int>) { ++ran; }),
                  gox::RecvCase(ch, [&](std::optional<int>) { ++ran; }));
      ASSERT_EQ(ran, 1);
      ASSERT_EQ(ch.Len(), 0u);
    }
    // A send and a receive case on one buffered channel: only one is ever ready.
    for (int i = 0; i < 100; ++i) {
      std::size_t idx =
          gox::Select(gox::SendCase(ch, i, [] {}), gox::RecvCase(ch, [](std::optional<int>) {}));
      ASSERT_EQ(idx, static_cast<std::size_t>(i % 2));  // empty: send; full: receive
    }
  });
}

// Go's classic: two goroutines each select over a send and a receive on the SAME
// unbuffered channel. A select can never pair with itself, so every completed
// select pairs one of X with one of Y: both finish exactly n, sends == receives.
TEST(SelectTest, SendAndRecvOnOneUnbufferedChannelPairUp) {
  const int n = 5000;
  RunWithWatchdog(120s, [&] {
    gox::Chan<int> c(0);
    std::atomic<int> sends{0}, recvs{0};
    auto run = [&] {
      for (int i = 0; i < n; ++i) {
        int ran = 0;
        gox::Select(gox::SendCase(c, i,
                                  [&] {
                                    ++ran;
                                    ++sends;
                                  }),
                    gox::RecvCase(c, [&](std::optional<int> v) {
                      ++ran;
                      if (v) ++recvs;
                    }));
        if (ran != 1) {
          ADD_FAILURE() << "ran " << ran << " cases";
          return;
        }
      }
    };
    std::thread x(run), y(run);
    x.join();
    y.join();
    EXPECT_EQ(sends.load(), n);
    EXPECT_EQ(recvs.load(), n);
  });
}

// A value arriving on a and a close of b race for one parked (or not yet parked)
// select: exactly one case commits, and a's value is consumed iff case 0 ran.
TEST(SelectTest, CloseRacingASendCommitsExactlyOneCase) {
  constexpr int kIterations = 5000;
  RunWithWatchdog(120s, [&] {
    for (int i = 0; i < kIterations; ++i) {
      gox::Chan<int> a(1), b(0);
      gox::WaitGroup wg;
      wg.Add(2);
      gox::Go([&] {
        b.Close();
        wg.Done();
      });
      gox::Go([&] {
        a.Send(1);
        wg.Done();
      });
      int ran = 0;
      std::size_t idx =
          gox::Select(gox::RecvCase(a, [&](std::optional<int> v) { ran += v ? 1 : 100; }),
                      gox::RecvCase(b, [&](std::optional<int> v) { ran += v ? 100 : 1; }));
      wg.Wait();
      if (ran != 1 || (idx == 0) != (a.Len() == 0)) {
        ADD_FAILURE() << "iteration " << i << ": idx " << idx << " ran " << ran << " a.Len "
                      << a.Len();
        return;
      }
    }
  });
  EXPECT_TRUE(gox::WaitGoroutines(10s));
}

// ---- 5. uniform choice, Default, no polling ----

TEST(SelectTest, PicksUniformlyAmongReadyRecvCases) {
  constexpr int kSelects = 20000;
  gox::Chan<int> a(1), b(1);
  a.Send(0);
  b.Send(0);
  int count[2] = {0, 0};
  for (int i = 0; i < kSelects; ++i) {
    std::size_t idx = gox::Select(gox::RecvCase(a, [&](std::optional<int>) { a.Send(0); }),
                                  gox::RecvCase(b, [&](std::optional<int>) { b.Send(0); }));
    ASSERT_LT(idx, 2u);
    ++count[idx];
  }
  EXPECT_GE(count[0], kSelects * 45 / 100);
  EXPECT_LE(count[0], kSelects * 55 / 100);
  EXPECT_GE(count[1], kSelects * 45 / 100);
  EXPECT_LE(count[1], kSelects * 55 / 100);
}

TEST(SelectTest, PicksUniformlyAmongReadySendCasesWithDefault) {
  constexpr int kSelects = 20000;
  gox::Chan<int> a(1), b(1);
  int count[3] = {0, 0, 0};
  for (int i = 0; i < kSelects; ++i) {
    std::size_t idx =
        gox::Select(gox::SendCase(a, i, [] {}), gox::Default([] {}), gox::SendCase(b, i, [] {}));
    ASSERT_LT(idx, 3u);
    ++count[idx];
    (idx == 0 ? a : b).TryRecv();  // make room again
  }
  EXPECT_EQ(count[1], 0);  // Default never runs while a case is ready
  EXPECT_GE(count[0], kSelects * 45 / 100);
  EXPECT_LE(count[0], kSelects * 55 / 100);
  EXPECT_GE(count[2], kSelects * 45 / 100);
  EXPECT_LE(count[2], kSelects * 55 / 100);
}

TEST(SelectTest, DefaultRunsOnlyWhenNothingIsReady) {
  gox::Chan<int> empty(1);
  gox::Chan<int> full(1);
  full.Send(1);
  bool default_ran = false;
  // Nothing ready: a receive on an empty channel, a send on a full one.
  std::size_t idx = gox::Select(gox::RecvCase(empty, [](std::optional<int>) { ADD_FAILURE(); }),
                                gox::SendCase(full, 2, [] { ADD_FAILURE(); }),
                                gox::Default([&] { default_ran = true; }));
  EXPECT_EQ(idx, 2u);
  EXPECT_TRUE(default_ran);
  EXPECT_EQ(full.Len(), 1u);
  EXPECT_EQ(empty.Len(), 0u);
  // One ready: it always wins over Default.
  empty.Send(3);
  std::optional<int> got;
  default_ran = false;
  idx = gox::Select(gox::Default([&] { default_ran = true; }),
                    gox::RecvCase(empty, [&](std::optional<int> v) { got = v; }));
  EXPECT_EQ(idx, 1u);
  EXPECT_FALSE(default_ran);
  EXPECT_EQ(got, 3);
  // A closed channel is ready (receive reports closed), so Default does not run.
  empty.Close();
  got = 99;
  idx = gox::Select(gox::RecvCase(empty, [&](std::optional<int> v) { got = v; }),
                    gox::Default([&] { default_ran = true; }));
  EXPECT_EQ(idx, 0u);
  EXPECT_EQ(got, std::nullopt);
  EXPECT_FALSE(default_ran);
}

TEST(SelectTest, OnlyDefaultRunsIt) {
  int ran = 0;
  EXPECT_EQ(gox::Select(gox::Default([&] { ++ran; })), 0u);
  EXPECT_EQ(ran, 1);
}

TEST(SelectTest, UnbufferedCaseIsReadyOnlyWithAParkedPartner) {
  RunWithWatchdog(10s, [] {
    gox::Chan<int> ch(0);
    EXPECT_EQ(gox::Select(gox::SendCase(ch, 1, [] {}), gox::Default([] {})), 1u);
    std::optional<int> got;
    std::thread r([&] { got = ch.Recv(); });
    EXPECT_TRUE(WaitReceivers(ch, 1));
    EXPECT_EQ(gox::Select(gox::SendCase(ch, 1, [] {}), gox::Default([] {})), 0u);
    r.join();
    EXPECT_EQ(got, 1);
  });
}

TEST(SelectTest, BlockedSelectDoesNotPoll) {
  // Measured inside the selecting thread: a Select parked for 300 ms costs almost
  // no CPU and few voluntary context switches (a sleep-and-retry loop would not).
  const auto cpu_limit = gox_test::kSanitized ? 10ms : 5ms;
  constexpr long kSwitchLimit = 50;
  RunWithWatchdog(20s, [&] {
    gox::Chan<int> never(0);
    auto start = std::chrono::steady_clock::now();
    gox::Chan<gox::Clock::time_point> timeout = gox::After(300ms);
    auto cpu0 = gox_test::ThreadCpuTime();
    long sw0 = gox_test::ThreadVoluntarySwitches();
    std::size_t idx =
        gox::Select(gox::RecvCase(never, [](std::optional<int>) { ADD_FAILURE(); }),
                    gox::RecvCase(timeout, [](std::optional<gox::Clock::time_point>) {}));
    auto cpu = gox_test::ThreadCpuTime() - cpu0;
    long switches = gox_test::ThreadVoluntarySwitches() - sw0;
    auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(idx, 1u);
    EXPECT_GE(elapsed, 300ms);  // After(d) fires no earlier than d after it was made
    EXPECT_LT(cpu, cpu_limit) << "cpu " << std::chrono::duration<double, std::micro>(cpu).count()
                              << " us";
    EXPECT_LT(switches, kSwitchLimit);
    RecordProperty(
        "blocked_select_cpu_us",
        static_cast<int>(std::chrono::duration_cast<std::chrono::microseconds>(cpu).count()));
    RecordProperty("blocked_select_nvcsw", static_cast<int>(switches));
  });
}

// ---- wake-up and unqueueing ----

TEST(SelectTest, BlockedRecvSelectWakesOnSendAndUnqueuesOtherCases) {
  RunWithWatchdog(10s, [] {
    gox::Chan<int> a(0), b(0);
    std::size_t idx = 99;
    std::optional<int> got;
    std::thread t([&] {
      idx = gox::Select(gox::RecvCase(a, [](std::optional<int>) { ADD_FAILURE(); }),
                        gox::RecvCase(b, [&](std::optional<int> v) { got = v; }));
    });
    EXPECT_TRUE(WaitReceivers(a, 1));
    EXPECT_TRUE(WaitReceivers(b, 1));
    b.Send(5);
    t.join();
    EXPECT_EQ(idx, 1u);
    EXPECT_EQ(got, 5);
    EXPECT_EQ(QueuedReceivers(a), 0u);
    EXPECT_FALSE(a.TrySend(1));  // nobody is receiving on a any more
  });
}

TEST(SelectTest, BlockedSendSelectDeliversExactlyOneValue) {
  RunWithWatchdog(10s, [] {
    gox::Chan<int> a(0), b(0);
    std::size_t idx = 99;
    std::thread t(
        [&] { idx = gox::Select(gox::SendCase(a, 1, [] {}), gox::SendCase(b, 2, [] {})); });
    EXPECT_TRUE(WaitSenders(a, 1));
    EXPECT_TRUE(WaitSenders(b, 1));
    EXPECT_EQ(a.Recv(), 1);
    t.join();
    EXPECT_EQ(idx, 0u);
    EXPECT_EQ(QueuedSenders(b), 0u);
    EXPECT_EQ(b.TryRecv(), std::nullopt);
  });
}

TEST(SelectTest, RecvFromClosedChannelGivesNullopt) {
  gox::Chan<int> ch(1);
  ch.Send(1);
  ch.Close();
  std::optional<int> got;
  gox::Select(gox::RecvCase(ch, [&](std::optional<int> v) { got = v; }));
  EXPECT_EQ(got, 1);  // buffered value first
  got = 99;
  gox::Select(gox::RecvCase(ch, [&](std::optional<int> v) { got = v; }));
  EXPECT_EQ(got, std::nullopt);
}

TEST(SelectTest, SendCaseOnClosedChannelPanics) {
  gox::Chan<int> ch(1);
  ch.Close();
  try {
    gox::Select(gox::SendCase(ch, 1, [] { ADD_FAILURE() << "send case ran"; }),
                gox::Default([] { ADD_FAILURE() << "default ran"; }));
    ADD_FAILURE() << "no panic";
  } catch (const gox::Panic& p) {
    EXPECT_STREQ(p.what(), "send on closed channel");
  }
}

TEST(SelectTest, CloseWakesBlockedSelectWithNullopt) {
  RunWithWatchdog(10s, [] {
    gox::Chan<int> a(0), b(0);
    std::size_t idx = 99;
    std::optional<int> got = 99;
    std::thread t([&] {
      idx = gox::Select(gox::RecvCase(a, [&](std::optional<int> v) { got = v; }),
                        gox::RecvCase(b, [](std::optional<int>) { ADD_FAILURE(); }));
    });
    EXPECT_TRUE(WaitReceivers(a, 1));
    a.Close();
    t.join();
    EXPECT_EQ(idx, 0u);
    EXPECT_EQ(got, std::nullopt);
    EXPECT_EQ(QueuedReceivers(b), 0u);
  });
}

// ---- 3. nil cases ----

TEST(SelectTest, NilCaseWithDefaultRunsDefault) {
  gox::Chan<int> nil;
  bool default_ran = false;
  std::size_t idx = gox::Select(gox::RecvCase(nil, [](std::optional<int>) { ADD_FAILURE(); }),
                                gox::SendCase(nil, 1, [] { ADD_FAILURE(); }),
                                gox::Default([&] { default_ran = true; }));
  EXPECT_EQ(idx, 2u);
  EXPECT_TRUE(default_ran);
}

TEST(SelectTest, NilCaseNeverWinsOverAReadyCase) {
  gox::Chan<int> nil;
  gox::Chan<int> ready(1);
  for (int i = 0; i < 2000; ++i) {
    ready.Send(i);
    std::size_t idx =
        gox::Select(gox::RecvCase(nil, [](std::optional<int>) {}), gox::SendCase(nil, 1, [] {}),
                    gox::RecvCase(ready, [](std::optional<int>) {}));
    ASSERT_EQ(idx, 2u) << "iteration " << i;
  }
}

template <class Op>
void ExpectBlocksForever(Op op, const char* what) {
  auto returned = std::make_shared<std::atomic<bool>>(false);
  std::thread([returned, op]() mutable {
    op();
    returned->store(true);
  }).detach();
  EXPECT_FALSE(Eventually(100ms, [&] { return returned->load(); })) << what << " returned";
}

TEST(SelectTest, OnlyNilCasesBlockForever) {
  ExpectBlocksForever(
      [] {
        gox::Chan<int> nil;
        gox::Select(gox::RecvCase(nil, [](std::optional<int>) {}), gox::SendCase(nil, 1, [] {}));
      },
      "select over nil channels");
}

TEST(SelectTest, EmptySelectBlocksForever) {
  ExpectBlocksForever([] { gox::Select(); }, "select {}");
}

// ---- case callables and element types ----

TEST(SelectTest, RecvCaseAcceptsNullaryCallable) {
  gox::Chan<gox::Clock::time_point> tick(1);
  tick.Send(gox::Clock::now());
  bool ran = false;
  EXPECT_EQ(gox::Select(gox::RecvCase(tick, [&] { ran = true; })), 0u);
  EXPECT_TRUE(ran);
  EXPECT_EQ(tick.Len(), 0u);
}

TEST(SelectTest, MoveOnlyAndStringElements) {
  RunWithWatchdog(10s, [] {
    gox::Chan<std::unique_ptr<int>> p(1);
    EXPECT_EQ(gox::Select(gox::SendCase(p, std::make_unique<int>(7), [] {})), 0u);
    int got = 0;
    gox::Select(gox::RecvCase(p, [&](std::optional<std::unique_ptr<int>> v) {
      ASSERT_TRUE(v && *v);
      got = **v;
    }));
    EXPECT_EQ(got, 7);

    gox::Chan<std::string> s(0);
    std::thread t([&] {
      gox::Select(gox::SendCase(s, std::string(500, 'y'), [] {}), gox::SendCase(s, "short", [] {}));
    });
    std::optional<std::string> v = s.Recv();
    t.join();
    ASSERT_TRUE(v.has_value());
    EXPECT_TRUE(*v == "short" || *v == std::string(500, 'y')) << *v;
  });
}

}  // namespace
