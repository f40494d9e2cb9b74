// homework_test: black-box tests of the homework binary (issue 4). Each test
// spawns the real program (posix_spawn: the test process is multithreaded),
// reads the bound ports from its stderr log, talks HTTP over loopback sockets
// and checks the exit code. Every wait has a timeout; the child is always
// reaped (SIGKILL if a test failed first). Time bounds are one-sided; under
// TSan/ASan the start-up and the drain run several times slower, so bounds
// marked "x kSlack" are stretched there (the dev build keeps the values).
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "homework_child.h"
#include "http_test_client.h"
#include "test_util.h"

namespace {

using namespace std::chrono_literals;
using namespace http_test;
using namespace homework_child;
using Clock = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;

int ThreadCount(pid_t pid) {
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(dir.c_str());
  if (!d) return -1;
  int n = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(d);
  return n;
}

// LineIndex returns the index of the first log line containing needle, or -1.
int LineIndex(const std::vector<std::string>& lines, const std::string& needle) {
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find(needle) != std::string::npos) return static_cast<int>(i);
  }
  return -1;
}

// FreePort returns a port that was free a moment ago.
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// ---------------------------------------------------------------- 1

TEST(HomeworkTest, BothServersServeTheirEndpoints) {
  Homework hw(DefaultArgs());
  int app, debug;
  ASSERT_TRUE(hw.Ports(&app, &debug));

  Response r = Http(app, "GET", "/");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.body.empty());
  EXPECT_EQ(Http(debug, "GET", "/healthz").status, 200);
  EXPECT_EQ(Http(debug, "GET", "/readyz").status, 200);
  EXPECT_EQ(Http(app, "GET", "/slow?ms=10").status, 200);

  r = Http(debug, "GET", "/debug/vars");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  Poco::JSON::Object::Ptr vars;
  ASSERT_NO_THROW(vars = Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>())
      << r.body;
  for (const char* key : {"uptime_s", "goroutines", "inflight", "requests_total", "state"}) {
    EXPECT_TRUE(vars->has(key)) << key << " missing in " << r.body;
  }
  EXPECT_EQ(vars->getValue<std::string>("state"), "serving");
  EXPECT_GE(vars->getValue<long>("requests_total"), 2);  // "/" and "/slow" above
  EXPECT_EQ(vars->getValue<long>("inflight"), 0);

  EXPECT_EQ(Http(app, "GET", "/nope").status, 404);
  EXPECT_EQ(Http(debug, "GET", "/nope").status, 404);
  EXPECT_EQ(Http(app, "GET", "/slow?ms=abc").status, 400);
  EXPECT_EQ(Http(debug, "GET", "/debug/quit").status, 405);  // POST only

  hw.Signal(SIGTERM);
  EXPECT_EQ(hw.ExitCode(Ms(5000 * kSlack)), 0) << hw.Log();
}

// ---------------------------------------------------------------- 2

class IdleSignalTest : public ::testing::TestWithParam<int> {};

TEST_P(IdleSignalTest, ExitsZeroQuicklyAndClosesBothPorts) {
  const int sig = GetParam();
  Homework hw(DefaultArgs());
  int app, debug;
  ASSERT_TRUE(hw.Ports(&app, &debug));
  hw.Signal(sig);
  int code = hw.ExitCode(Ms(5000 * kSlack));
  double took = std::chrono::duration<double, std::milli>(hw.ExitedAt() - hw.SignalAt()).count();
  EXPECT_EQ(code, 0) << "killed instead of a graceful exit?\n" << hw.Log();
  EXPECT_LT(took, 1000.0 * kSlack) << hw.Log();
  ASSERT_TRUE(hw.Eof(Ms(5000)));

  std::vector<std::string> lines = hw.Lines();
  int got = LineIndex(lines, "signal received: SIG" + std::string(sigabbrev_np(sig)));
  int down = LineIndex(lines, "shutting down: ");
  int app_stopped = LineIndex(lines, "app stopped");
  int debug_stopped = LineIndex(lines, "debug stopped");
  ASSERT_GE(got, 0) << hw.Log();
  EXPECT_LT(got, down) << hw.Log();
  EXPECT_LT(down, app_stopped) << hw.Log();
  EXPECT_LT(down, debug_stopped) << hw.Log();
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines.back().find("exit 0: "), std::string::npos) << hw.Log();
  EXPECT_TRUE(Refused(app));
  EXPECT_TRUE(Refused(debug));
}

