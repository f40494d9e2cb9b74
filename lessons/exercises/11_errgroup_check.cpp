// Check for exercise 11: Checkout with a live parent ctx must succeed; with a parent
// cancelled after 10ms it must fail with a ctx error (the fix still honours the parent).
#include <chrono>
#include <string>

#include "check.h"
#include "gox/context.h"
#include "gox/error.h"

gox::Error Checkout(const gox::Context& parent);

int main() {
  const char* name = "11_errgroup";
  check::Watchdog(std::chrono::seconds(5), name);
  gox::Error err = Checkout(gox::Background());
  check::Expect(!err, "Checkout returned \"" + (err ? err.Message() : std::string()) +
                          "\": the call after Wait used the group's ctx, which Wait cancelled; "
                          "use the parent ctx after Wait");
  auto [ctx, cancel] = gox::WithTimeout(gox::Background(), std::chrono::milliseconds(10));
  gox::Error late = Checkout(ctx);
  cancel();
  check::Expect(gox::Is(late, gox::DeadlineExceeded),
                "with a parent ctx that ends after 10 ms Checkout returned \"" +
                    (late ? late.Message() : std::string("nil")) +
                    "\"; it should fail with the parent's error (context deadline exceeded)");
  check::Finish(name,
                "Checkout succeeded with the parent ctx after Wait, and still stops with "
                "its parent");
}
