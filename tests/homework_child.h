// homework_child.h: the homework binary as a test's child process, for the
// black-box tests (homework_test.cpp, hostile_clients.cpp).
//   Homework hw(args)      posix_spawn with a clean signal mask; stderr collected.
//   hw.Ports(&app, &dbg)   the ports from the "listening on" lines.
//   hw.Signal(sig), hw.ExitCode(timeout), hw.WaitLine(text, timeout), hw.Log()
//   VarsInt(dbg, key)      one integer of /debug/vars (-1 on failure).
//   WaitInflight(dbg, n)   polls /debug/vars until n app handlers run.
// ~Homework kills a child still running and fails the test if the child's
// log holds a sanitizer report or a "poco:" line.
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "http_test_client.h"
#include "test_util.h"

extern char** environ;

namespace homework_child {

using namespace std::chrono_literals;
using namespace http_test;
using Clock = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;

// kSlack stretches time bounds under sanitizers only.
constexpr int kSlack = gox_test::kSanitized ? 4 : 1;

inline double MsSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// ---------------------------------------------------------------- the child

// Homework runs the binary with args; collects its stderr lines.
class Homework {
 public:
  explicit Homework(std::vector<std::string> args) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
      ADD_FAILURE() << "pipe2: " << std::strerror(errno);
      return;
    }
    std::vector<std::string> argv_s{GOX_HOMEWORK_BIN};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    // The child starts with no signal blocked and default dispositions,
    // whatever the spawning test thread has.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int s : {SIGINT, SIGTERM, SIGQUIT, SIGPIPE}) sigaddset(&defaults, s);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    started_ = Clock::now();
    int rc = posix_spawn(&pid_, argv[0], &fa, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(fds[1]);
    if (rc != 0) {
      ADD_FAILURE() << "posix_spawn " << argv[0] << ": " << std::strerror(rc);
      close(fds[0]);
      pid_ = -1;
      return;
    }
    reader_ = std::thread([this, fd = fds[0]] { ReadLog(fd); });
  }

  ~Homework() {
    if (pid_ > 0 && !status_) {
      kill(pid_, SIGKILL);
      int st = 0;
      waitpid(pid_, &st, 0);
    }
    if (reader_.joinable()) reader_.join();
    // A sanitizer report in the child fails the test that ran it.
    std::string log = Log();
    for (const char* bad :
         {"ThreadSanitizer", "AddressSanitizer", "LeakSanitizer", "runtime error:", "poco:"}) {
      EXPECT_EQ(log.find(bad), std::string::npos) << "child log has \"" << bad << "\":\n" << log;
    }
  }

  pid_t Pid() const { return pid_; }
  Clock::time_point Started() const { return started_; }

  // WaitLine waits until a log line contains needle; returns that line.
  std::optional<std::string> WaitLine(const std::string& needle, Ms timeout) {
    std::unique_lock lock(mu_);
    std::optional<std::string> found;
    cv_.wait_for(lock, timeout, [&] {
      for (const auto& l : lines_) {
        if (l.find(needle) != std::string::npos) {
          found = l;
          return true;
        }
      }
      return eof_;
    });
    return found;
  }

  // Ports waits for both "listening on" lines; false (and a failure) if not.
  bool Ports(int* app, int* debug, Ms timeout = Ms(10000)) {
    auto a = WaitLine("app listening on ", timeout);
    auto d = WaitLine("debug listening on ", timeout);
    if (!a || !d) {
      ADD_FAILURE() << "no listening lines; log:\n" << Log();
      return false;
    }
    *app = std::stoi(a->substr(a->rfind(':') + 1));
    *debug = std::stoi(d->substr(d->rfind(':') + 1));
    return true;
  }

  void Signal(int sig) {
    signal_at_ = Clock::now();
    kill(pid_, sig);
  }
  Clock::time_point SignalAt() const { return signal_at_; }

  // Wait reaps the child within timeout; returns the wait status, or nullopt.
  std::optional<int> Wait(Ms timeout) {
    if (status_) return status_;
    auto until = Clock::now() + timeout;
    for (;;) {
      int st = 0;
      pid_t r = waitpid(pid_, &st, WNOHANG);
      if (r == pid_) {
        exited_at_ = Clock::now();
        status_ = st;
        return status_;
      }
      if (Clock::now() >= until) return std::nullopt;
      std::this_thread::sleep_for(1ms);
    }
  }
  // ExitCode is Wait + the exit code; -1000-signo if killed by a signal, -1 if
  // still running at the timeout.
  int ExitCode(Ms timeout) {
    auto st = Wait(timeout);
    if (!st) return -1;
    if (WIFSIGNALED(*st)) return -1000 - WTERMSIG(*st);
    return WEXITSTATUS(*st);
  }
  Clock::time_point ExitedAt() const { return exited_at_; }

  std::vector<std::string> Lines() {
    std::lock_guard lock(mu_);
    return lines_;
  }
  std::string Log() {
    // The reader may still be running: take what we have.
    std::string out;
    for (const auto& l : Lines()) out += l + "\n";
    return out;
  }
  // EofWithin waits for the log pipe to close (child gone).
  bool Eof(Ms timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return eof_; });
  }

 private:
  void ReadLog(int fd) {
    std::string partial;
    char buf[4096];
    for (;;) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      partial.append(buf, static_cast<std::size_t>(n));
      std::size_t nl;
      std::lock_guard lock(mu_);
      while ((nl = partial.find('\n')) != std::string::npos) {
        lines_.push_back(partial.substr(0, nl));
        partial.erase(0, nl + 1);
      }
      cv_.notify_all();
    }
    close(fd);
    std::lock_guard lock(mu_);
    if (!partial.empty()) lines_.push_back(partial);
    eof_ = true;
    cv_.notify_all();
  }

  pid_t pid_ = -1;
  Clock::time_point started_, signal_at_, exited_at_;
  std::optional<int> status_;
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;  // under mu_
  bool eof_ = false;                // under mu_
};

inline std::vector<std::string> DefaultArgs() {
  return {"--app=127.0.0.1:0", "--debug=127.0.0.1:0"};
}

// Vars reads one key of /debug/vars as an integer (-1 on failure).
inline long VarsInt(int debug_port, const std::string& key) {
  Response r = Http(debug_port, "GET", "/debug/vars", Ms(5000));
  if (!r.ok || r.status != 200) return -1;
  try {
    Poco::JSON::Parser p;
    auto obj = p.parse(r.body).extract<Poco::JSON::Object::Ptr>();
    return obj->getValue<long>(key);
  } catch (...) {
    return -1;
  }
}

// WaitInflight polls /debug/vars until the app has n handlers running.
inline bool WaitInflight(int debug_port, long n, Ms timeout) {
  auto until = Clock::now() + timeout;
  while (Clock::now() < until) {
    if (VarsInt(debug_port, "inflight") >= n) return true;
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

}  // namespace homework_child
