// test_util.h: shared helpers for gox tests.
//   RunWithWatchdog(limit, body)  runs body on its own thread; if it has not
//       finished within limit, the test FAILS (and the stuck thread is left
//       detached so the rest of the suite continues). Returns true if it finished.
//   Scaled(n)  iteration counts: n normally, n / kSanitizerSlowdown under TSan/ASan.
//   ThreadCpuTime()  CPU time used by the calling thread.
#pragma once

#include <gtest/gtest.h>
#include <time.h>

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

}  // namespace gox_test
