// detail/chan_ring.h: the lock-free buffer of a buffered channel (internal).
//
// A bounded MPMC ring after Dmitry Vyukov's, as crossbeam-channel's "array" flavour
// uses it. Senders and receivers that find room / a value never take the channel
// lock; only when the ring is full (senders) or empty (receivers) do they fall back
// to the channel's waiter queues (chan_state.h).
//
// Positions. A position is one 64-bit word {lap | index}: index in [0, cap) in
// the low bits, then one spare bit (mark_), then the lap count. Each index is
// used once per lap; "pos + 1" never collides with the next lap's index 0 because
// index + 1 <= cap < mark. Next(pos) is pos + 1, or the next lap's index 0.
//   tail_  the position the next send writes. Its mark bit is the closed flag.
//   head_  the position the next receive reads.
//
// Stamps: one atomic word per slot, next to the slot's value (one cache line),
// says what the slot holds. It is written by the thread that owns the slot at
// that moment (the one whose CAS on tail_/head_ claimed it):
//   stamp == pos        empty, free for the send at position pos. Written by the
//                       receiver of the same index one lap earlier, once it moved
//                       that value out (or by the constructor, for lap 0).
//   stamp == pos + 1    full: holds the value sent at pos, for the receive at pos.
//                       Written by that sender after it wrote the value.
// Any other stamp means the slot's previous owner is still at work: wait (spin).
//
// Send: read tail_ = pos; slot stamp == pos? CAS tail_ pos -> Next(pos) (this
// claims the slot: no other sender can get pos), write the value, store stamp
// pos + 1 (release). Stamp == pos + 1 - lap instead means the slot still holds
// last lap's value: if head_ is a full lap behind, the ring is full.
// Receive: read head_ = pos; slot stamp == pos + 1? CAS head_ pos -> Next(pos),
// move the value out, store stamp pos + lap (release): empty for the next lap.
// Stamp == pos means empty: if tail_ (without mark) == pos the ring is empty, and
// closed if the mark is set.
//
// Ordering. The sender's value write happens before its release store of the
// stamp; the receiver's acquire load of that stamp sees it, so the value (and all
// the sender did before Send) is visible to the receiver. Symmetrically the
// receiver's move-out happens before the slot is reused. The CASes on head_/tail_
// only hand out slots; they are seq_cst because they also take part in the
// "nobody sleeps while the ring is ready" argument with the waiter counts (a
// Dekker pattern, in chan_state.h): a waiter first publishes itself (seq_cst
// store of its queue's count) then re-reads head_/tail_ (seq_cst); a sender or
// receiver first moves tail_/head_ (seq_cst CAS) then reads the count (seq_cst).
// In the single total order of seq_cst operations one of the two sees the other.
// Close sets tail_'s mark with a seq_cst fetch_or: sends that claimed a position
// before it complete and are received; sends after it see the mark and panic.
// SendMaybeReady/RecvMaybeReady (relaxed loads) only tell a spinning caller
// when to call StartSend/StartRecv again; they never decide anything.
#pragma once

#include <sched.h>
#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <new>

#include "gox/detail/parker.h"

namespace gox::detail {

// Backoff: spin with growing pause runs, then yield the CPU, then give up.
class Backoff {
 public:
  void Spin() {
    for (unsigned i = 0; i < (1u << (step_ < kSpinSteps ? step_ : kSpinSteps)); ++i) CpuRelax();
    if (step_ <= kSpinSteps) ++step_;
  }
  void Snooze() {
    if (step_ <= kSpinSteps) {
      for (unsigned i = 0; i < (1u << step_); ++i) CpuRelax();
    } else {
      sched_yield();
    }
    if (step_ <= kYieldSteps) ++step_;
  }
  bool Done() const { return step_ > kYieldSteps; }

