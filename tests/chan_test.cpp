// Tests for gox::Chan<T> (chan.h): rendezvous, capacity, FIFO, Close, nil
// channels, range-for, move-only and string elements, lost wake-ups.
#include "gox/chan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "chan_probe.h"
#include "gox/go.h"
#include "gox/select.h"
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

// We check "never returns" for this long (only for operations that must block forever).
constexpr auto kNever = 100ms;

// ---- 1. rendezvous, capacity, FIFO ----

TEST(ChanTest, UnbufferedSendReturnsOnlyAfterReceiverTookValue) {
  RunWithWatchdog(10s, [] {
    gox::Chan<int> ch(0);
    std::atomic<bool> receiving{false};
    std::atomic<bool> send_returned{false};
    std::atomic<bool> receiving_seen_after_send{false};
    std::thread sender([&] {
      ch.Send(42);
      receiving_seen_after_send = receiving.load();
      send_returned = true;
    });
    // The sender is parked in Send: no buffer to put 42 in.
    EXPECT_TRUE(WaitSenders(ch, 1));
    EXPECT_FALSE(send_returned.load());
    EXPECT_EQ(ch.Len(), 0u);
    receiving = true;
    std::optional<int> v = ch.Recv();
    sender.join();
    EXPECT_EQ(v, 42);
    EXPECT_TRUE(receiving_seen_after_send.load());
  });
}

TEST(ChanTest, UnbufferedRecvWaitsForSender) {
  RunWithWatchdog(10s, [] {
    gox::Chan<int> ch(0);
    std::atomic<bool> sending{false};
    std::atomic<bool> sending_seen_after_recv{false};
    std::optional<int> got;
    std::thread receiver([&] {
      got = ch.Recv();
      sending_seen_after_recv = sending.load();
    });
    EXPECT_TRUE(WaitReceivers(ch, 1));
    sending = true;
    ch.Send(7);
    receiver.join();
    EXPECT_EQ(got, 7);
    EXPECT_TRUE(sending_seen_after_recv.load());
  });
}

TEST(ChanTest, UnbufferedTryOpsNeedAPartner) {
  RunWithWatchdog(10s, [] {
    gox::Chan<int> ch(0);
    EXPECT_EQ(ch.Cap(), 0u);
    EXPECT_FALSE(ch.TrySend(1));  // nobody receiving
    EXPECT_EQ(ch.TryRecv(), std::nullopt);
    std::optional<int> got;
    std::thread receiver([&] { got = ch.Recv(); });
    EXPECT_TRUE(WaitReceivers(ch, 1));
    EXPECT_TRUE(ch.TrySend(5));  // a parked receiver takes it
    receiver.join();
    EXPECT_EQ(got, 5);
    std::thread sender([&] { ch.Send(6); });
    EXPECT_TRUE(WaitSenders(ch, 1));
    EXPECT_EQ(ch.TryRecv(), 6);  // a parked sender gives it
    sender.join();
  });
}

TEST(ChanTest, BufferedHoldsExactlyCapacity) {
  RunWithWatchdog(10s, [] {
    for (std::size_t cap : {1u, 3u, 8u, 100u}) {
      gox::Chan<int> ch(cap);
      EXPECT_EQ(ch.Cap(), cap);
      EXPECT_EQ(ch.Len(), 0u);
      for (std::size_t i = 0; i < cap; ++i) {
        EXPECT_TRUE(ch.TrySend(static_cast<int>(i))) << "cap " << cap << " i " << i;
        EXPECT_EQ(ch.Len(), i + 1);
      }
      EXPECT_FALSE(ch.TrySend(-1)) << "cap " << cap;
      EXPECT_EQ(ch.Len(), cap);
      // A blocking Send on a full channel parks; Len stays at cap.
      std::thread sender([&] { ch.Send(static_cast<int>(cap)); });
      EXPECT_TRUE(WaitSenders(ch, 1));
      EXPECT_EQ(ch.Len(), cap);
      // One receive makes room: the parked value moves into the buffer.
      EXPECT_EQ(ch.Recv(), 0);
      sender.join();
      EXPECT_EQ(ch.Len(), cap);
      for (std::size_t i = 1; i <= cap; ++i) EXPECT_EQ(ch.Recv(), static_cast<int>(i));
      EXPECT_EQ(ch.Len(), 0u);
      EXPECT_EQ(ch.TryRecv(), std::nullopt);
    }
  });
}

