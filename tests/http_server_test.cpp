// http_server_test: gox::Server in-process (the homework tests cover the whole
// program): bind errors, serving, Request parsing, ServeMux, and Shutdown's
// three outcomes (drained, aborted at the deadline, never started).
#include "gox/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gox/chan.h"
#include "gox/context.h"
#include "gox/select.h"
#include "gox/time.h"
#include "http_test_client.h"
#include "test_util.h"

namespace {

using namespace std::chrono_literals;
using namespace http_test;

constexpr int kSlack = gox_test::kSanitized ? 4 : 1;

int PortOf(const gox::Server& s) {
  std::string a = s.Addr();
  return std::stoi(a.substr(a.rfind(':') + 1));
}

void Hello(gox::ResponseWriter& w, gox::Request&) { w.Write("hello\n"); }

// Serving runs ListenAndServe on its own thread and joins it at the end.
class Serving {
 public:
  explicit Serving(gox::Server* s) : s_(s) {
    done_ = std::async(std::launch::async, [s] { return s->ListenAndServe(); });
  }
  // Result waits for ListenAndServe to return (at most timeout).
  std::optional<gox::Error> Result(Ms timeout) {
    if (done_.wait_for(timeout) != std::future_status::ready) return std::nullopt;
    return done_.get();
  }
  ~Serving() {
    if (done_.valid()) {
      (void)s_->Shutdown(gox::Background());
      done_.wait();
    }
  }

 private:
  gox::Server* s_;
  std::future<gox::Error> done_;
};

// WaitListening waits until the server has bound (Addr shows a real port).
bool WaitListening(gox::Server& s) {
  auto until = Clock::now() + 10s;
  while (Clock::now() < until) {
    std::string a = s.Addr();
    if (a.substr(a.rfind(':') + 1) != "0") return true;
    std::this_thread::sleep_for(1ms);
  }
  return false;
}

TEST(HttpServerTest, ListenPicksAPortAndServes) {
  gox::Server srv("127.0.0.1:0", Hello);
  ASSERT_FALSE(srv.Listen());
  EXPECT_NE(PortOf(srv), 0);
  EXPECT_FALSE(srv.Listen()) << "a second Listen is a no-op";
  Serving serving(&srv);
  Response r = Http(PortOf(srv), "GET", "/anything");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello\n");
  EXPECT_EQ(r.Header("content-length"), "6");
  EXPECT_EQ(srv.RequestsTotal(), 1u);
  EXPECT_FALSE(srv.Shutdown(gox::Background()));
  auto res = serving.Result(5000ms);
  ASSERT_TRUE(res.has_value()) << "ListenAndServe did not return after Shutdown";
  EXPECT_TRUE(gox::Is(*res, gox::ErrServerClosed)) << res->Message();
  EXPECT_TRUE(Refused(PortOf(srv)));
}

TEST(HttpServerTest, PortInUseIsAnErrorNamingTheAddress) {
  gox::Server a("127.0.0.1:0", Hello);
  ASSERT_FALSE(a.Listen());
  const std::string addr = a.Addr();
  gox::Server b(addr, Hello);
  gox::Error err = b.Listen();
  ASSERT_TRUE(err) << "bound twice: SO_REUSEPORT?";
  EXPECT_EQ(err.Message(), "listen tcp " + addr + ": Address already in use");
  EXPECT_TRUE(b.ListenAndServe()) << "ListenAndServe returns the bind error at once";
}

TEST(HttpServerTest, MalformedAddressIsAnError) {
  for (const char* bad : {"nonsense", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:http"}) {
    gox::Server s(bad, Hello);
    gox::Error err = s.Listen();
    ASSERT_TRUE(err) << bad;
    EXPECT_NE(err.Message().find(std::string("listen tcp ") + bad), std::string::npos)
        << err.Message();
  }
}

TEST(HttpServerTest, ShutdownBeforeServeClosesTheListener) {
  gox::Server srv("127.0.0.1:0", Hello);
  ASSERT_FALSE(srv.Listen());
  const int port = PortOf(srv);
  EXPECT_FALSE(srv.Shutdown(gox::Background()));
  EXPECT_TRUE(Refused(port));
  EXPECT_TRUE(gox::Is(srv.Serve(), gox::ErrServerClosed));
  EXPECT_TRUE(gox::Is(srv.Listen(), gox::ErrServerClosed));
}

TEST(HttpServerTest, RequestFieldsQueryHeadersAndBody) {
  std::mutex mu;
  gox::Request seen;  // Header/RemoteAddr need the live request: kept separately
  std::string seen_token, seen_remote;
  gox::Server srv("127.0.0.1:0", [&](gox::ResponseWriter& w, gox::Request& r) {
    std::lock_guard lock(mu);
    seen = r;
    seen.native = nullptr;
    seen_token = r.Header("X-TOKEN");
    seen_remote = r.RemoteAddr();
    w.SetHeader("X-Echo", r.Header("x-token"));
    w.WriteHeader(201);
    w.Write(r.body);
  });
  Serving serving(&srv);
  ASSERT_TRUE(WaitListening(srv));
  int fd = Dial(PortOf(srv), 5000ms);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(SendAll(fd,
                      "POST /p%20q?a=1&b=x%20y&b=2&c&d=a+b HTTP/1.1\r\nHost: h\r\n"
                      "X-Token: t0k\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"));
  Response r = ReadResponse(fd, 5000ms);
  close(fd);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.Header("x-echo"), "t0k");
  std::lock_guard lock(mu);
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.path, "/p q");
  EXPECT_EQ(seen.raw_query, "a=1&b=x%20y&b=2&c&d=a+b");
  EXPECT_EQ(seen.Query("a"), "1");
  EXPECT_EQ(seen.Query("b"), "x y") << "the first value wins";
  EXPECT_EQ(seen.Query("c"), "");
  EXPECT_EQ(seen.Query("d"), "a b");
  EXPECT_EQ(seen.Query("zz"), std::nullopt);
  EXPECT_EQ(seen_token, "t0k");
  EXPECT_EQ(seen.Header("X-TOKEN"), "") << "no live request: empty";
  EXPECT_EQ(seen.body, "hello");
  EXPECT_NE(seen_remote.find("127.0.0.1:"), std::string::npos);
}

