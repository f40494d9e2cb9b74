// Check for exercise 08: 4 goroutines x 2000 increments must give exactly 8000, three
// times in a row. Built with ThreadSanitizer by `make exercise`: a race report fails
// the check even when the count happens to be right.
#include <chrono>
#include <string>

#include "check.h"

int Count(int goroutines, int increments);

int main() {
  const char* name = "08_data_race_counter";
  check::Watchdog(std::chrono::seconds(20), name);
  for (int run = 1; run <= 3; ++run) {
    const int got = Count(4, 2000);
    check::Expect(got == 8000,
                  "run " + std::to_string(run) + ": the counter is " + std::to_string(got) +
                      ", not 8000: " + std::to_string(8000 - got) + " updates were lost");
  }
  check::Finish(name, "the counter was exactly 8000 in 3 runs (and, under TSan, no race)");
}
