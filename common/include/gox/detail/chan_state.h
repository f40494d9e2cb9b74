// detail/chan_state.h: the typed state behind gox::Chan<T> (internal).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <utility>

#include "gox/detail/chan_core.h"

namespace gox::detail {

// Ring is the FIFO buffer of a channel: it grows by doubling up to the
// channel's capacity, so make(chan T, 1<<20) costs nothing until used.
template <class T>
class Ring {
 public:
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& front() { return *slots_[head_]; }
  void pop_front() {
    slots_[head_].reset();
    head_ = (head_ + 1) & (alloc_ - 1);
    --size_;
  }
  void push_back(T&& v) {
    if (size_ == alloc_) Grow();
    slots_[(head_ + size_) & (alloc_ - 1)].emplace(std::move(v));
    ++size_;
  }

 private:
  void Grow() {
    std::size_t n = alloc_ == 0 ? 8 : alloc_ * 2;
    auto fresh = std::make_unique<std::optional<T>[]>(n);
    for (std::size_t i = 0; i < size_; ++i) {
      fresh[i] = std::move(slots_[(head_ + i) & (alloc_ - 1)]);
    }
    slots_ = std::move(fresh);
    alloc_ = n;
    head_ = 0;
  }

  std::unique_ptr<std::optional<T>[]> slots_;
  std::size_t alloc_ = 0;  // a power of two (or 0)
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

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
  Ring<T> buf;  // guarded by mu; size() <= cap
};

}  // namespace gox::detail
