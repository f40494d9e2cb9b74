#include "gox/go.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "gox/detail/parker.h"
#include "gox/error.h"

// Linux >= 6.16 gives each process a private futex hash sized for its CPUs
// (16 buckets on 2 CPUs), so with thousands of parked goroutine threads every
// wake walks a long bucket chain. Measured on this project's machine (release,
// 2 CPUs, Linux 6.18, thread-per-goroutine gox): a 20,000-goroutine chain took
// 3.4 s with the private hash, 0.67 s with the global one (perf: 53% of the
// time in futex wake). Older kernels answer EINVAL, which we ignore.
// The switch is made by a static initialiser, before main() starts threads:
// made from the first Go() of a process that already had a second thread, the
// call took 13-51 ms here (strace -T, 8 runs; the homework's idle SIGTERM-to-exit
// went from ~1 ms to ~30 ms); before main() it takes ~40 us.
#ifndef PR_FUTEX_HASH
#define PR_FUTEX_HASH 78
#define PR_FUTEX_HASH_SET_SLOTS 1
#endif

namespace {
[[maybe_unused]] const bool kGlobalFutexHash = [] {
  return prctl(PR_FUTEX_HASH, PR_FUTEX_HASH_SET_SLOTS, 0, 0, 0) == 0;
}();
}  // namespace

namespace gox {
namespace detail {
namespace {

thread_local uint64_t tls_goroutine_id = 0;

struct Worker {
  // Reset by the worker under mu; Unparked by the thread that hands it a task,
  // after it set task under mu. A stray Unpark only makes the worker re-check.
  Parker parker;
  std::unique_ptr<Task> task;  // mu: the goroutine handed to this (idle or new) worker
  bool in_goroutine = false;   // this worker's thread only
  bool asleep = false;         // this worker's thread only: between BeforeSleep and AfterSleep
};

thread_local Worker* tls_worker = nullptr;

// SchedMutex is glibc's adaptive mutex: it spins a little before it sleeps.
// The scheduler's critical sections are a few pointer moves; with Go() and
// the workers on every CPU, sleeping on each collision would cost a context
// switch per goroutine.
class SchedMutex {
 public:
  void lock() { pthread_mutex_lock(&m_); }
  void unlock() { pthread_mutex_unlock(&m_); }

 private:
  pthread_mutex_t m_ = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;
};

// Sched is leaked on purpose: workers may still use it while the process runs
// its static destructors.
struct Sched {
  SchedMutex mu;
  Task* head = nullptr;  // mu: the run queue (FIFO through Task::next)
  Task* tail = nullptr;  // mu
  std::vector<Worker*>
      idle;  // mu: LIFO keeps hot threads busy; non-empty only if the queue is empty
  std::vector<Worker*> free;    // mu: Workers of retired threads, reused (never freed)
  int threads = 0;              // mu: worker threads alive
  int peak = 0;                 // mu
  int starting = 0;             // mu: started without a task, not yet at the queue
  int thread_err = 0;           // mu: error of the last thread start for the queue (0: it worked)
  uint64_t pops = 0;            // mu: tasks taken from the queue (the monitor's progress signal)
  bool sysmon_started = false;  // mu
  bool sysmon_asleep = false;   // mu
  Parker sysmon_parker;         // Reset by the monitor, Unparked by Spawn; both under mu
  std::size_t stack_size = 0;   // mu
  sigset_t mask;                // set once: the signal mask of every worker

  std::atomic<int> active{0};  // workers running a goroutine that is not asleep in a Parker
  std::atomic<int> queued{0};  // the queue's length, for lock-free peeks
  std::atomic<int> live{0};    // NumGoroutine
  std::atomic<uint64_t> next_id{1};
  std::mutex zero_mu;
  std::condition_variable zero;  // notified when live drops to 0
  const int ncpu;

  Sched() : ncpu(CountCpus()) {
    // Workers start with the signal mask of the thread that made the first
    // goroutine (normally main), not that of whichever thread creates them.
    pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  }

  static int CountCpus() {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    return c > 0 ? static_cast<int>(c) : 1;
  }

  static Sched& Get() {
    static Sched* s = new Sched;
    return *s;
  }

  void Push(Task* t) {  // mu held
    t->next = nullptr;
    if (tail == nullptr) {
      head = tail = t;
    } else {
      tail->next = t;
      tail = t;
    }
    queued.fetch_add(1, std::memory_order_relaxed);
  }

