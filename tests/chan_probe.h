// chan_probe.h: test-only introspection of a gox::Chan's wait queues.
//   QueuedSenders(ch) / QueuedReceivers(ch)  how many operations (Send, Recv or
//       Select cases) are parked on ch right now and can still be matched.
//   WaitSenders(ch, n) / WaitReceivers(ch, n)  bounded poll until exactly n are
//       parked (false after the limit): lets a test order threads by "that one is
//       blocked now" without sleeping.
// How: under the channel lock, a probe waiter whose group is already won (so no
// operation can ever match it) is queued at the tail; the waiters in front of it
// are counted and it is unqueued again. Uses gox::detail internals; if they
// change, this file is the one place to adapt.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>

#include "gox/chan.h"
#include "test_util.h"

namespace gox_test {

namespace probe_detail {

template <class T>
std::size_t CountQueued(const gox::Chan<T>& ch, bool senders) {
  gox::detail::ChanState<T>* s = ch.State();
  if (s == nullptr) return 0;
  gox::detail::SelectGroup group;
  group.done.store(1);  // already "won": Claim() can never pick the probe
  gox::detail::Waiter probe;
  probe.group = &group;
  std::lock_guard lock(s->mu);
  gox::detail::WaitQueue& q = senders ? s->sendq : s->recvq;
  q.Push(&probe);
  std::size_t n = 0;
  for (gox::detail::Waiter* w = probe.prev; w != nullptr; w = w->prev) {
    if (w->group->done.load() == 0) ++n;  // a select that already won elsewhere does not count
  }
  q.Remove(&probe);
  return n;
}

}  // namespace probe_detail

// QueuedSenders returns the number of parked, still matchable senders on ch.
template <class T>
std::size_t QueuedSenders(const gox::Chan<T>& ch) {
  return probe_detail::CountQueued(ch, true);
}

// QueuedReceivers returns the number of parked, still matchable receivers on ch.
template <class T>
std::size_t QueuedReceivers(const gox::Chan<T>& ch) {
  return probe_detail::CountQueued(ch, false);
}

// WaitSenders polls (bounded) until exactly n senders are parked on ch.
template <class T>
bool WaitSenders(const gox::Chan<T>& ch, std::size_t n,
                 std::chrono::milliseconds limit = std::chrono::milliseconds(10000)) {
  return Eventually(limit, [&] { return QueuedSenders(ch) == n; });
}

// WaitReceivers polls (bounded) until exactly n receivers are parked on ch.
template <class T>
bool WaitReceivers(const gox::Chan<T>& ch, std::size_t n,
                   std::chrono::milliseconds limit = std::chrono::milliseconds(10000)) {
  return Eventually(limit, [&] { return QueuedReceivers(ch) == n; });
}

}  // namespace gox_test