TEST(ChanTest, BufferedIsFifo) {
  RunWithWatchdog(10s, [] {
    gox::Chan<int> ch(64);
    for (int i = 0; i < 64; ++i) ch.Send(i);
    for (int i = 0; i < 64; ++i) EXPECT_EQ(ch.Recv(), i);
    // Wrap around the buffer many times.
    for (int i = 0; i < 1000; ++i) {
      ch.Send(2 * i);
      ch.Send(2 * i + 1);
      EXPECT_EQ(ch.Recv(), 2 * i);
      EXPECT_EQ(ch.Recv(), 2 * i + 1);
    }
  });
}

TEST(ChanTest, ConcurrentSenderOrderIsPreserved) {
  // FIFO per channel: one sender's values arrive in its order, across threads.
  RunWithWatchdog(30s, [] {
    for (std::size_t cap : {0u, 1u, 16u}) {
      gox::Chan<int> ch(cap);
      const int n = 20000;
      std::thread sender([&] {
        for (int i = 0; i < n; ++i) ch.Send(i);
      });
      for (int i = 0; i < n; ++i) {
        std::optional<int> v = ch.Recv();
        if (v != i) {
          ADD_FAILURE() << "cap " << cap << ": got " << (v ? *v : -1) << " want " << i;
          break;
        }
      }
      sender.join();
    }
  });
}

// We start sender k only once sender k-1 is parked, so the parking order is known.
void CheckBlockedSendersFifo(std::size_t cap) {
  gox::Chan<int> ch(cap);
  for (std::size_t i = 0; i < cap; ++i) ASSERT_TRUE(ch.TrySend(static_cast<int>(i)));
  constexpr int kSenders = 6;
  std::vector<std::thread> senders;
  for (int k = 0; k < kSenders; ++k) {
    senders.emplace_back([&ch, v = static_cast<int>(cap) + k] { ch.Send(v); });
    EXPECT_TRUE(WaitSenders(ch, static_cast<std::size_t>(k) + 1)) << "sender " << k;
  }
  for (int i = 0; i < static_cast<int>(cap) + kSenders; ++i) {
    EXPECT_EQ(ch.Recv(), i) << "cap " << cap;
  }
  for (auto& t : senders) t.join();
}

TEST(ChanTest, BlockedSendersAreServedFifoUnbuffered) {
  RunWithWatchdog(20s, [] { CheckBlockedSendersFifo(0); });
}

TEST(ChanTest, BlockedSendersAreServedFifoBuffered) {
  RunWithWatchdog(20s, [] { CheckBlockedSendersFifo(3); });
}

TEST(ChanTest, BlockedReceiversAreServedFifo) {
  RunWithWatchdog(20s, [] {
    for (std::size_t cap : {0u, 2u}) {
      gox::Chan<int> ch(cap);
      constexpr int kReceivers = 6;
      std::vector<std::optional<int>> got(kReceivers);
      std::vector<std::thread> receivers;
      for (int k = 0; k < kReceivers; ++k) {
        receivers.emplace_back([&ch, &got, k] { got[k] = ch.Recv(); });
        EXPECT_TRUE(WaitReceivers(ch, static_cast<std::size_t>(k) + 1)) << "receiver " << k;
      }
      for (int i = 0; i < kReceivers; ++i) ch.Send(i);
      for (auto& t : receivers) t.join();
      for (int k = 0; k < kReceivers; ++k) EXPECT_EQ(got[k], k) << "cap " << cap;
    }
  });
}

