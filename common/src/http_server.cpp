// http_server.cpp: gox::Server on Poco::Net::HTTPServer (POCO 1.11), following
// the bounded-drain recipe of POCO-NOTES.md. Where POCO falls short:
//   - ServerSocket(port) sets SO_REUSEPORT: we bind(addr, true, false) ourselves.
//   - stop() leaves the listener open (connects hang): we close it after stop().
//   - stop() waits for the acceptor's 250 ms poll: we wake it with a loopback
//     connect that our connection filter rejects.
//   - stopAll(false) has no timeout: its step runs on a helper thread, bounded
//     by ctx; then we shut the remaining sockets down ourselves (stopAll(true)
//     would wait behind the blocked stopAll(false): POCO runs each connection's
//     delegate under a mutex). So we run a TCPServer with HTTPServer's
//     connections, tracked, instead of HTTPServer itself.
//   - the pool's idle threads never retire on their own: Serve collects them.
#include "gox/http_server.h"

#include <Poco/ErrorHandler.h>
#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerConnection.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <istream>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "gox/select.h"
#include "gox/time.h"

namespace gox {

const Error ErrServerClosed = Error::New("http: Server closed");

namespace {

using Poco::Net::HTTPResponse;

bool EqualFold(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string Decode(const std::string& s) {
  std::string plus = s;
  std::replace(plus.begin(), plus.end(), '+', ' ');
  std::string out;
  try {
    Poco::URI::decode(plus, out);
  } catch (const Poco::Exception&) {
    return plus;
  }
  return out;
}

// PocoErrors logs exceptions POCO's threads catch (the default handler drops
// them in release builds). Installed only if nobody installed another one.
class PocoErrors final : public Poco::ErrorHandler {
 public:
  void exception(const Poco::Exception& e) override { Log(e.displayText()); }
  void exception(const std::exception& e) override { Log(e.what()); }
  void exception() override { Log("unknown exception"); }
  static bool DefaultInstalled() { return get() == defaultHandler(); }

 private:
  static void Log(const std::string& what) { std::fprintf(stderr, "poco: %s\n", what.c_str()); }
};

void InstallErrorHandler() {
  static PocoErrors handler;
  static std::once_flag once;
  std::call_once(once, [] {
    if (PocoErrors::DefaultInstalled()) {
      Poco::ErrorHandler::set(&handler);
    }
  });
}

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

class Writer final : public ResponseWriter {
 public:
  void SetHeader(const std::string& name, const std::string& value) override {
    for (auto& h : headers_) {
      if (EqualFold(h.first, name)) {
        h.second = value;
        return;
      }
    }
    headers_.emplace_back(name, value);
  }
  void WriteHeader(int status) override { status_ = status >= 100 && status <= 999 ? status : 500; }
  void Write(std::string_view data) override { body_.append(data); }

  void Reset(int status, std::string body) {
    status_ = status;
    headers_.clear();
    body_ = std::move(body);
    SetHeader("Content-Type", "text/plain; charset=utf-8");
  }

  // Send writes the response. Returns false if the client went away.
  bool Send(Poco::Net::HTTPServerResponse& resp, bool close) {
    resp.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(status_));
    bool has_type = false;
    for (const auto& [name, value] : headers_) {
      if (EqualFold(name, "Content-Length") || EqualFold(name, "Connection")) continue;
      if (EqualFold(name, "Content-Type")) has_type = true;
      resp.set(name, value);
    }
    if (!has_type && !body_.empty()) resp.setContentType("text/plain; charset=utf-8");
    if (close) resp.setKeepAlive(false);
    try {
      resp.sendBuffer(body_.data(), body_.size());
      return true;
    } catch (const Poco::Exception&) {
      resp.setKeepAlive(false);  // ends the connection without touching it again
      return false;
    }
  }

 private:
  int status_ = 200;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::string body_;
};

class RequestHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  // s outlives the handler: the factory, which every connection holds, owns it.
  explicit RequestHandler(Shared* s) : s_(s) {}

