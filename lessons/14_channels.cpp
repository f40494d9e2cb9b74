// 14 Channels: unbuffered = guarantee, buffered = latency; close by the sender; range; nil.
// What does a Send promise? Who may close? What is a nil channel good for?
// Watch: `unbuffered` Send returns only once the (late) receiver took the value;
// `buffered` lets the sender run ahead with no promise of delivery; `close` drains
// the buffer, then ends the range, and a second Close or a Send after Close panics;
// `nil` never becomes ready, so a Select merge disables a closed input by nil-ing it.
// Variants: unbuffered (default), buffered, close, nil.
// Run: build/dev/lessons/14_channels --variant=buffered
// Note: notes/14_channels.md
#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include "gox/chan.h"
#include "gox/clock.h"
#include "gox/error.h"
#include "gox/go.h"
#include "gox/select.h"
#include "gox/time.h"
#include "lesson.h"

namespace {

using namespace std::chrono_literals;
using gox::Clock;

// Ms is the time from t0 to now in milliseconds.
double Ms(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// We never wait without a bound: WaitDone receives from done or gives up after 2 s.
bool WaitDone(gox::Chan<gox::Unit> done) {
  bool ok = false;
  gox::Select(gox::RecvCase(done, [&ok](std::optional<gox::Unit>) { ok = true; }),
              gox::RecvCase(gox::After(2s), [] {}));
  if (!ok) lesson::Say("timed out after 2 s waiting for a goroutine");
  return ok;
}

// We show the rendezvous: the receiver starts 50 ms late, the sender's Send
// returns only after the receiver has called Recv and taken the value.
int Unbuffered() {
  gox::Chan<int> ch(0);
  gox::Chan<gox::Unit> done(1);
  std::atomic<double> recv_called_ms{-1};  // when the receiver called Recv
  const auto t0 = Clock::now();
  double send_start_ms = -1, send_ms = -1;  // written by the sender before done
  gox::Go([&, ch, done]() mutable {
    send_start_ms = Ms(t0);
    lesson::Say("sender:   Send(42) called at %5.1f ms (%s)", send_start_ms,
                recv_called_ms.load() < 0 ? "the receiver has not called Recv yet"
                                          : "the receiver is already in Recv");
    ch.Send(42);
    send_ms = Ms(t0);
    lesson::Say("sender:   Send(42) returned at %5.1f ms", send_ms);
    done.Send(gox::Unit{});
  });
  gox::Sleep(50ms);  // the receiver is late on purpose (a demo, not synchronisation)
  recv_called_ms = Ms(t0);
  lesson::Say("receiver: Recv() called at %5.1f ms", recv_called_ms.load());
  std::optional<int> v = ch.Recv();
  lesson::Say("receiver: got %d at %5.1f ms", v.value_or(-1), Ms(t0));
  if (!WaitDone(done)) return 1;
  const double recv_at = recv_called_ms.load();
  if (v != 42 || send_ms < recv_at) {
    lesson::Result("unbuffered: guarantee NOT shown (Send returned %.1f ms, Recv %.1f ms)", send_ms,
                   recv_at);
    return 1;
  }
  lesson::Result(
      "unbuffered: Send blocked %.1f ms and returned only after the receiver (Recv at %.1f "
      "ms) took the value: delivery guaranteed, latency unknown",
      send_ms - send_start_ms, recv_at);
  return 0;
}

// We time a sender of `items` values against a receiver that works 20 ms per item.
// Returns the sender's time; *left is how many values had left the channel (been
// taken by the receiver) when the sender's last Send returned.
double TimeSender(std::size_t cap, int items, int* left) {
  gox::Chan<int> ch(cap);
  gox::Chan<gox::Unit> done(1);
  gox::Go([ch, done, items]() mutable {  // the slow receiver
    for (int i = 0; i < items; ++i) {
      if (!ch.Recv()) break;
      gox::Sleep(20ms);  // the receiver's work on the item
    }
    done.Send(gox::Unit{});
  });
  const auto t0 = Clock::now();
  for (int i = 1; i <= items; ++i) ch.Send(i);
  const double ms = Ms(t0);
  *left = items - static_cast<int>(ch.Len());
  WaitDone(done);
  return ms;
}

// We compare cap 0 with cap N: the buffer lowers the sender's latency, and takes
// away the promise that the receiver has the values.
int Buffered() {
  constexpr int kItems = 5;
  int left0 = 0, leftn = 0;
  const double t_unbuf = TimeSender(0, kItems, &left0);
  lesson::Say("cap 0: sender's %d Sends took %5.1f ms; %d of %d taken by the receiver", kItems,
              t_unbuf, left0, kItems);
  const double t_buf = TimeSender(kItems, kItems, &leftn);
  lesson::Say(
      "cap %d: sender's %d Sends took %5.1f ms; %d of %d taken by the receiver (%d "
      "still in the buffer)",
      kItems, kItems, t_buf, leftn, kItems, kItems - leftn);
  if (t_unbuf < 50 || t_buf > t_unbuf / 2 || left0 != kItems) {
    lesson::Result("buffered: effect NOT shown (cap 0: %.1f ms, cap %d: %.1f ms)", t_unbuf, kItems,
                   t_buf);
    return 1;
  }
  lesson::Result(
      "buffered: cap %d let the sender finish in %.1f ms instead of %.1f ms, with only %d of "
      "%d delivered: lower latency, no guarantee",
      kItems, t_buf, t_unbuf, leftn, kItems);
  return 0;
}

// TryPanic runs f and returns Go's panic message, or "" if f did not panic.
template <class F>
std::string TryPanic(F f) {
  try {
    f();
  } catch (const gox::Panic& p) {
    return p.what();
  }
  return "";
}

// We let the sender close after 3 buffered values; the receiver's range drains
// them, then ends; Recv on the closed channel returns nullopt; misuse panics.
int Close() {
  gox::Chan<int> ch(3);
  gox::Chan<gox::Unit> done(1);
  gox::Go([ch, done]() mutable {  // the sender: the only one who closes
    for (int i = 1; i <= 3; ++i) ch.Send(i);
    ch.Close();
    lesson::Say("sender:   sent 1 2 3, then Close()");
    done.Send(gox::Unit{});
  });
  if (!WaitDone(done)) return 1;
  lesson::Say("receiver: channel closed, Len() = %zu values still buffered", ch.Len());
  int got = 0;
  for (int v : ch) {
    lesson::Say("receiver: range got %d", v);
    ++got;
  }
  lesson::Say("receiver: range ended after %d values", got);
  std::optional<int> after = ch.Recv();
  lesson::Say("receiver: Recv() on the closed channel: %s",
              after ? "a value (unexpected)" : "nullopt (Go: v, ok := <-ch gives 0, false)");
  const std::string close2 = TryPanic([&] { ch.Close(); });
  lesson::Say("second Close(): panic: %s", close2.empty() ? "(no panic)" : close2.c_str());
  const std::string send2 = TryPanic([&] { ch.Send(4); });
  lesson::Say("Send(4) after Close(): panic: %s", send2.empty() ? "(no panic)" : send2.c_str());
  if (got != 3 || after || close2 != "close of closed channel" ||
      send2 != "send on closed channel") {
    lesson::Result("close: rules NOT shown");
    return 1;
  }
  lesson::Result(
      "close: range drained 3 values and ended; Recv gave nullopt; a second Close and a Send "
      "after Close panicked: only the sender closes, once");
  return 0;
}

// Produce sends values on ch, then closes it (it is the sender).
void Produce(gox::Chan<int> ch, int first, int n) {
  gox::Go([ch, first, n]() mutable {
    for (int i = 0; i < n; ++i) ch.Send(first + i);
    ch.Close();
  });
}

// We show that a nil channel is never ready, then use that to merge two inputs:
// each is set to nil when it closes, until both are nil.
int Nil() {
  gox::Chan<int> nil_ch;  // Go: var ch chan int
  const auto t0 = Clock::now();
  const std::size_t which =
      gox::Select(gox::RecvCase(nil_ch, [] {}), gox::RecvCase(gox::After(50ms), [] {}));
  lesson::Say(
      "Select{<-nil, <-After(50ms)}: the %s case won after %.1f ms: the nil case never "
      "became ready",
      which == 1 ? "<-After(50ms)" : "<-nil", Ms(t0));

  gox::Chan<int> a(0), b(0);
  Produce(a, 1, 3);   // a: 1 2 3, then close
  Produce(b, 10, 2);  // b: 10 11, then close
  auto timeout = gox::After(2s);
  int sum = 0, values = 0;
  bool timed_out = false;
  auto on = [&sum, &values](const char* name, gox::Chan<int>* in) {
    return [&sum, &values, name, in](std::optional<int> v) {
      if (!v) {
        lesson::Say("merge: %s closed -> %s = nil (its case is now disabled)", name, name);
        *in = gox::Chan<int>();
        return;
      }
      lesson::Say("merge: got %d from %s", *v, name);
      sum += *v;
      ++values;
    };
  };
  while ((!a.IsNil() || !b.IsNil()) && !timed_out) {
    gox::Select(gox::RecvCase(a, on("a", &a)), gox::RecvCase(b, on("b", &b)),
                gox::RecvCase(timeout, [&] { timed_out = true; }));
  }
  if (which != 1 || timed_out || values != 5 || sum != 1 + 2 + 3 + 10 + 11) {
    lesson::Result("nil: NOT shown (timed out: %s, %d values)", timed_out ? "yes" : "no", values);
    return 1;
  }
  lesson::Result(
      "nil: a nil case never fired; the merge got all %d values and stopped when both inputs "
      "were nil",
      values);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto args = lesson::Parse(
      argc, argv,
      {"14_channels",
       "Channels: unbuffered (a late receiver; the sender's Send waits for it: a delivery "
       "guarantee), buffered (cap 0 vs cap 5 against a slow receiver: the sender's latency), "
       "close (the sender closes; range drains then ends; double Close and Send after Close "
       "panic), nil (never ready: disables a Select case when merging two channels).",
       {"unbuffered", "buffered", "close", "nil"},
       {}});
  const std::string variant = args.Variant();
  lesson::Say("variant %s", variant.c_str());
  if (variant == "unbuffered") return Unbuffered();
  if (variant == "buffered") return Buffered();
  if (variant == "close") return Close();
  return Nil();
}