 private:
  static constexpr unsigned kSpinSteps = 6;    // up to 64 pauses per step
  static constexpr unsigned kYieldSteps = 10;  // then 4 sched_yields
  unsigned step_ = 0;
};

enum class RingOp { kDone, kNotReady, kClosed };

// RingIndex is the untyped part of the ring: positions and stamps. The typed
// values live in ChanState<T>, in the slot with the same index.
class RingIndex {
 public:
  // A claimed slot: the index to write/read and the stamp that publishes it.
  struct Ticket {
    std::size_t index;
    uint64_t stamp;
  };

  RingIndex() = default;  // unbuffered channel: no ring
  // Each slot is {stamp, value}: one cache line holds both. The value bytes
  // (value_size, value_align) belong to ChanState<T>; see Value().
  RingIndex(std::size_t cap, std::size_t value_size, std::size_t value_align)
      : cap_(cap),
        mark_(std::bit_ceil(static_cast<uint64_t>(cap) + 1)),
        lap_(2 * mark_),
        value_offset_(RoundUp(sizeof(Stamp), value_align)),
        stride_(RoundUp(value_offset_ + value_size, std::max(alignof(Stamp), value_align))),
        align_(std::max(alignof(Stamp), value_align)) {
    if (cap == 0) return;
    slots_ = static_cast<unsigned char*>(::operator new(cap* stride_, std::align_val_t(align_)));
    for (std::size_t i = 0; i < cap; ++i) new (slots_ + i * stride_) Stamp(i);
  }
  ~RingIndex() {
    if (slots_ != nullptr) ::operator delete(slots_, std::align_val_t(align_));
  }
  RingIndex(const RingIndex&) = delete;
  RingIndex& operator=(const RingIndex&) = delete;

  // Value is the storage of slot i's value.
  void* Value(std::size_t i) const { return slots_ + i * stride_ + value_offset_; }

  // StartSend claims the slot for the next send: kDone (write the value to
  // t->index, then FinishSend), kNotReady (full) or kClosed.
  RingOp StartSend(Ticket* t) {
    Backoff backoff;
    uint64_t tail = tail_.load(std::memory_order_relaxed);
    for (;;) {
      if (tail & mark_) return RingOp::kClosed;
      const std::size_t index = static_cast<std::size_t>(tail & (mark_ - 1));
      const uint64_t stamp = At(index).load(std::memory_order_acquire);
      if (stamp == tail) {
        if (tail_.compare_exchange_weak(tail, Next(tail), std::memory_order_seq_cst,
                                        std::memory_order_relaxed)) {
          *t = {index, tail + 1};
          return RingOp::kDone;
        }
        backoff.Spin();
      } else if (stamp + lap_ == tail + 1) {  // last lap's value is still there
        if (head_.load(std::memory_order_seq_cst) + lap_ == tail) return RingOp::kNotReady;
        backoff.Spin();
        tail = tail_.load(std::memory_order_relaxed);
      } else {  // a receiver is still moving last lap's value out
        backoff.Snooze();
        tail = tail_.load(std::memory_order_relaxed);
      }
    }
  }
  void FinishSend(const Ticket& t) { At(t.index).store(t.stamp, std::memory_order_release); }

  // StartRecv claims the slot of the next receive: kDone (move the value out of
  // t->index, then FinishRecv), kNotReady (empty) or kClosed (closed and drained).
  RingOp StartRecv(Ticket* t) {
    Backoff backoff;
    uint64_t head = head_.load(std::memory_order_relaxed);
    for (;;) {
      const std::size_t index = static_cast<std::size_t>(head & (mark_ - 1));
      const uint64_t stamp = At(index).load(std::memory_order_acquire);
      if (stamp == head + 1) {
        if (head_.compare_exchange_weak(head, Next(head), std::memory_order_seq_cst,
                                        std::memory_order_relaxed)) {
          *t = {index, head + lap_};
          return RingOp::kDone;
        }
        backoff.Spin();
      } else if (stamp == head) {  // empty, unless a sender claimed it and is writing
        const uint64_t tail = tail_.load(std::memory_order_seq_cst);
        if ((tail & ~mark_) == head) return (tail & mark_) ? RingOp::kClosed : RingOp::kNotReady;
        backoff.Snooze();
        head = head_.load(std::memory_order_relaxed);
      } else {
        backoff.Snooze();
        head = head_.load(std::memory_order_relaxed);
      }
    }
  }
  void FinishRecv(const Ticket& t) { At(t.index).store(t.stamp, std::memory_order_release); }

