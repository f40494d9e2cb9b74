// context.h: gox::Context, Go's context.Context (context.go, Go 1.21+).
//   Background()/TODO()      the root: never cancelled, no deadline, no values.
//   WithCancel(p)            a child cancelled by its CancelFunc or with p.
//   WithDeadline/WithTimeout a child also cancelled at min(p's deadline, own).
//   WithCancelCause(p)       like WithCancel; cancel(err) records Cause(ctx) == err.
//   WithValue(p, key, v)     a child carrying v under a typed ContextKey<T>.
//   AfterFunc(ctx, f)        runs f on its own goroutine once ctx is done.
//   WithoutCancel(p)         keeps p's values, never cancelled.
// Cancellation is synchronous: when a CancelFunc returns, the context and every
// descendant has Err() set and Done() closed; Err() never changes afterwards.
// Ordering: what a thread did before cancelling is visible to a thread that
// sees Done() closed or Err() non-nil. Invalid: nothing panics; a
// default-constructed Context is Background().
// Fast paths (reasoning in context.cpp, at CancelNode): as in Go, the Done
// channel is made by the first Done() call (a cancelled context's is one
// shared closed channel); Err() is one atomic load unless a cancel is running
// (then it waits for it, as Go's Err waits for the lock); children hang in an
// intrusive list, so WithCancel under a cancellable parent allocates nothing more.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "gox/chan.h"
#include "gox/clock.h"
#include "gox/error.h"

namespace gox {

// Canceled is Err() of a context cancelled by its CancelFunc ("context canceled").
extern const Error Canceled;
// DeadlineExceeded is Err() of a context whose deadline passed
// ("context deadline exceeded").
extern const Error DeadlineExceeded;

namespace detail {
class ContextNode;
uint64_t NewContextKeyId();
}  // namespace detail

// ContextKey<T> names a value of type T in a context. Keys compare by identity:
// two keys made separately never collide, even with the same name and T; a
// copy of a key is the same key. The name is for humans only.
template <class T>
class ContextKey {
 public:
  explicit ContextKey(std::string name) : name_(std::move(name)), id_(detail::NewContextKeyId()) {}
  const std::string& Name() const { return name_; }
  uint64_t Id() const { return id_; }

 private:
  std::string name_;
  uint64_t id_;
};

// Context is a handle: copies share one immutable context; safe to use from
// any number of threads.
class Context {
 public:
  // Context() is Background().
  Context() = default;

  // Deadline returns when the context will be cancelled by a deadline, if ever.
  std::optional<Clock::time_point> Deadline() const;
  // Done returns a channel closed when the context is cancelled; the nil
  // channel (never ready) for contexts that can never be cancelled.
  Chan<Unit> Done() const;
  // Err is nil until Done is closed, then Canceled or DeadlineExceeded forever.
  Error Err() const;
  // Value returns the value stored under key by the nearest WithValue, or
  // nullptr. The pointer stays valid while any copy of this context lives.
  template <class T>
  const T* Value(const ContextKey<T>& key) const {
    return static_cast<const T*>(ValueOf(key.Id()));
  }

  // Internal (context.cpp): wrap a node; the node behind this handle.
  explicit Context(std::shared_ptr<detail::ContextNode> n) : n_(std::move(n)) {}
  const std::shared_ptr<detail::ContextNode>& Node() const { return n_; }

 private:
  const void* ValueOf(uint64_t key) const;
  std::shared_ptr<detail::ContextNode> n_;  // null = Background
};

// CancelFunc cancels its context. Idempotent: later calls do nothing. Does not
// wait for work to stop; AfterFunc callbacks may still be running.
using CancelFunc = std::function<void()>;
// CancelCauseFunc cancels with a cause (nil cause = Canceled). First call wins.
using CancelCauseFunc = std::function<void(Error)>;

// Background returns the root context; TODO is the same, for "not decided yet".
Context Background();
Context TODO();

// WithCancel returns a child of parent and a CancelFunc. The child is done when
// cancel is called or parent is done, whichever is first; born done if parent
// already is. Failing to call cancel keeps the child registered in parent until
// parent is done (Go's leak; `go vet` lostcancel).
std::pair<Context, CancelFunc> WithCancel(Context parent);
// WithCancelCause is WithCancel whose cancel records a cause for Cause().
std::pair<Context, CancelCauseFunc> WithCancelCause(Context parent);
// WithDeadline returns a child that is also cancelled with DeadlineExceeded at
// d. If parent's deadline is earlier, it is WithCancel(parent). A deadline in
// the past gives a child that is already done. The timer is released by cancel.
std::pair<Context, CancelFunc> WithDeadline(Context parent, Clock::time_point d);
// WithDeadlineCause is WithDeadline whose deadline cancellation records cause.
std::pair<Context, CancelFunc> WithDeadlineCause(Context parent, Clock::time_point d, Error cause);
// WithTimeout is WithDeadline(parent, now + d).
std::pair<Context, CancelFunc> WithTimeout(Context parent, Duration d);
// WithTimeoutCause is WithDeadlineCause(parent, now + d, cause).
std::pair<Context, CancelFunc> WithTimeoutCause(Context parent, Duration d, Error cause);

namespace detail {
Context NewValueContext(Context parent, uint64_t key, std::shared_ptr<const void> v);
}
// WithValue returns a child of parent in which key maps to v (a copy is stored).
template <class T>
Context WithValue(Context parent, const ContextKey<T>& key, T v) {
  return detail::NewValueContext(std::move(parent), key.Id(),
                                 std::make_shared<const T>(std::move(v)));
}

// Cause returns why ctx was cancelled: the cause given to a CancelCauseFunc
// (or a *Cause deadline), else Err(). Nil while ctx is not done. A child
// cancelled with its parent has the parent's cause.
Error Cause(const Context& ctx);

// AfterFunc arranges for f to run on its own goroutine (gox::Go) once ctx is
// done; at once if it already is. It runs at most once. stop() prevents it:
// true if this call stopped f from being started, false if f was already
// started or stopped. For a context that is never cancelled, f never runs.
std::function<bool()> AfterFunc(Context ctx, std::function<void()> f);

namespace detail {
// ContextChildCount is the number of children linked under ctx's cancellable
// node (for leak tests); 0 for contexts that are never cancelled.
std::size_t ContextChildCount(const Context& ctx);
}  // namespace detail

// WithoutCancel returns a context with parent's values that is never cancelled:
// no deadline, nil Done, nil Err, and Cause nil.
Context WithoutCancel(Context parent);

}  // namespace gox
