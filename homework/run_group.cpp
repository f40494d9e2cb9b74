#include "run_group.h"

#include <utility>

namespace hw {

RunGroup::RunGroup() {
  auto [ctx, cancel] = gox::WithCancelCause(gox::Background());
  ctx_ = ctx;
  cancel_ = cancel;
}

void RunGroup::Go(std::string name, std::function<gox::Error()> f) {
  group_.Go([this, name = std::move(name), f = std::move(f)]() -> gox::Error {
    gox::Error err;
    try {
      err = f();
    } catch (...) {
      err = gox::Error::FromException(std::current_exception(), "panic: ");
    }
    Stop(name, err);
    return err;
  });
}

void RunGroup::Stop(const std::string& who, gox::Error err) {
  {
    std::lock_guard lock(st_->mu);
    if (st_->first) return;
    st_->first = Cause{who, err};
  }
  cancel_(err ? err : gox::Error::New(who + " returned"));
}

std::optional<RunGroup::Cause> RunGroup::First() const {
  std::lock_guard lock(st_->mu);
  return st_->first;
}

}  // namespace hw
