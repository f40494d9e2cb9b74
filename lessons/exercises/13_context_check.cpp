// Check for exercise 13: with a 50ms deadline, SlowQuery must return "context
// deadline exceeded" within 150ms; with no deadline it must still do its 500ms.
#include <chrono>
#include <string>

#include "check.h"
#include "gox/context.h"
#include "gox/error.h"

gox::Error SlowQuery(const gox::Context& ctx);

int main() {
  const char* name = "13_context";
  check::Watchdog(std::chrono::seconds(5), name);
  auto [ctx, cancel] = gox::WithTimeout(gox::Background(), std::chrono::milliseconds(50));
  auto t0 = std::chrono::steady_clock::now();
  gox::Error err = SlowQuery(ctx);
  const double took = check::MsSince(t0);
  cancel();
  check::Expect(took < 150, "SlowQuery took " + std::to_string(static_cast<int>(took)) +
                                " ms with a 50 ms deadline: it ignores its ctx; it must return "
                                "within the deadline");
  check::Expect(
      gox::Is(err, gox::DeadlineExceeded),
      "SlowQuery returned \"" + (err ? err.Message() : std::string("nil")) +
          "\" after its deadline; it should return ctx.Err() (context deadline exceeded)");
  t0 = std::chrono::steady_clock::now();
  gox::Error ok = SlowQuery(gox::Background());
  const double full = check::MsSince(t0);
  check::Expect(!ok && full >= 450, "with no deadline SlowQuery returned \"" +
                                        (ok ? ok.Message() : std::string("nil")) + "\" after " +
                                        std::to_string(static_cast<int>(full)) +
                                        " ms; it should do its 500 ms of work and return nil");
  check::Finish(name, "SlowQuery gave up after " + std::to_string(static_cast<int>(took)) +
                          " ms with a 50 ms deadline, and did the full work without one");
}
