// Exercise 15 Patterns, reference solution: a buffer of 1 lets the late Send complete.
// Search asks a slow backend (100ms) on a goroutine and waits at most `timeout` for the
// answer. When it times out, the goroutine's Send has no receiver any more and blocks
// for ever: one leaked goroutine per timed-out call (lesson 15, leak).
// Check: make exercise NAME=15_patterns   Note: notes/15_patterns.md
#include <chrono>
#include <optional>
#include <string>

#include "gox/chan.h"
#include "gox/go.h"
#include "gox/select.h"
#include "gox/time.h"

// Search returns the backend's answer, or nullopt if it takes longer than timeout.
std::optional<std::string> Search(gox::Duration timeout) {
  gox::Chan<std::string> result(1);  // room for the one answer, read or not
  gox::Go([result]() mutable {
    gox::Sleep(std::chrono::milliseconds(100));  // the slow backend
    result.Send("answer");
  });
  std::optional<std::string> answer;
  gox::Select(gox::RecvCase(result, [&](std::optional<std::string> v) { answer = v; }),
              gox::RecvCase(gox::After(timeout), [] {}));
  return answer;
}