// Ordering: plain (non-atomic) data written before Send is visible after Recv.
// Under TSan a missing happens-before edge is reported as a race.
TEST(ChanTest, SendHappensBeforeRecv) {
  RunWithWatchdog(20s, [] {
    for (std::size_t cap : {0u, 1u}) {
      gox::Chan<int*> ch(cap);
      constexpr int kN = 200;
      std::vector<int> data(kN, 0);
      std::thread sender([&] {
        for (int i = 0; i < kN; ++i) {
          data[i] = i + 1;
          ch.Send(&data[i]);
        }
      });
      for (int i = 0; i < kN; ++i) {
        int* p = *ch.Recv();
        EXPECT_EQ(*p, i + 1);
      }
      sender.join();
    }
  });
}

// ---- 2. Close ----

TEST(ChanTest, RecvAfterCloseDrainsBuffer) {
  RunWithWatchdog(10s, [] {
    gox::Chan<int> ch(4);
    ch.Send(1);
    ch.Send(2);
    ch.Send(3);
    ch.Close();
    EXPECT_EQ(ch.Len(), 3u);
    EXPECT_EQ(ch.Recv(), 1);
    EXPECT_EQ(ch.TryRecv(), 2);
    EXPECT_EQ(ch.Recv(), 3);
    EXPECT_EQ(ch.Len(), 0u);
    for (int i = 0; i < 5; ++i) {  // nullopt forever, never blocking
      EXPECT_EQ(ch.Recv(), std::nullopt);
      EXPECT_EQ(ch.TryRecv(), std::nullopt);
    }
  });
}

TEST(ChanTest, CloseWakesEveryBlockedReceiverAndSelect) {
  RunWithWatchdog(20s, [] {
    gox::Chan<int> ch(0);
    gox::Chan<int> other(0);  // never ready
    constexpr int kReceivers = 4;
    constexpr int kSelects = 2;
    std::vector<std::optional<int>> got(kReceivers, 99);
    std::vector<int> sel_index(kSelects, -1);
    std::vector<int> sel_value(kSelects, 99);
    std::vector<std::thread> threads;
    for (int k = 0; k < kReceivers; ++k) threads.emplace_back([&, k] { got[k] = ch.Recv(); });
    for (int k = 0; k < kSelects; ++k) {
      threads.emplace_back([&, k] {
        sel_index[k] = static_cast<int>(gox::Select(
            gox::RecvCase(other, [](std::optional<int>) { ADD_FAILURE() << "other fired"; }),
            gox::RecvCase(ch, [&, k](std::optional<int> v) { sel_value[k] = v ? *v : -1; })));
      });
    }
    EXPECT_TRUE(WaitReceivers(ch, kReceivers + kSelects));
    ch.Close();
    for (auto& t : threads) t.join();
    for (int k = 0; k < kReceivers; ++k) EXPECT_EQ(got[k], std::nullopt);
    for (int k = 0; k < kSelects; ++k) {
      EXPECT_EQ(sel_index[k], 1);
      EXPECT_EQ(sel_value[k], -1);  // f got nullopt: closed
    }
    EXPECT_EQ(QueuedReceivers(other), 0u);  // the losing cases were unqueued
  });
}

TEST(ChanTest, CloseHappensBeforeRecvThatReportsClosed) {
  RunWithWatchdog(10s, [] {
    gox::Chan<int> ch(0);
    int data = 0;  // plain: TSan checks the edge Close -> Recv(nullopt)
    std::thread closer([&] {
      data = 17;
      ch.Close();
    });
    EXPECT_EQ(ch.Recv(), std::nullopt);
    EXPECT_EQ(data, 17);
    closer.join();
  });
}

TEST(ChanTest, SendOnClosedPanics) {
  gox::Chan<int> ch(1);
  ch.Close();
  EXPECT_THROW(ch.Send(1), gox::Panic);
  try {
    ch.Send(1);
    ADD_FAILURE() << "no panic";
  } catch (const gox::Panic& p) {
    EXPECT_STREQ(p.what(), "send on closed channel");
  }
}

