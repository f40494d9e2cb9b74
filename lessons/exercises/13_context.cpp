// Exercise 13 Context: a slow call must give up when its ctx ends.
// SlowQuery stands for a database call that takes 500ms. It gets a ctx but ignores
// it, so a caller with a 50ms deadline still waits the whole 500ms (lesson 13).
// Check: make exercise NAME=13_context   Note: notes/13_context.md
#include <chrono>

#include "gox/context.h"
#include "gox/error.h"
#include "gox/select.h"
#include "gox/time.h"

// SlowQuery does 500ms of work; it must return ctx.Err() as soon as ctx ends.
gox::Error SlowQuery(const gox::Context& ctx) {
  // TODO(exercise): this wait ignores ctx. Wait for the work OR for ctx.Done(),
  // whichever comes first, and return ctx.Err() when ctx won (Go: select).
  (void)ctx;
  gox::Sleep(std::chrono::milliseconds(500));
  return {};
}
