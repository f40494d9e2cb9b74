// 04 Serve/stop: app + debug servers, a `done` and a `stop` channel; one exits, both stop.
// The question: main runs two servers on two goroutines. When one of them dies, how
// does the other learn it must stop, and how does main know both are gone?
// Watch: in `fixed` (the course's classic) the debug server fails to bind (another
// socket holds its port), main gets its error from `done`, closes `stop` exactly
// once, the app server shuts down, and main receives the second error: each step has
// its time. `no_stop` has no stop channel: after the debug server died the app still
// answers a request, and main's second receive would block forever (we give it
// 500ms, then shut the app down ourselves to end the run).
// Variants: fixed (default), no_stop.
// Run: build/dev/lessons/04_serve_stop --variant=no_stop   Note: notes/04_serve_stop.md
#include <unistd.h>

#include <chrono>
#include <string>

#include "gox/chan.h"
#include "gox/context.h"
#include "gox/error.h"
#include "gox/go.h"
#include "gox/http_server.h"
#include "gox/select.h"
#include "gox/time.h"
#include "http_get.h"
#include "lesson.h"

namespace {

using std::chrono::milliseconds;

// We port the course's serve(): a goroutine waits for `stop` and then shuts the
// server down; ListenAndServe blocks until then. Two changes make it safe in C++:
// the goroutine also ends when the server failed by itself (`exited`), and serve
// returns only after Shutdown has (ListenAndServe returns as soon as Shutdown
// begins, as in Go; the server must outlive the drain). With a nil `stop`
// (no_stop) there is no such goroutine: nothing will ever shut this server down.
gox::Error Serve(const char* name, gox::Server& s, gox::Chan<gox::Unit> stop) {
  gox::Chan<gox::Unit> exited(0), shut(0);
  if (!stop.IsNil()) {
    gox::Go([name, &s, stop, exited, shut]() mutable {
      gox::Select(gox::RecvCase(stop,
                                [&] {
                                  lesson::Say("%s: stop is closed -> Shutdown", name);
                                  auto [ctx, cancel] =
                                      gox::WithTimeout(gox::Background(), std::chrono::seconds(1));
                                  (void)s.Shutdown(ctx);
                                  cancel();
                                }),
                  gox::RecvCase(exited, [] {}));
      shut.Close();
    });
  }
  gox::Error err = s.ListenAndServe();
  exited.Close();
  if (!stop.IsNil()) (void)shut.Recv();  // wait for Shutdown to return
  lesson::Say("%s: ListenAndServe returned \"%s\"", name, err.Message().c_str());
  return err;
}

void SayGet(const std::string& who, const lesson::Reply& r) {
  if (r.status != 0)
    lesson::Say("client: GET / on %s -> %d", who.c_str(), r.status);
  else
    lesson::Say("client: GET / on %s -> %s", who.c_str(), r.error.c_str());
}

struct Outcome {
  double failed_ms = 0;   // when main received the first error
  double second_ms = -1;  // when main received the second one (-1: never)
  int received = 0;       // errors received from done
  lesson::Reply after;    // a GET on the app after the first error
};

// We run the course's main loop: receive cap(done) errors; after the first one,
// close stop exactly once. Each receive is bounded by `wait` so no_stop ends.
Outcome MainLoop(gox::Chan<gox::Error> done, gox::Chan<gox::Unit> stop, const std::string& app,
                 milliseconds wait) {
  Outcome o;
  bool stopped = false;
  for (std::size_t i = 0; i < done.Cap(); ++i) {
    bool got = false;
    gox::Select(gox::RecvCase(done,
                              [&](std::optional<gox::Error> err) {
                                got = true;
                                lesson::Say("main: <-done (%d of %zu): error: %s", ++o.received,
                                            done.Cap(), err->Message().c_str());
                              }),
                gox::RecvCase(gox::After(wait), [] {}));
    if (!got) {
      lesson::Say("main: <-done got nothing in %lldms: in Go, main blocks here forever",
                  static_cast<long long>(wait.count()));
      return o;
    }
    (o.received == 1 ? o.failed_ms : o.second_ms) = lesson::Elapsed().count() / 1e6;
    if (stopped) continue;
    stopped = true;
    if (!stop.IsNil()) {
      lesson::Say("main: close(stop), once");
      stop.Close();
      continue;
    }
    lesson::Say("main: no stop channel to close; 100ms pass");
    gox::Sleep(milliseconds(100));  // the demo: time passes after the failure
    o.after = lesson::Get(app, "/");
    SayGet("app", o.after);
  }
  o.after = lesson::Get(app, "/");  // both servers have returned
  SayGet("app", o.after);
  return o;
}

// We end a no_stop run: nothing in the pattern can stop the app, so the lesson does.
void EndRun(gox::Server& app, gox::Chan<gox::Error> done) {
  lesson::Say(
      "ending the run: the lesson calls app.Shutdown itself (without stop, nothing else can)");
  (void)app.Shutdown(gox::Background());
  (void)done.Recv();
}

// We judge what the run showed.
int Report(bool fixed, const Outcome& o) {
  if (fixed)
    return lesson::Conclude(o.received == 2 && o.after.status == 0,
                            "fixed: debug failed at %.0fms, stop closed once, app stopped %.1fms "
                            "later; main received %d of 2 errors; app then: %s",
                            o.failed_ms, o.second_ms - o.failed_ms, o.received,
                            o.after.status ? "still serving" : o.after.error.c_str());
  return lesson::Conclude(o.received == 1 && o.after.status == 200,
                          "no_stop: debug failed at %.0fms, yet the app still answered GET / with "
                          "%d; main received %d of 2 errors (Go would block forever); the lesson "
                          "shut the app down",
                          o.failed_ms, o.after.status, o.received);
}

}  // namespace

int main(int argc, char** argv) {
  auto args =
      lesson::Parse(argc, argv,
                    {"04_serve_stop",
                     "The course's serve/stop classic on gox::Server: app and debug servers, "
                     "done (cap 2) and stop channels. The debug port is taken, so serveDebug "
                     "fails; fixed: stop is closed once and both return; no_stop: the app "
                     "keeps serving and main would wait forever.",
                     {"fixed", "no_stop"},
                     {}});
  const bool fixed = args.Variant() == "fixed";
  auto hello = [](gox::ResponseWriter& w, gox::Request&) { w.Write("hello\n"); };
  gox::Server app("127.0.0.1:0", hello);
  std::string taken;
  const int holder = lesson::HoldPort(&taken);
  if (gox::Error err = app.Listen(); err || holder < 0)
    return lesson::Conclude(false, "setup failed: %s",
                            err ? err.Message().c_str() : "no free port");
  lesson::Say("app: listening on %s; another socket holds %s", app.Addr().c_str(), taken.c_str());
  gox::Server debug(taken, hello);

  gox::Chan<gox::Error> done(2);
  gox::Chan<gox::Unit> stop = fixed ? gox::Chan<gox::Unit>(0) : gox::Chan<gox::Unit>();
  gox::Go([&app, done, stop] { done.Send(Serve("app", app, stop)); });
  SayGet("app", lesson::Get(app.Addr(), "/"));
  lesson::Say("debug: ListenAndServe on %s", taken.c_str());
  gox::Go([&debug, done, stop] { done.Send(Serve("debug", debug, stop)); });

  Outcome o = MainLoop(done, stop, app.Addr(), milliseconds(500));
  if (!fixed) EndRun(app, done);
  close(holder);
  return Report(fixed, o);
}
