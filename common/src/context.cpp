#include "gox/context.h"
#include "gox/go.h"

#include <mutex>

#include "gox/detail/timer_queue.h"

namespace gox {

const Error Canceled = Error::New("context canceled");
const Error DeadlineExceeded = Error::New("context deadline exceeded");

namespace detail {

class CancelNode;

// ContextNode is one node of the context tree. A null node is Background.
class ContextNode {
 public:
  virtual ~ContextNode() = default;
  virtual std::optional<Clock::time_point> Deadline() const = 0;
  virtual Chan<Unit> Done() const = 0;
  virtual Error Err() const = 0;
  virtual const void* Value(uint64_t key) const = 0;
  // CancelTarget is the nearest cancellable node whose Done this node shares
  // (Go's parentCancelCtx / Value(&cancelCtxKey)); null if never cancelled.
  virtual CancelNode* CancelTarget() = 0;
};

namespace {

std::optional<Clock::time_point> DeadlineOf(const Context& c) {
  return c.Node() ? c.Node()->Deadline() : std::nullopt;
}
Chan<Unit> DoneOf(const Context& c) { return c.Node() ? c.Node()->Done() : Chan<Unit>(); }
Error ErrOf(const Context& c) { return c.Node() ? c.Node()->Err() : Error(); }
const void* ValueIn(const Context& c, uint64_t key) {
  return c.Node() ? c.Node()->Value(key) : nullptr;
}
CancelNode* TargetOf(const Context& c) { return c.Node() ? c.Node()->CancelTarget() : nullptr; }

}  // namespace

// CancelNode is Go's cancelCtx. Lock order: a parent's mu_ before a child's.
//
// Fast paths (measured: bench/context_bench.cpp, bench/twins/why-ctxhttp.md):
// - Done is lazy, as in Go: the channel is made by the first Done() call, not
//   by WithCancel; Cancel closes it only if it exists, and Done() after Cancel
//   returns one shared closed channel (Go's closedchan). done_ is written only
//   under mu_ while done_made_ is false; the release store of done_made_ comes
//   after, and done_ never changes again, so a reader that loads done_made_ ==
//   true (acquire) may copy done_ without the lock.
// - Err() takes no lock unless a Cancel is running. state_ goes kLive ->
//   kCancelling (err_ just set, under mu_, before Done is closed and the
//   children are cancelled) -> kCancelled (all that done, still under mu_),
//   each a release store. Err() loads state_ (acquire): kLive is nil; kCancelled
//   reads the final err_ without the lock (and sees all the canceller did
//   before cancelling); kCancelling waits for mu_, as Go's Err does. So, as in
//   Go, a receiver of Done (closed after kCancelling) sees Err() non-nil, and
//   Err() non-nil means every child is already cancelled.
// - Children are an intrusive list (no allocation per child): the links and
//   the child's strong self-reference self_ are guarded by the parent's mu_.
class CancelNode : public ContextNode, public std::enable_shared_from_this<CancelNode> {
 public:
  explicit CancelNode(Context parent) : parent_(std::move(parent)) {}

  std::optional<Clock::time_point> Deadline() const override { return DeadlineOf(parent_); }
  Chan<Unit> Done() const override {
    if (done_made_.load(std::memory_order_acquire)) return done_;
    std::lock_guard lock(mu_);
    if (!done_made_.load(std::memory_order_relaxed)) {
      done_ = err_ ? ClosedChan() : Chan<Unit>(0);
      done_made_.store(true, std::memory_order_release);
    }
    return done_;
  }
  Error Err() const override {
    State st = state_.load(std::memory_order_acquire);
    if (st == kLive) return Error();
    if (st == kCancelled) return err_;  // final: written before state_ was released
    std::lock_guard lock(mu_);          // a Cancel is running: wait for it
    return err_;
  }
  const void* Value(uint64_t key) const override { return ValueIn(parent_, key); }
  CancelNode* CancelTarget() override { return this; }

