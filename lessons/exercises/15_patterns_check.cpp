// Check for exercise 15: Search with a 20ms timeout gives nullopt, and 300ms later no
// goroutine is left; with a 1s timeout it gives the answer.
#include <chrono>
#include <optional>
#include <string>

#include "check.h"
#include "gox/go.h"

std::optional<std::string> Search(gox::Duration timeout);

int main() {
  const char* name = "15_patterns";
  check::Watchdog(std::chrono::seconds(5), name);
  std::optional<std::string> fast = Search(std::chrono::seconds(1));
  check::Expect(fast.has_value(),
                "Search with a 1 s timeout returned no answer; it should "
                "return the backend's answer (after about 100 ms)");
  check::Expect(gox::WaitGoroutines(std::chrono::milliseconds(300)),
                "a goroutine is still running after Search answered");
  std::optional<std::string> late = Search(std::chrono::milliseconds(20));
  check::Expect(!late.has_value(),
                "Search with a 20 ms timeout returned an answer; the backend "
                "takes 100 ms, it should time out");
  const bool none = gox::WaitGoroutines(std::chrono::milliseconds(300));
  check::Expect(none, std::to_string(gox::NumGoroutine()) +
                          " goroutine still blocked 300 ms after Search timed out: the forgotten "
                          "sender; its Send must be able to complete without a receiver");
  check::Finish(name, "Search timed out after 20 ms and left no goroutine behind");
}
