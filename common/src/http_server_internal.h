// http_server_internal.h: what the two halves of gox::Server share (not a
// public header).
//   Shared                 the state POCO's threads see: handler, options,
//                          the hard-deadline context, drain flags, counters.
//   NewHandlerFactory(s)   POCO's request-handler factory over Shared: it
//                          adapts POCO's request/response to gox::Request and
//                          gox::ResponseWriter (http_server_mux.cpp).
//   PocoErrorLog           the library's one Poco::ErrorHandler
//                          (http_server_errors.cpp).
//   SplitHostPort, Poke, Connectable: socket helpers (http_server_net.cpp).
#pragma once

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/SocketAddress.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "gox/context.h"
#include "gox/http_server.h"

namespace gox::http_internal {

// Shared is what POCO's threads (acceptor filter, handlers) use; the factory
// holds a reference so it outlives the Server if POCO keeps objects longer.
struct Shared {
  Handler handler;
  ServerOptions opts;
  Context hard_ctx;  // cancelled only when Shutdown aborts
  CancelFunc hard_cancel;
  std::atomic<bool> stopping{false};  // acceptor: reject new connections
  std::atomic<bool> draining{false};  // responses carry Connection: close
  std::atomic<int64_t> inflight{0};
  std::atomic<uint64_t> total{0};

  void LogError(const std::string& line) const {
    if (opts.error_log) {
      opts.error_log(line);
    } else {
      std::fprintf(stderr, "%s\n", line.c_str());
    }
  }
};

Poco::Net::HTTPRequestHandlerFactory* NewHandlerFactory(std::shared_ptr<Shared> s);

// PocoErrorLog receives the exceptions POCO's own threads catch (the acceptor,
// a connection outside any handler); POCO's default handler drops them in
// release builds. POCO has one ErrorHandler per process, so the lines go to
// the sink of the most recently registered Server still alive; with none,
// to stderr. A socket error, a read timeout or an unparsable request is the
// client's doing ("connection error: ..."); anything else is a fault
// ("poco: ...").
class PocoErrorLog {
 public:
  using Sink = std::function<void(const std::string&)>;
  // Register installs the handler (once, and only over POCO's default one)
  // and makes sink the current one until Unregister(id).
  static uint64_t Register(Sink sink);
  static void Unregister(uint64_t id);
};

// SplitHostPort splits "host:port", "[v6]:port" or ":port" (host "" becomes
// 0.0.0.0); false if malformed or the port is not 0..65535.
bool SplitHostPort(const std::string& addr, std::string* host, std::string* port);
// Poke starts a non-blocking connect to addr and closes it: enough to make a
// listener's poll() return. Never blocks.
void Poke(const Poco::Net::SocketAddress& addr);
// Connectable turns a wildcard listen address into a loopback one.
Poco::Net::SocketAddress Connectable(const Poco::Net::SocketAddress& a);

// LinkTsanSuppressions does nothing; calling it links http_server_tsan.cpp
// (POCO's suppressions under TSan) into the program.
void LinkTsanSuppressions();

}  // namespace gox::http_internal
