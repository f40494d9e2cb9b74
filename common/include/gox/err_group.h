// err_group.h: gox::ErrGroup, Go's golang.org/x/sync/errgroup.Group.
//   Go(f)         runs f on a new goroutine (gox::Go); blocks while the limit is reached.
//   TryGo(f)      like Go, but returns false instead of blocking at the limit.
//   SetLimit(n)   at most n tasks at once; n < 0 removes the limit.
//   Wait()        blocks until every task returned; the first non-nil error.
//   WithContext   a group plus a context cancelled by the first error or by Wait.
// f returns Error or void (nil). An exception escaping f is recovered and
// becomes the error "panic: <what()>" (Go's raw errgroup lets a panic kill the
// process). ErrGroup is a handle: copies share one group; ErrGroup() is Go's
// zero Group (no limit, cancels nothing).
// Ordering: everything a task did is visible after the Wait that saw it finish.
// Blocking: a Go() at the limit and a Wait() queue a waiter record (FIFO, on
// their own stack) under the group's mutex and park on its Parker; a task that
// returns with a limit slot dequeues one slot waiter under the mutex, and the
// last task to return dequeues every Wait (a task with no slot that is not the
// last takes no lock: an atomic count), then unparks them after the unlock.
// A woken Go() looks again (a TryGo
// may have taken the slot meanwhile) and re-queues. Parking this way spins
// briefly before it sleeps and tells the scheduler that a goroutine's thread
// sleeps, as gox's channels do (a std::condition_variable would do neither):
// SetLimit(4) over 1000 trivial tasks: 2.0 ms -> 0.53 ms (median of 6 runs, errgroup_bench).
// Panics (gox::Panic): SetLimit(n >= 0) while tasks started under a limit are
// running ("errgroup: modify limit while N goroutines in the group are still active").
#pragma once

#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "gox/context.h"
#include "gox/error.h"
#include "gox/go.h"

namespace gox {
namespace detail {

struct ErrGroupState;

// ErrTask is a goroutine of a group: the same run-queue Task as gox::Go's (one
// allocation per task), whose Run calls f, destroys f's captures, then reports
// the result to the group (err_group.cpp).
class ErrTask : public Task {
 public:
  void Run() final;

  std::shared_ptr<ErrGroupState> group;  // set by ErrGroup::Start
  bool has_token = false;                // holds a SetLimit slot

 protected:
  virtual Error Call() = 0;  // calls f
  virtual void Drop() = 0;   // destroys f (and its captures)
};

template <class F>
class ErrTaskImpl final : public ErrTask {
 public:
  explicit ErrTaskImpl(F f) : f_(std::in_place, std::move(f)) {}

 protected:
  Error Call() override {
    if constexpr (std::is_void_v<std::invoke_result_t<F&>>) {
      (*f_)();
      return Error();
    } else {
      return Error((*f_)());
    }
  }
  void Drop() override { f_.reset(); }

 private:
  std::optional<F> f_;
};

template <class F>
std::unique_ptr<ErrTask> MakeErrTask(F&& f) {
  using Fn = std::decay_t<F>;
  static_assert(std::is_invocable_v<Fn&>, "ErrGroup: f must be callable with no arguments");
  using R = std::invoke_result_t<Fn&>;
  static_assert(std::is_void_v<R> || std::is_convertible_v<R, Error>,
                "ErrGroup: f must return gox::Error or void");
  return std::make_unique<ErrTaskImpl<Fn>>(std::forward<F>(f));
}

}  // namespace detail

class ErrGroup {
 public:
  // ErrGroup() is a new zero group: no limit, no context.
  ErrGroup();

  // Go runs f on a new goroutine. At the limit it blocks until a task returns.
  // The first task to return a non-nil error (or throw) sets the group's error
  // and cancels the WithContext context.
  template <class F>
  void Go(F&& f) {
    Start(detail::MakeErrTask(std::forward<F>(f)), true);
  }

  // TryGo runs f on a new goroutine only if that needs no waiting for the
  // limit; returns whether f was started.
  template <class F>
  bool TryGo(F&& f) {
    return Start(detail::MakeErrTask(std::forward<F>(f)), false);
  }

  // SetLimit limits the number of running tasks to n (n == 0: none may
  // start); n < 0 removes the limit. Panics if tasks started under the current
  // limit are still running.
  void SetLimit(int n);

  // Wait blocks until every task started so far has returned, cancels the
  // WithContext context (cause: the error, or Canceled), and returns the first
  // error (nil if none). May be called more than once.
  Error Wait();

  using State = detail::ErrGroupState;

 private:
  friend std::pair<ErrGroup, Context> WithContext(Context parent);
  bool Start(std::unique_ptr<detail::ErrTask> task, bool block);
  std::shared_ptr<State> s_;
};

// WithContext returns a new group and a child of parent that is cancelled the
// first time a task fails (Cause = that error) or when Wait returns.
std::pair<ErrGroup, Context> WithContext(Context parent);

}  // namespace gox
