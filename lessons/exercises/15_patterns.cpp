// Exercise 15 Patterns: the forgotten sender. No goroutine may be left after a timeout.
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
  // TODO(exercise): nobody receives from `result` once Search has timed out, so the
  // goroutine's Send blocks for ever. Let that Send complete without a receiver.
  gox::Chan<std::string> result(0);
  gox::Go([result]() mutable {
    gox::Sleep(std::chrono::milliseconds(100));  // the slow backend
    result.Send("answer");
  });
  std::optional<std::string> answer;
  gox::Select(gox::RecvCase(result, [&](std::optional<std::string> v) { answer = v; }),
              gox::RecvCase(gox::After(timeout), [] {}));
  return answer;
}