TEST(ChanTest, TrySendOnClosedPanics) {
  gox::Chan<int> ch(1);
  ch.Send(0);  // full: closed still wins over "would block"
  ch.Close();
  try {
    ch.TrySend(1);
    ADD_FAILURE() << "no panic";
  } catch (const gox::Panic& p) {
    EXPECT_STREQ(p.what(), "send on closed channel");
  }
}

TEST(ChanTest, CloseOfClosedPanics) {
  gox::Chan<int> ch(0);
  ch.Close();
  EXPECT_THROW(ch.Close(), gox::Panic);
  try {
    ch.Close();
    ADD_FAILURE() << "no panic";
  } catch (const gox::Panic& p) {
    EXPECT_STREQ(p.what(), "close of closed channel");
  }
}

TEST(ChanTest, CloseOfNilPanics) {
  gox::Chan<int> nil;
  EXPECT_THROW(nil.Close(), gox::Panic);
  try {
    nil.Close();
    ADD_FAILURE() << "no panic";
  } catch (const gox::Panic& p) {
    EXPECT_STREQ(p.what(), "close of nil channel");
  }
}

TEST(ChanTest, PanicIsALogicError) {
  gox::Chan<int> nil;
  EXPECT_THROW(nil.Close(), std::logic_error);
}

// A sender parked when Close happens must panic promptly (Go: "send on closed channel").
void CheckBlockedSendersPanicOnClose(std::size_t cap) {
  gox::Chan<int> ch(cap);
  for (std::size_t i = 0; i < cap; ++i) ASSERT_TRUE(ch.TrySend(0));
  constexpr int kSenders = 3;
  using TimePoint = std::chrono::steady_clock::time_point;
  std::vector<TimePoint> panicked_at(kSenders);
  std::vector<std::string> what(kSenders);
  std::vector<std::thread> senders;
  for (int k = 0; k < kSenders; ++k) {
    senders.emplace_back([&, k] {
      try {
        if (k == kSenders - 1) {  // the last one blocks in a Select send case
          gox::Select(gox::SendCase(ch, 1, [] { ADD_FAILURE() << "send case ran"; }));
        } else {
          ch.Send(1);
        }
        what[k] = "returned normally";
      } catch (const gox::Panic& p) {
        panicked_at[k] = std::chrono::steady_clock::now();
        what[k] = p.what();
      }
    });
  }
  EXPECT_TRUE(WaitSenders(ch, kSenders));
  TimePoint closed_at = std::chrono::steady_clock::now();
  ch.Close();
  for (auto& t : senders) t.join();
  for (int k = 0; k < kSenders; ++k) {
    EXPECT_EQ(what[k], "send on closed channel") << "sender " << k;
    EXPECT_LT(panicked_at[k] - closed_at, std::chrono::milliseconds(100)) << "sender " << k;
  }
  EXPECT_EQ(ch.Len(), cap);  // the buffered values are still there
}

TEST(ChanTest, BlockedSenderPanicsWhenClosedUnbuffered) {
  RunWithWatchdog(20s, [] { CheckBlockedSendersPanicOnClose(0); });
}

TEST(ChanTest, BlockedSenderPanicsWhenClosedBuffered) {
  RunWithWatchdog(20s, [] { CheckBlockedSendersPanicOnClose(2); });
}

// ---- 3. nil channel ----

// ExpectBlocksForever runs op on a detached thread (it can never be joined)
// and checks that it has not returned after kNever.
template <class Op>
void ExpectBlocksForever(Op op, const char* what) {
  auto returned = std::make_shared<std::atomic<bool>>(false);
  std::thread([returned, op]() mutable {
    op();
    returned->store(true);
  }).detach();
  EXPECT_FALSE(Eventually(std::chrono::duration_cast<std::chrono::milliseconds>(kNever),
                          [&] { return returned->load(); }))
      << what << " returned";
}

TEST(ChanTest, NilChannelSendBlocksForever) {
  ExpectBlocksForever([] { gox::Chan<int>().Send(1); }, "nil Send");
}

