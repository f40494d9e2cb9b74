// 01 Goroutine recover: a wild thread's exception kills the process; gox::Go recovers it.
// One function closes a channel twice (a Go panic: "close of closed channel"). What
// happens to the whole program when it runs on a thread of its own?
// Watch: `safe` runs it with gox::Go: one log line "goroutine <id> panicked: ...", then
// main keeps going and NumGoroutine() is back to 0. `wild` runs it on a raw std::thread
// (a 野生 goroutine) in a child process: std::terminate -> abort() kills the child by
// SIGABRT before its main can say a word; this process reports how the child died.
// Variants: safe (default), wild (shows its bug; exits 0 when the child died by SIGABRT).
// Run: build/dev/lessons/01_goroutine_recover --variant=wild
// Note: notes/01_goroutine_recover.md
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "gox/chan.h"
#include "gox/go.h"
#include "lesson.h"

extern char** environ;

namespace {

constexpr const char* kChildFlag = "--child=wild";
constexpr const char* kSurvived = "child: main survived the thread's exception";

// We use one function for both variants: the course's `x func()` that panics. Closing
// a closed channel is a Go panic; gox throws gox::Panic("close of closed channel").
void CloseTwice() {
  gox::Chan<int> ch(1);
  ch.Close();
  ch.Close();  // throws gox::Panic
}

// We run the wild part in the child: CloseTwice on a raw std::thread. The exception
// leaves the thread function, so the C++ runtime calls std::terminate, which prints
// "terminate called after throwing ..." and calls abort(). The line after join() is
// never written. No core file: this crash is on purpose.
int ChildWild() {
  rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  prctl(PR_SET_DUMPABLE, 0);
  std::thread wild(CloseTwice);
  wild.join();
  std::printf("%s\n", kSurvived);
  return 0;
}

// We read everything from a pipe into out until EOF or a timeout; false on timeout.
bool ReadAll(int fd_out, int fd_err, std::string* out, std::string* err,
             std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{fd_out, POLLIN, 0}, {fd_err, POLLIN, 0}};
  std::string* sinks[2] = {out, err};
  int open = 2;
  while (open > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    int n = ::poll(fds, 2, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
      if (r > 0) {
        sinks[i]->append(buf, static_cast<size_t>(r));
      } else if (r == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open;
      }
    }
  }
  return true;
}

// We print the first line of text that contains key, or say there is none.
std::string LineWith(const std::string& text, const std::string& key) {
  size_t at = text.find(key);
  if (at == std::string::npos) return "";
  size_t begin = text.rfind('\n', at);
  begin = begin == std::string::npos ? 0 : begin + 1;
  size_t end = text.find('\n', at);
  return text.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

// We spawn /proc/self/exe --child=wild (posix_spawn, not fork: this process may
// have threads, and fork under TSan in a threaded process is unsafe), with its
// stdout and stderr on pipes, and report how it died.
int RunWild() {
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    std::perror("pipe2");
    return 1;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  char exe[] = "/proc/self/exe";
  char flag[] = "--child=wild";
  char* child_argv[] = {exe, flag, nullptr};
  pid_t pid = 0;
  int rc = posix_spawn(&pid, exe, &fa, nullptr, child_argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    std::fprintf(stderr, "posix_spawn: %s\n", std::strerror(rc));
    return 1;
  }
  lesson::Say("parent: spawned child pid %d: a raw std::thread runs CloseTwice()", pid);

  std::string out, err;
  bool done = ReadAll(out_pipe[0], err_pipe[0], &out, &err, std::chrono::seconds(20));
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  if (!done) ::kill(pid, SIGKILL);  // a watchdog: never hang here
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!done) {
    lesson::Result("wild: the child did not finish in 20s; killed it");
    return 1;
  }

  const std::string terminate_line = LineWith(err, "terminate called");
  const std::string what_line = LineWith(err, "what():");
  if (!terminate_line.empty()) lesson::Say("child stderr: %s", terminate_line.c_str());
  if (!what_line.empty()) lesson::Say("child stderr: %s", what_line.c_str());
  if (terminate_line.empty()) {
    lesson::Say("child stderr: %zu bytes, no \"terminate called\" line", err.size());
  }
  const bool survived = out.find(kSurvived) != std::string::npos;
  lesson::Say("child stdout: %s", survived ? kSurvived : "(nothing: its main never got past join)");
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    lesson::Say("parent: waitpid: WIFSIGNALED, signal %d (%s)", sig, sigabbrev_np(sig));
    if (sig == SIGABRT) {
      lesson::Result(
          "wild: the thread's exception killed the whole child process "
          "(std::terminate -> abort -> SIGABRT)");
      return 0;
    }
    lesson::Result("wild: the child died by signal %d, not SIGABRT", sig);
    return 1;
  }
  lesson::Say("parent: waitpid: exited with status %d", WEXITSTATUS(status));
  lesson::Result("wild: the child was not killed by a signal (exit status %d)",
                 WEXITSTATUS(status));
  return 1;
}