  // SendReady: a send would not block now (room, or closed). RecvReady: a
  // receive would not block (a value, or closed). Both may be stale at once.
  bool SendReady() const {
    const uint64_t tail = tail_.load(std::memory_order_seq_cst);
    const uint64_t head = head_.load(std::memory_order_seq_cst);
    return (tail & mark_) != 0 || head + lap_ != tail;
  }
  bool RecvReady() const {
    const uint64_t head = head_.load(std::memory_order_seq_cst);
    const uint64_t tail = tail_.load(std::memory_order_seq_cst);
    return (tail & mark_) != 0 || (tail & ~mark_) != head;
  }

  // SendMaybeReady / RecvMaybeReady: hints for a spinning caller, who then
  // calls StartSend / StartRecv (which decide). Each reads only its own
  // side's position and that slot's stamp, not the other side's position, so
  // a spinning sender does not pull head_'s cache line away from the receiver
  // at every poll (nor a receiver tail_'s from the sender). At capacity 1
  // the hint measured only slower (chan_bench, 3 A/B runs, fast state:
  // spsc/1 164-195 ns with it, 133-136 without; cap 1024 rows gain from it),
  // so there it answers "try" at once.
  bool SendMaybeReady() const {
    if (cap_ <= 1) return true;
    const uint64_t tail = tail_.load(std::memory_order_relaxed);
    if (tail & mark_) return true;  // closed: StartSend says so
    return At(static_cast<std::size_t>(tail & (mark_ - 1))).load(std::memory_order_relaxed) == tail;
  }
  bool RecvMaybeReady() const {
    if (cap_ <= 1) return true;
    const uint64_t head = head_.load(std::memory_order_relaxed);
    return At(static_cast<std::size_t>(head & (mark_ - 1))).load(std::memory_order_relaxed) ==
           head + 1;
  }

  // Close sets the closed mark (the caller makes sure it happens once).
  void Close() { tail_.fetch_or(mark_, std::memory_order_seq_cst); }

  // Len is the number of values in the ring (sends claimed, receives not yet).
  std::size_t Len() const {
    for (;;) {
      const uint64_t tail = tail_.load(std::memory_order_seq_cst);
      const uint64_t head = head_.load(std::memory_order_seq_cst);
      if (tail_.load(std::memory_order_seq_cst) != tail) continue;
      const uint64_t hix = head & (mark_ - 1), tix = tail & (mark_ - 1);
      if (hix < tix) return static_cast<std::size_t>(tix - hix);
      if (hix > tix) return static_cast<std::size_t>(cap_ - hix + tix);
      return (tail & ~mark_) == head ? 0 : cap_;
    }
  }
  // HeadIndex is the slot of the oldest value (for the destructor: no races then).
  std::size_t HeadIndex() const {
    return static_cast<std::size_t>(head_.load(std::memory_order_relaxed) & (mark_ - 1));
  }

 private:
  uint64_t Next(uint64_t pos) const {
    return (pos & (mark_ - 1)) + 1 < cap_ ? pos + 1 : (pos & ~(lap_ - 1)) + lap_;
  }

  alignas(64) std::atomic<uint64_t> head_{0};
  alignas(64) std::atomic<uint64_t> tail_{0};
  using Stamp = std::atomic<uint64_t>;
  static std::size_t RoundUp(std::size_t n, std::size_t a) { return (n + a - 1) / a * a; }
  Stamp& At(std::size_t i) const {
    return *std::launder(reinterpret_cast<Stamp*>(slots_ + i * stride_));
  }

  alignas(64) std::size_t cap_ = 0;
  uint64_t mark_ = 1;
  uint64_t lap_ = 2;
  std::size_t value_offset_ = 0;
  std::size_t stride_ = 0;
  std::size_t align_ = 1;
  unsigned char* slots_ = nullptr;
};

}  // namespace gox::detail
