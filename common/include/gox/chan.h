// chan.h: gox::Chan<T>, Go's `chan T`. A handle: copies share one channel.
//   Chan<T>()   the nil channel: Send and Recv block forever, Close panics.
//   Chan<T>(n)  make(chan T, n); n == 0 is a rendezvous.
//   Send(v)     blocks until a receiver takes v (or buffer room exists).
//   Recv()      blocks for a value; nullopt once closed and drained.
//   TrySend/TryRecv never block (false / nullopt when not ready).
//   Close()     ends sending; wakes every blocked receiver and sender.
//   for (T v : ch) receives until the channel is closed and drained (Go's
//                  for v := range ch), move-only T included.
// Every operation is const: a Chan is a reference value, as in Go, so a copy
// captured by a plain [=] lambda can Send, and so can a const Chan<T>&.
// Ordering: what a thread did before Send(v) is visible to the thread whose
// Recv() returns v; Close happens before a receive that reports closed.
// Panics (gox::Panic): Send, TrySend or Close after Close (also for a sender
// already blocked when Close happens), Close of nil.
// Lifetime: Go's garbage collector keeps a channel alive while anyone holds it;
// here the handle you call through must outlive the call. A Send may still be
// reading the channel after its receiver has the value, so a goroutine captures
// channels by value ([done] or [=], not [&]): its copy keeps the channel alive.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <utility>

#include "gox/detail/chan_state.h"
#include "gox/error.h"

namespace gox {

// Unit is Go's struct{}: the element type of signal-only channels (chan struct{}).
struct Unit {};

template <class T>
class Chan {
 public:
  using value_type = T;

  // Chan() is the nil channel.
  Chan() = default;
  // Chan(capacity) makes a channel holding up to capacity values; 0 = unbuffered.
  explicit Chan(std::size_t capacity) : s_(std::make_shared<detail::ChanState<T>>(capacity)) {}

  // Send blocks until v is delivered. Panics if the channel is (or becomes) closed.
  void Send(T v) const {
    if (!s_) detail::BlockForever();
    s_->Send(v);
  }

  // Recv blocks for a value; returns nullopt once the channel is closed and drained.
  std::optional<T> Recv() const {
    if (!s_) detail::BlockForever();
    return s_->Recv();
  }

  // TrySend delivers v if that needs no waiting; false otherwise (nil: false),
  // and then v is dropped (it was taken by value). Panics on a closed channel,
  // as Go's select-with-default send does.
  bool TrySend(T v) const { return s_ ? s_->TrySend(v) : false; }

  // TryRecv returns a value if one is ready; nullopt if none is, or if the
  // channel is closed and drained (Select with Default tells these apart).
  std::optional<T> TryRecv() const { return s_ ? s_->TryRecv() : std::nullopt; }

  // Close closes the channel: buffered values stay readable, then receives
  // return nullopt; blocked receivers wake with nullopt and blocked senders panic.
  void Close() const {
    if (!s_) throw Panic("close of nil channel");
    s_->Close();
  }

  // Len is the number of buffered values; Cap the capacity (0 for nil).
  std::size_t Len() const { return s_ ? s_->Len() : 0; }
  std::size_t Cap() const { return s_ ? s_->cap : 0; }
  bool IsNil() const { return s_ == nullptr; }

  friend bool operator==(const Chan& a, const Chan& b) { return a.s_ == b.s_; }

  // Range support: for (T v : ch) receives until closed and drained; each value
  // is moved out of the iterator once, so move-only T works (so do auto&& and
  // const auto&; auto& does not bind to the moved-out value).
  class Iterator {
   public:
    Iterator() = default;
    explicit Iterator(const Chan* ch) : ch_(ch) { ++*this; }
    T&& operator*() { return std::move(*cur_); }
    Iterator& operator++() {
      cur_ = ch_->Recv();
      return *this;
    }
    bool operator==(const Iterator& o) const { return !cur_ && !o.cur_; }

   private:
    const Chan* ch_ = nullptr;
    std::optional<T> cur_;
  };
  Iterator begin() const { return Iterator(this); }
  Iterator end() const { return Iterator(); }

  // State is for gox::Select (internal).
  detail::ChanState<T>* State() const { return s_.get(); }

 private:
  std::shared_ptr<detail::ChanState<T>> s_;
};

}  // namespace gox
