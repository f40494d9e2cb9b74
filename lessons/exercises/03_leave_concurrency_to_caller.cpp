// Exercise 03 Leave concurrency to the caller: IndexAll must do its work, not start it.
// IndexAll starts its own goroutine and returns at once: the caller cannot wait for the
// documents, cannot stop the work, and the goroutine never ends (lesson 03, leak).
// Check: make exercise NAME=03_leave_concurrency_to_caller
// Note: notes/03_leave_concurrency_to_caller.md
#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "gox/chan.h"
#include "gox/context.h"
#include "gox/error.h"
#include "gox/go.h"
#include "gox/select.h"
#include "gox/time.h"

namespace {

// IndexOne indexes one document (20ms), or returns ctx.Err() if ctx ends first.
gox::Error IndexOne(const gox::Context& ctx, std::atomic<int>& indexed) {
  gox::Error err;
  gox::Select(gox::RecvCase(gox::After(std::chrono::milliseconds(20)), [] {}),
              gox::RecvCase(ctx.Done(), [&] { err = ctx.Err(); }));
  if (!err) indexed.fetch_add(1);
  return err;
}

}  // namespace

// IndexAll indexes every document; it should return when all are done (nil) or when
// ctx ends (ctx.Err()), so that the caller decides whether to run it on a goroutine.
gox::Error IndexAll(const gox::Context& ctx, std::atomic<int>& indexed,
                    const std::vector<std::string>& docs) {
  // TODO(exercise): this starts a goroutine the caller can neither wait for nor stop,
  // and it never ends. Do the work here, synchronously, and honour ctx.
  gox::Go([ctx, &indexed, n = docs.size()] {
    for (std::size_t i = 0; i < n; ++i) (void)IndexOne(ctx, indexed);
    gox::Chan<std::string> more(0);  // waits for more documents: for ever
    (void)more.Recv();
  });
  return {};
}
