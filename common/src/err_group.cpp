#include "gox/err_group.h"

#include <condition_variable>
#include <exception>
#include <mutex>
#include <string>

#include "gox/go.h"

namespace gox {

namespace detail {

struct ErrGroupState {
  std::mutex mu;
  std::condition_variable slot_freed;  // tokens dropped or the limit changed
  std::condition_variable idle;        // running dropped to 0
  int limit = -1;                      // guarded by mu; < 0: no limit
  int tokens = 0;                      // guarded by mu; running tasks holding a limit slot
  int running = 0;                     // guarded by mu; tasks not yet returned
  bool err_set = false;                // guarded by mu; Go's errOnce
  Error err;                           // guarded by mu; the first error
  CancelCauseFunc cancel;              // set by WithContext before sharing; then read-only

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
    std::lock_guard lock(mu);
    if (has_token) {
      --tokens;
      slot_freed.notify_all();
    }
    if (--running == 0) idle.notify_all();
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
    if (s_->limit >= 0) {
      if (!block && s_->tokens >= s_->limit) return false;
      s_->slot_freed.wait(lock, [&] { return s_->limit < 0 || s_->tokens < s_->limit; });
      if (s_->limit >= 0) {
        ++s_->tokens;
        has_token = true;
      }
    }
    ++s_->running;
  }
  task->group = s_;
  task->has_token = has_token;
  try {
    detail::Spawn(std::move(task));  // the task is the goroutine: no second wrapper
  } catch (...) {
    std::lock_guard lock(s_->mu);
    if (has_token) {
      --s_->tokens;
      s_->slot_freed.notify_all();
    }
    if (--s_->running == 0) s_->idle.notify_all();
    throw;
  }
  return true;
}

void ErrGroup::SetLimit(int n) {
  std::lock_guard lock(s_->mu);
  if (n >= 0 && s_->tokens != 0) {
    throw Panic("errgroup: modify limit while " + std::to_string(s_->tokens) +
                " goroutines in the group are still active");
  }
  s_->limit = n < 0 ? -1 : n;
  s_->slot_freed.notify_all();
}

Error ErrGroup::Wait() {
  Error e;
  {
    std::unique_lock lock(s_->mu);
    s_->idle.wait(lock, [&] { return s_->running == 0; });
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
