#include "run_group.h"

#include <utility>

namespace hw {

const char* MemberName(Member m) {
  switch (m) {
    case Member::kSignals:
      return "signals";
    case Member::kApp:
      return "app";
    case Member::kDebug:
      return "debug";
    case Member::kAdmin:
      return "debug admin";
  }
  return "?";
}

RunGroup::RunGroup() {
  auto [ctx, cancel] = gox::WithCancelCause(gox::Background());
  ctx_ = ctx;
  cancel_ = cancel;
}

void RunGroup::Go(Member m, std::function<gox::Error()> f) {
  group_.Go([this, m, f = std::move(f)]() -> gox::Error {
    gox::Error err;
    try {
      err = f();
    } catch (...) {
      err = gox::Error::FromException(std::current_exception(), "panic: ");
    }
    Stop(m, err);
    return err;
  });
}

void RunGroup::Stop(Member who, gox::Error err) {
  {
    std::lock_guard lock(st_->mu);
    if (st_->first) return;
    st_->first = Cause{who, err};
  }
  cancel_(err ? err : gox::Error::New(std::string(MemberName(who)) + " returned"));
}

std::optional<RunGroup::Cause> RunGroup::First() const {
  std::lock_guard lock(st_->mu);
  return st_->first;
}

}  // namespace hw
