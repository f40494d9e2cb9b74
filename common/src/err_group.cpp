#include "gox/err_group.h"

#include <atomic>
#include <exception>
#include <mutex>
#include <string>

#include "gox/detail/parker.h"
#include "gox/go.h"

namespace gox {

namespace detail {

// Waiter is a thread blocked in the group: a Go() at the limit or a Wait().
// It lives on the waiter's stack; whoever dequeues it (under mu) Unparks it
// after the unlock, and the waiter returns from Park only after that Unpark.
struct ErrGroupWaiter {
  Parker parker;
  ErrGroupWaiter* next = nullptr;
};

// WaiterList is a FIFO of waiters (guarded by the group's mu).
struct WaiterList {
  ErrGroupWaiter* head = nullptr;
  ErrGroupWaiter* tail = nullptr;

  void Push(ErrGroupWaiter* w) {
    w->next = nullptr;
    if (tail == nullptr) {
      head = tail = w;
    } else {
      tail->next = w;
      tail = w;
    }
  }
  ErrGroupWaiter* PopOne() {
    ErrGroupWaiter* w = head;
    if (w != nullptr) {
      head = w->next;
      if (head == nullptr) tail = nullptr;
      w->next = nullptr;
    }
    return w;
  }
  ErrGroupWaiter* PopAll() {
    ErrGroupWaiter* w = head;
    head = tail = nullptr;
    return w;
  }
};

// Wake unparks a chain of dequeued waiters (mu released). We read next before
// Unpark: a woken waiter may return and destroy its record at once.
void Wake(ErrGroupWaiter* w) {
  while (w != nullptr) {
    ErrGroupWaiter* next = w->next;
    w->parker.Unpark();
    w = next;
  }
}

struct ErrGroupState {
  std::mutex mu;
  WaiterList slot_waiters;  // guarded by mu: Go() callers blocked at the limit
  WaiterList idle_waiters;  // guarded by mu: Wait() callers
  int limit = -1;           // guarded by mu; < 0: no limit
  int tokens = 0;           // guarded by mu; running tasks holding a limit slot
  // Tasks not yet returned. Start increments it under mu; a task that holds no
  // limit slot decrements it without mu (acq_rel), and only the decrement that
  // reaches 0 takes mu, to wake the Wait()s: a Wait checks it under mu before
  // it queues, so that last decrement's locked PopAll finds every queued Wait.
  // Earlier decrements need no lock: nobody waits for them. (Workers blocked
  // on this mutex looked stuck to the scheduler's monitor, which then started
  // extra workers; see go.h.)
  std::atomic<int> running{0};
  bool err_set = false;    // guarded by mu; Go's errOnce
  Error err;               // guarded by mu; the first error
  CancelCauseFunc cancel;  // set by WithContext before sharing; then read-only

  // Release drops a task's slot (if it holds one) and its running count; it
  // returns the waiters to wake: one slot waiter per freed slot, and every
  // Wait() once nothing runs. mu held.
  ErrGroupWaiter* Release(bool has_token) {
    ErrGroupWaiter* wake = nullptr;
    if (has_token) {
      --tokens;
      wake = slot_waiters.PopOne();
    }
    if (running.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      ErrGroupWaiter* all = idle_waiters.PopAll();
      if (wake == nullptr) return all;
      wake->next = all;
    }
    return wake;
  }

  void Finish(Error e, bool has_token) {
    if (e) {
      bool first = false;
      {
        std::lock_guard lock(mu);
        if (!err_set) {
          err_set = true;
          err = e;
          first = true;
        }
      }
      if (first && cancel) cancel(e);
    }
    ErrGroupWaiter* wake;
    if (!has_token) {  // no slot to hand on: the lock only for the last one
      if (running.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
      std::lock_guard lock(mu);
      wake = idle_waiters.PopAll();
    } else {
      std::lock_guard lock(mu);
      wake = Release(has_token);
    }
    Wake(wake);
  }
};

void ErrTask::Run() {
  Error e;
  try {
    e = Call();
  } catch (...) {
    e = Error::FromException(std::current_exception(), "panic: ");
  }
  Drop();  // f's captures die before Wait can return
  std::shared_ptr<ErrGroupState> g = std::move(group);
  g->Finish(std::move(e), has_token);
}

}  // namespace detail

ErrGroup::ErrGroup() : s_(std::make_shared<State>()) {}

bool ErrGroup::Start(std::unique_ptr<detail::ErrTask> task, bool block) {
  bool has_token = false;
  {
    std::unique_lock lock(s_->mu);
    // At the limit we queue and park until a task frees a slot (or SetLimit
    // changes the limit), then look again: a newcomer may have taken the slot.
    while (s_->limit >= 0 && s_->tokens >= s_->limit) {
      if (!block) return false;
      detail::ErrGroupWaiter w;
      s_->slot_waiters.Push(&w);
      lock.unlock();
      w.parker.Park();  // returns only after the Unpark of whoever dequeued w
      lock.lock();
    }
    if (s_->limit >= 0) {
      ++s_->tokens;
      has_token = true;
    }
    s_->running.fetch_add(1, std::memory_order_relaxed);
  }
  task->group = s_;
  task->has_token = has_token;
  try {
    detail::Spawn(std::move(task));  // the task is the goroutine: no second wrapper
  } catch (...) {
    detail::ErrGroupWaiter* wake;
    {
      std::lock_guard lock(s_->mu);
      wake = s_->Release(has_token);
    }
    detail::Wake(wake);
    throw;
  }
  return true;
}

void ErrGroup::SetLimit(int n) {
  detail::ErrGroupWaiter* wake;
  {
    std::lock_guard lock(s_->mu);
    if (n >= 0 && s_->tokens != 0) {
      throw Panic("errgroup: modify limit while " + std::to_string(s_->tokens) +
                  " goroutines in the group are still active");
    }
    s_->limit = n < 0 ? -1 : n;
    wake = s_->slot_waiters.PopAll();  // they look at the new limit
  }
  detail::Wake(wake);
}

Error ErrGroup::Wait() {
  Error e;
  {
    std::unique_lock lock(s_->mu);
    while (s_->running.load(std::memory_order_acquire) != 0) {
      detail::ErrGroupWaiter w;
      s_->idle_waiters.Push(&w);
      lock.unlock();
      w.parker.Park();  // returns only after the Unpark of whoever dequeued w
      lock.lock();
    }
    e = s_->err;
  }
  if (s_->cancel) s_->cancel(e);
  return e;
}

std::pair<ErrGroup, Context> WithContext(Context parent) {
  auto [ctx, cancel] = WithCancelCause(std::move(parent));
  ErrGroup g;
  g.s_->cancel = std::move(cancel);
  return {g, ctx};
}

}  // namespace gox
