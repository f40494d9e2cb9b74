// run_group.h: hw::RunGroup, oklog/run's rule on top of gox::ErrGroup: the
// first member to return, nil or error, stops the whole group.
//   Go(m, f)      runs f() -> gox::Error as the group member m.
//   Stop(who, e)  what a member's return does: records the first cause and
//                 cancels Ctx(). Later calls only keep the first cause.
//   Ctx()         done once the group is stopping; members watch it.
//   Wait()        waits for every member; returns ErrGroup's first error.
//   First()       who stopped the group and with what (nil = a clean return).
// Go's errgroup cancels only on error; servers need "one exits, all exit",
// because a member that returns nil (a /debug/quit) must still stop the rest.
// Ordering: First() is set before Ctx() is cancelled, so a member that sees
// Ctx() done reads the cause.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "gox/context.h"
#include "gox/err_group.h"

namespace hw {

// Member names the homework's group members: constants, compared as values.
enum class Member {
  kSignals,  // the signal watcher
  kApp,      // the app server's Serve
  kDebug,    // the debug server's Serve
  kAdmin,    // turns POST /debug/quit and /debug/fail into its return value
};
// MemberName is the member's name in log lines ("debug admin" for kAdmin).
const char* MemberName(Member m);

class RunGroup {
 public:
  struct Cause {
    Member member;
    gox::Error err;  // nil: the member returned cleanly
  };

  RunGroup();
  gox::Context Ctx() const { return ctx_; }
  void Go(Member m, std::function<gox::Error()> f);
  void Stop(Member who, gox::Error err);
  gox::Error Wait() { return group_.Wait(); }
  std::optional<Cause> First() const;

 private:
  struct State {
    std::mutex mu;
    std::optional<Cause> first;  // under mu
  };
  std::shared_ptr<State> st_ = std::make_shared<State>();
  gox::ErrGroup group_;
  gox::Context ctx_;
  gox::CancelCauseFunc cancel_;
};

}  // namespace hw