TEST(HttpServerTest, ServeMuxRoutesExactPathsAndMethods) {
  gox::ServeMux mux;
  mux.HandleFunc("/a", Hello, "GET");
  mux.HandleFunc("/b", Hello);
  gox::Server srv("127.0.0.1:0", mux);
  Serving serving(&srv);
  ASSERT_TRUE(WaitListening(srv));
  const int port = PortOf(srv);
  EXPECT_EQ(Http(port, "GET", "/a").status, 200);
  Response r = Http(port, "POST", "/a");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("allow"), "GET");
  EXPECT_EQ(Http(port, "POST", "/b").status, 200);
  EXPECT_EQ(Http(port, "GET", "/a/").status, 404);
  EXPECT_EQ(Http(port, "GET", "/").status, 404);
}

TEST(HttpServerTest, HandlerExceptionIs500AndLogged) {
  std::mutex mu;
  std::vector<std::string> log;
  gox::ServerOptions o;
  o.error_log = [&](const std::string& l) {
    std::lock_guard lock(mu);
    log.push_back(l);
  };
  gox::Server srv(
      "127.0.0.1:0",
      [](gox::ResponseWriter& w, gox::Request& r) {
        w.Write("partial");
        if (r.path == "/boom") throw std::runtime_error("kaboom");
      },
      o);
  Serving serving(&srv);
  ASSERT_TRUE(WaitListening(srv));
  Response r = Http(PortOf(srv), "GET", "/boom");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.find("partial"), std::string::npos) << "the partial body is discarded";
  EXPECT_EQ(Http(PortOf(srv), "GET", "/fine").status, 200);
  std::lock_guard lock(mu);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_NE(log[0].find("kaboom"), std::string::npos) << log[0];
  EXPECT_NE(log[0].find("/boom"), std::string::npos) << log[0];
}

TEST(HttpServerTest, ShutdownWaitsForTheInFlightRequest) {
  gox::Chan<gox::Unit> entered(1), release(0);
  gox::Server srv("127.0.0.1:0", [&](gox::ResponseWriter& w, gox::Request&) {
    entered.Send(gox::Unit{});
    release.Recv();
    w.Write("done\n");
  });
  Serving serving(&srv);
  ASSERT_TRUE(WaitListening(srv));
  gox_test::RunWithWatchdog(20s, [&] {
    std::future<Response> client = std::async(std::launch::async, [&] {
      int fd = Dial(PortOf(srv), 5000ms);
      if (fd < 0) return Response{};
      SendAll(fd, RequestText("GET", "/", false));  // keep-alive request
      Response r = ReadResponse(fd, 10000ms);
      close(fd);
      return r;
    });
    entered.Recv();
    EXPECT_EQ(srv.Inflight(), 1);
    std::future<gox::Error> shut =
        std::async(std::launch::async, [&] { return srv.Shutdown(gox::Background()); });
    // Listener closed at once, Shutdown still waiting for the handler.
    auto until = Clock::now() + 2s * kSlack;
    while (!Refused(PortOf(srv)) && Clock::now() < until) std::this_thread::sleep_for(2ms);
    EXPECT_TRUE(Refused(PortOf(srv)));
    EXPECT_EQ(shut.wait_for(100ms), std::future_status::timeout) << "Shutdown did not wait";
    release.Send(gox::Unit{});
    gox::Error err = shut.get();
    EXPECT_FALSE(err) << err.Message();
    Response r = client.get();
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.body, "done\n");
    EXPECT_TRUE(EqualFold(r.Header("connection"), "close")) << r.Header("connection");
    EXPECT_EQ(srv.Inflight(), 0);
  });
}

