#include "signal_watcher.h"

#include <signal.h>
#include <unistd.h>

#include <optional>

#include "gox/go.h"
#include "gox/select.h"
#include "gox/signals.h"
#include "log.h"

namespace hw {
namespace {

// ForcedExit ends the process at once: a second signal during the drain.
// Log writes unbuffered, so nothing is lost by skipping the destructors.
[[noreturn]] void ForcedExit(int sig) {
  Log("signal received: %s", gox::SignalName(sig).c_str());
  Log("exit %d: forced by a second signal (%s) during the drain", 128 + sig,
      gox::SignalName(sig).c_str());
  _exit(128 + sig);
}

}  // namespace

SignalWatcher::SignalWatcher() { gox::NotifySignals(sigs_, {SIGINT, SIGTERM, SIGQUIT}); }

gox::Error SignalWatcher::Run(gox::Context ctx) {
  std::optional<int> sig;
  gox::Select(gox::RecvCase(sigs_, [&](std::optional<int> s) { sig = s; }),
              gox::RecvCase(ctx.Done(), [](std::optional<gox::Unit>) {}));
  if (sig) Log("signal received: %s", gox::SignalName(*sig).c_str());
  StartForcer(sig.has_value());
  return sig ? gox::SignalError(*sig) : gox::Error();
}

// We keep reading the signal channel on a goroutine of our own until Stop.
void SignalWatcher::StartForcer(bool signalled) {
  forcer_wg_.Add(1);
  gox::Go([sigs = sigs_, quit = forcer_quit_, wg = &forcer_wg_, signalled]() mutable {
    bool seen = signalled;
    for (bool done = false; !done;) {
      gox::Select(gox::RecvCase(sigs,
                                [&](std::optional<int> s) {
                                  if (!s) return;
                                  if (seen) ForcedExit(*s);
                                  seen = true;
                                  Log("signal received: %s (already shutting down; "
                                      "another one forces the exit)",
                                      gox::SignalName(*s).c_str());
                                }),
                  gox::RecvCase(quit, [&](std::optional<gox::Unit>) { done = true; }));
    }
    wg->Done();
  });
}

void SignalWatcher::Stop() {
  if (stopped_) return;
  stopped_ = true;
  forcer_quit_.Close();
  forcer_wg_.Wait();
  gox::StopSignals(sigs_);
}

}  // namespace hw
