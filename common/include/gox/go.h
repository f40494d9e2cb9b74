// go.h: gox::Go, Go's `go f()` statement, with the course's recover wrapper.
//   Go(f)               runs f() on its own thread; returns at once.
//   NumGoroutine()      goroutines started with Go (and AfterFunc callbacks)
//                       that have not returned yet.
//   WaitGoroutines(d)   waits up to d for NumGoroutine() to reach 0; true if it did
//                       (a goleak-style check for tests and lessons).
// A goroutine is an OS thread. Threads are reused: a finished goroutine's thread
// waits a while (kIdleRetire) for the next Go() and then exits; the cache grows
// without bound, so a blocked goroutine never delays another. Idle threads are
// not counted.
// An exception escaping f is recovered (never std::terminate) and logged to
// stderr as "goroutine <id> panicked: <what()>"; the process keeps running.
// Ordering: what the caller did before Go(f) is visible to f.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

#include "gox/clock.h"

namespace gox {

namespace detail {

// Task is a move-only type-erased void() callable.
class Task {
 public:
  virtual ~Task() = default;
  virtual void Run() = 0;
};

template <class F>
class TaskImpl final : public Task {
 public:
  explicit TaskImpl(F f) : f_(std::move(f)) {}
  void Run() override { f_(); }

 private:
  F f_;
};

void Spawn(std::unique_ptr<Task> task);

// How long an idle goroutine thread waits for new work before it exits.
inline constexpr auto kIdleRetire = std::chrono::seconds(2);

// IdleThreads is the number of cached idle threads (for tests).
int IdleThreads();

}  // namespace detail

// Go runs f() on a goroutine (see the file comment). f takes no arguments.
template <class F>
void Go(F&& f) {
  using Fn = std::decay_t<F>;
  static_assert(std::is_invocable_v<Fn&>, "gox::Go: f must be callable with no arguments");
  detail::Spawn(std::make_unique<detail::TaskImpl<Fn>>(std::forward<F>(f)));
}

// NumGoroutine returns the number of live goroutines started by Go.
int NumGoroutine();

// WaitGoroutines blocks until NumGoroutine() == 0 or timeout passes; true if 0.
bool WaitGoroutines(Duration timeout);

// GoroutineId returns the id of the calling goroutine (0 outside any).
uint64_t GoroutineId();

}  // namespace gox
