// Exercise 11 errgroup, reference solution: after Wait, use the parent ctx.
// Checkout fetches a cart and prices in parallel with an ErrGroup, then creates the
// invoice. The invoice call uses the group's ctx, which Wait has cancelled: it always
// fails with "context canceled" (lesson 11, wrong_ctx).
// Check: make exercise NAME=11_errgroup   Note: notes/11_errgroup.md
#include <chrono>
#include <string>

#include "gox/context.h"
#include "gox/err_group.h"
#include "gox/error.h"
#include "gox/select.h"
#include "gox/time.h"

namespace {

// Fetch fakes a call of 20ms; it returns "fetch URL: <ctx error>" if ctx ends first.
gox::Error Fetch(const gox::Context& ctx, const std::string& url) {
  gox::Error err;
  gox::Select(gox::RecvCase(gox::After(std::chrono::milliseconds(20)), [] {}),
              gox::RecvCase(ctx.Done(), [&] { err = gox::Wrap(ctx.Err(), "fetch " + url); }));
  return err;
}

}  // namespace

// Checkout fetches /cart and /prices in parallel, then /invoice; returns the first error.
gox::Error Checkout(const gox::Context& parent) {
  auto [g, ctx] = gox::WithContext(parent);
  g.Go([ctx = ctx] { return Fetch(ctx, "/cart"); });
  g.Go([ctx = ctx] { return Fetch(ctx, "/prices"); });
  if (gox::Error err = g.Wait()) return err;
  return Fetch(parent, "/invoice");  // the group's ctx ended with Wait
}
