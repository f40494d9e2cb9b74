// Tests for go.h that need a fresh process (tests/go_child): process exit with
// goroutines blocked and queued, the thread-limit panic, the stack size.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <regex>
#include <string>

#include "test_util.h"

extern char** environ;

namespace {

using namespace std::chrono_literals;
using gox_test::RunWithWatchdog;

struct ChildResult {
  int status = -1;  // wait status
  std::string out;  // its stdout
};

// RunChild runs go_child SCENARIO with a watchdog and collects its stdout.
ChildResult RunChild(const char* scenario) {
  ChildResult r;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe";
    return r;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  pid_t pid = 0;
  char* argv[] = {const_cast<char*>(GOX_GO_CHILD), const_cast<char*>(scenario), nullptr};
  int rc = posix_spawn(&pid, GOX_GO_CHILD, &fa, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  EXPECT_EQ(rc, 0) << "posix_spawn " << GOX_GO_CHILD;
  if (rc != 0) {
    close(fds[0]);
    return r;
  }
  auto res = std::make_shared<ChildResult>();  // outlives a watchdog-abandoned reader
  int rd = fds[0];
  bool done = RunWithWatchdog(
      60s,
      [pid, rd, res] {
        char buf[4096];
        for (;;) {
          ssize_t n = read(rd, buf, sizeof buf);
          if (n > 0) {
            res->out.append(buf, static_cast<std::size_t>(n));
          } else if (n == 0 || errno != EINTR) {
            break;
          }
        }
        while (waitpid(pid, &res->status, 0) < 0 && errno == EINTR) {
        }
      },
      scenario);
  if (!done) {
    kill(pid, SIGKILL);
    return r;
  }
  close(rd);
  return *res;
}

TEST(GoProcessTest, ExitWithGoroutinesBlockedAndQueuedNeitherHangsNorCrashes) {
  ChildResult r = RunChild("exit");
  EXPECT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0)
      << "status " << r.status << ", stdout: " << r.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("exiting: ([0-9]+) goroutines"))) << r.out;
  EXPECT_EQ(std::stoi(m[1]), 2040);  // 40 blocked + 2000 queued or blocked
}

TEST(GoProcessTest, ThreadLimitPanicsWithAUsefulMessageAndLeaksNothing) {
  ChildResult r = RunChild("limit");
  ASSERT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0)
      << "status " << r.status << ", stdout: " << r.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      r.out, m,
      std::regex("panic: gox: cannot start a thread for goroutine #[0-9]+: EAGAIN \\(threads: "
                 "[1-9][0-9]*, ulimit -u / kernel.pid_max / kernel.threads-max\\)")))
      << r.out;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("numgoroutine: ([0-9]+) \\(want ([0-9]+)\\)")))
      << r.out;
  EXPECT_EQ(m[1], m[2]) << "NumGoroutine counts the refused goroutine";
  // Every goroutine that Go accepted ran once threads were allowed again, and
  // the refused one's captures were destroyed: only main holds the witness.
  EXPECT_NE(r.out.find("gone: 1 numgoroutine: 0 witness refs: 1"), std::string::npos) << r.out;
}

TEST(GoProcessTest, GoroutineStackSizeIsSettable) {
  ChildResult r = RunChild("stack");
  ASSERT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) << r.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("stack: default ([0-9]+) set ([0-9]+)")))
      << r.out;
  // The sanitizers add their own reserve to a requested size.
  const long def = std::stol(m[1]), set = std::stol(m[2]);
  EXPECT_GE(set, 256 * 1024) << r.out;
  EXPECT_LT(set, def) << r.out;
}

}  // namespace
