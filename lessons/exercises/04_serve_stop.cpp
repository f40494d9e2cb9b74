// Exercise 04 Serve/stop: when one server fails, both must stop, in bounded time.
// RunServers serves app and debug on two goroutines and collects both errors from
// `done`. There is no stop channel: when one server fails the other keeps serving and
// RunServers waits for ever for its second error (lesson 04, no_stop).
// Check: make exercise NAME=04_serve_stop   Note: notes/04_serve_stop.md
#include <chrono>
#include <vector>

#include "gox/chan.h"
#include "gox/context.h"
#include "gox/error.h"
#include "gox/go.h"
#include "gox/http_server.h"
#include "gox/select.h"

namespace {

// Serve runs s until it fails or is shut down, and returns why.
// TODO(exercise): give Serve a stop channel: a goroutine that waits for stop to be
// closed and then calls s.Shutdown. Serve must return only after Shutdown has
// returned, and that goroutine must also end when the server failed by itself.
gox::Error Serve(gox::Server& s) { return s.ListenAndServe(); }

}  // namespace

// RunServers serves both servers and returns their two errors, first one first.
std::vector<gox::Error> RunServers(gox::Server& app, gox::Server& debug) {
  gox::Chan<gox::Error> done(2);
  // A Chan is a handle: capture it by value, so it outlives RunServers in the goroutine.
  gox::Go([&app, done] { done.Send(Serve(app)); });
  gox::Go([&debug, done] { done.Send(Serve(debug)); });
  std::vector<gox::Error> errs;
  for (std::size_t i = 0; i < done.Cap(); ++i) {
    errs.push_back(*done.Recv());
    // TODO(exercise): after the first error, close the stop channel (exactly once).
  }
  return errs;
}