  Task* Pop() {  // mu held, queue non-empty
    Task* t = head;
    head = t->next;
    if (head == nullptr) tail = nullptr;
    t->next = nullptr;
    ++pops;
    queued.fetch_sub(1, std::memory_order_relaxed);
    return t;
  }

  Worker* NewWorker() {  // mu held
    if (free.empty()) return new Worker;
    Worker* w = free.back();
    free.pop_back();
    return w;
  }

  void CountThread() {  // mu held
    ++threads;
    peak = std::max(peak, threads);
  }
};

void WriteAll(const std::string& line) {
  ssize_t off = 0, n = static_cast<ssize_t>(line.size());
  while (off < n) {
    ssize_t w = ::write(2, line.data() + off, n - off);
    if (w <= 0) break;
    off += w;
  }
}

void LogPanic(uint64_t id, const char* what) {
  WriteAll("goroutine " + std::to_string(id) + " panicked: " + what + "\n");
}

void GoroutineGone(Sched& s) {
  if (s.live.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    std::lock_guard lock(s.zero_mu);
    s.zero.notify_all();
  }
}

void RunOne(Sched& s, Worker* w, std::unique_ptr<Task> task) {
  const uint64_t id = task->id;
  tls_goroutine_id = id;
  w->in_goroutine = true;
  try {
    task->Run();
  } catch (const std::exception& e) {
    LogPanic(id, e.what());
  } catch (...) {
    LogPanic(id, "unknown exception");
  }
  task.reset();  // captures die before the goroutine counts as gone
  w->in_goroutine = false;
  tls_goroutine_id = 0;
  GoroutineGone(s);
}

void* WorkerMain(void* arg) {
  auto* w = static_cast<Worker*>(arg);
  Sched& s = Sched::Get();
  pthread_sigmask(SIG_SETMASK, &s.mask, nullptr);
  tls_worker = w;
  std::unique_lock lock(s.mu);
  if (w->task == nullptr) --s.starting;  // started to serve the queue
  for (;;) {
    std::unique_ptr<Task> t = std::move(w->task);
    if (t == nullptr && s.head != nullptr) t.reset(s.Pop());
    if (t != nullptr) {
      lock.unlock();
      RunOne(s, w, std::move(t));
      lock.lock();
      continue;
    }
    // Idle: the queue is empty. Wait for a task handed to us, or retire.
    s.active.fetch_sub(1, std::memory_order_relaxed);
    s.idle.push_back(w);
    const auto retire_at = Clock::now() + kIdleRetire;
    while (w->task == nullptr) {
      if (Clock::now() >= retire_at) {
        // Still in the idle list (whoever pops us sets task under mu): leave it.
        s.idle.erase(std::find(s.idle.begin(), s.idle.end(), w));
        --s.threads;
        s.free.push_back(w);  // never freed: a late Unpark on it is a harmless spurious wake
        return nullptr;
      }
      w->parker.Reset();
      lock.unlock();
      w->parker.ParkFor(retire_at - Clock::now());
      lock.lock();
    }
    // The thread that handed us the task counted us active again.
  }
}

// StartThread starts a worker thread for w; returns 0 or the error number.
int StartThread(Worker* w, std::size_t stack_size) {
  pthread_attr_t attr;
  int err = pthread_attr_init(&attr);
  if (err != 0) return err;
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  if (stack_size != 0) {
    err = pthread_attr_setstacksize(&attr, std::max<std::size_t>(stack_size, PTHREAD_STACK_MIN));
  }
  pthread_t tid;
  if (err == 0) err = pthread_create(&tid, &attr, WorkerMain, w);
  pthread_attr_destroy(&attr);
  return err;
}

// AddQueueWorker starts a worker for the queue (mu held on entry and exit; it
// is released around thread creation). Returns 0 or the error number.
int AddQueueWorker(Sched& s, std::unique_lock<SchedMutex>& lock) {
  Worker* w = s.NewWorker();
  ++s.starting;
  s.CountThread();
  s.active.fetch_add(1, std::memory_order_relaxed);
  const std::size_t stack = s.stack_size;
  lock.unlock();
  int err = StartThread(w, stack);
  lock.lock();
  s.thread_err = err;
  if (err != 0) {
    --s.starting;
    --s.threads;
    s.active.fetch_sub(1, std::memory_order_relaxed);
    s.free.push_back(w);
  }
  return err;
}

// RunnableThreads is the number of runnable threads on the machine (the
// kernel's nr_running, 4th field of /proc/loadavg: "0.50 0.40 0.30 3/150 999").
int RunnableThreads() {
  static const int fd = ::open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
  char buf[128];
  ssize_t n = fd < 0 ? -1 : ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return 0;  // unknown: treat as idle CPUs (add the worker)
  buf[n] = 0;
  const char* slash = std::strchr(buf, '/');
  if (slash == nullptr) return 0;
  const char* p = slash;
  while (p > buf && p[-1] >= '0' && p[-1] <= '9') --p;
  return std::atoi(p);
}

void* SysmonMain(void*) {
  Sched& s = Sched::Get();
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, nullptr);  // library thread: signals go elsewhere
  (void)prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0);   // a 20 us tick, not 20 + 50 us of slack
  // Like Go's sysmon, the tick doubles after 50 ticks with nothing to do (up
  // to 1 ms here, 10 ms in Go); kPreempt is Go's time slice (see below).
  constexpr auto kMaxDelay = std::chrono::milliseconds(1);
  constexpr int kQuietTicks = 50;
  constexpr auto kPreempt = std::chrono::milliseconds(10);
  std::chrono::nanoseconds delay = kSysmonTick;
  uint64_t last_pops = 0;
  int empty_ticks = 0, calm_ticks = 0;
  bool sampled = false;  // stuck_since is set
  Clock::time_point stuck_since{}, retry_at{};
  std::unique_lock lock(s.mu);
  for (;;) {
    if (s.head == nullptr) {
      if (++empty_ticks > kQuietTicks) {  // nothing queued for a while: sleep until Spawn calls
        s.sysmon_asleep = true;
        s.sysmon_parker.Reset();
        lock.unlock();
        s.sysmon_parker.Park();
        lock.lock();
        empty_ticks = calm_ticks = 0;
        sampled = false;
        delay = kSysmonTick;
        last_pops = s.pops;
      }
    } else {
      empty_ticks = 0;
      const bool stuck = s.pops == last_pops && s.idle.empty() && s.starting == 0;
      if (!stuck) {
        sampled = false;
        if (++calm_ticks > kQuietTicks) {
          delay = std::min<std::chrono::nanoseconds>(delay * 2, kMaxDelay);
        }
      } else {
        // No goroutine left the queue for two ticks. If every CPU has a
        // runnable thread (ours or another process's), another thread would
        // not help: ours compute or wait for a CPU; we still add one per
        // kPreempt, because a goroutine may spin-wait for a queued one (Go
        // preempts after 10 ms). If a CPU is idle, our workers are blocked:
        // add a worker now.
        const auto now = Clock::now();
        if (!sampled) {
          sampled = true;
          stuck_since = now;
        } else if (now - stuck_since >= 2 * kSysmonTick && now >= retry_at) {
          lock.unlock();
          const bool saturated = RunnableThreads() - 1 >= s.ncpu;  // - 1: this thread
          lock.lock();
          if (!saturated || now - stuck_since >= kPreempt) {
            if (AddQueueWorker(s, lock) != 0) {
              retry_at = Clock::now() + std::chrono::milliseconds(10);  // out of threads
            }
            stuck_since = now;
          }
        }
        delay = kSysmonTick;
        calm_ticks = 0;
      }
    }
    last_pops = s.pops;
    lock.unlock();
    struct timespec ts {
      0, static_cast<long>(delay.count())
    };
    nanosleep(&ts, nullptr);
    lock.lock();
  }
}

// WakeSysmon makes sure the monitor watches the queue (mu held).
void WakeSysmon(Sched& s) {
  if (!s.sysmon_started) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_t tid;
    // If this fails, Spawn's own thread start or the Parker hand-off still
    // serve the queue; the next Spawn tries again.
    s.sysmon_started = pthread_create(&tid, &attr, SysmonMain, nullptr) == 0;
    pthread_attr_destroy(&attr);
    return;
  }
  if (s.sysmon_asleep) {
    s.sysmon_asleep = false;
    s.sysmon_parker.Unpark();
  }
}