  void handleRequest(Poco::Net::HTTPServerRequest& preq,
                     Poco::Net::HTTPServerResponse& presp) override {
    Writer w;
    Request r;
    if (!Parse(preq, &r, &w)) {
      w.Send(presp, true);
      return;
    }
    s_->inflight.fetch_add(1, std::memory_order_relaxed);
    s_->total.fetch_add(1, std::memory_order_relaxed);
    try {
      s_->handler(w, r);
    } catch (const std::exception& e) {
      s_->LogError("http: panic serving " + r.RemoteAddr() + " " + r.method + " " + r.target +
                   ": " + e.what());
      w.Reset(500, "500 internal server error\n");
    } catch (...) {
      s_->LogError("http: panic serving " + r.RemoteAddr() + " " + r.method + " " + r.target +
                   ": unknown exception");
      w.Reset(500, "500 internal server error\n");
    }
    w.Send(presp, s_->draining.load(std::memory_order_acquire));
    s_->inflight.fetch_sub(1, std::memory_order_relaxed);
  }

 private:
  // Parse fills r; on a bad request it fills w with the error response.
  bool Parse(Poco::Net::HTTPServerRequest& preq, Request* r, Writer* w) const {
    try {
      r->native = &preq;
      r->method = preq.getMethod();
      r->target = preq.getURI();
      r->ctx = s_->hard_ctx;
      const std::size_t q = r->target.find('?');
      std::string raw_path = r->target.substr(0, q);
      if (q != std::string::npos) r->raw_query = r->target.substr(q + 1);
      if (raw_path.find('%') == std::string::npos) {
        r->path = std::move(raw_path);
      } else {
        Poco::URI::decode(raw_path, r->path);
      }
      if (r->path.empty()) r->path = "/";
      const std::size_t limit = s_->opts.max_body_bytes;
      if (preq.hasContentLength() && preq.getContentLength64() > static_cast<int64_t>(limit)) {
        w->Reset(413, "413 request body too large\n");
        return false;
      }
      if (preq.hasContentLength() || preq.getChunkedTransferEncoding()) {
        std::istream& in = preq.stream();
        char buf[8192];
        while (in.read(buf, sizeof buf) || in.gcount() > 0) {
          r->body.append(buf, static_cast<std::size_t>(in.gcount()));
          if (r->body.size() > limit) {
            w->Reset(413, "413 request body too large\n");
            return false;
          }
        }
      }
    } catch (const Poco::Exception& e) {
      w->Reset(400, "400 bad request: " + e.displayText() + "\n");
      return false;
    }
    return true;
  }

  Shared* s_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(std::shared_ptr<Shared> s) : s_(std::move(s)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new RequestHandler(s_.get());
  }

 private:
  std::shared_ptr<Shared> s_;
};

// Connections is the set of live connections, so an abort can shut their
// sockets down directly. (stopAll(true) cannot: POCO's event runs each
// connection's delegate under a per-delegate mutex, which a stopAll(false)
// blocked on that connection's in-flight request already holds.)
class TrackedConnection;
struct Connections {
  std::mutex mu;
  std::set<TrackedConnection*> live;  // under mu
  bool aborted = false;               // under mu: connections starting later are shut at once

  void Add(TrackedConnection* c);
  void Remove(TrackedConnection* c) {
    std::lock_guard lock(mu);
    live.erase(c);
  }
  void AbortAll();
};

// TrackedConnection is POCO's HTTP connection, registered while it runs.
class TrackedConnection final : public Poco::Net::HTTPServerConnection {
 public:
  TrackedConnection(const Poco::Net::StreamSocket& sock, Poco::Net::HTTPServerParams::Ptr params,
                    Poco::Net::HTTPRequestHandlerFactory::Ptr factory,
                    std::shared_ptr<Connections> reg)
      : HTTPServerConnection(sock, std::move(params), std::move(factory)), reg_(std::move(reg)) {}

  void run() override {
    reg_->Add(this);
    struct Unregister {
      TrackedConnection* c;
      ~Unregister() { c->reg_->Remove(c); }
    } unregister{this};
    HTTPServerConnection::run();
  }

  // Abort shuts the socket down (both directions): blocked reads and writes
  // fail at once. Called under Connections::mu, so the connection is alive.
  void Abort() {
    try {
      socket().shutdown();
    } catch (const Poco::Exception&) {
    }
  }

