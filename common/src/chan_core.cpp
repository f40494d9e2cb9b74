#include "gox/detail/chan_core.h"

#include <algorithm>
#include <vector>

#include "gox/error.h"

namespace gox::detail {

void WaitQueue::Push(Waiter* w) {
  w->prev = tail_;
  w->next = nullptr;
  if (tail_ != nullptr) {
    tail_->next = w;
  } else {
    head_ = w;
  }
  tail_ = w;
  w->queued = true;
  size_.store(size_.load(std::memory_order_relaxed) + 1, std::memory_order_seq_cst);
}

void WaitQueue::Remove(Waiter* w) {
  if (!w->queued) return;
  if (w->prev != nullptr) {
    w->prev->next = w->next;
  } else {
    head_ = w->next;
  }
  if (w->next != nullptr) {
    w->next->prev = w->prev;
  } else {
    tail_ = w->prev;
  }
  w->prev = w->next = nullptr;
  w->queued = false;
  size_.store(size_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
}

Waiter* WaitQueue::Claim() {
  while (head_ != nullptr) {
    Waiter* w = head_;
    Remove(w);
    uint32_t open = 0;
    if (w->group->done.compare_exchange_strong(open, 1, std::memory_order_acq_rel)) return w;
  }
  return nullptr;
}

Woken ParkOn(ChanBase& c, bool send, void* elem, std::unique_lock<ChanMutex>& lock) {
  WaitQueue& q = send ? c.sendq : c.recvq;
  SelectGroup group;
  Waiter me;
  me.group = &group;
  me.elem = elem;
  q.Push(&me);
  if (c.Ready(send)) {  // the ring changed before we were queued: no one will wake us
    q.Remove(&me);
    lock.unlock();
    return Woken::kRetry;
  }
  lock.unlock();
  group.parker.Park();
  return group.how;
}

void WakeRetry(ChanBase& c, WaitQueue& q) {
  std::unique_lock lock(c.mu);
  Waiter* w = q.Claim();
  if (w != nullptr) Commit(w, Woken::kRetry);
  lock.unlock();
  Wake(w);
}

namespace {

// SmallArray is n default-constructed Ts: on the stack for the common sizes
// (a select of up to kInline cases), on the heap beyond.
template <class T>
class SmallArray {
 public:
  explicit SmallArray(std::size_t n) {
    if (n > kInline) {
      heap_.resize(n);
      data_ = heap_.data();
    }
  }
  SmallArray(const SmallArray&) = delete;
  SmallArray& operator=(const SmallArray&) = delete;
  T& operator[](std::size_t i) { return data_[i]; }
  T* data() { return data_; }

 private:
  static constexpr std::size_t kInline = 8;
  T inline_[kInline]{};
  std::vector<T> heap_;
  T* data_ = inline_;
};

// Locks the distinct channels of a select in address order (Go's lockorder),
// so two selects over the same channels never deadlock.
class LockAll {
 public:
  LockAll(ChanBase** order, std::size_t n) : order_(order), n_(n) {}
  void Lock() {
    for (std::size_t i = 0; i < n_; ++i) order_[i]->mu.lock();
  }
  void Unlock() {
    for (std::size_t i = n_; i > 0; --i) order_[i - 1]->mu.unlock();
  }

 private:
  ChanBase** order_;
  std::size_t n_;
};

}  // namespace

std::size_t RunSelect(SelectCase** cases, std::size_t n, bool has_default) {
  // Poll order: a random permutation of the non-nil cases (uniform choice
  // among ready cases).
  SmallArray<std::size_t> poll(n);
  std::size_t live = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (cases[i]->chan == nullptr) continue;
    std::size_t j = static_cast<std::size_t>(FastRand() % (live + 1));
    poll[live] = poll[j];
    poll[j] = i;
    ++live;
  }
  if (live == 0) {
    if (has_default) return n;
    BlockForever();
  }

  SmallArray<ChanBase*> order_arr(live);
  ChanBase** order = order_arr.data();
  for (std::size_t k = 0; k < live; ++k) order[k] = cases[poll[k]]->chan;
  std::sort(order, order + live);
  LockAll locks(order, static_cast<std::size_t>(std::unique(order, order + live) - order));

  for (;;) {
    // Pass 0: lock-free attempts, in poll order, up to the first case only the
    // locked pass can judge (unbuffered, closed, or the other side queued).
    for (std::size_t k = 0; k < live; ++k) {
      SelectCase* c = cases[poll[k]];
      Fast f = c->TryFast();
      if (f == Fast::kLocked) break;
      if (f == Fast::kDone) {
        c->Finish(true);
        return poll[k];
      }
    }

    // Pass 1: under every channel's lock, take the first ready case in poll order.
    locks.Lock();
    for (std::size_t k = 0; k < live; ++k) {
      SelectCase* c = cases[poll[k]];
      Wakes wake;
      Try r = c->TryLocked(&wake);
      if (r == Try::kBlock) continue;
      locks.Unlock();
      wake.Run();
      if (r == Try::kClosed && c->is_send) throw Panic("send on closed channel");
      c->Finish(r == Try::kDone);
      return poll[k];
    }
    if (has_default) {
      locks.Unlock();
      return n;
    }

    // Pass 2: queue one waiter per case, all sharing one group, and park unless
    // a buffered channel became ready meanwhile (see chan_ring.h).
    SelectGroup group;
    SmallArray<Waiter> waiters(n);
    bool ready = false;
    for (std::size_t k = 0; k < live; ++k) {
      std::size_t i = poll[k];
      Waiter& w = waiters[i];
      w.group = &group;
      w.index = i;
      w.elem = cases[i]->Elem();
      (cases[i]->is_send ? cases[i]->chan->sendq : cases[i]->chan->recvq).Push(&w);
    }
    for (std::size_t k = 0; k < live && !ready; ++k) {
      ready = cases[poll[k]]->chan->Ready(cases[poll[k]]->is_send);
    }
    if (!ready) {
      locks.Unlock();
      group.parker.Park();
      locks.Lock();
    }

    // Pass 3: the winner was unqueued by whoever woke us; unqueue the rest.
    for (std::size_t k = 0; k < live; ++k) {
      std::size_t i = poll[k];
      (cases[i]->is_send ? cases[i]->chan->sendq : cases[i]->chan->recvq).Remove(&waiters[i]);
    }
    locks.Unlock();
    if (ready) continue;

    SelectCase* won = cases[group.fired];
    if (group.how == Woken::kRetry) {  // try the case that woke us first
      for (std::size_t k = 0; k < live; ++k) {
        if (poll[k] == group.fired) std::swap(poll[k], poll[0]);
      }
      continue;
    }
    if (won->is_send && group.how == Woken::kClosed) throw Panic("send on closed channel");
    won->Finish(group.how == Woken::kValue);
    return group.fired;
  }
}

}  // namespace gox::detail
