// poco_hello: the bare Poco::Net::HTTPServer baseline for bench/http_load.sh.
//   poco_hello [PORT] [THREADS]   (defaults 0 = pick a port, 128 threads)
// Answers every request with 200 "hello\n", keep-alive on, with the same POCO
// configuration as gox::Server (own ThreadPool, THREADS workers) but none of its
// lifecycle layer. Prints "listening on 127.0.0.1:PORT" on stderr; SIGINT/SIGTERM
// stop it with POCO's own stopAll(true).
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>

namespace {

class Hello final : public Poco::Net::HTTPRequestHandler {
 public:
  void handleRequest(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& resp) override {
    static const char kBody[] = "hello\n";
    resp.setContentType("text/plain; charset=utf-8");
    resp.sendBuffer(kBody, sizeof kBody - 1);
  }
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Hello;
  }
};

}  // namespace

int main(int argc, char** argv) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  int port = argc > 1 ? std::atoi(argv[1]) : 0;
  int threads = argc > 2 ? std::atoi(argv[2]) : 128;
  if (port < 0 || port > 65535 || threads < 1) {
    std::fprintf(stderr, "usage: poco_hello [PORT] [THREADS]\n");
    return 2;
  }
  try {
    Poco::Net::ServerSocket sock;
    sock.bind(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)), true, false);
    sock.listen(128);
    Poco::ThreadPool pool(2, threads, 1);
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(threads);
    params->setMaxQueued(256);
    params->setKeepAliveTimeout(Poco::Timespan(5, 0));
    params->setTimeout(Poco::Timespan(5, 0));
    params->setThreadIdleTime(Poco::Timespan(1, 0));
    Poco::Net::HTTPServer srv(new Factory, pool, sock, params);
    srv.start();
    std::fprintf(stderr, "listening on %s\n", sock.address().toString().c_str());
    int sig = 0;
    sigwait(&set, &sig);
    srv.stopAll(true);
  } catch (const Poco::Exception& e) {
    std::fprintf(stderr, "poco_hello: %s\n", e.displayText().c_str());
    return 1;
  }
  return 0;
}
