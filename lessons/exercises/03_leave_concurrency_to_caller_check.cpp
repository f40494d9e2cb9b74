// Check for exercise 03: IndexAll returns with all 5 documents indexed and no goroutine
// left; the caller can run it with gox::Go + WaitGroup; a 30ms ctx stops it early.
#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "check.h"
#include "gox/context.h"
#include "gox/error.h"
#include "gox/go.h"
#include "gox/wait_group.h"

gox::Error IndexAll(const gox::Context& ctx, std::atomic<int>& indexed,
                    const std::vector<std::string>& docs);

int main() {
  const char* name = "03_leave_concurrency_to_caller";
  check::Watchdog(std::chrono::seconds(5), name);
  const std::vector<std::string> docs = {"a", "b", "c", "d", "e"};
  std::atomic<int> indexed{0};
  gox::Error err = IndexAll(gox::Background(), indexed, docs);
  check::Expect(!err && indexed.load() == 5,
                "IndexAll returned with " + std::to_string(indexed.load()) +
                    " of 5 documents indexed; it should return when the work is done");
  check::Expect(gox::WaitGoroutines(std::chrono::milliseconds(300)),
                std::to_string(gox::NumGoroutine()) +
                    " goroutine still running 300 ms after IndexAll returned: it started a "
                    "goroutine nobody can stop; leave concurrency to the caller");

  // The caller's choice: run it concurrently and wait for it.
  std::atomic<int> second{0};
  gox::WaitGroup wg;
  wg.Add(1);
  gox::Go([&] { (void)IndexAll(gox::Background(), second, docs), wg.Done(); });
  wg.Wait();
  check::Expect(second.load() == 5, "run with gox::Go + WaitGroup, IndexAll had indexed " +
                                        std::to_string(second.load()) + " of 5 when Wait returned");

  auto [ctx, cancel] = gox::WithTimeout(gox::Background(), std::chrono::milliseconds(30));
  std::atomic<int> third{0};
  gox::Error stopped = IndexAll(ctx, third, docs);
  cancel();
  check::Expect(gox::Is(stopped, gox::DeadlineExceeded) && third.load() < 5,
                "with a 30 ms ctx IndexAll returned \"" +
                    (stopped ? stopped.Message() : std::string("nil")) + "\" after " +
                    std::to_string(third.load()) + " of 5; it should stop with ctx.Err()");
  check::Expect(gox::WaitGoroutines(std::chrono::milliseconds(300)),
                std::to_string(gox::NumGoroutine()) + " goroutine(s) left at the end");
  check::Finish(name,
                "IndexAll did its work itself; the caller chose Go + Wait; a ctx stopped "
                "it; 0 goroutines left");
}
