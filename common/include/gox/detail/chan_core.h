// detail/chan_core.h: the untyped part of gox::Chan and gox::Select (internal).
// Mirrors Go's runtime/chan.go and select.go: one mutex per channel, FIFO queues
// of parked waiters, and for Select one shared `done` word that lets exactly one
// case of the call commit. A buffered channel adds a lock-free ring
// (chan_ring.h): operations that find room or a value never take the mutex.
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>

#include "gox/detail/chan_mutex.h"
#include "gox/detail/chan_ring.h"
#include "gox/detail/parker.h"

namespace gox::detail {

// How a parked operation was woken.
enum class Woken {
  kValue,   // a partner moved the value (to or from the waiter's elem)
  kClosed,  // Close ran: a sender panics, a receiver reports closed
  kRetry,   // buffered channel: the ring became ready (or closed); try again
};

// SelectGroup is shared by every Waiter of one blocking Send/Recv/Select.
struct SelectGroup {
  // 0 while open; the committer CASes it to 1 (exactly one case wins).
  std::atomic<uint32_t> done{0};
  // Written by the committer, under the channel lock, before Unpark.
  std::size_t fired = 0;  // index of the case that won
  Woken how = Woken::kClosed;
  Parker parker;
};

// Waiter is one case of a parked operation, queued on one channel.
// Fields are written under the lock of the channel it is queued on.
struct Waiter {
  SelectGroup* group = nullptr;
  std::size_t index = 0;  // the case index within its Select (0 for Send/Recv)
  void* elem = nullptr;   // send: T* (source); recv: std::optional<T>* (destination)
  Waiter* prev = nullptr;
  Waiter* next = nullptr;
  bool queued = false;
};

// WaitQueue is an intrusive FIFO of Waiters (sendq or recvq of a channel).
// Changed only under the channel lock; MaybeWaiting may be read without it.
class WaitQueue {
 public:
  bool Empty() const { return head_ == nullptr; }
  // MaybeWaiting: someone is queued (lock-free read; the seq_cst half of the
  // ring's Dekker argument, see chan_ring.h).
  bool MaybeWaiting() const { return size_.load(std::memory_order_seq_cst) != 0; }
  void Push(Waiter* w);
  // Remove unlinks w if it is still queued (idempotent).
  void Remove(Waiter* w);
  // Claim pops waiters until one whose group it wins (done 0 -> 1) and returns
  // it, or nullptr. Waiters of groups already won elsewhere are dropped.
  Waiter* Claim();

 private:
  Waiter* head_ = nullptr;
  Waiter* tail_ = nullptr;
  std::atomic<uint32_t> size_{0};
};

struct Wakes;  // below

// Outcome of trying an operation with the channel lock held.
enum class Try { kDone, kClosed, kBlock };

// ChanBase is the untyped state of a channel; mu guards everything but ring.
class ChanBase {
 public:
  ChanBase(std::size_t capacity, std::size_t value_size, std::size_t value_align)
      : cap(capacity), ring(capacity, value_size, value_align) {}
  virtual ~ChanBase() = default;
  const std::size_t cap;
  ChanMutex mu;
  // Written once, by Close under mu (seq_cst); read under mu, and without it by
  // the "nothing to do" checks of the non-blocking operations (chan_state.h).
  std::atomic<bool> closed{false};
  WaitQueue recvq;
  WaitQueue sendq;
  RingIndex ring;  // cap > 0 only

  // Ready: for a buffered channel, would this side's operation not block now?
  // (Re-checked after queueing a waiter; see chan_ring.h.) False if unbuffered.
  bool Ready(bool send) const { return cap > 0 && (send ? ring.SendReady() : ring.RecvReady()); }
};

// Outcome of a lock-free attempt: done, not ready (ring full/empty), or only
// the locked path can tell (unbuffered, closed, or the other side is queued).
enum class Fast { kDone, kNotReady, kLocked };

// SelectCase is one case of a Select call, type-erased.
class SelectCase {
 public:
  ChanBase* chan = nullptr;  // nullptr: nil channel, never ready
  bool is_send = false;
  // TryFast attempts the operation without the channel lock (buffered channels
  // with room or a value).
  virtual Fast TryFast() = 0;
  // TryLocked attempts the operation with chan->mu held. On kDone it may add
  // to *wake waiters the caller must Unpark after unlocking.
  virtual Try TryLocked(Wakes* wake) = 0;
  // Elem is the pointer a parked Waiter of this case carries.
  virtual void* Elem() = 0;
  // Finish runs the user's function; ok=false for a receive from a closed channel.
  virtual void Finish(bool ok) = 0;

 protected:
  ~SelectCase() = default;
};

// ParkOn is the blocking half of Send and Recv: it queues the caller on its side
// of c as a Waiter carrying elem, releases lock (held on c), and parks until a
// partner or Close wakes it. For a buffered channel that is ready again once the
// waiter is queued it returns kRetry at once instead of parking.
Woken ParkOn(ChanBase& c, bool send, void* elem, std::unique_lock<ChanMutex>& lock);

// RunSelect runs Go's select over cases[0..n). Returns the index of the case
// that ran, or n when none was ready and has_default. Panics (gox::Panic) for a
// send case on a closed channel. Without default and with no non-nil case it
// blocks forever.
std::size_t RunSelect(SelectCase** cases, std::size_t n, bool has_default);

// Wake unparks w's thread; call after unlocking the channel.
inline void Wake(Waiter* w) {
  if (w != nullptr) w->group->parker.Unpark();
}

// Wakes is at most two waiters to unpark once the lock is released.
struct Wakes {
  Waiter* w[2] = {nullptr, nullptr};
  void Add(Waiter* x) { w[w[0] == nullptr ? 0 : 1] = x; }
  void Run() const {
    Wake(w[0]);
    Wake(w[1]);
  }
};

// Commit records on w's (already claimed) group how its case ended.
inline void Commit(Waiter* w, Woken how) {
  w->group->fired = w->index;
  w->group->how = how;
}

// WakeRetry claims one waiter of q (if any) and wakes it with kRetry; used after
// a lock-free ring operation found the other side queued. Takes c.mu.
void WakeRetry(ChanBase& c, WaitQueue& q);

}  // namespace gox::detail