INSTANTIATE_TEST_SUITE_P(Signals, IdleSignalTest, ::testing::Values(SIGTERM, SIGINT, SIGQUIT),
                         [](const auto& p) { return std::string(sigabbrev_np(p.param)); });

// ---------------------------------------------------------------- 3

TEST(HomeworkTest, InFlightRequestsDrainCompletely) {
  Homework hw(DefaultArgs());
  int app, debug;
  ASSERT_TRUE(hw.Ports(&app, &debug));
  constexpr int kClients = 20;
  std::vector<Response> got(kClients);
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] { got[i] = Http(app, "GET", "/slow?ms=800", Ms(10000 * kSlack)); });
  }
  // We signal once every request is inside its handler (the issue's "after
  // 200 ms", as a handshake instead of a sleep).
  bool all_in = WaitInflight(debug, kClients, Ms(5000 * kSlack));
  hw.Signal(SIGTERM);
  // We reap while the clients still wait, so the exit time is the real one.
  int code = hw.ExitCode(Ms(10000 * kSlack));
  double took = std::chrono::duration<double, std::milli>(hw.ExitedAt() - hw.SignalAt()).count();
  for (auto& t : clients) t.join();
  ASSERT_TRUE(all_in) << hw.Log();
  EXPECT_EQ(code, 0) << hw.Log();
  for (int i = 0; i < kClients; ++i) {
    EXPECT_TRUE(got[i].ok) << "client " << i << ": " << got[i].error;
    EXPECT_EQ(got[i].status, 200) << "client " << i;
    EXPECT_EQ(got[i].body, "slow: slept 800 ms\n") << "client " << i;
  }
  // It waited for the requests (< 800 ms left when signalled) and no longer:
  // not until the 5 s shutdown timeout.
  EXPECT_LT(took, 2000.0 * kSlack) << hw.Log();
}

// ---------------------------------------------------------------- 4