TEST(ChanTest, NilChannelRecvBlocksForever) {
  ExpectBlocksForever([] { (void)gox::Chan<int>().Recv(); }, "nil Recv");
}

TEST(ChanTest, NilChannelRangeBlocksForever) {
  ExpectBlocksForever(
      [] {
        gox::Chan<int> nil;
        for (int v : nil) (void)v;
      },
      "range over nil");
}

TEST(ChanTest, NilChannelNonBlockingOps) {
  gox::Chan<int> nil;
  EXPECT_TRUE(nil.IsNil());
  EXPECT_FALSE(nil.TrySend(1));
  EXPECT_EQ(nil.TryRecv(), std::nullopt);
  EXPECT_EQ(nil.Len(), 0u);
  EXPECT_EQ(nil.Cap(), 0u);
  EXPECT_FALSE(gox::Chan<int>(0).IsNil());
}

// ---- handles ----

TEST(ChanTest, CopiesShareOneChannel) {
  gox::Chan<int> a(2);
  gox::Chan<int> b = a;
  gox::Chan<int> c(2);
  EXPECT_TRUE(a == b);
  EXPECT_FALSE(a == c);
  EXPECT_TRUE(a != c);
  EXPECT_TRUE(gox::Chan<int>() == gox::Chan<int>());
  EXPECT_FALSE(a == gox::Chan<int>());
  b.Send(3);
  EXPECT_EQ(a.Len(), 1u);
  EXPECT_EQ(a.Recv(), 3);
  b.Close();
  EXPECT_THROW(a.Close(), gox::Panic);
}

// ---- 10. range ----

TEST(ChanTest, RangeReceivesUntilClosedAndDrained) {
  RunWithWatchdog(10s, [] {
    for (std::size_t cap : {0u, 1u, 7u}) {
      gox::Chan<int> ch(cap);
      std::thread producer([&] {
        for (int i = 1; i <= 100; ++i) ch.Send(i);
        ch.Close();
      });
      std::vector<int> got;
      for (int v : ch) got.push_back(v);
      producer.join();
      ASSERT_EQ(got.size(), 100u) << "cap " << cap;
      for (int i = 0; i < 100; ++i) EXPECT_EQ(got[i], i + 1);
    }
  });
}

TEST(ChanTest, RangeOverClosedBufferedChannelDrainsIt) {
  RunWithWatchdog(10s, [] {
    gox::Chan<int> ch(3);
    ch.Send(1);
    ch.Send(2);
    ch.Send(3);
    ch.Close();
    int sum = 0, n = 0;
    for (int v : ch) {
      sum += v;
      ++n;
    }
    EXPECT_EQ(n, 3);
    EXPECT_EQ(sum, 6);
    for (int v : ch) ADD_FAILURE() << "ranged again: " << v;  // closed and empty
  });
}

// ---- element types ----

TEST(ChanTest, MoveOnlyElements) {
  RunWithWatchdog(10s, [] {
    using P = std::unique_ptr<int>;
    gox::Chan<P> ch(2);
    ch.Send(std::make_unique<int>(1));
    EXPECT_TRUE(ch.TrySend(std::make_unique<int>(2)));
    EXPECT_FALSE(ch.TrySend(std::make_unique<int>(3)));
    EXPECT_EQ(ch.Len(), 2u);
    std::optional<P> a = ch.Recv();
    ASSERT_TRUE(a && *a);
    EXPECT_EQ(**a, 1);
    std::optional<P> b = ch.TryRecv();
    ASSERT_TRUE(b && *b);
    EXPECT_EQ(**b, 2);

    gox::Chan<P> unbuf(0);  // hand-over between threads
    std::thread producer([&] {
      for (int i = 0; i < 50; ++i) unbuf.Send(std::make_unique<int>(i));
      unbuf.Close();
    });
    int expect = 0;
    for (P p : unbuf) {  // Go's for p := range unbuf, with a move-only element
      ASSERT_TRUE(p);
      EXPECT_EQ(*p, expect++);
    }
    producer.join();
    EXPECT_EQ(expect, 50);
  });
}

