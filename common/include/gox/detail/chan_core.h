// detail/chan_core.h: the untyped part of gox::Chan and gox::Select (internal).
// Mirrors Go's runtime/chan.go and select.go: one mutex per channel, FIFO queues
// of parked waiters, and for Select one shared `done` word that lets exactly one
// case of the call commit.
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>

#include "gox/detail/chan_mutex.h"
#include "gox/detail/parker.h"

namespace gox::detail {

// SelectGroup is shared by every Waiter of one blocking Send/Recv/Select.
struct SelectGroup {
  // 0 while open; the committer CASes it to 1 (exactly one case wins).
  std::atomic<uint32_t> done{0};
  // Written by the committer, under the channel lock, before Unpark.
  std::size_t fired = 0;  // index of the case that ran
  bool ok = false;        // true: a value moved; false: woken by Close
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
class WaitQueue {
 public:
  bool Empty() const { return head_ == nullptr; }
  void Push(Waiter* w);
  // Remove unlinks w if it is still queued (idempotent).
  void Remove(Waiter* w);
  // Claim pops waiters until one whose group it wins (done 0 -> 1) and returns
  // it, or nullptr. Waiters of groups already won elsewhere are dropped.
  Waiter* Claim();

 private:
  Waiter* head_ = nullptr;
  Waiter* tail_ = nullptr;
};

// Outcome of trying an operation with the channel lock held.
enum class Try { kDone, kClosed, kBlock };

// ChanBase is the untyped state of a channel; mu guards everything.
class ChanBase {
 public:
  virtual ~ChanBase() = default;
  ChanMutex mu;
  bool closed = false;
  WaitQueue recvq;
  WaitQueue sendq;
};

// SelectCase is one case of a Select call, type-erased.
class SelectCase {
 public:
  ChanBase* chan = nullptr;  // nullptr: nil channel, never ready
  bool is_send = false;
  // TryLocked attempts the operation with chan->mu held. On kDone it may set
  // *wake to a waiter the caller must Unpark after unlocking.
  virtual Try TryLocked(Waiter** wake) = 0;
  // Elem is the pointer a parked Waiter of this case carries.
  virtual void* Elem() = 0;
  // Finish runs the user's function; ok=false for a receive from a closed channel.
  virtual void Finish(bool ok) = 0;

 protected:
  ~SelectCase() = default;
};

// RunSelect runs Go's select over cases[0..n). Returns the index of the case
// that ran, or n when none was ready and has_default. Panics (gox::Panic) for a
// send case on a closed channel. Without default and with no non-nil case it
// blocks forever.
std::size_t RunSelect(SelectCase** cases, std::size_t n, bool has_default);

// ParkOn is the blocking half of Send and Recv: it queues the caller on q as a
// Waiter carrying elem, releases lock (held on q's channel), and parks until a
// partner or Close commits it. Returns true if a value moved, false for Close.
bool ParkOn(WaitQueue& q, void* elem, std::unique_lock<ChanMutex>& lock);

// Wake unparks w's thread; call after unlocking the channel.
inline void Wake(Waiter* w) {
  if (w != nullptr) w->group->parker.Unpark();
}

// Commit records on w's (already claimed) group that its case ran.
inline void Commit(Waiter* w, bool ok) {
  w->group->fired = w->index;
  w->group->ok = ok;
}

}  // namespace gox::detail