TEST(HomeworkTest, DuringTheDrainNewConnectsAreRefusedAndReadyzIs503) {
  Homework hw({"--app=127.0.0.1:0", "--debug=127.0.0.1:0", "--drain-delay=300ms"});
  int app, debug;
  ASSERT_TRUE(hw.Ports(&app, &debug));
  Response slow;
  // The in-flight request is sent keep-alive: the server must still close it.
  std::thread client([&] {
    int fd = Dial(app, Ms(5000));
    if (fd < 0) return;
    if (SendAll(fd, RequestText("GET", "/slow?ms=1500", false))) {
      slow = ReadResponse(fd, Ms(10000 * kSlack));
    }
    close(fd);
  });
  bool in = WaitInflight(debug, 1, Ms(5000 * kSlack));
  hw.Signal(SIGTERM);
  ASSERT_TRUE(hw.WaitLine("shutting down: ", Ms(5000 * kSlack))) << hw.Log();
  // Within the drain delay the debug server still answers, and says 503.
  EXPECT_EQ(Http(debug, "GET", "/readyz").status, 503);
  // Then the app listener closes: a connect is refused, not accepted and left
  // hanging. (Before it closes, connects still succeed: we poll for the change.)
  auto until = Clock::now() + Ms(3000 * kSlack);
  bool refused = false;
  while (!refused && Clock::now() < until) {
    refused = Refused(app);
    if (!refused) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(refused) << "the app port still accepts during the drain";
  EXPECT_TRUE(hw.Wait(Ms(100)) == std::nullopt) << "exited before the in-flight request finished";
  EXPECT_TRUE(Refused(app));  // stays refused
  client.join();
  ASSERT_TRUE(in) << hw.Log();
  ASSERT_TRUE(slow.ok) << slow.error;
  EXPECT_EQ(slow.status, 200);
  EXPECT_TRUE(EqualFold(slow.Header("connection"), "close")) << slow.Header("connection");
  EXPECT_EQ(hw.ExitCode(Ms(10000 * kSlack)), 0) << hw.Log();
}

// ---------------------------------------------------------------- 5

TEST(HomeworkTest, IdleKeepAliveConnectionIsClosedOnShutdown) {
  Homework hw(DefaultArgs());
  int app, debug;
  ASSERT_TRUE(hw.Ports(&app, &debug));
  int fd = Dial(app, Ms(5000));
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(SendAll(fd, RequestText("GET", "/", false)));
  Response r = ReadResponse(fd, Ms(5000));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_FALSE(EqualFold(r.Header("connection"), "close"));  // kept alive

  hw.Signal(SIGTERM);
  pollfd p{fd, POLLIN, 0};
  int ready = poll(&p, 1, 1000 * kSlack);
  char c;
  ssize_t n = ready == 1 ? recv(fd, &c, 1, 0) : -2;
  double closed_after = MsSince(hw.SignalAt());
  close(fd);
  EXPECT_EQ(ready, 1) << "the idle connection was not closed within 1 s";
  EXPECT_LE(n, 0) << "expected EOF or reset";
  EXPECT_LT(closed_after, 1000.0 * kSlack);
  EXPECT_EQ(hw.ExitCode(Ms(2000 * kSlack)), 0) << hw.Log();
}

// ---------------------------------------------------------------- 6

TEST(HomeworkTest, DrainPastTheDeadlineExitsThree) {
  Homework hw({"--app=127.0.0.1:0", "--debug=127.0.0.1:0", "--shutdown-timeout=300ms"});
  int app, debug;
  ASSERT_TRUE(hw.Ports(&app, &debug));
  Response slow;
  std::thread client([&] { slow = Http(app, "GET", "/slow?ms=5000", Ms(10000)); });
  bool in = WaitInflight(debug, 1, Ms(5000 * kSlack));
  hw.Signal(SIGTERM);
  int code = hw.ExitCode(Ms(5000 * kSlack));
  double took = std::chrono::duration<double, std::milli>(hw.ExitedAt() - hw.SignalAt()).count();
  client.join();
  ASSERT_TRUE(in) << hw.Log();
  EXPECT_EQ(code, 3) << hw.Log();
  EXPECT_LT(took, 1500.0 * kSlack) << hw.Log();
  EXPECT_GE(took, 300.0);
  EXPECT_TRUE(hw.WaitLine("drain cut short", Ms(1000))) << hw.Log();
  EXPECT_FALSE(slow.ok && slow.status == 200) << "the 5 s request cannot have completed";
}

// ---------------------------------------------------------------- 7

class SecondSignalTest : public ::testing::TestWithParam<int> {};

TEST_P(SecondSignalTest, ForcesAnImmediateExitWith128PlusSigno) {
  const int sig = GetParam();
  Homework hw(DefaultArgs());
  int app, debug;
  ASSERT_TRUE(hw.Ports(&app, &debug));
  std::thread client([&] { (void)Http(app, "GET", "/slow?ms=5000", Ms(10000)); });
  bool in = WaitInflight(debug, 1, Ms(5000 * kSlack));
  hw.Signal(sig);
  bool down = hw.WaitLine("shutting down: ", Ms(5000 * kSlack)).has_value();
  hw.Signal(sig);
  int code = hw.ExitCode(Ms(5000 * kSlack));
  double took = std::chrono::duration<double, std::milli>(hw.ExitedAt() - hw.SignalAt()).count();
  client.join();
  ASSERT_TRUE(in && down) << hw.Log();
  EXPECT_EQ(code, 128 + sig) << hw.Log();
  // 300 ms in the dev build (the bound); sanitizers run the exit path
  // (their _exit interceptor) slower.
  EXPECT_LT(took, 300.0 * kSlack) << hw.Log();
  EXPECT_TRUE(hw.WaitLine("exit " + std::to_string(128 + sig), Ms(1000))) << hw.Log();
}

INSTANTIATE_TEST_SUITE_P(Signals, SecondSignalTest, ::testing::Values(SIGTERM, SIGINT),
                         [](const auto& p) { return std::string(sigabbrev_np(p.param)); });

// ---------------------------------------------------------------- 8

TEST(HomeworkTest, PortInUseFailsFastAndLeavesNothingListening) {
  // We hold a listening socket on a port (SO_REUSEADDR only, as most servers).
  int holder = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(holder, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(holder, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(holder, 16), 0);
  socklen_t len = sizeof a;
  getsockname(holder, reinterpret_cast<sockaddr*>(&a), &len);
  const int busy = ntohs(a.sin_port);
  const int debug_port = FreePort();

  Homework hw({"--app=127.0.0.1:" + std::to_string(busy),
               "--debug=127.0.0.1:" + std::to_string(debug_port)});
  int code = hw.ExitCode(Ms(1000 * kSlack + 2000 * (kSlack - 1)));
  double took = std::chrono::duration<double, std::milli>(hw.ExitedAt() - hw.Started()).count();
  close(holder);
  EXPECT_EQ(code, 1) << hw.Log();
  EXPECT_LT(took, 1000.0 * kSlack);
  ASSERT_TRUE(hw.Eof(Ms(5000)));
  std::string log = hw.Log();
  EXPECT_NE(log.find("127.0.0.1:" + std::to_string(busy)), std::string::npos) << log;
  EXPECT_NE(log.find("exit 1: "), std::string::npos) << log;
  EXPECT_EQ(log.find("debug listening"), std::string::npos) << log;
  EXPECT_TRUE(Refused(debug_port));
}

TEST(HomeworkTest, SecondInstanceOnTheSamePortFails) {
  Homework first(DefaultArgs());
  int app, debug;
  ASSERT_TRUE(first.Ports(&app, &debug));
  // With SO_REUSEPORT (POCO's ServerSocket(port) default) this would start.
  Homework second({"--app=127.0.0.1:" + std::to_string(app), "--debug=127.0.0.1:0"});
  EXPECT_EQ(second.ExitCode(Ms(5000 * kSlack)), 1) << second.Log();
  EXPECT_EQ(Http(app, "GET", "/").status, 200);  // the first one is unharmed
  first.Signal(SIGTERM);
  EXPECT_EQ(first.ExitCode(Ms(5000 * kSlack)), 0) << first.Log();
}

// ---------------------------------------------------------------- 9

TEST(HomeworkTest, DebugFailStopsEverythingWithExitOne) {
  Homework hw(DefaultArgs());
  int app, debug;
  ASSERT_TRUE(hw.Ports(&app, &debug));
  Response r = Http(debug, "POST", "/debug/fail");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(hw.ExitCode(Ms(5000 * kSlack)), 1) << hw.Log();
  EXPECT_TRUE(hw.WaitLine("app stopped", Ms(1000))) << hw.Log();
  EXPECT_FALSE(hw.WaitLine("signal received", Ms(0))) << hw.Log();
}

TEST(HomeworkTest, DebugQuitAnswersThenStopsEverythingWithExitZero) {
  Homework hw(DefaultArgs());
  int app, debug;
  ASSERT_TRUE(hw.Ports(&app, &debug));
  Response r = Http(debug, "POST", "/debug/quit");
  ASSERT_TRUE(r.ok) << r.error;  // answered before the debug server went away
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(hw.ExitCode(Ms(5000 * kSlack)), 0) << hw.Log();
  EXPECT_TRUE(hw.WaitLine("app stopped", Ms(1000))) << hw.Log();
  EXPECT_TRUE(hw.WaitLine("debug stopped", Ms(1000))) << hw.Log();
}

// ---------------------------------------------------------------- 10

TEST(HomeworkTest, BothServersDrainInParallel) {
  Homework hw(DefaultArgs());
  int app, debug;
  ASSERT_TRUE(hw.Ports(&app, &debug));
  // App: a 1000 ms handler. Debug: a request in flight whose body arrives
  // 800 ms after SIGTERM (its header is complete: the server said "100
  // Continue", so the debug drain must wait for it). A client still sending
  // its header is not in flight: hostile_test checks that one is closed.
  Response app_r, debug_r;
  std::thread app_client([&] { app_r = Http(app, "GET", "/slow?ms=1000", Ms(10000 * kSlack)); });
  int dfd = Dial(debug, Ms(5000));
  ASSERT_GE(dfd, 0);
  ASSERT_TRUE(SendAll(dfd,
                      "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n"
                      "Expect: 100-continue\r\n\r\n"));
  Response cont = ReadResponse(dfd, Ms(5000 * kSlack));
  ASSERT_TRUE(cont.ok && cont.status == 100) << cont.error;
  bool in = WaitInflight(debug, 1, Ms(5000 * kSlack));
  hw.Signal(SIGTERM);
  const auto t0 = hw.SignalAt();
  // Both listeners close at once (a sequential drain would keep the debug
  // one open until the app finished).
  auto until = t0 + Ms(500 * kSlack);
  bool debug_refused = false;
  while (!debug_refused && Clock::now() < until) {
    debug_refused = Refused(debug);
    if (!debug_refused) std::this_thread::sleep_for(5ms);
  }
  std::this_thread::sleep_until(t0 + 800ms);
  ASSERT_TRUE(SendAll(dfd, "hello"));
  debug_r = ReadResponse(dfd, Ms(5000 * kSlack));
  close(dfd);
  app_client.join();
  int code = hw.ExitCode(Ms(10000 * kSlack));
  double took = std::chrono::duration<double, std::milli>(hw.ExitedAt() - t0).count();
  ASSERT_TRUE(in) << hw.Log();
  EXPECT_TRUE(debug_refused) << "debug listener still open while the app drained";
  EXPECT_TRUE(app_r.ok && app_r.status == 200) << app_r.error;
  EXPECT_TRUE(debug_r.ok && debug_r.status == 200) << debug_r.error;
  EXPECT_TRUE(EqualFold(debug_r.Header("connection"), "close")) << debug_r.Header("connection");
  EXPECT_EQ(code, 0) << hw.Log();
  // ≈ the slowest (1000 ms), not the sum (1800 ms).
  EXPECT_LT(took, 1500.0 * kSlack) << hw.Log();
}

// ---------------------------------------------------------------- 11

TEST(HomeworkTest, ResetsPanicsAndBadInputDoNotHurtTheServer) {
  Homework hw(DefaultArgs());
  int app, debug;
  ASSERT_TRUE(hw.Ports(&app, &debug));
  // Clients that reset (RST via SO_LINGER 0) while their response is on the way.
  for (int i = 0; i < 20; ++i) {
    int fd = Dial(app, Ms(5000));
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(SendAll(fd, RequestText("GET", "/slow?ms=20", false)));
    linger l{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    if (i % 2 == 1) std::this_thread::sleep_for(20ms);  // the response may be mid-write
    close(fd);
  }
  Response r = Http(app, "GET", "/panic");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 500);
  EXPECT_TRUE(hw.WaitLine("panic", Ms(2000))) << "the panic was not logged:\n" << hw.Log();
  EXPECT_EQ(Http(app, "GET", "/").status, 200);
  for (const char* bad : {"/slow", "/slow?ms=", "/slow?ms=-1", "/slow?ms=60001", "/slow?ms=12x",
                          "/slow?ms=1e3", "/slow?ms=%20", "/slow?ms=999999999999"}) {
    Response b = Http(app, "GET", bad);
    EXPECT_TRUE(b.ok) << bad << ": " << b.error;
    EXPECT_EQ(b.status, 400) << bad;
  }
  EXPECT_EQ(Http(app, "GET", "/slow?ms=0").status, 200);
  // Garbage (POCO answers 400, drops the connection or waits for the rest up
  // to the read timeout: its business); the server stays up.
  for (const char* junk : {"\x01\x02 not http\r\n\r\n", "GARBAGE\r\n\r\n",
                           "GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n"}) {
    int fd = Dial(app, Ms(5000));
    ASSERT_GE(fd, 0);
    SendAll(fd, junk);
    (void)ReadResponse(fd, Ms(200));
    close(fd);
  }
  EXPECT_EQ(Http(app, "GET", "/").status, 200);
  EXPECT_EQ(Http(debug, "GET", "/healthz").status, 200);
  hw.Signal(SIGTERM);
  EXPECT_EQ(hw.ExitCode(Ms(5000 * kSlack)), 0) << hw.Log();
}

// ---------------------------------------------------------------- 12

TEST(HomeworkTest, ThreadCountStaysBoundedAndFallsBack) {
  Homework hw(DefaultArgs());
  int app, debug;
  ASSERT_TRUE(hw.Ports(&app, &debug));
  ASSERT_EQ(Http(app, "GET", "/").status, 200);
  const int base = ThreadCount(hw.Pid());
  ASSERT_GT(base, 0);

  constexpr int kConns = 200;
  std::atomic<int> ok{0}, finished{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kConns; ++i) {
    clients.emplace_back([&] {
      Response r = Http(app, "GET", "/slow?ms=300", Ms(30000 * kSlack));
      if (r.ok && r.status == 200) ok.fetch_add(1);
      finished.fetch_add(1);
    });
  }
  int peak = base;
  auto until = Clock::now() + Ms(60000);
  while (finished.load() < kConns && Clock::now() < until) {
    peak = std::max(peak, ThreadCount(hw.Pid()));
    std::this_thread::sleep_for(10ms);
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), kConns) << "every connection is served (none dropped at the queue)";
  // The app pool has 128 threads: one per connection, never one per request
  // beyond that, plus a few goroutines.
  EXPECT_LE(peak, base + 128 + 16) << "peak " << peak << " base " << base;
  EXPECT_GT(peak, base) << "no worker threads seen";
  // Idle pool threads retire (1 s idle, collected every second).
  int now = peak;
  until = Clock::now() + Ms(15000);
  while (Clock::now() < until) {
    now = ThreadCount(hw.Pid());
    if (now <= base + 8) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_LE(now, base + 8) << "threads did not fall back: base " << base << " now " << now;
  hw.Signal(SIGTERM);
  EXPECT_EQ(hw.ExitCode(Ms(5000 * kSlack)), 0) << hw.Log();
}

// ---------------------------------------------------------------- 13

// BlockedEarly is true once the child runs the homework image (not the
// spawning copy of us) with SIGINT, SIGTERM and SIGQUIT blocked.
bool BlockedEarly(pid_t pid) {
  char exe[4096];
  ssize_t n = readlink(("/proc/" + std::to_string(pid) + "/exe").c_str(), exe, sizeof exe - 1);
  if (n <= 0) return false;
  exe[n] = 0;
  std::string path(exe);
  const std::string name = "/homework";
  if (path.size() < name.size() ||
      path.compare(path.size() - name.size(), name.size(), name) != 0) {
    return false;  // still the spawning test binary, before exec
  }
  std::ifstream st("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(st, line)) {
    if (line.rfind("SigBlk:", 0) == 0) {
      unsigned long long mask = std::stoull(line.substr(7), nullptr, 16);
      unsigned long long want =
          (1ull << (SIGINT - 1)) | (1ull << (SIGTERM - 1)) | (1ull << (SIGQUIT - 1));
      return (mask & want) == want;
    }
  }
  return false;
}

TEST(HomeworkTest, SignalDuringStartUpIsStillGraceful) {
  // "Start-up" is measured from the moment the program blocked the signals
  // (before main: nothing can act earlier than the loader; how long exec and
  // the loader take on a loaded machine is not ours). We wait for that in
  // /proc, then signal 0..5 ms later, while flags, signals and listeners are
  // still being set up.
  for (int i = 0; i < 20; ++i) {
    Homework hw(DefaultArgs());
    auto until = Clock::now() + Ms(10000);
    bool blocked = false;
    while (!(blocked = BlockedEarly(hw.Pid())) && Clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    ASSERT_TRUE(blocked) << "the signals were never blocked";
    std::this_thread::sleep_for(std::chrono::microseconds(250 * i));
    hw.Signal(i % 2 ? SIGINT : SIGTERM);
    int code = hw.ExitCode(Ms(10000 * kSlack));
    ASSERT_EQ(code, 0) << "run " << i << " (-1000-N = killed by signal N):\n" << hw.Log();
  }
}

// ---------------------------------------------------------------- flags

TEST(HomeworkTest, BadFlagsExitTwoWithAClearMessage) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{{{"--app=nope"}, "--app"},
                                         {{"--debug=127.0.0.1:70000"}, "--debug"},
                                         {{"--shutdown-timeout=5"}, "--shutdown-timeout"},
                                         {{"--drain-delay=-1s"}, "--drain-delay"},
                                         {{"--bogus=1"}, "unknown flag --bogus"},
                                         {{"stray"}, "stray"},
                                         {{"--app"}, "needs a value"}}) {
    Homework hw(c.args);
    EXPECT_EQ(hw.ExitCode(Ms(5000 * kSlack)), 2) << c.says << "\n" << hw.Log();
    ASSERT_TRUE(hw.Eof(Ms(5000)));
    EXPECT_NE(hw.Log().find(c.says), std::string::npos) << hw.Log();
  }
}

}  // namespace
