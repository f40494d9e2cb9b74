#include "gox/context.h"
#include "gox/go.h"

#include <mutex>
#include <unordered_map>

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
class CancelNode : public ContextNode, public std::enable_shared_from_this<CancelNode> {
 public:
  explicit CancelNode(Context parent) : parent_(std::move(parent)), done_(0) {}

  std::optional<Clock::time_point> Deadline() const override { return DeadlineOf(parent_); }
  Chan<Unit> Done() const override { return done_; }
  Error Err() const override {
    std::lock_guard lock(mu_);
    return err_;
  }
  const void* Value(uint64_t key) const override { return ValueIn(parent_, key); }
  CancelNode* CancelTarget() override { return this; }

  std::size_t ChildCount() const {
    std::lock_guard lock(mu_);
    return children_.size();
  }

  Error CauseOf() const {
    std::lock_guard lock(mu_);
    return cause_;
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
    p->children_.emplace(this, shared_from_this());
  }

  // Cancel closes Done, records err/cause (first call wins) and cancels every
  // child before returning. remove_from_parent unlinks this node from its parent.
  virtual void Cancel(bool remove_from_parent, Error err, Error cause) {
    CancelSelf(err, cause);
    if (remove_from_parent) RemoveFromParent();
  }

 protected:
  void CancelSelf(const Error& err, Error cause) {
    if (!cause) cause = err;
    std::unordered_map<CancelNode*, std::shared_ptr<CancelNode>> kids;
    {
      std::lock_guard lock(mu_);
      if (err_) return;  // already cancelled
      err_ = err;
      cause_ = cause;
      done_.Close();
      kids.swap(children_);
      for (auto& kid : kids) kid.second->Cancel(false, err, cause);
    }
    // kids are released here, outside every lock.
  }

  void RemoveFromParent() {
    CancelNode* p = parent_target_;  // written once, before this node is shared
    if (p == nullptr) return;
    std::shared_ptr<CancelNode> keep;
    std::lock_guard lock(p->mu_);
    auto it = p->children_.find(this);
    if (it == p->children_.end()) return;
    keep = std::move(it->second);
    p->children_.erase(it);
    // keep is destroyed after the lock is released (declared before it).
  }

  const Context parent_;                 // keeps ancestors (and values) alive
  CancelNode* parent_target_ = nullptr;  // where Propagate linked us; set once
  mutable std::mutex mu_;
  Chan<Unit> done_;  // closed by the first Cancel, under mu_
  Error err_;        // guarded by mu_; set once
  Error cause_;      // guarded by mu_; set once
  // Children linked by Propagate; guarded by mu_. Strong references, as Go's
  // map: an uncancelled child lives until it or this node is cancelled.
  std::unordered_map<CancelNode*, std::shared_ptr<CancelNode>> children_;
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

  void Cancel(bool remove_from_parent, Error err, Error cause) override {
    CancelSelf(err, std::move(cause));
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
// The parent holds it (children_) and it holds the parent until cancel or stop.
class AfterFuncNode final : public CancelNode {
 public:
  AfterFuncNode(Context parent, std::function<void()> f)
      : CancelNode(std::move(parent)), f_(std::move(f)) {}

  void Cancel(bool remove_from_parent, Error err, Error cause) override {
    CancelSelf(err, std::move(cause));
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
  return {Context(n), [n] { n->Cancel(true, Canceled, Error()); }};
}

std::pair<Context, CancelCauseFunc> WithCancelCause(Context parent) {
  auto n = std::make_shared<detail::CancelNode>(std::move(parent));
  n->Propagate();
  return {Context(n), [n](Error cause) { n->Cancel(true, Canceled, std::move(cause)); }};
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
