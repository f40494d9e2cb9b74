// go_child: scenarios go_process_test runs in a fresh process, one per run.
//   go_child exit    returns from main with goroutines blocked (gox channel,
//                    std::mutex) and more still queued; prints "exiting: N goroutines"
//   go_child limit   lowers RLIMIT_NPROC below the process's thread count, then
//                    calls Go until it panics; prints what it saw (see below)
//   go_child stack   prints a goroutine thread's stack size, by default and after
//                    SetGoroutineStackSize(256 KiB) ("stack: default N set M")
// Exit code 0 when the scenario ran to its end, 2 on a usage error.
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "gox/chan.h"
#include "gox/detail/parker.h"
#include "gox/error.h"
#include "gox/go.h"
#include "gox/wait_group.h"

namespace {

int Exit() {
  gox::Chan<int> never(0);
  std::mutex& held = *new std::mutex;  // leaked: goroutines wait on it past main
  held.lock();                         // never unlocked: a foreign lock they block on
  gox::WaitGroup started;
  started.Add(40);
  for (int i = 0; i < 20; ++i) {
    gox::Go([never, &started]() mutable {
      started.Done();
      (void)never.Recv();
    });
    gox::Go([&held, &started] {
      started.Done();
      held.lock();
    });
  }
  started.Wait();
  // Every worker is blocked now: these queue up behind them.
  for (int i = 0; i < 2000; ++i) gox::Go([&held] { held.lock(); });
  std::printf("exiting: %d goroutines\n", gox::NumGoroutine());
  std::fflush(stdout);
  return 0;  // static destructors run while goroutines block and wait in the queue
}

int Limit() {
  gox::Chan<int> release(0);
  constexpr int kBlocked = 8;
  gox::WaitGroup started;
  started.Add(kBlocked);
  for (int i = 0; i < kBlocked; ++i) {
    gox::Go([release, &started]() mutable {
      started.Done();
      (void)release.Recv();
    });
  }
  started.Wait();
  // Wait until all 8 sleep in Recv (bounded poll), so the next Go sees free
  // CPUs and starts a thread at once instead of queueing.
  for (int i = 0; i < 10000 && gox::detail::ActiveGoroutineThreads() > 0; ++i) {
    std::this_thread::yield();
  }
  // RLIMIT_NPROC does not bind root: become nobody first (threads and all).
  if (geteuid() == 0 &&
      (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0)) {
    std::perror("setresuid");
    return 1;
  }
  prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);  // keep /proc/self readable after the uid change
  rlimit old{};
  getrlimit(RLIMIT_NPROC, &old);
  rlimit lim{1, old.rlim_max};  // soft limit below our own thread count: no new thread
  if (setrlimit(RLIMIT_NPROC, &lim) != 0) {
    std::perror("setrlimit");
    return 1;
  }
  auto witness = std::make_shared<int>(0);  // captured by every goroutine below
  int started_ok = 0;
  std::string panic;
  // On 1 CPU Go queues instead; the monitor then fails to start a thread and
  // the next Go tries itself and panics.
  for (int i = 0; i < 100000 && panic.empty(); ++i) {
    if (i > 0) std::this_thread::yield();
    try {
      gox::Go([release, witness]() mutable { (void)release.Recv(); });
      ++started_ok;
    } catch (const gox::Panic& p) {
      panic = p.what();
    }
  }
  std::printf("panic: %s\n", panic.c_str());
  std::printf("queued: %d\n", started_ok);
  std::printf("numgoroutine: %d (want %d)\n", gox::NumGoroutine(), kBlocked + started_ok);
  // Raise the limit again: the queued goroutines get threads, and all finish.
  (void)setrlimit(RLIMIT_NPROC, &old);
  release.Close();
  bool gone = gox::WaitGoroutines(std::chrono::seconds(30));
  std::printf("gone: %d numgoroutine: %d witness refs: %ld\n", gone ? 1 : 0, gox::NumGoroutine(),
              witness.use_count());
  return 0;
}

// ThreadStackSize is the stack size of the calling thread.
std::size_t ThreadStackSize() {
  pthread_attr_t attr;
  std::size_t n = 0;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    pthread_attr_getstacksize(&attr, &n);
    pthread_attr_destroy(&attr);
  }
  return n;
}

int Stack() {
  gox::Chan<std::size_t> size(1);
  gox::Chan<int> hold(0);
  // The first goroutine keeps its (default-size) thread busy, so the second
  // one needs a new thread, started after SetGoroutineStackSize.
  gox::Go([size, hold]() mutable {
    size.Send(ThreadStackSize());
    (void)hold.Recv();
  });
  const std::size_t def = *size.Recv();
  gox::SetGoroutineStackSize(256 * 1024);
  gox::Go([size]() mutable { size.Send(ThreadStackSize()); });
  std::printf("stack: default %zu set %zu\n", def, *size.Recv());
  hold.Close();
  return gox::WaitGoroutines(std::chrono::seconds(30)) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "exit") == 0) return Exit();
  if (argc == 2 && std::strcmp(argv[1], "limit") == 0) return Limit();
  if (argc == 2 && std::strcmp(argv[1], "stack") == 0) return Stack();
  std::fprintf(stderr, "usage: go_child exit|limit|stack\n");
  return 2;
}
