// signal_child: a helper process for signals_test. It runs one scenario
// (argv[1]) that ends with raise(SIGTERM) and reports by how it ends: killed by
// SIGTERM when the default disposition is back, exit 0 when the signal was
// caught as expected, another exit code naming the step that went wrong.
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "gox/chan.h"
#include "gox/context.h"
#include "gox/select.h"
#include "gox/signals.h"
#include "gox/time.h"

using namespace std::chrono_literals;

namespace {

constexpr int kStillAlive = 3;  // raise(SIGTERM) returned: the signal was caught

// We wait (bounded) for a value on ch; false on timeout.
template <class T>
bool RecvWithin(gox::Chan<T> ch, gox::Duration d) {
  bool got = false;
  gox::Select(gox::RecvCase(ch, [&](std::optional<T>) { got = true; }),
              gox::RecvCase(gox::After(d), [](std::optional<gox::Clock::time_point>) {}));
  return got;
}

int NotifyContextThenStop() {
  auto [ctx, stop] = gox::NotifyContext(gox::Background(), {SIGTERM});
  stop();
  raise(SIGTERM);
  return kStillAlive;
}

int NotifyThenStop() {
  gox::Chan<int> ch(1);
  gox::NotifySignals(ch, {SIGTERM});
  gox::StopSignals(ch);
  raise(SIGTERM);
  return kStillAlive;
}

// Caught while subscribed, default again after the last of two subscriptions stops.
int LastStop() {
  gox::Chan<int> a(1), b(1);
  gox::NotifySignals(a, {SIGTERM});
  gox::NotifySignals(b, {SIGTERM});
  gox::StopSignals(a);
  raise(SIGTERM);
  if (!RecvWithin(b, 10s)) return 5;
  gox::StopSignals(b);
  raise(SIGTERM);
  return kStillAlive;
}

// While subscribed, SIGTERM cancels the context instead of killing.
int CaughtByContext() {
  auto [ctx, stop] = gox::NotifyContext(gox::Background(), {SIGTERM});
  raise(SIGTERM);
  if (!RecvWithin(ctx.Done(), 10s)) return 6;
  if (gox::Cause(ctx) != gox::SignalError(SIGTERM)) return 7;
  stop();
  return 0;
}

// main blocks SIGTERM before any thread exists (as the homework does); a
// process-directed SIGTERM still reaches the dispatcher thread.
int MaskedInMain() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  auto [ctx, stop] = gox::NotifyContext(gox::Background(), {SIGTERM});
  kill(getpid(), SIGTERM);
  if (!RecvWithin(ctx.Done(), 10s)) return 8;
  stop();
  return 0;
}

// BlockSigtermEarly blocks SIGTERM for masked_in_main before any thread exists
// (sanitizer runtimes start their own threads before main). .preinit_array runs
// before every constructor; the raw syscall avoids interceptors not yet set up.
void BlockSigtermEarly(int argc, char** argv, char**) {
  if (argc == 2 && std::strcmp(argv[1], "masked_in_main") == 0) {
    uint64_t mask = 1ull << (SIGTERM - 1);
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, &mask, nullptr, sizeof mask);
  }
}

}  // namespace

__attribute__((section(".preinit_array"),
               used)) static void (*const kBlockEarly)(int, char**, char**) = BlockSigtermEarly;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: signal_child SCENARIO\n");
    return 2;
  }
  const char* m = argv[1];
  if (std::strcmp(m, "notify_context_stop") == 0) return NotifyContextThenStop();
  if (std::strcmp(m, "notify_stop") == 0) return NotifyThenStop();
  if (std::strcmp(m, "last_stop") == 0) return LastStop();
  if (std::strcmp(m, "caught_by_context") == 0) return CaughtByContext();
  if (std::strcmp(m, "masked_in_main") == 0) return MaskedInMain();
  std::fprintf(stderr, "signal_child: unknown scenario %s\n", m);
  return 2;
}
