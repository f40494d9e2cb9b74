// Check for exercise 09: one writer reloads versions 1..20000 while two readers load
// the config; every config a reader sees must have its four fields equal. Built with
// ThreadSanitizer by `make exercise`: a race report fails the check too.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "check.h"
#include "gox/go.h"
#include "gox/wait_group.h"

void StoreConfig(int64_t version);
std::array<int64_t, 4> LoadConfig();

int main() {
  const char* name = "09_atomic_value_cow";
  check::Watchdog(std::chrono::seconds(20), name);
  std::atomic<bool> writing{true};
  std::atomic<int64_t> torn{0}, reads{0};
  gox::WaitGroup wg;
  for (int r = 0; r < 2; ++r) {
    wg.Add(1);
    gox::Go([&] {
      while (writing.load()) {
        const std::array<int64_t, 4> f = LoadConfig();
        if (f[0] != f[1] || f[1] != f[2] || f[2] != f[3]) torn.fetch_add(1);
        reads.fetch_add(1);
      }
      wg.Done();
    });
  }
  for (int64_t v = 1; v <= 20000; ++v) StoreConfig(v);
  writing.store(false);
  wg.Wait();
  check::Expect(torn.load() == 0, std::to_string(torn.load()) + " of " +
                                      std::to_string(reads.load()) +
                                      " reads saw a half-written config (fields of two versions)");
  check::Finish(name, "no reader saw a half-written config in " + std::to_string(reads.load()) +
                          " reads (and, under TSan, no race)");
}