 private:
  std::shared_ptr<Connections> reg_;
};

void Connections::Add(TrackedConnection* c) {
  std::lock_guard lock(mu);
  live.insert(c);
  if (aborted) c->Abort();
}

void Connections::AbortAll() {
  std::lock_guard lock(mu);
  aborted = true;
  for (TrackedConnection* c : live) c->Abort();
}

class ConnectionFactory final : public Poco::Net::TCPServerConnectionFactory {
 public:
  ConnectionFactory(Poco::Net::HTTPServerParams::Ptr params,
                    Poco::Net::HTTPRequestHandlerFactory::Ptr factory,
                    std::shared_ptr<Connections> reg)
      : params_(std::move(params)), factory_(std::move(factory)), reg_(std::move(reg)) {}
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& sock) override {
    return new TrackedConnection(sock, params_, factory_, reg_);
  }

 private:
  Poco::Net::HTTPServerParams::Ptr params_;
  Poco::Net::HTTPRequestHandlerFactory::Ptr factory_;
  std::shared_ptr<Connections> reg_;
};

// Filter closes every connection accepted once the drain began (the wake-up
// connects among them).
class Filter final : public Poco::Net::TCPServerConnectionFilter {
 public:
  explicit Filter(std::shared_ptr<Shared> s) : s_(std::move(s)) {}
  bool accept(const Poco::Net::StreamSocket&) override {
    return !s_->stopping.load(std::memory_order_acquire);
  }

 private:
  std::shared_ptr<Shared> s_;
};

// SplitHostPort splits "host:port", "[v6]:port" or ":port".
bool SplitHostPort(const std::string& addr, std::string* host, std::string* port) {
  auto colon = addr.rfind(':');
  if (colon == std::string::npos) return false;
  *host = addr.substr(0, colon);
  *port = addr.substr(colon + 1);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  if (host->empty()) *host = "0.0.0.0";
  if (port->empty() || port->size() > 5) return false;
  for (char c : *port) {
    if (c < '0' || c > '9') return false;
  }
  return std::stoi(*port) <= 65535;
}

