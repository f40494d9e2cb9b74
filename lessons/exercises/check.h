// check.h: the judge shared by the exercise checks (lessons/exercises/*_check.cpp).
//   Expect(ok, why)         records a failed expectation, in plain words.
//   Watchdog(d, name)       if the check is still running after d: FAIL and exit 1
//                           (a deadlock fails the check, it never hangs).
//   Finish(name, pass)      prints "PASS: name: pass" or one "FAIL: name: why" line
//                           per failed expectation, then ends the process at once
//                           with 0 or 1 (std::_Exit: an unsolved exercise may leave a
//                           goroutine blocked for ever, which must not delay the exit).
// A check's only output that counts is its last PASS/FAIL lines; scripts/exercise.sh
// adds "ThreadSanitizer reported a data race" when TSan printed a report.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace check {

inline std::mutex& Mu() {
  static std::mutex mu;
  return mu;
}

inline std::vector<std::string>& Failures() {
  static std::vector<std::string> f;
  return f;
}

// Expect records `why` as a failure unless ok.
inline void Expect(bool ok, const std::string& why) {
  if (ok) return;
  std::lock_guard<std::mutex> lock(Mu());
  Failures().push_back(why);
}

[[noreturn]] inline void Exit(int code) {
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(code);
}

// Watchdog fails the check if it has not finished after d.
inline void Watchdog(std::chrono::milliseconds d, const char* name) {
  std::thread([d, name] {
    std::this_thread::sleep_for(d);
    std::printf("FAIL: %s: the check did not finish within %lldms (a deadlock?)\n", name,
                static_cast<long long>(d.count()));
    Exit(1);
  }).detach();
}

// Finish prints the verdict and ends the process (0 PASS, 1 FAIL).
[[noreturn]] inline void Finish(const char* name, const std::string& pass) {
  std::lock_guard<std::mutex> lock(Mu());
  if (Failures().empty()) {
    std::printf("PASS: %s: %s\n", name, pass.c_str());
    Exit(0);
  }
  for (const std::string& why : Failures()) std::printf("FAIL: %s: %s\n", name, why.c_str());
  Exit(1);
}

inline double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace check
