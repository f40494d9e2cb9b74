// signal_watcher.h: hw::SignalWatcher, the homework's signal member, which also
// owns the second-signal forcer (started and stopped here, nowhere else).
//   SignalWatcher()   subscribes SIGINT, SIGTERM and SIGQUIT (gox::NotifySignals).
//   Run(ctx)          the group member: waits for the first signal (logs
//                     "signal received: SIGTERM", returns SignalError) or for
//                     ctx, the group stopping for another reason (returns nil).
//                     Either way it starts the forcer before returning.
//   Stop()            stops the forcer and the subscription; the destructor
//                     calls it. Call it after Run has returned (or never ran).
// The forcer: during the drain, the next signal after the one that started
// the shutdown exits at once with 128+signo (logged, unbuffered, _exit). If a
// member other than the signals started the shutdown, the first signal is only
// logged ("another one forces the exit") and the second one forces.
#pragma once

#include "gox/chan.h"
#include "gox/context.h"
#include "gox/error.h"
#include "gox/wait_group.h"

namespace hw {

class SignalWatcher {
 public:
  SignalWatcher();
  ~SignalWatcher() { Stop(); }
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  gox::Error Run(gox::Context ctx);
  void Stop();

 private:
  void StartForcer(bool signalled);

  gox::Chan<int> sigs_{4};
  gox::Chan<gox::Unit> forcer_quit_{0};
  gox::WaitGroup forcer_wg_;
  bool stopped_ = false;  // only Stop touches it (main's thread)
};

}  // namespace hw
