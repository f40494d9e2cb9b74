// Exercise 03 Leave concurrency to the caller, reference solution: IndexAll is synchronous.
#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "gox/context.h"
#include "gox/error.h"
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

// IndexAll indexes every document; it returns when all are done (nil) or when ctx
// ends (ctx.Err()). The caller decides whether to run it on a goroutine.
gox::Error IndexAll(const gox::Context& ctx, std::atomic<int>& indexed,
                    const std::vector<std::string>& docs) {
  for (std::size_t i = 0; i < docs.size(); ++i)
    if (gox::Error err = IndexOne(ctx, indexed)) return err;
  return {};
}