// Poke starts a non-blocking connect to addr and closes it: enough to make a
// listener's poll() return. Never blocks.
void Poke(const Poco::Net::SocketAddress& addr) {
  int fd = ::socket(addr.af(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  (void)::connect(fd, addr.addr(), addr.length());
  ::close(fd);
}

// Connectable turns a wildcard listen address into a loopback one.
Poco::Net::SocketAddress Connectable(const Poco::Net::SocketAddress& a) {
  if (a.host().isWildcard()) {
    return Poco::Net::SocketAddress(
        a.family() == Poco::Net::SocketAddress::IPv6 ? "::1" : "127.0.0.1", a.port());
  }
  return a;
}

}  // namespace

std::optional<std::string> Request::Query(const std::string& key) const {
  std::size_t pos = 0;
  while (pos <= raw_query.size()) {
    std::size_t amp = raw_query.find('&', pos);
    if (amp == std::string::npos) amp = raw_query.size();
    std::string pair = raw_query.substr(pos, amp - pos);
    std::size_t eq = pair.find('=');
    std::string k = Decode(pair.substr(0, eq));
    if (!pair.empty() && k == key) {
      return eq == std::string::npos ? std::string() : Decode(pair.substr(eq + 1));
    }
    pos = amp + 1;
  }
  return std::nullopt;
}

std::string Request::Header(const std::string& name) const {
  if (native == nullptr) return "";
  const auto* req = static_cast<const Poco::Net::HTTPServerRequest*>(native);
  return req->get(name, "");  // NameValueCollection: case-insensitive
}

std::string Request::RemoteAddr() const {
  if (native == nullptr) return "";
  return static_cast<const Poco::Net::HTTPServerRequest*>(native)->clientAddress().toString();
}

void ServeMux::HandleFunc(const std::string& path, Handler h, const std::string& method) {
  routes_[path] = Route{method, std::move(h)};
}

void ServeMux::operator()(ResponseWriter& w, Request& r) const {
  auto it = routes_.find(r.path);
  if (it == routes_.end()) {
    w.SetHeader("Content-Type", "text/plain; charset=utf-8");
    w.WriteHeader(404);
    w.Write("404 page not found\n");
    return;
  }
  if (!it->second.method.empty() && it->second.method != r.method) {
    w.SetHeader("Allow", it->second.method);
    w.SetHeader("Content-Type", "text/plain; charset=utf-8");
    w.WriteHeader(405);
    w.Write("405 method not allowed\n");
    return;
  }
  it->second.h(w, r);
}

struct Server::Impl {
  enum class State { kNew, kListening, kServing, kShuttingDown, kDone };

  std::string addr;
  std::shared_ptr<Shared> s;

  mutable std::mutex mu;
  std::condition_variable cv;
  // Fields below: under mu.
  State state = State::kNew;
  bool serve_called = false;
  bool serve_active = false;  // Serve is between start() and its return
  std::string bound;
  Error result;
  bool stuck = false;
  // Written by Serve (before kServing) and Shutdown (after), never at once.
  Poco::Net::ServerSocket sock;
  std::unique_ptr<Poco::ThreadPool> pool;
  std::shared_ptr<Connections> conns = std::make_shared<Connections>();
  Poco::Net::HTTPRequestHandlerFactory::Ptr factory;
  std::unique_ptr<Poco::Net::TCPServer> srv;  // what HTTPServer is, with tracked connections
  // notifier is an HTTPServer on the same factory that is never started: its
  // stopAll(false) fires the factory's serverStopped event, i.e. tells every
  // live connection to finish its request and close. (Firing the event from
  // our own code would instantiate POCO's event templates here, instrumented,
  // while the library's half stays uninstrumented: TSan then reports POCO's
  // reference counting as a race.)
  std::unique_ptr<Poco::Net::HTTPServer> notifier;

  Error Drain(Context ctx);
  void StopAcceptor();
  bool WaitNoConnections(Clock::time_point until, const std::atomic<bool>* give_up) const;
};

Server::Server(std::string addr, Handler h, ServerOptions opts) : impl_(std::make_unique<Impl>()) {
  InstallErrorHandler();
  impl_->addr = std::move(addr);
  impl_->s = std::make_shared<Shared>();
  impl_->s->handler = std::move(h);
  impl_->s->opts = std::move(opts);
  impl_->s->opts.max_threads = std::max(1, impl_->s->opts.max_threads);
  impl_->s->opts.max_queued = std::max(1, impl_->s->opts.max_queued);
  auto [ctx, cancel] = WithCancel(Background());
  impl_->s->hard_ctx = ctx;
  impl_->s->hard_cancel = cancel;
}

Server::~Server() {
  std::unique_lock lock(impl_->mu);
  if (impl_->state == Impl::State::kServing) {
    lock.unlock();
    auto [ctx, cancel] = WithCancel(Background());
    cancel();
    (void)Shutdown(ctx);
    lock.lock();
  } else if (impl_->state == Impl::State::kNew || impl_->state == Impl::State::kListening) {
    impl_->state = Impl::State::kDone;
    impl_->sock.close();
    impl_->cv.notify_all();
  }
  impl_->cv.wait(lock, [&] { return impl_->state == Impl::State::kDone && !impl_->serve_active; });
  bool stuck = impl_->stuck;
  lock.unlock();
  impl_->s->hard_cancel();
  if (stuck) {
    // Handlers still run inside POCO's objects: leave them all alive.
    (void)impl_.release();
  }
}

Error Server::Listen() {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  if (m.state == Impl::State::kShuttingDown || m.state == Impl::State::kDone) {
    return ErrServerClosed;
  }
  if (m.state != Impl::State::kNew) return Error();
  std::string host, port;
  if (!SplitHostPort(m.addr, &host, &port)) {
    return Error::New("listen tcp " + m.addr + ": address must be HOST:PORT with PORT 0..65535");
  }
  try {
    Poco::Net::SocketAddress sa(host, static_cast<Poco::UInt16>(std::stoi(port)));
    try {
      // bind(addr, reuseAddress, reusePort): never SO_REUSEPORT (POCO-NOTES 4.3).
      m.sock.bind(sa, true, false);
      m.sock.listen(std::max(128, m.s->opts.max_queued));
    } catch (const Poco::Exception& e) {
      m.sock.close();
      m.sock = Poco::Net::ServerSocket();
      std::string why = e.message();
      const std::string suffix = ": " + sa.toString();
      if (why.size() > suffix.size() &&
          why.compare(why.size() - suffix.size(), suffix.size(), suffix) == 0) {
        why.resize(why.size() - suffix.size());
      }
      if (why.empty()) why = e.displayText();
      return Error::New("listen tcp " + m.addr + ": " + why);
    }
    m.bound = m.sock.address().toString();
  } catch (const Poco::Exception& e) {
    return Error::New("listen tcp " + m.addr + ": " + e.displayText());
  }
  m.state = Impl::State::kListening;
  return Error();
}

Error Server::Serve() {
  Impl& m = *impl_;
  {
    std::lock_guard lock(m.mu);
    if (m.serve_called) return Error::New("http: Serve called twice");
    m.serve_called = true;
  }
  if (Error err = Listen()) return err;
  std::unique_lock lock(m.mu);
  if (m.state != Impl::State::kListening) return ErrServerClosed;
  const ServerOptions& o = m.s->opts;
  try {
    m.pool = std::make_unique<Poco::ThreadPool>(2, o.max_threads, /*idleTime s*/ 1);
    Poco::Net::HTTPServerParams::Ptr p = new Poco::Net::HTTPServerParams;
    auto span = [](Duration d) {
      return Poco::Timespan(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
    };
    p->setTimeout(span(o.read_timeout));
    p->setKeepAlive(true);
    p->setKeepAliveTimeout(span(o.idle_timeout));
    p->setMaxKeepAliveRequests(0);
    p->setMaxThreads(o.max_threads);
    p->setMaxQueued(o.max_queued);
    // 1.11 queues a single StopNotification (#3796): idle dispatcher threads
    // would otherwise linger 10 s at stop.
    p->setThreadIdleTime(Poco::Timespan(1, 0));
    m.factory = new Factory(m.s);
    m.notifier = std::make_unique<Poco::Net::HTTPServer>(m.factory, *m.pool, m.sock, p);
    m.srv = std::make_unique<Poco::Net::TCPServer>(new ConnectionFactory(p, m.factory, m.conns),
                                                   *m.pool, m.sock, p);
    m.srv->setConnectionFilter(new Filter(m.s));
    m.srv->start();
  } catch (const Poco::Exception& e) {
    m.srv.reset();
    m.notifier.reset();
    m.pool.reset();
    m.state = Impl::State::kDone;
    m.sock.close();
    m.cv.notify_all();
    return Error::New("http: serve " + m.bound + ": " + e.displayText());
  }
  m.state = Impl::State::kServing;
  m.serve_active = true;
  // We wait for Shutdown; meanwhile idle pool threads retire (POCO's pool only
  // does this when it starts a thread).
  while (m.state == Impl::State::kServing) {
    if (m.cv.wait_for(lock, std::chrono::seconds(1)) == std::cv_status::timeout &&
        m.state == Impl::State::kServing) {
      lock.unlock();
      m.pool->collect();
      lock.lock();
    }
  }
  m.serve_active = false;
  m.cv.notify_all();
  return ErrServerClosed;
}

Error Server::ListenAndServe() { return Serve(); }

Error Server::Shutdown(Context ctx) {
  Impl& m = *impl_;
  std::unique_lock lock(m.mu);
  switch (m.state) {
    case Impl::State::kNew:
    case Impl::State::kListening:
      m.state = Impl::State::kDone;
      m.sock.close();
      m.cv.notify_all();
      return Error();
    case Impl::State::kShuttingDown:
    case Impl::State::kDone:
      m.cv.wait(lock, [&] { return m.state == Impl::State::kDone; });
      return m.result;
    case Impl::State::kServing:
      break;
  }
  m.state = Impl::State::kShuttingDown;
  m.cv.notify_all();
  // Serve leaves its loop before we touch the pool.
  m.cv.wait(lock, [&] { return !m.serve_active; });
  lock.unlock();
  Error err = m.Drain(std::move(ctx));
  lock.lock();
  m.result = err;
  m.state = Impl::State::kDone;
  m.cv.notify_all();
  return err;
}

void Server::Impl::StopAcceptor() {
  // srv->stop() sets POCO's _stopped and joins the acceptor, which only looks
  // at _stopped between polls of up to 250 ms. A waker thread pokes the
  // listener until stop() returns; the filter closes what the pokes produce.
  std::mutex wmu;
  std::condition_variable wcv;
  bool done = false;
  Poco::Net::SocketAddress target = Connectable(sock.address());
  std::thread waker([&] {
    std::unique_lock wl(wmu);
    while (!done) {
      Poke(target);
      wcv.wait_for(wl, std::chrono::milliseconds(2), [&] { return done; });
    }
  });
  srv->stop();
  {
    std::lock_guard wl(wmu);
    done = true;
  }
  wcv.notify_all();
  waker.join();
}

bool Server::Impl::WaitNoConnections(Clock::time_point until,
                                     const std::atomic<bool>* give_up) const {
  for (;;) {
    // Not queuedConnections(): after stop() the queue holds POCO's own
    // StopNotification, which stays there when no dispatcher thread exists.
    if (srv->currentConnections() == 0) return true;
    if (Clock::now() >= until) return false;
    if (give_up && give_up->load(std::memory_order_acquire)) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

Error Server::Impl::Drain(Context ctx) {
  s->stopping.store(true, std::memory_order_release);
  s->draining.store(true, std::memory_order_release);
  StopAcceptor();
  sock.close();  // new connects are refused from here on

  // The helper runs POCO's stopAll(false) step (the factory's serverStopped
  // event: idle keep-alives are shut at once, a connection in a request is
  // shut once that request is done) until no connection is left. It repeats
  // the event for a connection that subscribed after it fired (POCO-NOTES 4.2 e).
  auto aborted = std::make_shared<std::atomic<bool>>(false);
  auto drained = std::make_shared<std::atomic<bool>>(false);
  Chan<Unit> helper_done(1);
  std::thread helper([this, aborted, drained, helper_done]() mutable {
    while (!aborted->load(std::memory_order_acquire)) {
      notifier->stopAll(false);  // never started: its stop() does nothing
      if (WaitNoConnections(Clock::now() + std::chrono::milliseconds(50), aborted.get())) {
        drained->store(true, std::memory_order_release);
        break;
      }
    }
    helper_done.Close();
  });

  Error err;
  Select(RecvCase(helper_done, [](std::optional<Unit>) {}),
         RecvCase(ctx.Done(), [&](std::optional<Unit>) { err = ctx.Err(); }));
  if (err && drained->load(std::memory_order_acquire)) err = Error();  // both were ready

  bool clean = !err;
  if (err) {
    aborted->store(true, std::memory_order_release);
    // Sockets first, then the handlers' context: a handler woken by it finds
    // its client gone, and the helper's blocked event call moves on.
    conns->AbortAll();
    s->hard_cancel();
    clean = WaitNoConnections(Clock::now() + s->opts.abort_grace, nullptr);
    if (clean) {
      Select(RecvCase(helper_done, [](std::optional<Unit>) {}),
             RecvCase(After(s->opts.abort_grace),
                      [&](std::optional<Clock::time_point>) { clean = false; }));
    }
  }
  if (!clean) {
    // A handler ignores the abort: keep POCO's objects alive under it.
    helper.detach();
    std::lock_guard lock(mu);
    stuck = true;
    return err;
  }
  helper.join();
  // Release the threads now: the server cannot be restarted anyway.
  srv.reset();
  notifier.reset();
  pool.reset();
  return err;
}

std::string Server::Addr() const {
  std::lock_guard lock(impl_->mu);
  return impl_->bound.empty() ? impl_->addr : impl_->bound;
}

int64_t Server::Inflight() const { return impl_->s->inflight.load(std::memory_order_relaxed); }

uint64_t Server::RequestsTotal() const { return impl_->s->total.load(std::memory_order_relaxed); }

bool Server::Stuck() const {
  std::lock_guard lock(impl_->mu);
  return impl_->stuck;
}

}  // namespace gox

#if defined(__SANITIZE_THREAD__)
// __tsan_default_suppressions silences false reports from POCO's reference
// counting. POCO is not built with TSan, yet its counters (Poco::AtomicCounter,
// inline) also run in our instrumented code whenever we copy or drop an
// AutoPtr/SharedPtr to a POCO object. An object shared between the two halves
// is then deleted after a decrement TSan could not see, so it reports the
// delete (or the destruction of a mutex a POCO delegate owns) as racing with
// our earlier decrement, or with the delegate's lock taken by
// ~HTTPServerConnection while HTTPServer::stopAll's copy of the delegate list
// drops the last reference. Each pattern names a frame only these reports
// have. This file is linked only into programs that use gox::Server.
extern "C" const char* __tsan_default_suppressions() {
  return "race:Poco::AtomicCounter::operator--\n"
         "race:Poco::Delegate<Poco::Net::HTTPServerConnection, bool const, false>::~Delegate\n";
}
#endif