// We capture fd 2 into a pipe while the goroutine runs, to check gox's log line,
// then pass the bytes through to the real stderr so nothing is hidden.
class StderrCapture {
 public:
  StderrCapture() {
    saved_ = ::dup(2);
    if (saved_ < 0 || ::pipe2(pipe_, O_CLOEXEC | O_NONBLOCK) != 0 || ::dup2(pipe_[1], 2) < 0) {
      std::perror("StderrCapture");
      std::exit(1);
    }
  }
  // Stop restores fd 2 and returns what was written to it meanwhile.
  std::string Stop() {
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    ::close(pipe_[1]);
    std::string text;
    char buf[4096];
    ssize_t r;
    while ((r = ::read(pipe_[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(r));
    ::close(pipe_[0]);
    if (!text.empty() && ::write(2, text.data(), text.size()) < 0) std::perror("write");
    return text;
  }

 private:
  int saved_ = -1;
  int pipe_[2] = {-1, -1};
};

// We run CloseTwice with gox::Go: the wrapper recovers the panic and logs it; then a
// second goroutine proves the process and the scheduler are alive.
int RunSafe() {
  std::atomic<uint64_t> panicking_id{0};
  lesson::Say("main: gox::Go(CloseTwice): a goroutine closes a channel twice");
  StderrCapture capture;
  gox::Go([&panicking_id] {
    panicking_id.store(gox::GoroutineId());
    CloseTwice();
  });
  const bool drained = gox::WaitGoroutines(std::chrono::seconds(10));
  const std::string log = capture.Stop();
  const std::string expect =
      "goroutine " + std::to_string(panicking_id.load()) + " panicked: close of closed channel";
  const std::string line = LineWith(log, expect);
  lesson::Say("stderr: %s", line.empty() ? "(no panic log line)" : line.c_str());
  lesson::Say("main: still running after goroutine %llu's panic",
              static_cast<unsigned long long>(panicking_id.load()));

  gox::Chan<std::string> reply(1);
  gox::Go([reply]() mutable { reply.Send("still alive"); });
  const std::string answer = reply.Recv().value_or("(closed)");
  lesson::Say("main: next goroutine answered \"%s\"", answer.c_str());
  const bool zero = drained && gox::WaitGoroutines(std::chrono::seconds(10));
  lesson::Say("main: NumGoroutine() = %d after WaitGoroutines", gox::NumGoroutine());
  if (!line.empty() && zero && answer == "still alive") {
    lesson::Result("safe: gox::Go recovered the panic, logged it, and the process kept running");
    return 0;
  }
  lesson::Result("safe: expected the panic log line and NumGoroutine 0; did not see both");
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  // The hidden child mode: the wild part, which is meant to die.
  if (argc == 2 && std::strcmp(argv[1], kChildFlag) == 0) return ChildWild();
  auto args = lesson::Parse(
      argc, argv,
      {"01_goroutine_recover",
       "One function closes a channel twice (a Go panic). safe: run it with gox::Go, the "
       "course's Go(x func()) with defer/recover: the panic is logged and the process "
       "keeps running. wild: run it on a raw std::thread (a wild goroutine) in a child "
       "process: std::terminate -> abort kills the child; the parent reports the signal.",
       {"safe", "wild"},
       {}});
  lesson::Say("variant %s", args.Variant().c_str());
  return args.Variant() == "wild" ? RunWild() : RunSafe();
}