// A Chan is a reference value: a const handle and a copy captured by a plain [=]
// lambda (no `mutable`) send, receive and close the one shared channel.
TEST(ChanTest, ConstHandleAndCopiesShareOneChannel) {
  RunWithWatchdog(10s, [] {
    const gox::Chan<int> ch(1);
    gox::WaitGroup wg;
    wg.Add(1);
    gox::Go([=, &wg] {
      ch.Send(7);
      ch.Send(8);
      ch.Close();
      wg.Done();
    });
    EXPECT_EQ(ch.Recv(), 7);
    std::vector<int> rest;
    for (int v : ch) rest.push_back(v);
    wg.Wait();
    EXPECT_EQ(rest, std::vector<int>{8});
    const gox::Chan<int>& ref = ch;
    EXPECT_FALSE(ref.TryRecv());
    EXPECT_THROW(ref.TrySend(1), gox::Panic);
  });
}

TEST(ChanTest, StringElements) {
  RunWithWatchdog(10s, [] {
    gox::Chan<std::string> ch(1);
    const std::string big(1000, 'x');  // beyond the small-string buffer
    EXPECT_TRUE(ch.TrySend("a"));
    EXPECT_FALSE(ch.TrySend("b"));
    EXPECT_EQ(ch.TryRecv(), "a");
    std::thread producer([&] {
      for (int i = 0; i < 100; ++i) ch.Send(big + std::to_string(i));
      ch.Close();
    });
    int i = 0;
    for (std::string s : ch) EXPECT_EQ(s, big + std::to_string(i++));
    producer.join();
    EXPECT_EQ(i, 100);
  });
}

// ---- 6. no lost wake-ups ----

TEST(ChanTest, NoLostWakeupsCapacityOneFourByFour) {
  constexpr int kRounds = 20;
  constexpr int kWorkers = 4;
  const int per_worker = 2000;
  for (int round = 0; round < kRounds; ++round) {
    bool finished = RunWithWatchdog(
        60s,
        [&] {
          gox::Chan<int> ch(1);
          gox::WaitGroup wg;
          std::atomic<long> sum{0};
          wg.Add(2 * kWorkers);
          for (int w = 0; w < kWorkers; ++w) {
            gox::Go([&, w] {
              for (int i = 0; i < per_worker; ++i) ch.Send(w * per_worker + i);
              wg.Done();
            });
            gox::Go([&] {
              long local = 0;
              for (int i = 0; i < per_worker; ++i) local += *ch.Recv();
              sum += local;
              wg.Done();
            });
          }
          wg.Wait();
          long n = static_cast<long>(kWorkers) * per_worker;
          EXPECT_EQ(sum.load(), n * (n - 1) / 2);
          EXPECT_EQ(ch.Len(), 0u);
        },
        "4x4 on capacity 1");
    if (!finished) {
      ADD_FAILURE() << "round " << round << " hung";
      return;
    }
  }
  EXPECT_TRUE(gox::WaitGoroutines(10s));
}

TEST(ChanTest, CloseRacingLastReceiveNeverHangs) {
  const int iterations = 10000;
  RunWithWatchdog(120s, [&] {
    for (int i = 0; i < iterations; ++i) {
      gox::Chan<int> ch(static_cast<std::size_t>(i % 2));
      gox::Go([ch]() mutable {
        ch.Send(1);
        ch.Close();
      });
      int n = 0;
      if (i % 4 < 2) {
        for (int v : ch) n += v;
      } else {  // the last receive is a Select
        bool open = true;
        while (open) {
          gox::Select(gox::RecvCase(ch, [&](std::optional<int> v) {
            if (v) {
              n += *v;
            } else {
              open = false;
            }
          }));
        }
      }
      if (n != 1) {
        ADD_FAILURE() << "iteration " << i << ": received " << n;
        return;
      }
    }
  });
  EXPECT_TRUE(gox::WaitGoroutines(10s));
}

}  // namespace
