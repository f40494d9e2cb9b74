#include "gox/go.h"

#include "gox/detail/parker.h"

#include <unistd.h>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gox {
namespace detail {
namespace {

thread_local uint64_t tls_goroutine_id = 0;

struct Worker {
  Parker parker;  // Reset by the worker and Unparked by Spawn, both under Scheduler::mu
  std::unique_ptr<Task> task;  // guarded by Scheduler::mu
  uint64_t id = 0;             // guarded by Scheduler::mu
};

// Scheduler is leaked on purpose: idle threads may still wait on it while the
// process runs its static destructors.
struct Scheduler {
  std::mutex mu;
  std::vector<Worker*> idle;     // guarded by mu; LIFO keeps hot threads busy
  int live = 0;                  // guarded by mu
  std::condition_variable zero;  // notified when live drops to 0
  uint64_t next_id = 1;          // guarded by mu

  static Scheduler& Get() {
    static Scheduler* s = new Scheduler;
    return *s;
  }
};

void LogPanic(uint64_t id, const char* what) {
  std::string line = "goroutine " + std::to_string(id) + " panicked: " + what + "\n";
  ssize_t off = 0, n = static_cast<ssize_t>(line.size());
  while (off < n) {
    ssize_t w = ::write(2, line.data() + off, n - off);
    if (w <= 0) break;
    off += w;
  }
}

void RunOne(std::unique_ptr<Task> task, uint64_t id) {
  tls_goroutine_id = id;
  try {
    task->Run();
  } catch (const std::exception& e) {
    LogPanic(id, e.what());
  } catch (...) {
    LogPanic(id, "unknown exception");
  }
  try {
    task.reset();  // captures die before the goroutine counts as gone
  } catch (...) {
    LogPanic(id, "exception in destructor");
  }
  tls_goroutine_id = 0;
  Scheduler& s = Scheduler::Get();
  std::lock_guard lock(s.mu);
  if (--s.live == 0) s.zero.notify_all();
}

void WorkerLoop(Worker* w, std::unique_ptr<Task> first, uint64_t first_id) {
  Scheduler& s = Scheduler::Get();
  RunOne(std::move(first), first_id);
  std::unique_lock lock(s.mu);
  for (;;) {
    // Idle: spin briefly, then sleep until Spawn hands us a task or we retire.
    s.idle.push_back(w);
    const auto retire_at = Clock::now() + kIdleRetire;
    while (w->task == nullptr) {
      if (Clock::now() >= retire_at) {
        // Still in the idle list (whoever pops us sets task under mu): leave it.
        for (auto it = s.idle.begin(); it != s.idle.end(); ++it) {
          if (*it == w) {
            s.idle.erase(it);
            break;
          }
        }
        lock.unlock();
        delete w;  // safe: Spawn only Unparks under mu, after setting task
        return;
      }
      w->parker.Reset();
      lock.unlock();
      w->parker.ParkFor(retire_at - Clock::now());
      lock.lock();
    }
    std::unique_ptr<Task> t = std::move(w->task);
    uint64_t id = w->id;
    lock.unlock();
    RunOne(std::move(t), id);
    lock.lock();
  }
}

}  // namespace

void Spawn(std::unique_ptr<Task> task) {
  Scheduler& s = Scheduler::Get();
  std::unique_lock lock(s.mu);
  ++s.live;
  uint64_t id = s.next_id++;
  if (!s.idle.empty()) {
    Worker* w = s.idle.back();
    s.idle.pop_back();
    w->task = std::move(task);
    w->id = id;
    w->parker.Unpark();  // under mu: the worker cannot retire (and be freed) meanwhile
    return;
  }
  lock.unlock();
  auto* w = new Worker;
  try {
    std::thread(WorkerLoop, w, std::move(task), id).detach();
  } catch (...) {
    delete w;
    lock.lock();
    if (--s.live == 0) s.zero.notify_all();
    throw;
  }
}

int IdleThreads() {
  Scheduler& s = Scheduler::Get();
  std::lock_guard lock(s.mu);
  return static_cast<int>(s.idle.size());
}

}  // namespace detail

int NumGoroutine() {
  auto& s = detail::Scheduler::Get();
  std::lock_guard lock(s.mu);
  return s.live;
}

bool WaitGoroutines(Duration timeout) {
  auto& s = detail::Scheduler::Get();
  std::unique_lock lock(s.mu);
  return s.zero.wait_for(lock, timeout, [&] { return s.live == 0; });
}

uint64_t GoroutineId() { return detail::tls_goroutine_id; }

}  // namespace gox
