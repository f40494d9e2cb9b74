// go.h: gox::Go, Go's `go f()` statement, with the course's recover wrapper.
//   Go(f)                    queues f() to run on a goroutine; returns at once.
//   NumGoroutine()           goroutines started with Go (and AfterFunc callbacks)
//                            that have not returned yet: queued ones and running ones.
//   WaitGoroutines(d)        waits up to d for NumGoroutine() to reach 0; true if it did
//                            (a goleak-style check for tests and lessons).
//   SetGoroutineStackSize(n) stack size of goroutine threads started from now on
//                            (0: Linux's default, the RLIMIT_STACK size, usually 8 MiB).
//
// How it works: a run queue, worker threads, and a monitor (Go's sysmon).
// A goroutine here runs on an OS thread from start to end: C++ cannot move a
// running function to another thread, so a goroutine that blocks keeps its
// thread. Go(f) puts f on one FIFO run queue; worker threads take goroutines
// from it and run them one after another. A thread is added only when the
// queue is stuck, the way Go's runtime hands a P to a new thread when a
// goroutine blocks in a system call:
//   - at once, if fewer than ncpu workers are running (there is a free CPU);
//   - at once, when a goroutine's thread is about to sleep in a gox primitive
//     (channel, select, Mutex, ...: the Parker tells us) and work is queued;
//   - after two monitor ticks (kSysmonTick, 20 us, Go's sysmon period) without
//     progress, if the workers block elsewhere (std::mutex, sleep, a syscall)
//     or compute for long: the monitor sees the queue non-empty and no task
//     taken since its last look, and starts a worker.
//     The monitor cannot see why a worker does not progress: if every CPU has
//     a runnable thread (the kernel's nr_running), the workers compute or
//     wait for a CPU, and it adds only one worker per 10 ms (Go preempts a
//     goroutine after 10 ms; a goroutine may spin-wait for a queued one).
// So a goroutine blocked outside gox delays a queued one by about two ticks
// plus a thread start when a CPU is idle (36 us measured), by ~10 ms plus that
// when all CPUs are busy (16 ms measured at load 12 on 2 CPUs); threads ~
// blocked goroutines + ncpu. (The monitor ticks only while work is queued;
// its tick grows to 1 ms while the queue keeps moving.) A worker with nothing
// to do waits kIdleRetire, then exits.
// Who writes what: the queue, the idle list and the thread counts are guarded
// by one mutex; `active` (workers running a goroutine that is not asleep) and
// the goroutine count are atomics read without it, as hints. A task handed to
// an idle worker is stored under the mutex, then the worker is unparked after
// the unlock: worker records are never freed, so a late unpark is harmless.
// Ordering: Go(f) pushes f under the mutex and a worker pops it under the same
// mutex (or gets it through thread creation), so what the caller did before
// Go(f) is visible to f.
// An exception escaping f is recovered (never std::terminate) and logged to
// stderr as "goroutine <id> panicked: <what()>"; the process keeps running.
// When the OS refuses a thread that a new goroutine needs, Go panics
// (gox::Panic) with "gox: cannot start a thread for goroutine #N: EAGAIN
// (threads: T, ulimit -u / kernel.pid_max / kernel.threads-max)"; f is not run.
// At process exit queued goroutines are dropped and blocked ones stay blocked.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

#include "gox/clock.h"

namespace gox {

namespace detail {

// Task is one goroutine: a type-erased void() callable and its run-queue link.
// The scheduler deletes it right after Run returns, before the goroutine
// counts as gone (so its captures die first).
class Task {
 public:
  virtual ~Task() = default;
  virtual void Run() = 0;

  Task* next = nullptr;  // run queue link (scheduler mutex)
  uint64_t id = 0;       // set by Spawn
};

template <class F>
class TaskImpl final : public Task {
 public:
  explicit TaskImpl(F f) : f_(std::move(f)) {}
  void Run() override { f_(); }

 private:
  F f_;
};

// Spawn queues task (see the file comment); panics if it needs a thread and
// the OS refuses one.
void Spawn(std::unique_ptr<Task> task);

// How long an idle worker thread waits for new work before it exits.
inline constexpr auto kIdleRetire = std::chrono::seconds(2);
// The monitor's period while work is queued (Go's sysmon starts at 20 us).
inline constexpr auto kSysmonTick = std::chrono::microseconds(20);

// For tests and benchmarks: idle worker threads; worker threads alive; the
// most worker threads alive at once since the last ResetPeakThreads.
int IdleThreads();
int Threads();
int PeakThreads();
void ResetPeakThreads();

}  // namespace detail

// Go runs f() on a goroutine (see the file comment). f takes no arguments.
template <class F>
void Go(F&& f) {
  using Fn = std::decay_t<F>;
  static_assert(std::is_invocable_v<Fn&>, "gox::Go: f must be callable with no arguments");
  detail::Spawn(std::make_unique<detail::TaskImpl<Fn>>(std::forward<F>(f)));
}

// NumGoroutine returns the number of goroutines started by Go that have not
// returned (queued or running).
int NumGoroutine();

// WaitGoroutines blocks until NumGoroutine() == 0 or timeout passes; true if 0.
bool WaitGoroutines(Duration timeout);

// GoroutineId returns the id of the calling goroutine (0 outside any).
uint64_t GoroutineId();

// SetGoroutineStackSize sets the stack size of worker threads started after
// the call (bytes, rounded up by the OS; 0 restores Linux's default).
// Smaller stacks reserve less address space per blocked goroutine; the memory
// actually used (RSS) is the pages the goroutine touched either way.
void SetGoroutineStackSize(std::size_t bytes);
std::size_t GoroutineStackSize();

}  // namespace gox
