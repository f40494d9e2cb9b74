// Exercise 04 Serve/stop, reference solution: a stop channel, closed once by RunServers.
#include <chrono>
#include <vector>

#include "gox/chan.h"
#include "gox/context.h"
#include "gox/error.h"
#include "gox/go.h"
#include "gox/http_server.h"
#include "gox/select.h"

namespace {

// Serve runs s until it fails or stop is closed (then shuts it down), and returns
// after Shutdown has returned.
gox::Error Serve(gox::Server& s, gox::Chan<gox::Unit> stop) {
  gox::Chan<gox::Unit> exited(0), shut(0);
  gox::Go([&s, stop, exited, shut]() mutable {
    gox::Select(gox::RecvCase(stop,
                              [&] {
                                auto [ctx, cancel] =
                                    gox::WithTimeout(gox::Background(), std::chrono::seconds(1));
                                (void)s.Shutdown(ctx);
                                cancel();
                              }),
                gox::RecvCase(exited, [] {}));
    shut.Close();
  });
  gox::Error err = s.ListenAndServe();
  exited.Close();
  (void)shut.Recv();
  return err;
}

}  // namespace

// RunServers serves both servers and returns their two errors, first one first.
std::vector<gox::Error> RunServers(gox::Server& app, gox::Server& debug) {
  gox::Chan<gox::Error> done(2);
  gox::Chan<gox::Unit> stop(0);
  gox::Go([&app, done, stop] { done.Send(Serve(app, stop)); });
  gox::Go([&debug, done, stop] { done.Send(Serve(debug, stop)); });
  std::vector<gox::Error> errs;
  bool stopped = false;
  for (std::size_t i = 0; i < done.Cap(); ++i) {
    errs.push_back(*done.Recv());
    if (!stopped) {
      stopped = true;
      stop.Close();
    }
  }
  return errs;
}