  std::size_t ChildCount() const {
    std::lock_guard lock(mu_);
    return nkids_;
  }

  Error CauseOf() const {
    std::lock_guard lock(mu_);
    return cause_ ? cause_ : err_;
  }

  // Propagate links this node under its parent's cancel target (Go's
  // propagateCancel), or cancels it at once if the parent is already done.
  void Propagate() {
    CancelNode* p = TargetOf(parent_);
    if (p == nullptr) return;  // the parent is never cancelled
    std::unique_lock lock(p->mu_);
    if (p->err_) {
      Error err = p->err_, cause = p->cause_;
      lock.unlock();
      Cancel(false, err, cause);
      return;
    }
    parent_target_ = p;
    self_ = shared_from_this();
    linked_ = true;
    next_ = p->kids_;
    if (next_ != nullptr) next_->prev_ = this;
    p->kids_ = this;
    ++p->nkids_;
  }

  // Cancel closes Done, records err/cause (first call wins; a nil cause means
  // err) and cancels every child before returning. remove_from_parent unlinks
  // this node from its parent.
  virtual void Cancel(bool remove_from_parent, const Error& err, const Error& cause) {
    CancelSelf(err, cause);
    if (remove_from_parent) RemoveFromParent();
  }

 protected:
  static const Chan<Unit>& ClosedChan() {
    static const Chan<Unit> closed = [] {
      Chan<Unit> c(0);
      c.Close();
      return c;
    }();
    return closed;
  }

  void CancelSelf(const Error& err, const Error& cause) {
    CancelNode* kids = nullptr;
    {
      std::lock_guard lock(mu_);
      if (err_) return;  // already cancelled
      err_ = err;
      if (cause && !(cause == err)) cause_ = cause;
      state_.store(kCancelling, std::memory_order_release);
      if (done_made_.load(std::memory_order_relaxed)) done_.Close();
      kids = kids_;
      kids_ = nullptr;
      nkids_ = 0;
      for (CancelNode* k = kids; k != nullptr; k = k->next_) {
        k->linked_ = false;  // its RemoveFromParent now leaves the links alone
        k->Cancel(false, err_, cause_);
      }
      state_.store(kCancelled, std::memory_order_release);
    }
    // Outside every lock: drop our strong references. Only this thread touches
    // an unlinked child's next_ and self_ now.
    while (kids != nullptr) {
      CancelNode* next = kids->next_;
      std::shared_ptr<CancelNode> drop = std::move(kids->self_);
      kids = next;  // drop may destroy the child: read next_ first
    }
  }

  void RemoveFromParent() {
    CancelNode* p = parent_target_;  // written once, before this node is shared
    if (p == nullptr) return;
    std::shared_ptr<CancelNode> keep;
    std::lock_guard lock(p->mu_);
    if (!linked_) return;
    linked_ = false;
    if (prev_ != nullptr) {
      prev_->next_ = next_;
    } else {
      p->kids_ = next_;
    }
    if (next_ != nullptr) next_->prev_ = prev_;
    --p->nkids_;
    keep = std::move(self_);
    // keep is destroyed after the lock is released (declared before it).
  }

  const Context parent_;                 // keeps ancestors (and values) alive
  CancelNode* parent_target_ = nullptr;  // where Propagate linked us; set once
  mutable std::mutex mu_;
  mutable Chan<Unit> done_;                     // made lazily under mu_; see above
  mutable std::atomic<bool> done_made_{false};  // done_ is final once true
  enum State : unsigned char { kLive, kCancelling, kCancelled };
  std::atomic<State> state_{kLive};  // see above; written under mu_
  Error err_;                        // guarded by mu_; set once
  Error cause_;                      // guarded by mu_; set once; nil = same as err_
  // Our children (Propagate links them); guarded by mu_. Each holds a strong
  // reference to itself while linked, as Go's map does: an uncancelled child
  // lives until it or this node is cancelled.
  CancelNode* kids_ = nullptr;
  std::size_t nkids_ = 0;
  // Our links in parent_target_'s list; guarded by parent_target_->mu_ (after
  // the parent's CancelSelf unlinked us: by that thread alone).
  CancelNode* prev_ = nullptr;
  CancelNode* next_ = nullptr;
  bool linked_ = false;
  std::shared_ptr<CancelNode> self_;
};

// TimerNode is Go's timerCtx: a CancelNode with a deadline timer.
class TimerNode final : public CancelNode {
 public:
  TimerNode(Context parent, Clock::time_point d) : CancelNode(std::move(parent)), deadline_(d) {}

