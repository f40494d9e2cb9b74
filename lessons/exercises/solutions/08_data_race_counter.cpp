// Exercise 08 Data race counter, reference solution: a mutex around the read-modify-write.
// The course's Counter: goroutines read the shared counter, yield, and write back
// value + 1. Updates get lost, and TSan reports the race (lesson 08, racy).
// Check: make exercise NAME=08_data_race_counter (built with TSan)
// Note: notes/08_data_race_counter.md
#include <mutex>
#include <thread>

#include "gox/go.h"
#include "gox/wait_group.h"

namespace {

std::mutex mu;
int counter = 0;  // guarded by mu

void Routine(int increments, gox::WaitGroup& wg) {
  for (int i = 0; i < increments; ++i) {
    std::lock_guard<std::mutex> lock(mu);
    int value = counter;
    std::this_thread::yield();  // a context switch between the read and the write
    counter = value + 1;
  }
  wg.Done();
}

}  // namespace

// Count runs `goroutines` goroutines that each add 1 to the counter `increments`
// times, waits for them, and returns the counter.
int Count(int goroutines, int increments) {
  {
    std::lock_guard<std::mutex> lock(mu);
    counter = 0;
  }
  gox::WaitGroup wg;
  for (int g = 0; g < goroutines; ++g) {
    wg.Add(1);
    gox::Go([increments, &wg] { Routine(increments, wg); });
  }
  wg.Wait();
  std::lock_guard<std::mutex> lock(mu);
  return counter;
}