int ProcessThreads() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::atoi(line.c_str() + 8);
  }
  return -1;
}

std::string ThreadError(uint64_t id, int err) {
  const char* name = strerrorname_np(err);
  return "gox: cannot start a thread for goroutine #" + std::to_string(id) + ": " +
         (name != nullptr ? name : std::to_string(err)) +
         " (threads: " + std::to_string(ProcessThreads()) +
         ", ulimit -u / kernel.pid_max / kernel.threads-max)";
}

}  // namespace

void Spawn(std::unique_ptr<Task> task) {
  Sched& s = Sched::Get();
  s.live.fetch_add(1, std::memory_order_relaxed);
  const uint64_t id = s.next_id.fetch_add(1, std::memory_order_relaxed);
  task->id = id;
  std::unique_lock lock(s.mu);
  if (!s.idle.empty()) {  // hand it to the most recently idle worker
    Worker* w = s.idle.back();
    s.idle.pop_back();
    w->task = std::move(task);
    s.active.fetch_add(1, std::memory_order_relaxed);
    lock.unlock();
    w->parker.Unpark();  // Workers are never freed, so this may follow the unlock
    return;
  }
  // A CPU is free: start a worker for this goroutine now. (The caller is not
  // counted: like a Go P whose goroutine blocks in Wait, its CPU is soon free,
  // and two goroutines started together must be able to run in parallel.)
  const int busy = s.active.load(std::memory_order_relaxed);
  // Also when the last thread start for the queue failed: then this goroutine
  // gets a thread now or Go panics (the queue would wait for one in vain).
  const bool retry = s.thread_err != 0;
  if (busy < s.ncpu || retry) {
    Worker* w = s.NewWorker();
    w->task = std::move(task);
    s.CountThread();
    s.active.fetch_add(1, std::memory_order_relaxed);
    const std::size_t stack = s.stack_size;
    lock.unlock();
    int err = StartThread(w, stack);
    if (err == 0) {
      if (retry) {
        lock.lock();
        s.thread_err = 0;
      }
      return;
    }
    task = std::move(w->task);
    lock.lock();
    s.free.push_back(w);
    --s.threads;
    s.active.fetch_sub(1, std::memory_order_relaxed);
    lock.unlock();
    std::string msg = ThreadError(id, err);
    task.reset();  // f is not run; its captures die now
    GoroutineGone(s);
    throw Panic(msg);
  }
  s.Push(task.release());
  WakeSysmon(s);
}

