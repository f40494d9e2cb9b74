// Check for exercise 05: Shutdown must return nil as soon as Run has drained the
// events (3 x 20ms), well before its 300ms deadline, and leave no goroutine behind.
#include <chrono>
#include <string>
#include <vector>

#include "check.h"
#include "gox/error.h"
#include "gox/go.h"

gox::Error RunTracker(const std::vector<std::string>& events, gox::Duration deadline);

int main() {
  const char* name = "05_tracker";
  check::Watchdog(std::chrono::seconds(5), name);
  const auto t0 = std::chrono::steady_clock::now();
  gox::Error err = RunTracker({"a", "b", "c"}, std::chrono::milliseconds(300));
  const double waited = check::MsSince(t0);
  check::Expect(!err && waited < 200,
                "Shutdown waited " + std::to_string(static_cast<int>(waited)) +
                    " ms and returned \"" + (err ? err.Message() : "nil") +
                    "\" with a 300 ms deadline; it should return nil as soon as Run has drained "
                    "(about 60 ms)");
  const bool none = gox::WaitGoroutines(std::chrono::milliseconds(300));
  check::Expect(none,
                std::to_string(gox::NumGoroutine()) +
                    " goroutine still running 300 ms after Shutdown: Run is blocked at its end");
  check::Finish(name, "Shutdown returned nil after " + std::to_string(static_cast<int>(waited)) +
                          " ms (deadline 300 ms); no goroutine left");
}
