// http_server.cpp: gox::Server's lifecycle on POCO 1.11: listen, serve, and
// the bounded drain (the request side is http_server_mux.cpp). Where POCO
// falls short:
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

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerConnection.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/ThreadPool.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "gox/select.h"
#include "gox/time.h"
#include "http_server_internal.h"

namespace gox {

const Error ErrServerClosed = Error::New("http: Server closed");

namespace {

using http_internal::Connectable;
using http_internal::Poke;
using http_internal::Shared;
using http_internal::SplitHostPort;

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

}  // namespace

struct Server::Impl {
  enum class State { kNew, kListening, kServing, kShuttingDown, kDone };

  std::string addr;
  std::shared_ptr<Shared> s;
  uint64_t error_sink = 0;  // our PocoErrorLog registration

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
  http_internal::LinkTsanSuppressions();
  impl_->addr = std::move(addr);
  impl_->error_sink = http_internal::PocoErrorLog::Register(opts.error_log);
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
  http_internal::PocoErrorLog::Unregister(impl_->error_sink);
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
      // bind(addr, reuseAddress, reusePort): never SO_REUSEPORT (POCO 1.11's ServerSocket(addr)
      // sets it).
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
    m.factory = http_internal::NewHandlerFactory(m.s);
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
  // the event for a connection that subscribed after it fired (POCO tells
  // only the connections that exist when the event fires).
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
