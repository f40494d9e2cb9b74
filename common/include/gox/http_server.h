// http_server.h: gox::Server, Go's net/http.Server, on POCO 1.11's sockets and
// HTTP message parser.
//   Server(addr, h)    "host:port" (port 0 = pick one; ":8080" = all interfaces).
//   Listen()           binds now, without SO_REUSEPORT: a port in use fails here.
//   Serve()            serves until Shutdown begins, then returns ErrServerClosed.
//   ListenAndServe()   Listen() then Serve().
//   Shutdown(ctx)      stops accepting (new connects are refused), closes idle
//                      keep-alive connections, lets in-flight requests finish with
//                      `Connection: close`; if ctx ends first, shuts the remaining
//                      connections down, cancels Request::ctx and returns
//                      ctx.Err(). Returns once no connection remains (or after
//                      ServerOptions::abort_grace, Stuck() then true). Unlike Go,
//                      Shutdown also releases the server's threads.
// Hostile clients: a connection is "in flight" only once its request header is
// complete. Until then it waits in one epoll thread (no handler thread), under
// ServerOptions::read_header_timeout; idle keep-alive connections wait there
// under idle_timeout (after a response, the worker first waits up to 2 ms for
// the client's next request); Shutdown closes both kinds at once. Oversized or
// malformed requests are answered 414/431/400 (501, 505) with Connection:
// close; past max_conns, or with every handler thread busy and max_queued
// requests waiting, a new client gets 503 with Connection: close.
// Handlers run on the server's own threads (at most max_threads) and get
// Request::ctx, cancelled only when Shutdown gives up (never when the drain
// starts). A handler that throws gets a 500 and a log line; the server keeps
// serving. Ordering: what a handler did is visible to the caller once Shutdown
// has returned.
// Invalid: calling Shutdown or destroying the Server from one of its own
// handlers (it waits for that very handler): signal another thread instead.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gox/context.h"
#include "gox/error.h"

namespace gox {

// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown
// ("http: Server closed").
extern const Error ErrServerClosed;

// Request is one parsed HTTP request. The body is read completely (up to
// ServerOptions::max_body_bytes) before the handler runs. Header() reads the
// parsed header, so it works only while the handler runs (a copy kept longer
// gets "").
struct Request {
  std::string method;     // "GET"
  std::string target;     // "/slow?ms=80", as sent
  std::string path;       // "/slow" (percent-decoded)
  std::string raw_query;  // "ms=80"
  std::string body;
  std::string remote_addr;  // the client's "ip:port"
  Context ctx;              // cancelled only at Shutdown's hard deadline

  // Query returns the first value of key in the query string, or nullopt.
  std::optional<std::string> Query(const std::string& key) const;
  // Header returns the value of a request header (name case-insensitive), or "".
  std::string Header(const std::string& name) const;
  // RemoteAddr is the client's "ip:port" (remote_addr).
  std::string RemoteAddr() const { return remote_addr; }

  const void* native = nullptr;  // the parsed header, while the handler runs
};

// ResponseWriter builds the response; it is sent when the handler returns, with
// Content-Length (responses are buffered, not streamed).
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  // SetHeader sets a response header (replacing an earlier value).
  virtual void SetHeader(const std::string& name, const std::string& value) = 0;
  // WriteHeader sets the status code (default 200). Out-of-range codes are 500.
  virtual void WriteHeader(int status) = 0;
  // Write appends to the body.
  virtual void Write(std::string_view data) = 0;
};

using Handler = std::function<void(ResponseWriter&, Request&)>;

// ServeMux routes by exact path (no patterns): unknown paths get 404.
// Register every route before the mux is handed to a Server (it is copied).
class ServeMux {
 public:
  // HandleFunc routes path to h. method "" accepts any method; otherwise
  // other methods get 405 with an Allow header.
  void HandleFunc(const std::string& path, Handler h, const std::string& method = "");
  void operator()(ResponseWriter& w, Request& r) const;

 private:
  struct Route {
    std::string method;
    Handler h;
  };
  std::map<std::string, Route> routes_;
};

struct ServerOptions {
  int max_threads = 128;  // handlers running at once (threads, made on demand)
  int max_queued = 256;   // complete requests waiting for a thread; more: 503
  int max_conns = 10000;  // open connections; more are answered 503 at accept
  // From accept (or a kept-alive request's first byte) to the header's end;
  // then the connection is closed without an answer (Go's ReadHeaderTimeout).
  Duration read_header_timeout = std::chrono::seconds(5);
  Duration read_timeout = std::chrono::seconds(5);  // the body; each response write
  Duration idle_timeout = std::chrono::seconds(5);  // keep-alive between requests
  Duration abort_grace = std::chrono::seconds(1);   // after an abort, wait this long
                                                    // for handlers to return
  std::size_t max_request_line = 16 << 10;          // longer: 414
  std::size_t max_header_bytes = 64 << 10;          // request line + headers: 431
  std::size_t max_body_bytes = 1 << 20;             // larger bodies get 413
  // error_log receives one line per handler exception ("http: panic serving
  // ..."), and any exception a POCO thread catches (POCO's one ErrorHandler
  // per process: "connection error: ..." for a client's doing, "poco: ..."
  // otherwise; to the most recently constructed Server still alive). Bad
  // requests are answered, not logged. Default: stderr.
  std::function<void(const std::string&)> error_log;
};

class Server {
 public:
  Server(std::string addr, Handler h, ServerOptions opts = {});
  // ~Server shuts down at once (abort) if Shutdown was not called. If handlers
  // ignored the abort and are still running, the POCO server is deliberately
  // leaked rather than destroyed under them (see Stuck()).
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Listen binds and listens. Error: "listen tcp ADDR: reason". A second call
  // returns nil; after Shutdown it returns ErrServerClosed.
  Error Listen();
  // Serve starts serving (listening first if needed) and blocks until Shutdown
  // begins; returns ErrServerClosed then, or the Listen error. Call it once.
  Error Serve();
  // ListenAndServe is Listen() then Serve().
  Error ListenAndServe();
  // Shutdown drains gracefully (see the file comment). Returns nil when every
  // request finished in time, else ctx.Err(). Before Serve it just closes the
  // listener. Later calls wait for the first one and return its result.
  Error Shutdown(Context ctx);

  // Addr is the bound "host:port" after Listen (the real port for port 0),
  // else the configured address.
  std::string Addr() const;
  // Inflight is the number of handlers running now.
  int64_t Inflight() const;
  // RequestsTotal counts requests handed to the handler since construction.
  uint64_t RequestsTotal() const;
  // OpenConnections is the number of client connections open now (idle,
  // reading a header, or in flight).
  int64_t OpenConnections() const;
  // Rejected counts connections turned away with 503 (max_conns, or every
  // thread busy and the queue full).
  uint64_t Rejected() const;
  // Stuck is true if Shutdown gave up on handlers that ignored the abort.
  bool Stuck() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace gox
