// homework: the course's homework. Two HTTP servers (app and debug) and the
// signal watcher run as one group: when any member returns, nil or error,
// everything shuts down; both servers drain in parallel under one deadline.
//   build/dev/homework/homework [--app=ADDR] [--debug=ADDR]
//                               [--shutdown-timeout=DUR] [--drain-delay=DUR]
//                               [--read-header-timeout=DUR] [--idle-timeout=DUR]
// main reads top to bottom: flags, bind, group, wait (then drain), exit code.
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "flags.h"
#include "gox/context.h"
#include "gox/err_group.h"
#include "gox/http_server.h"
#include "gox/select.h"
#include "gox/time.h"
#include "handlers.h"
#include "log.h"
#include "run_group.h"
#include "signal_watcher.h"

namespace {

using hw::Member;

// We raise the soft limit on open files to the hard one, as Go (1.19+) does
// at start-up: each client connection is a descriptor, and Debian's default
// soft limit of 1024 is reached by a modest crowd of idle clients.
void RaiseFileLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

// We block the shutdown signals before anything else: every thread created
// later inherits the mask, so a signal that arrives during start-up waits,
// pending, for gox's signal thread instead of killing us with the default
// action. SIGPIPE is ignored process-wide (POCO 1.11 on Linux sends without
// MSG_NOSIGNAL). Then the file limit.
void SetUpProcess() {
  sigset_t shutdown_signals;
  sigemptyset(&shutdown_signals);
  sigaddset(&shutdown_signals, SIGINT);
  sigaddset(&shutdown_signals, SIGTERM);
  sigaddset(&shutdown_signals, SIGQUIT);
  pthread_sigmask(SIG_BLOCK, &shutdown_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  RaiseFileLimit();
}

// ServeMember is one server as a group member: Serve returns once its
// Shutdown begins (ErrServerClosed, a clean return) or with an error.
gox::Error ServeMember(const char* name, gox::Server& srv) {
  gox::Error err = srv.Serve();
  return gox::Is(err, gox::ErrServerClosed) ? gox::Error() : gox::Wrap(err, name);
}

// AdminMember turns the debug server's quit/fail requests into its return
// value: handlers must never stop their own server.
gox::Error AdminMember(hw::State& st, gox::Context ctx) {
  std::optional<hw::Admin> cmd;
  gox::Select(gox::RecvCase(st.admin, [&](std::optional<hw::Admin> a) { cmd = a; }),
              gox::RecvCase(ctx.Done(), [](std::optional<gox::Unit>) {}));
  if (cmd == hw::Admin::kFail)
    return gox::Error::New("debug: failure requested (POST /debug/fail)");
  return gox::Error();
}

// Describe says why the group stopped, for "shutting down:" and "exit N:".
std::string Describe(const hw::RunGroup::Cause& c) {
  if (c.err) return c.err.Message();
  if (c.member == Member::kAdmin) return "debug: quit requested (POST /debug/quit)";
  return std::string(hw::MemberName(c.member)) + " returned";
}

// Drain flips /readyz, waits the drain delay, then shuts both servers down in
// parallel under one absolute deadline. Returns the first drain error.
gox::Error Drain(const hw::Flags& flags, hw::State& st, gox::Server& app, gox::Server& debug,
                 const hw::RunGroup::Cause& cause) {
  st.ready.store(false);
  st.phase.store("draining");
  hw::Log("shutting down: %s", Describe(cause).c_str());
  if (flags.drain_delay.count() > 0) gox::Sleep(flags.drain_delay);
  auto [ctx, cancel] = gox::WithTimeout(gox::Background(), flags.shutdown_timeout);
  gox::ErrGroup drains;
  for (auto [name, srv] : {std::pair{"app", &app}, std::pair{"debug", &debug}}) {
    drains.Go([name = name, srv = srv, ctx = ctx]() -> gox::Error {
      gox::Error err = srv->Shutdown(ctx);
      if (err) {
        hw::Log("%s stopped: drain cut short at the deadline (%s)", name, err.Message().c_str());
      } else {
        hw::Log("%s stopped", name);
      }
      return err;
    });
  }
  gox::Error err = drains.Wait();
  cancel();
  st.phase.store("stopped");
  return err;
}

// ExitCode is the exit-code policy: one function of why the group stopped and
// how the drain went (homework/README's table; 2 for bad flags is main's, and
// 128+signo for a second signal is the SignalWatcher's):
//   0  graceful: a signal or POST /debug/quit, and both servers drained in time
//   1  a member failed: a listener could not bind, POST /debug/fail
//   3  the drain missed --shutdown-timeout; what was left was aborted (after a
//      graceful cause; a failed member keeps 1)
int ExitCode(const hw::RunGroup::Cause& cause, const gox::Error& drain_err) {
  const bool graceful = cause.member == Member::kSignals || !cause.err;
  if (!graceful) return 1;
  return drain_err ? 3 : 0;
}

std::string ExitReason(const hw::RunGroup::Cause& cause, const gox::Error& drain_err,
                       std::chrono::nanoseconds timeout) {
  std::string why = Describe(cause);
  if (!drain_err) return why;
  char ms[32];
  std::snprintf(ms, sizeof ms, "%gms", std::chrono::duration<double, std::milli>(timeout).count());
  return why + "; drain cut short at the " + ms + " deadline";
}

int Exit(int code, const std::string& why) {
  hw::Log("exit %d: %s", code, why.c_str());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  SetUpProcess();
  hw::StartClock();
  hw::Flags flags;
  std::string bad;
  if (!hw::ParseFlags(argc, argv, &flags, &bad)) {
    std::fprintf(stderr, "homework: %s\nRun 'homework --help' for usage.\n", bad.c_str());
    return 2;
  }
  if (flags.help) return std::fputs(hw::Usage(), stdout) < 0 ? 1 : 0;

  hw::SignalWatcher signals;
  hw::State st;
  gox::ServerOptions opts;
  opts.error_log = [](const std::string& line) { hw::Log("%s", line.c_str()); };
  opts.read_header_timeout = flags.read_header_timeout;
  opts.idle_timeout = flags.idle_timeout;
  auto app = std::make_unique<gox::Server>(flags.app, hw::AppHandler(), opts);
  auto debug = std::make_unique<gox::Server>(flags.debug, hw::DebugHandler(&st), opts);
  st.app = app.get();

  // We bind both listeners before serving anything: a port in use fails here,
  // and the other listener closes with its Server.
  for (auto [m, srv] :
       {std::pair{Member::kApp, app.get()}, std::pair{Member::kDebug, debug.get()}}) {
    if (gox::Error err = srv->Listen()) {
      hw::RunGroup::Cause cause{m, gox::Wrap(err, hw::MemberName(m))};
      return Exit(ExitCode(cause, gox::Error()), Describe(cause));
    }
  }
  hw::Log("app listening on %s", app->Addr().c_str());
  hw::Log("debug listening on %s", debug->Addr().c_str());

  hw::RunGroup group;
  group.Go(Member::kSignals, [&] { return signals.Run(group.Ctx()); });
  group.Go(Member::kApp, [&] { return ServeMember("app", *app); });
  group.Go(Member::kDebug, [&] { return ServeMember("debug", *debug); });
  group.Go(Member::kAdmin, [&] { return AdminMember(st, group.Ctx()); });

  // The first member to return stops the group; we drain, then every member
  // has returned (the servers' Serve as soon as their Shutdown began).
  group.Ctx().Done().Recv();
  const hw::RunGroup::Cause cause = *group.First();
  const gox::Error drain_err = Drain(flags, st, *app, *debug, cause);
  group.Wait();

  const int code = ExitCode(cause, drain_err);
  const std::string why = ExitReason(cause, drain_err, flags.shutdown_timeout);
  if (app->Stuck() || debug->Stuck()) {
    // A handler ignored the abort: destroying the servers would pull POCO's
    // objects out from under it.
    hw::Log("exit %d: %s; handlers still running after the abort", code, why.c_str());
    _exit(code);
  }
  signals.Stop();
  st.app = nullptr;
  app.reset();
  debug.reset();
  return Exit(code, why);
}

// We also block them before main: the loader runs every shared library's
// constructors (POCO's, libstdc++'s) and our static initialisers first, and
// a signal then would still kill us. .preinit_array runs before all of those;
// a raw syscall avoids sanitizer interceptors that are not initialised yet.
static void BlockShutdownSignalsEarly(int, char**, char**) {
  uint64_t mask = (1ull << (SIGINT - 1)) | (1ull << (SIGTERM - 1)) | (1ull << (SIGQUIT - 1));
  syscall(SYS_rt_sigprocmask, SIG_BLOCK, &mask, nullptr, sizeof mask);
}
__attribute__((section(".preinit_array"),
               used)) static void (*const kBlockEarly)(int, char**,
                                                       char**) = BlockShutdownSignalsEarly;
