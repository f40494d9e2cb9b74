// Exercise 13 Context, reference solution: select on the work and on ctx.Done().
#include <chrono>

#include "gox/context.h"
#include "gox/error.h"
#include "gox/select.h"
#include "gox/time.h"

// SlowQuery does 500ms of work; it returns ctx.Err() as soon as ctx ends.
gox::Error SlowQuery(const gox::Context& ctx) {
  gox::Timer work(std::chrono::milliseconds(500));
  gox::Error err;
  gox::Select(gox::RecvCase(work.C(), [] {}), gox::RecvCase(ctx.Done(), [&] { err = ctx.Err(); }));
  return err;
}
