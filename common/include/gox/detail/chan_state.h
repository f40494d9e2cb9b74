// detail/chan_state.h: the typed state behind gox::Chan<T> (internal).
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <utility>

#include "gox/detail/chan_core.h"

namespace gox::detail {

template <class T>
class ChanState final : public ChanBase {
 public:
  explicit ChanState(std::size_t capacity) : cap(capacity) {}

  // TrySendLocked delivers v to a parked receiver or the buffer (mu held).
  // kClosed: the channel is closed (the caller panics). *wake: receiver to unpark.
  Try TrySendLocked(T& v, Waiter** wake) {
    if (closed) return Try::kClosed;
    if (Waiter* r = recvq.Claim()) {
      static_cast<std::optional<T>*>(r->elem)->emplace(std::move(v));
      Commit(r, true);
      *wake = r;
      return Try::kDone;
    }
    if (buf.size() < cap) {
      buf.push_back(std::move(v));
      return Try::kDone;
    }
    return Try::kBlock;
  }

  // TryRecvLocked takes a value into *out (mu held). kClosed: closed and
  // drained, *out untouched. *wake: a sender to unpark.
  Try TryRecvLocked(std::optional<T>* out, Waiter** wake) {
    if (!buf.empty()) {
      out->emplace(std::move(buf.front()));
      buf.pop_front();
      // A parked sender's value takes the freed slot (FIFO preserved).
      if (Waiter* s = sendq.Claim()) {
        buf.push_back(std::move(*static_cast<T*>(s->elem)));
        Commit(s, true);
        *wake = s;
      }
      return Try::kDone;
    }
    if (Waiter* s = sendq.Claim()) {  // unbuffered: take straight from the sender
      out->emplace(std::move(*static_cast<T*>(s->elem)));
      Commit(s, true);
      *wake = s;
      return Try::kDone;
    }
    if (closed) return Try::kClosed;
    return Try::kBlock;
  }

  const std::size_t cap;
  std::deque<T> buf;  // guarded by mu; size() <= cap
};

}  // namespace gox::detail
