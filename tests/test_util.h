// test_util.h: shared helpers for gox tests.
//   RunWithWatchdog(limit, body)  runs body on its own thread; if it has not
//       finished within limit, the test FAILS (and the stuck thread is left
//       detached so the rest of the suite continues). Returns true if it finished.
//   Scaled(n)  iteration counts: n normally, n / kSanitizerSlowdown under TSan/ASan.
//   ThreadCpuTime()  CPU time used by the calling thread.
//   ThreadVoluntarySwitches()  voluntary context switches of the calling thread.
//   Eventually(limit, pred)  bounded poll of an observable condition (not a
//       sleep used as synchronisation): true as soon as pred() holds, false
//       if it still does not after limit.
//   ThisThreadTid()  the kernel id of the calling thread (gettid).
#pragma once

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <thread>

namespace gox_test {

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
inline constexpr int kSanitizerSlowdown = 5;
inline constexpr bool kSanitized = true;
#else
inline constexpr int kSanitizerSlowdown = 1;
inline constexpr bool kSanitized = false;
#endif

inline int Scaled(int n) {
  int s = n / kSanitizerSlowdown;
  return s > 0 ? s : 1;
}

// RunWithWatchdog runs body on a separate thread and waits up to limit for it.
// An exception escaping body is rethrown here (so EXPECT_THROW works through it).
// A deadlock makes the test fail with a message instead of hanging CI.
inline bool RunWithWatchdog(std::chrono::milliseconds limit, std::function<void()> body,
                            const char* what = "test body") {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> fut = done->get_future();
  std::thread t([done, body = std::move(body)] {
    try {
      body();
      done->set_value();
    } catch (...) {
      done->set_exception(std::current_exception());
    }
  });
  if (fut.wait_for(limit) != std::future_status::ready) {
    t.detach();
    ADD_FAILURE() << "watchdog: " << what << " did not finish within " << limit.count()
                  << " ms (deadlock or lost wake-up?)";
    return false;
  }
  t.join();
  fut.get();
  return true;
}

inline std::chrono::nanoseconds ThreadCpuTime() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

// ThreadVoluntarySwitches returns ru_nvcsw of the calling thread.
inline long ThreadVoluntarySwitches() {
  rusage ru{};
  getrusage(RUSAGE_THREAD, &ru);
  return ru.ru_nvcsw;
}

// Eventually polls pred (every ~100 us, then ~1 ms) until it holds or limit
// passes; returns the last value of pred. For conditions no handshake can
// signal (e.g. "that thread is now parked in Send").
template <class Pred>
bool Eventually(std::chrono::milliseconds limit, Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (int i = 0;; ++i) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() > deadline) return pred();
    std::this_thread::sleep_for(std::chrono::microseconds(i < 100 ? 100 : 1000));
  }
}

// ThisThreadTid returns the kernel thread id of the caller.
inline long ThisThreadTid() { return static_cast<long>(syscall(SYS_gettid)); }

}  // namespace gox_test