  std::optional<Clock::time_point> Deadline() const override { return deadline_; }

  // Arm schedules the deadline cancellation unless already cancelled.
  void Arm(Error cause) {
    std::lock_guard lock(mu_);
    if (err_) return;
    // A deadline centuries away never fires: don't occupy the timer queue.
    if (deadline_ - Clock::now() > std::chrono::hours(24 * 365 * 100)) return;
    std::shared_ptr<TimerNode> self = std::static_pointer_cast<TimerNode>(shared_from_this());
    timer_id_ = ScheduleAt(deadline_, [self, cause = std::move(cause)] {
      self->Cancel(true, DeadlineExceeded, cause);
    });
  }

  void Cancel(bool remove_from_parent, const Error& err, const Error& cause) override {
    CancelSelf(err, cause);
    if (remove_from_parent) RemoveFromParent();
    uint64_t id;
    {
      std::lock_guard lock(mu_);
      id = timer_id_;
      timer_id_ = 0;
    }
    if (id != 0) CancelTimer(id);
  }

 private:
  const Clock::time_point deadline_;
  uint64_t timer_id_ = 0;  // guarded by mu_; 0 = no pending timer
};

// AfterFuncNode is Go's afterFuncCtx: a child whose cancellation starts f once.
// The parent holds it (its list of children) and it holds the parent until
// cancel or stop.
class AfterFuncNode final : public CancelNode {
 public:
  AfterFuncNode(Context parent, std::function<void()> f)
      : CancelNode(std::move(parent)), f_(std::move(f)) {}

  void Cancel(bool remove_from_parent, const Error& err, const Error& cause) override {
    CancelSelf(err, cause);
    if (remove_from_parent) RemoveFromParent();
    if (!once_.exchange(true)) Go(std::move(f_));
  }

  // Stop is the stop() of AfterFunc.
  bool Stop() {
    if (once_.exchange(true)) return false;
    f_ = nullptr;  // only the winner of once_ touches f_
    Cancel(true, Canceled, Error());
    return true;
  }

 private:
  std::function<void()> f_;        // touched only by the winner of once_
  std::atomic<bool> once_{false};  // Go's sync.Once: set by run or stop
};

// ValueNode is Go's valueCtx.
class ValueNode final : public ContextNode {
 public:
  ValueNode(Context parent, uint64_t key, std::shared_ptr<const void> v)
      : parent_(std::move(parent)), key_(key), v_(std::move(v)) {}
  std::optional<Clock::time_point> Deadline() const override { return DeadlineOf(parent_); }
  Chan<Unit> Done() const override { return DoneOf(parent_); }
  Error Err() const override { return ErrOf(parent_); }
  const void* Value(uint64_t key) const override {
    return key == key_ ? v_.get() : ValueIn(parent_, key);
  }
  CancelNode* CancelTarget() override { return TargetOf(parent_); }

 private:
  const Context parent_;
  const uint64_t key_;
  const std::shared_ptr<const void> v_;
};

// WithoutCancelNode is Go's withoutCancelCtx.
class WithoutCancelNode final : public ContextNode {
 public:
  explicit WithoutCancelNode(Context parent) : parent_(std::move(parent)) {}
  std::optional<Clock::time_point> Deadline() const override { return std::nullopt; }
  Chan<Unit> Done() const override { return Chan<Unit>(); }
  Error Err() const override { return Error(); }
  const void* Value(uint64_t key) const override { return ValueIn(parent_, key); }
  CancelNode* CancelTarget() override { return nullptr; }

