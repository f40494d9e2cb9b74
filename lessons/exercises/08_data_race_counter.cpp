// Exercise 08 Data race counter: the count must be exact AND ThreadSanitizer silent.
// The course's Counter: goroutines read the shared counter, yield, and write back
// value + 1. Updates get lost, and TSan reports the race (lesson 08, racy).
// Check: make exercise NAME=08_data_race_counter (built with TSan)
// Note: notes/08_data_race_counter.md
#include <thread>

#include "gox/go.h"
#include "gox/wait_group.h"

namespace {

// TODO(exercise): every goroutine reads and writes `counter` with no synchronisation.
// Make each read-modify-write safe (a mutex, an atomic, or a channel: lesson 08).
int counter = 0;

void Routine(int increments, gox::WaitGroup& wg) {
  for (int i = 0; i < increments; ++i) {
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
  counter = 0;
  gox::WaitGroup wg;
  for (int g = 0; g < goroutines; ++g) {
    wg.Add(1);
    gox::Go([increments, &wg] { Routine(increments, wg); });
  }
  wg.Wait();
  return counter;
}
