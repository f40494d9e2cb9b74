// detail/chan_state.h: the typed state behind gox::Chan<T> (internal).
// Unbuffered channels hand values over under the channel lock, as Go's runtime
// does. Buffered channels keep their values in a lock-free ring (chan_ring.h):
//   fast path  a send that finds room and no queued receiver, or a receive that
//              finds a value, touches only the ring (no lock);
//   slow path  under the lock: hand the value straight to a queued receiver (only
//              when the ring is empty: FIFO), take it from a queued sender, or
//              queue a Waiter and park.
// Who wakes whom (each rule keeps "nobody sleeps while it could proceed"):
//   - a send that put a value in the ring and then sees a queued receiver wakes
//     one with kRetry (it retries the ring);
//   - a receive that freed a slot and sees a queued sender moves that sender's
//     value into the ring under the lock (Go does the same: blocked senders stay
//     FIFO) and wakes it with kValue (kRetry if a lock-free sender took the slot
//     first); a receiver queued meanwhile is woken with kRetry;
//   - a waiter re-checks the ring after queueing itself and does not park if it
//     is ready (the Dekker pattern of chan_ring.h);
//   - Close wakes every receiver with kRetry (values may still be buffered) and
//     every sender with kClosed (it panics).
// Non-blocking checks (TrySend, TryRecv, and a Select of one case + Default) on
// an unbuffered channel answer "not ready" without the lock, as Go's do:
//   read the partner queue's count (seq_cst), then `closed` (seq_cst). A count
//   of 0 then closed == false means: at the moment of the first read nobody was
//   queued, and the channel was open then too (closed never goes back to false,
//   and the second read comes after the first). So the operation would have
//   failed at that moment, and we report just that. Any other reading takes the
//   lock. TryRecv needs only the count: closed-and-drained is nullopt as well.
//   The check never commits anything, so it cannot lose or duplicate a value;
//   it can only answer "not ready" for a partner that is queueing right now,
//   which is the same race Go's select-with-default has.
//   Buffered channels answer from the ring, then the sender queue (RecvFast,
//   TryRecvFast): two reads, so a receive that refills the ring from a queued
//   sender between them can make one such poll say "not ready" where Go's
//   buffer, changed under one lock, would not. Nothing is lost: the value is
//   in the ring for the next receive.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "gox/detail/chan_core.h"
#include "gox/error.h"

namespace gox::detail {

template <class T>
class ChanState final : public ChanBase {
  // A value is moved into a claimed ring slot; a throwing move would leave the
  // slot claimed forever.
  static_assert(std::is_nothrow_move_constructible_v<T>,
                "gox::Chan<T>: T's move constructor must be noexcept");

 public:
  explicit ChanState(std::size_t capacity) : ChanBase(capacity, sizeof(T), alignof(T)) {}
  ~ChanState() override {
    for (std::size_t n = cap > 0 ? ring.Len() : 0, i = ring.HeadIndex(); n > 0; --n) {
      At(i)->~T();
      i = i + 1 == cap ? 0 : i + 1;
    }
  }

  // ---- Chan<T>'s operations ----

  void Send(T& v) {
    for (;;) {
      if (cap > 0 && SpinSend(v)) return;
      std::unique_lock lock(mu);
      Wakes wake;
      Try r = TrySendLocked(v, &wake);
      if (r != Try::kBlock) {
        lock.unlock();
        if (r == Try::kClosed) throw Panic("send on closed channel");
        wake.Run();
        return;
      }
      Woken how = ParkOn(*this, true, &v, lock);
      if (how == Woken::kValue) return;
      if (how == Woken::kClosed) throw Panic("send on closed channel");
    }
  }

  std::optional<T> Recv() {
    std::optional<T> out;
    for (;;) {
      if (cap > 0) {
        RingOp r = SpinRecv(&out);
        if (r == RingOp::kDone) return out;
        if (r == RingOp::kClosed) return std::nullopt;
      }
      std::unique_lock lock(mu);
      Wakes wake;
      Try r = TryRecvLocked(&out, &wake);
      if (r != Try::kBlock) {
        lock.unlock();
        wake.Run();
        return out;
      }
      Woken how = ParkOn(*this, false, &out, lock);
      if (how == Woken::kValue) return out;
      if (how == Woken::kClosed) return std::nullopt;
    }
  }