TEST(HttpServerTest, ShutdownDeadlineAbortsAndCancelsTheRequestContext) {
  gox::Chan<gox::Unit> entered(1);
  std::atomic<bool> saw_cancel{false};
  gox::ServerOptions o;
  o.abort_grace = 10s;  // a loaded machine under TSan must not make this "stuck"
  gox::Server srv(
      "127.0.0.1:0",
      [&](gox::ResponseWriter& w, gox::Request& r) {
        entered.Send(gox::Unit{});
        gox::Select(
            gox::RecvCase(r.ctx.Done(), [&](std::optional<gox::Unit>) { saw_cancel = true; }),
            gox::RecvCase(gox::After(30s), [](std::optional<gox::Clock::time_point>) {}));
        w.Write("late\n");
      },
      o);
  Serving serving(&srv);
  ASSERT_TRUE(WaitListening(srv));
  gox_test::RunWithWatchdog(20s, [&] {
    std::future<Response> client =
        std::async(std::launch::async, [&] { return Http(PortOf(srv), "GET", "/", 20000ms); });
    entered.Recv();
    auto [ctx, cancel] = gox::WithTimeout(gox::Background(), 100ms);
    auto t0 = Clock::now();
    gox::Error err = srv.Shutdown(ctx);
    double took = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    cancel();
    EXPECT_TRUE(gox::Is(err, gox::DeadlineExceeded)) << err.Message();
    EXPECT_GE(took, 90.0);
    EXPECT_LT(took, 1000.0 * kSlack);
    EXPECT_TRUE(saw_cancel.load()) << "the handler's context was not cancelled at the deadline";
    EXPECT_FALSE(srv.Stuck());
    Response r = client.get();
    EXPECT_FALSE(r.ok && r.status == 200 && r.body == "late\n") << "aborted, yet complete?";
  });
}

TEST(HttpServerTest, HandlerIgnoringTheAbortIsWaitedForWithinTheGrace) {
  gox::Chan<gox::Unit> entered(1);
  gox::ServerOptions o;
  o.abort_grace = 5s;
  gox::Server srv(
      "127.0.0.1:0",
      [&](gox::ResponseWriter& w, gox::Request&) {
        entered.Send(gox::Unit{});
        std::this_thread::sleep_for(300ms);  // the stimulus: a handler deaf to ctx
        w.Write("x");
      },
      o);
  Serving serving(&srv);
  ASSERT_TRUE(WaitListening(srv));
  gox_test::RunWithWatchdog(20s, [&] {
    std::future<Response> client =
        std::async(std::launch::async, [&] { return Http(PortOf(srv), "GET", "/", 10000ms); });
    entered.Recv();
    auto [ctx, cancel] = gox::WithTimeout(gox::Background(), 20ms);
    gox::Error err = srv.Shutdown(ctx);
    cancel();
    EXPECT_TRUE(gox::Is(err, gox::DeadlineExceeded));
    EXPECT_FALSE(srv.Stuck()) << "the handler returned within the grace";
    EXPECT_EQ(srv.Inflight(), 0);
    (void)client.get();
  });
}

TEST(HttpServerTest, IdleShutdownIsFast) {
  // POCO's acceptor polls every 250 ms; Shutdown wakes it instead.
  for (int i = 0; i < 5; ++i) {
    gox::Server srv("127.0.0.1:0", Hello);
    Serving serving(&srv);
    ASSERT_TRUE(WaitListening(srv));
    ASSERT_EQ(Http(PortOf(srv), "GET", "/").status, 200);  // Serve is running
    auto t0 = Clock::now();
    EXPECT_FALSE(srv.Shutdown(gox::Background()));
    double took = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    EXPECT_LT(took, gox_test::kSanitized ? 1000.0 : 150.0);
  }
}

TEST(HttpServerTest, SecondShutdownWaitsAndReturnsTheSameResult) {
  gox::Server srv("127.0.0.1:0", Hello);
  Serving serving(&srv);
  ASSERT_TRUE(WaitListening(srv));
  ASSERT_EQ(Http(PortOf(srv), "GET", "/").status, 200);
  auto first = std::async(std::launch::async, [&] { return srv.Shutdown(gox::Background()); });
  gox::Error second = srv.Shutdown(gox::Background());
  EXPECT_FALSE(first.get());
  EXPECT_FALSE(second);
}

TEST(HttpServerTest, DestructorAbortsARunningServer) {
  int port = 0;
  std::future<gox::Error> served;
  {
    gox::Server srv("127.0.0.1:0", Hello);
    ASSERT_FALSE(srv.Listen());
    port = PortOf(srv);
    served = std::async(std::launch::async, [&] { return srv.Serve(); });
    ASSERT_EQ(Http(port, "GET", "/").status, 200);
  }  // ~Server: Shutdown with a done context, waits for Serve to leave
  ASSERT_EQ(served.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(gox::Is(served.get(), gox::ErrServerClosed));
  EXPECT_TRUE(Refused(port));
  gox::Server never_served("127.0.0.1:0", Hello);
  ASSERT_FALSE(never_served.Listen());
}

}  // namespace
