// homework: the course's homework. Two HTTP servers (app and debug) and the
// signal watcher run as one group: when any member returns, nil or error,
// everything shuts down; both servers drain in parallel under one deadline.
//   build/dev/homework/homework [--app=ADDR] [--debug=ADDR]
//                               [--shutdown-timeout=DUR] [--drain-delay=DUR]
// Exit codes: 0 graceful (signal or POST /debug/quit) and drained in time;
// 1 a member failed (bind error, POST /debug/fail); 2 bad flags; 3 the drain
// missed the deadline; 128+signo a second signal forced the exit.
// Contract: DESIGN.md "Homework"; POCO's pitfalls: POCO-NOTES.md.
#include <Poco/ErrorHandler.h>
#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>
#include <pthread.h>
#include <signal.h>
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
#include "gox/go.h"
#include "gox/http_server.h"
#include "gox/select.h"
#include "gox/signals.h"
#include "gox/time.h"
#include "gox/wait_group.h"
#include "handlers.h"
#include "log.h"
#include "run_group.h"

namespace {

// We log every exception POCO's own threads catch (acceptor, connections);
// POCO's default handler drops them silently in release builds.
class PocoErrors final : public Poco::ErrorHandler {
 public:
  void exception(const Poco::Exception& e) override {
    // A socket error, a read timeout or an unparsable header is the client's
    // doing (it reset, stalled, vanished or sent garbage POCO rejects before
    // any handler runs); anything else is a POCO or server fault.
    if (dynamic_cast<const Poco::Net::NetException*>(&e) != nullptr ||
        dynamic_cast<const Poco::SyntaxException*>(&e) != nullptr ||
        dynamic_cast<const Poco::TimeoutException*>(&e) != nullptr) {
      hw::Log("connection error: %s", e.displayText().c_str());
    } else {
      hw::Log("poco: %s", e.displayText().c_str());
    }
  }
  void exception(const std::exception& e) override { hw::Log("poco: %s", e.what()); }
  void exception() override { hw::Log("poco: unknown exception"); }
};

std::string DurText(std::chrono::nanoseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%gms", std::chrono::duration<double, std::milli>(d).count());
  return buf;
}

// Describe says why the group stopped, for "shutting down:" and "exit N:".
std::string Describe(const hw::RunGroup::Cause& c) {
  if (c.err) return c.err.Message();
  if (c.member == "debug admin") return "debug: quit requested (POST /debug/quit)";
  return c.member + " returned";
}

int Exit(int code, const std::string& why) {
  hw::Log("exit %d: %s", code, why.c_str());
  return code;
}

// ForcedExit ends the process at once: a second signal during the drain.
// Log writes unbuffered, so nothing is lost by skipping the destructors.
[[noreturn]] void ForcedExit(int sig) {
  hw::Log("signal received: %s", gox::SignalName(sig).c_str());
  hw::Log("exit %d: forced by a second signal (%s) during the drain", 128 + sig,
          gox::SignalName(sig).c_str());
  _exit(128 + sig);
}

}  // namespace

