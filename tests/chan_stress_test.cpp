// Stress tests for gox::Chan's lock-free buffered path (detail/chan_ring.h) and
// its fall-back to the waiter queues: many senders and receivers, Close racing
// them, every way to send and receive (Send, TrySend, Select, Recv, TryRecv,
// range). Checked: every value whose send returned is received exactly once, no
// value appears that was not sent, a send that starts after Close returned
// panics, and each receiver sees each sender's values in the order sent.
// Unbuffered channels also get rounds where one side only polls (TrySend /
// TryRecv / Select of one case + Default: the lock-free "nothing to do" checks of
// chan_state.h) while the other side blocks.
// Sized to run in about a second in dev (more under TSan).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gox/chan.h"
#include "gox/error.h"
#include "gox/select.h"
#include "test_util.h"

namespace {

using namespace std::chrono_literals;
using gox_test::RunWithWatchdog;

constexpr int kSenders = 4;
constexpr int kReceivers = 4;
constexpr int64_t kPerSender = 4000;

int64_t Encode(int sender, int64_t i) { return sender * kPerSender + i; }

// Which side polls (non-blocking operations in a loop); the other side blocks.
enum class Poll {
  kMixed,        // buffered: every way on both sides; unbuffered: nobody polls
  kBySenders,    // unbuffered: senders poll, receivers block
  kByReceivers,  // unbuffered: receivers poll, senders block
};

struct Round {
  std::size_t cap;
  int64_t close_after;  // Close once this many values were received
  Poll poll = Poll::kMixed;
};

// RunRound runs one round and checks the rules in the file comment.
void RunRound(const Round& round) {
  SCOPED_TRACE("cap " + std::to_string(round.cap) + ", close after " +
               std::to_string(round.close_after) + ", poll " +
               std::to_string(static_cast<int>(round.poll)));
  gox::Chan<int64_t> ch(round.cap);
  gox::Chan<int64_t> never;  // nil: a Select case that is never ready
  std::atomic<int64_t> received{0};
  std::atomic<bool> closed{false};         // set once Close returned
  std::atomic<int> late_sends_ok{0};       // sends that began after Close and did not panic
  std::vector<int64_t> sent(kSenders, 0);  // values 0..sent-1 of each sender were delivered
  std::vector<std::vector<int64_t>> got(kReceivers);
  std::atomic<int> order_errors{0};

  std::vector<std::thread> threads;
  for (int s = 0; s < kSenders; ++s) {
    threads.emplace_back([&, s] {
      int64_t i = 0;
      try {
        for (; i < kPerSender; ++i) {
          const bool after_close = closed.load();
          // (Unbuffered: never both sides polling, as polling senders and
          // polling receivers could miss each other forever, in Go too.)
          const int64_t k = s + i;
          switch (round.poll == Poll::kBySenders ? 2 + k % 2 : round.cap == 0 ? k % 2 : k % 3) {
            case 0:
              ch.Send(Encode(s, i));
              break;
            case 1:
              gox::Select(gox::SendCase(ch, Encode(s, i), [] {}),
                          gox::RecvCase(never, [](std::optional<int64_t>) {}));
              break;
            case 2:
              while (!ch.TrySend(Encode(s, i))) std::this_thread::yield();
              break;
            default: {
              bool done = false;
              while (!done) {
                gox::Select(gox::SendCase(ch, Encode(s, i), [&] { done = true; }),
                            gox::Default([] { std::this_thread::yield(); }));
              }
            }
          }
          if (after_close) late_sends_ok.fetch_add(1);
        }
      } catch (const gox::Panic& p) {
        EXPECT_STREQ(p.what(), "send on closed channel");
      }
      sent[s] = i;
    });
  }
  for (int r = 0; r < kReceivers; ++r) {
    threads.emplace_back([&, r] {
      std::vector<int64_t> last(kSenders, -1);
      auto take = [&](int64_t v) {
        got[r].push_back(v);
        int s = static_cast<int>(v / kPerSender);
        if (v % kPerSender <= last[s]) order_errors.fetch_add(1);
        last[s] = v % kPerSender;
        received.fetch_add(1);
      };
      for (int64_t n = 0;; ++n) {
        std::optional<int64_t> v;
        const int64_t k = r + n;
        switch (round.poll == Poll::kByReceivers ? 2 + k % 2 : round.cap == 0 ? k % 2 : k % 3) {
          case 0:
            v = ch.Recv();
            break;
          case 1:
            gox::Select(gox::RecvCase(ch, [&](std::optional<int64_t> x) { v = x; }),
                        gox::RecvCase(never, [](std::optional<int64_t>) {}));
            break;
          case 3:  // TryRecv says nullopt for "closed" and "not ready" alike
            for (;;) {
              const bool was_closed = closed.load();
              v = ch.TryRecv();
              if (v || was_closed) break;  // no value can come once Close returned
              std::this_thread::yield();
            }
            break;
          default: {
            bool done = false;
            while (!done) {
              gox::Select(gox::RecvCase(ch,
                                        [&](std::optional<int64_t> x) {
                                          v = x;
                                          done = true;
                                        }),
                          gox::Default([] { std::this_thread::yield(); }));
            }
          }
        }
        if (!v) break;  // closed and drained
        take(*v);
      }
      for (int64_t v : ch) take(v);  // range over a closed, drained channel: nothing
    });
  }
  threads.emplace_back([&] {
    while (received.load() < round.close_after) std::this_thread::yield();
    ch.Close();
    closed.store(true);
  });
  for (auto& t : threads) t.join();

  EXPECT_EQ(late_sends_ok.load(), 0) << "a send that began after Close did not panic";
  EXPECT_EQ(order_errors.load(), 0) << "a receiver saw a sender's values out of order";
  std::vector<int> seen(kSenders * kPerSender, 0);
  int64_t total = 0;
  for (const auto& vs : got) {
    for (int64_t v : vs) {
      ASSERT_GE(v, 0);
      ASSERT_LT(v, kSenders * kPerSender);
      ++seen[static_cast<std::size_t>(v)];
      ++total;
    }
  }
  int64_t want = 0;
  for (int s = 0; s < kSenders; ++s) {
    want += sent[s];
    for (int64_t i = 0; i < kPerSender; ++i) {
      const int expect = i < sent[s] ? 1 : 0;
      if (seen[static_cast<std::size_t>(Encode(s, i))] != expect) {
        ADD_FAILURE() << "sender " << s << " value " << i << " received "
                      << seen[static_cast<std::size_t>(Encode(s, i))] << " times, want " << expect
                      << " (sent " << sent[s] << ")";
        return;
      }
    }
  }
  EXPECT_EQ(total, want);
  EXPECT_EQ(ch.Len(), 0u);
}

TEST(ChanStressTest, ExactlyOnceWithCloseRacingBuffered) {
  RunWithWatchdog(120s, [] {
    for (std::size_t cap : {1u, 3u, 64u}) {
      for (int64_t close_after : {int64_t{50}, kSenders * kPerSender / 2}) {
        RunRound({cap, close_after});
      }
    }
  });
}

TEST(ChanStressTest, ExactlyOnceWithoutCloseUntilAllSent) {
  // Close only after every value went through: nothing may be lost or doubled.
  RunWithWatchdog(120s, [] {
    for (std::size_t cap : {0u, 2u, 1024u}) RunRound({cap, kSenders * kPerSender});
  });
}

TEST(ChanStressTest, UnbufferedPollingAgainstBlockingWithCloseRacing) {
  // The lock-free "nothing to do" checks must never lose a value, report a
  // value twice, miss a Close (a polling receiver must end, a polling sender
  // must panic) or let a send begun after Close succeed.
  RunWithWatchdog(120s, [] {
    for (Poll poll : {Poll::kBySenders, Poll::kByReceivers}) {
      for (int64_t close_after : {int64_t{50}, kSenders * kPerSender}) {
        RunRound({0, close_after, poll});
      }
    }
  });
}

// Move-only values through the ring: each is destroyed exactly once, and values
// still buffered when the channel goes away are destroyed with it.
TEST(ChanStressTest, BufferedValuesAreDestroyedExactlyOnce) {
  RunWithWatchdog(30s, [] {
    static std::atomic<int> alive{0};
    struct Counted {
      Counted() { alive.fetch_add(1); }
      Counted(Counted&& o) noexcept : live(o.live) {
        o.live = false;
        alive.fetch_add(1);
      }
      Counted& operator=(Counted&&) = delete;
      ~Counted() { alive.fetch_sub(1); }
      bool live = true;
    };
    {
      gox::Chan<Counted> ch(8);
      std::thread producer([&] {
        for (int i = 0; i < 2000; ++i) ch.Send(Counted());
        for (int i = 0; i < 5; ++i) ch.Send(Counted());  // left in the buffer
      });
      for (int i = 0; i < 2000; ++i) {
        std::optional<Counted> c = ch.Recv();
        ASSERT_TRUE(c && c->live);
      }
      producer.join();
      EXPECT_EQ(ch.Len(), 5u);
      EXPECT_EQ(alive.load(), 5);
    }
    EXPECT_EQ(alive.load(), 0);
  });
}

}  // namespace