 private:
  const Context parent_;
};

uint64_t NewContextKeyId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

Context NewValueContext(Context parent, uint64_t key, std::shared_ptr<const void> v) {
  return Context(std::make_shared<ValueNode>(std::move(parent), key, std::move(v)));
}

}  // namespace detail

std::optional<Clock::time_point> Context::Deadline() const { return detail::DeadlineOf(*this); }
Chan<Unit> Context::Done() const { return detail::DoneOf(*this); }
Error Context::Err() const { return detail::ErrOf(*this); }
const void* Context::ValueOf(uint64_t key) const { return detail::ValueIn(*this, key); }

Context Background() { return Context(); }
Context TODO() { return Context(); }

std::pair<Context, CancelFunc> WithCancel(Context parent) {
  auto n = std::make_shared<detail::CancelNode>(std::move(parent));
  n->Propagate();
  Context ctx(n);
  return {std::move(ctx), [n = std::move(n)] { n->Cancel(true, Canceled, Error()); }};
}

std::pair<Context, CancelCauseFunc> WithCancelCause(Context parent) {
  auto n = std::make_shared<detail::CancelNode>(std::move(parent));
  n->Propagate();
  return {Context(n), [n](const Error& cause) { n->Cancel(true, Canceled, cause); }};
}

std::pair<Context, CancelFunc> WithDeadlineCause(Context parent, Clock::time_point d, Error cause) {
  if (auto cur = parent.Deadline(); cur && *cur < d) {
    return WithCancel(std::move(parent));  // the parent's deadline comes first
  }
  auto n = std::make_shared<detail::TimerNode>(std::move(parent), d);
  n->Propagate();
  if (d <= Clock::now()) {
    n->Cancel(true, DeadlineExceeded, std::move(cause));
    return {Context(n), [n] { n->Cancel(false, Canceled, Error()); }};
  }
  n->Arm(std::move(cause));
  return {Context(n), [n] { n->Cancel(true, Canceled, Error()); }};
}

std::pair<Context, CancelFunc> WithDeadline(Context parent, Clock::time_point d) {
  return WithDeadlineCause(std::move(parent), d, Error());
}

namespace {
Clock::time_point SaturatedAdd(Clock::time_point now, Duration d) {
  if (d > Clock::time_point::max() - now) return Clock::time_point::max();
  return now + d;
}
}  // namespace

std::pair<Context, CancelFunc> WithTimeout(Context parent, Duration d) {
  return WithDeadlineCause(std::move(parent), SaturatedAdd(Clock::now(), d), Error());
}

std::pair<Context, CancelFunc> WithTimeoutCause(Context parent, Duration d, Error cause) {
  return WithDeadlineCause(std::move(parent), SaturatedAdd(Clock::now(), d), std::move(cause));
}

Error Cause(const Context& ctx) {
  detail::CancelNode* t = detail::TargetOf(ctx);
  if (t == nullptr) return ctx.Err();
  return t->CauseOf();
}

std::function<bool()> AfterFunc(Context ctx, std::function<void()> f) {
  auto n = std::make_shared<detail::AfterFuncNode>(std::move(ctx), std::move(f));
  n->Propagate();
  return [n] { return n->Stop(); };
}

namespace detail {
std::size_t ContextChildCount(const Context& ctx) {
  CancelNode* t = TargetOf(ctx);
  return t == nullptr ? 0 : t->ChildCount();
}
}  // namespace detail

Context WithoutCancel(Context parent) {
  return Context(std::make_shared<detail::WithoutCancelNode>(std::move(parent)));
}

}  // namespace gox