int main(int argc, char** argv) {
  // We block the shutdown signals before anything else: every thread created
  // later inherits the mask, so a signal that arrives during start-up waits,
  // pending, for gox's signal thread instead of killing us with the default
  // action. SIGPIPE is ignored process-wide (POCO 1.11 on Linux sends without
  // MSG_NOSIGNAL).
  sigset_t shutdown_signals;
  sigemptyset(&shutdown_signals);
  sigaddset(&shutdown_signals, SIGINT);
  sigaddset(&shutdown_signals, SIGTERM);
  sigaddset(&shutdown_signals, SIGQUIT);
  pthread_sigmask(SIG_BLOCK, &shutdown_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  hw::StartClock();

  hw::Flags flags;
  std::string bad;
  if (!hw::ParseFlags(argc, argv, &flags, &bad)) {
    std::fprintf(stderr, "homework: %s\nRun 'homework --help' for usage.\n", bad.c_str());
    return 2;
  }
  if (flags.help) {
    std::fputs(hw::Usage(), stdout);
    return 0;
  }

  static PocoErrors poco_errors;
  Poco::ErrorHandler::set(&poco_errors);
  gox::Chan<int> sigs(4);
  gox::NotifySignals(sigs, {SIGINT, SIGTERM, SIGQUIT});

  hw::State st;
  gox::ServerOptions opts;
  opts.error_log = [](const std::string& line) { hw::Log("%s", line.c_str()); };
  auto app = std::make_unique<gox::Server>(flags.app, hw::AppHandler(), opts);
  auto debug = std::make_unique<gox::Server>(flags.debug, hw::DebugHandler(&st), opts);
  st.app = app.get();

  // We bind both listeners before serving anything: a port in use fails here,
  // and the other listener closes with its Server.
  if (gox::Error err = app->Listen()) return Exit(1, "app: " + err.Message());
  if (gox::Error err = debug->Listen()) return Exit(1, "debug: " + err.Message());
  hw::Log("app listening on %s", app->Addr().c_str());
  hw::Log("debug listening on %s", debug->Addr().c_str());

  hw::RunGroup group;
  gox::Context ctx = group.Ctx();
  gox::Chan<gox::Unit> forcer_quit(0);
  gox::WaitGroup forcer_wg;
  gox::Error drain_err;

  // We watch for the first signal; after it (or after the group stopped for
  // another reason) a forcer goroutine keeps reading: the next signal during
  // the drain exits at once.
  group.Go("signals", [&]() -> gox::Error {
    std::optional<int> sig;
    gox::Select(gox::RecvCase(sigs, [&](std::optional<int> s) { sig = s; }),
                gox::RecvCase(ctx.Done(), [](std::optional<gox::Unit>) {}));
    if (sig) hw::Log("signal received: %s", gox::SignalName(*sig).c_str());
    const bool signalled = sig.has_value();
    forcer_wg.Add(1);
    gox::Go([&sigs, &forcer_quit, &forcer_wg, signalled] {
      bool seen = signalled;
      for (bool done = false; !done;) {
        gox::Select(gox::RecvCase(sigs,
                                  [&](std::optional<int> s) {
                                    if (!s) return;
                                    if (seen) ForcedExit(*s);
                                    seen = true;
                                    hw::Log(
                                        "signal received: %s (already shutting down; "
                                        "another one forces the exit)",
                                        gox::SignalName(*s).c_str());
                                  }),
                    gox::RecvCase(forcer_quit, [&](std::optional<gox::Unit>) { done = true; }));
      }
      forcer_wg.Done();
    });
    return sig ? gox::SignalError(*sig) : gox::Error();
  });

  // Each server is a member: Serve returns once its Shutdown begins.
  group.Go("app", [&]() -> gox::Error {
    gox::Error err = app->Serve();
    return gox::Is(err, gox::ErrServerClosed) ? gox::Error() : gox::Wrap(err, "app");
  });
  group.Go("debug", [&]() -> gox::Error {
    gox::Error err = debug->Serve();
    return gox::Is(err, gox::ErrServerClosed) ? gox::Error() : gox::Wrap(err, "debug");
  });

  // We turn the debug server's quit/fail requests into this member's return:
  // handlers must never stop their own server.
  group.Go("debug admin", [&]() -> gox::Error {
    std::optional<hw::Admin> cmd;
    gox::Select(gox::RecvCase(st.admin, [&](std::optional<hw::Admin> a) { cmd = a; }),
                gox::RecvCase(ctx.Done(), [](std::optional<gox::Unit>) {}));
    if (cmd == hw::Admin::kFail)
      return gox::Error::New("debug: failure requested (POST /debug/fail)");
    return gox::Error();
  });

  // The shutdown member: once the group stops, flip /readyz, wait the drain
  // delay, then drain both servers in parallel under one absolute deadline.
  group.Go("shutdown", [&]() -> gox::Error {
    ctx.Done().Recv();
    st.ready.store(false);
    st.phase.store("draining");
    hw::Log("shutting down: %s", Describe(*group.First()).c_str());
    if (flags.drain_delay.count() > 0) gox::Sleep(flags.drain_delay);
    auto [dctx, cancel] = gox::WithTimeout(gox::Background(), flags.shutdown_timeout);
    gox::ErrGroup drains;
    for (auto [name, srv] : {std::pair{"app", app.get()}, std::pair{"debug", debug.get()}}) {
      drains.Go([name = name, srv = srv, dctx = dctx]() -> gox::Error {
        gox::Error err = srv->Shutdown(dctx);
        if (err) {
          hw::Log("%s stopped: drain cut short at the deadline (%s)", name, err.Message().c_str());
        } else {
          hw::Log("%s stopped", name);
        }
        return err;
      });
    }
    drain_err = drains.Wait();
    cancel();
    st.phase.store("stopped");
    return drain_err;
  });

  group.Wait();
  hw::RunGroup::Cause cause = *group.First();
  int code = (cause.member == "signals" || !cause.err) ? 0 : 1;
  std::string why = Describe(cause);
  if (drain_err) {
    if (code == 0) code = 3;
    why += "; drain cut short at the " + DurText(flags.shutdown_timeout) + " deadline";
  }
  if (app->Stuck() || debug->Stuck()) {
    // A handler ignored the abort: destroying the servers would pull POCO's
    // objects out from under it.
    hw::Log("exit %d: %s; handlers still running after the abort", code, why.c_str());
    _exit(code);
  }
  forcer_quit.Close();
  forcer_wg.Wait();
  gox::StopSignals(sigs);
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