  bool TrySend(T& v) {
    if (cap == 0 && NothingToSend()) return false;
    if (cap > 0) {
      RingOp r = SendFast(v);
      if (r == RingOp::kDone) return true;
      if (r == RingOp::kClosed) throw Panic("send on closed channel");
    }
    std::unique_lock lock(mu);
    Wakes wake;
    Try r = TrySendLocked(v, &wake);
    lock.unlock();
    if (r == Try::kClosed) throw Panic("send on closed channel");
    wake.Run();
    return r == Try::kDone;
  }

  std::optional<T> TryRecv() {
    std::optional<T> out;
    // Unbuffered and no sender queued: not ready, or closed; nullopt either way.
    if (cap == 0 && !sendq.MaybeWaiting()) return out;
    if (cap > 0) {
      RingOp r = RecvFast(&out);
      if (r == RingOp::kDone) return out;
      if (r == RingOp::kClosed || !sendq.MaybeWaiting()) return std::nullopt;
    }
    std::unique_lock lock(mu);
    Wakes wake;
    TryRecvLocked(&out, &wake);
    lock.unlock();
    wake.Run();
    return out;
  }

  void Close() {
    std::vector<Waiter*> wake;
    {
      std::lock_guard lock(mu);
      if (closed.load(std::memory_order_relaxed)) throw Panic("close of closed channel");
      closed.store(true, std::memory_order_seq_cst);
      if (cap > 0) ring.Close();
      while (Waiter* w = recvq.Claim()) {
        Commit(w, cap > 0 ? Woken::kRetry : Woken::kClosed);
        wake.push_back(w);
      }
      while (Waiter* w = sendq.Claim()) {
        Commit(w, Woken::kClosed);
        wake.push_back(w);
      }
    }
    for (Waiter* w : wake) Wake(w);
  }

  std::size_t Len() const { return cap > 0 ? ring.Len() : 0; }

  // ---- the lock-free fast path (buffered only) ----

  // SendFast puts v in the ring unless it is full or a receiver is queued (then
  // the value goes to that receiver, under the lock: kNotReady).
  RingOp SendFast(T& v) {
    if (recvq.MaybeWaiting()) return RingOp::kNotReady;
    RingIndex::Ticket t;
    RingOp r = ring.StartSend(&t);
    if (r != RingOp::kDone) return r;
    new (ring.Value(t.index)) T(std::move(v));
    ring.FinishSend(t);
    if (recvq.MaybeWaiting()) WakeRetry(*this, recvq);
    return RingOp::kDone;
  }

  // RecvFast takes the oldest value from the ring (kNotReady: empty; kClosed:
  // closed and drained); a queued sender's value refills the freed slot.
  RingOp RecvFast(std::optional<T>* out) {
    RingIndex::Ticket t;
    RingOp r = ring.StartRecv(&t);
    if (r != RingOp::kDone) return r;
    Take(t, out);
    if (sendq.MaybeWaiting()) {
      std::unique_lock lock(mu);
      Wakes wake;
      RefillLocked(&wake);
      lock.unlock();
      wake.Run();
    }
    return RingOp::kDone;
  }

  // TrySendFast / TryRecvFast: Select's lock-free attempt (see Fast).
  Fast TrySendFast(T& v) {
    if (cap == 0) return NothingToSend() ? Fast::kNotReady : Fast::kLocked;
    if (recvq.MaybeWaiting()) return Fast::kLocked;
    RingOp r = SendFast(v);
    if (r == RingOp::kDone) return Fast::kDone;
    return r == RingOp::kClosed || recvq.MaybeWaiting() ? Fast::kLocked : Fast::kNotReady;
  }
  Fast TryRecvFast(std::optional<T>* out) {
    if (cap == 0) return NothingToRecv() ? Fast::kNotReady : Fast::kLocked;
    RingOp r = RecvFast(out);
    if (r == RingOp::kDone) return Fast::kDone;
    return r == RingOp::kClosed || sendq.MaybeWaiting() ? Fast::kLocked : Fast::kNotReady;
  }

  // NothingToSend / NothingToRecv: an unbuffered channel is open and has no
  // partner queued, so a non-blocking send / receive would fail now (Go's
  // chansend/chanrecv with block=false, before the lock). The queue is read
  // first, then closed: see "Non-blocking checks" at the top of this file.
  bool NothingToSend() const {
    return !recvq.MaybeWaiting() && !closed.load(std::memory_order_seq_cst);
  }
  bool NothingToRecv() const {
    return !sendq.MaybeWaiting() && !closed.load(std::memory_order_seq_cst);
  }