void BeforeSleep() {
  Worker* w = tls_worker;
  if (w == nullptr || !w->in_goroutine) return;
  w->asleep = true;
  Sched& s = Sched::Get();
  s.active.fetch_sub(1, std::memory_order_relaxed);
  if (s.queued.load(std::memory_order_relaxed) == 0) return;
  // Hand-off: this thread is about to sleep and goroutines wait in the queue.
  std::unique_lock lock(s.mu);
  if (s.head != nullptr && s.idle.empty() && s.starting < s.queued.load()) {
    (void)AddQueueWorker(s, lock);  // on failure the monitor retries
  }
}

void AfterSleep() {
  Worker* w = tls_worker;
  if (w == nullptr || !w->asleep) return;
  w->asleep = false;
  Sched::Get().active.fetch_add(1, std::memory_order_relaxed);
}

int ActiveGoroutineThreads() { return Sched::Get().active.load(std::memory_order_relaxed); }

int IdleThreads() {
  Sched& s = Sched::Get();
  std::lock_guard lock(s.mu);
  return static_cast<int>(s.idle.size());
}

int Threads() {
  Sched& s = Sched::Get();
  std::lock_guard lock(s.mu);
  return s.threads;
}

int PeakThreads() {
  Sched& s = Sched::Get();
  std::lock_guard lock(s.mu);
  return s.peak;
}

void ResetPeakThreads() {
  Sched& s = Sched::Get();
  std::lock_guard lock(s.mu);
  s.peak = s.threads;
}

}  // namespace detail

int NumGoroutine() { return detail::Sched::Get().live.load(std::memory_order_acquire); }

bool WaitGoroutines(Duration timeout) {
  auto& s = detail::Sched::Get();
  std::unique_lock lock(s.zero_mu);
  return s.zero.wait_for(lock, timeout,
                         [&] { return s.live.load(std::memory_order_acquire) == 0; });
}

uint64_t GoroutineId() { return detail::tls_goroutine_id; }

void SetGoroutineStackSize(std::size_t bytes) {
  auto& s = detail::Sched::Get();
  std::lock_guard lock(s.mu);
  s.stack_size = bytes;
}

std::size_t GoroutineStackSize() {
  auto& s = detail::Sched::Get();
  std::lock_guard lock(s.mu);
  return s.stack_size;
}

}  // namespace gox