  // ---- under the lock (Send/Recv slow path and Select) ----

  // TrySendLocked hands v to a queued receiver or puts it in the ring.
  // kClosed: the channel is closed (the caller panics).
  Try TrySendLocked(T& v, Wakes* wake) {
    if (closed.load(std::memory_order_relaxed)) return Try::kClosed;
    // A receiver gets v directly only if no value is ahead of it in the ring
    // (else a later receive could see an older value after v: FIFO).
    if (cap == 0 || !ring.RecvReady()) {
      if (Waiter* r = recvq.Claim()) {
        static_cast<std::optional<T>*>(r->elem)->emplace(std::move(v));
        Commit(r, Woken::kValue);
        wake->Add(r);
        return Try::kDone;
      }
      if (cap == 0) return Try::kBlock;
    }
    RingIndex::Ticket t;
    if (ring.StartSend(&t) != RingOp::kDone) return Try::kBlock;  // full (closed: see above)
    new (ring.Value(t.index)) T(std::move(v));
    ring.FinishSend(t);
    if (Waiter* r = recvq.Claim()) {  // values were ahead of v: it takes from the ring
      Commit(r, Woken::kRetry);
      wake->Add(r);
    }
    return Try::kDone;
  }

  // TryRecvLocked takes a value into *out. kClosed: closed and drained, *out untouched.
  Try TryRecvLocked(std::optional<T>* out, Wakes* wake) {
    if (cap > 0) {
      RingIndex::Ticket t;
      RingOp r = ring.StartRecv(&t);
      if (r == RingOp::kDone) {
        Take(t, out);
        RefillLocked(wake);
        return Try::kDone;
      }
      if (r == RingOp::kClosed) return Try::kClosed;
    }
    if (Waiter* s = sendq.Claim()) {  // unbuffered, or a sender not yet refilled
      out->emplace(std::move(*static_cast<T*>(s->elem)));
      Commit(s, Woken::kValue);
      wake->Add(s);
      return Try::kDone;
    }
    if (closed.load(std::memory_order_relaxed)) return Try::kClosed;
    return Try::kBlock;
  }

 private:
  T* At(std::size_t i) { return std::launder(static_cast<T*>(ring.Value(i))); }

  void Take(const RingIndex::Ticket& t, std::optional<T>* out) {
    T* p = At(t.index);
    out->emplace(std::move(*p));
    p->~T();
    ring.FinishRecv(t);
  }

  // RefillLocked: a slot was just freed. The first queued sender's value takes it.
  void RefillLocked(Wakes* wake) {
    Waiter* s = sendq.Claim();
    if (s == nullptr) return;
    wake->Add(s);
    RingIndex::Ticket t;
    if (ring.StartSend(&t) != RingOp::kDone) {  // a lock-free sender was faster
      Commit(s, Woken::kRetry);
      return;
    }
    new (ring.Value(t.index)) T(std::move(*static_cast<T*>(s->elem)));
    ring.FinishSend(t);
    Commit(s, Woken::kValue);
    if (Waiter* r = recvq.Claim()) {  // queued after the ring looked empty
      Commit(r, Woken::kRetry);
      wake->Add(r);
    }
  }

  // SpinSend / SpinRecv: the fast path, retried with a short backoff before the
  // caller takes the lock (and maybe parks). They give up at once when the
  // other side is queued: the lock path serves it directly.
  bool SpinSend(T& v) {
    Backoff backoff;
    for (;;) {
      RingOp r = SendFast(v);
      if (r == RingOp::kDone) return true;
      if (r == RingOp::kClosed) throw Panic("send on closed channel");
      // Wait for the slot to look free (a hint that reads only tail_ and the
      // slot, not head_: see RingIndex::SendMaybeReady), then try for real.
      do {
        if (backoff.Done() || recvq.MaybeWaiting()) return false;
        backoff.Snooze();
      } while (!ring.SendMaybeReady());
    }
  }
  RingOp SpinRecv(std::optional<T>* out) {
    Backoff backoff;
    for (;;) {
      RingOp r = RecvFast(out);
      if (r != RingOp::kNotReady) return r;
      do {
        if (backoff.Done() || sendq.MaybeWaiting()) return r;
        backoff.Snooze();
      } while (!ring.RecvMaybeReady() && !closed.load(std::memory_order_relaxed));
    }
  }
};

}  // namespace gox::detail
