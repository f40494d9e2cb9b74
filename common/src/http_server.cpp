// http_server.cpp: gox::Server's lifecycle: listen, serve, and the bounded
// drain. The request side is http_server_mux.cpp, the front stage (accept,
// header reading, limits) http_server_front.cpp, the workers
// http_server_conn.cpp. What we do where POCO 1.11 falls short:
//   - ServerSocket(port) sets SO_REUSEPORT: we bind(addr, true, false) ourselves.
//   - TCPServer gives each connection a pool thread from accept on, so stalled
//     clients exhaust the pool (and a drain waits for them): our front stage
//     holds connections until their header is complete instead.
//   - TCPServer::stop() leaves the listener open (connects hang) and waits out
//     a 250 ms poll: our front takes the listener out of its epoll set at
//     once, and we close it, so new connects are refused.
//   - stopAll(false) has no timeout: our drain waits for in-flight requests
//     only until ctx ends, then shuts their sockets down.
// No POCO object is shared between threads any more (TCPServer's connection
// objects were, and needed TSan suppressions for POCO's uninstrumented
// reference counts): the suite runs under TSan without any.
#include "gox/http_server.h"

#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <utility>

#include "http_server_internal.h"

namespace gox {

const Error ErrServerClosed = Error::New("http: Server closed");

using http_internal::Conn;
using http_internal::Front;
using http_internal::Shared;
using http_internal::SplitHostPort;
using http_internal::Verdict;
using http_internal::Workers;

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
  bool serve_active = false;  // Serve is between Start and its return
  std::string bound;
  Error result;
  bool stuck = false;
  // Written by Serve (before kServing) and Shutdown (after), never at once.
  Poco::Net::ServerSocket sock;
  std::unique_ptr<Workers> workers;
  std::unique_ptr<Front> front;

  Error Drain(Context ctx);
  // WaitIdle waits until no connection is in flight, or ctx ends (nil
  // context: until `until`); true if none is.
  bool WaitIdle(const Context* ctx, Clock::time_point until);
};

Server::Server(std::string addr, Handler h, ServerOptions opts) : impl_(std::make_unique<Impl>()) {
  impl_->addr = std::move(addr);
  impl_->error_sink = http_internal::PocoErrorLog::Register(opts.error_log);
  impl_->s = std::make_shared<Shared>();
  impl_->s->handler = std::move(h);
  impl_->s->opts = std::move(opts);
  ServerOptions& o = impl_->s->opts;
  o.max_threads = std::max(1, o.max_threads);
  o.max_queued = std::max(0, o.max_queued);
  o.max_conns = std::max(1, o.max_conns);
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
  // The workers and the front stage reach each other through m, which lives
  // as long as they do (leaked with them if Shutdown gives up on handlers).
  Impl* mp = &m;
  m.workers = std::make_unique<Workers>(o.max_threads, o.max_queued, [mp](std::unique_ptr<Conn> c) {
    Verdict v = http_internal::ServeConn(*mp->s, *c);
    mp->s->Deactivate(c->fd);
    if (v == Verdict::kClose) return;  // c closes here
    mp->front->Return(std::move(c), v);
  });
  m.front = std::make_unique<Front>(m.s, m.sock.impl()->sockfd(), [mp](std::unique_ptr<Conn>& c) {
    return mp->workers->Push(c);
  });
  std::string why;
  if (!m.front->Start(&why)) {
    m.front.reset();
    m.workers.reset();
    m.state = Impl::State::kDone;
    m.sock.close();
    m.cv.notify_all();
    return Error::New("http: serve " + m.bound + ": " + why);
  }
  m.state = Impl::State::kServing;
  m.serve_active = true;
  m.cv.wait(lock, [&] { return m.state != Impl::State::kServing; });
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

bool Server::Impl::WaitIdle(const Context* ctx, Clock::time_point until) {
  std::unique_lock lock(s->active_mu);
  while (!s->active_fds.empty()) {
    if (ctx ? static_cast<bool>(ctx->Err()) : Clock::now() >= until) return false;
    // A short wait: ctx has no hook into our condition variable.
    s->active_cv.wait_for(lock, std::chrono::milliseconds(2));
  }
  return true;
}

Error Server::Impl::Drain(Context ctx) {
  s->draining.store(true, std::memory_order_release);  // responses say Connection: close
  front->StopAccepting();  // idle and half-sent requests are closed at once
  sock.close();            // new connects are refused from here on

  Error err;
  bool clean = WaitIdle(&ctx, {});
  if (!clean) {
    err = ctx.Err();
    // Sockets first, then the handlers' context: a handler woken by it finds
    // its client gone.
    s->Abort();
    s->hard_cancel();
    clean = WaitIdle(nullptr, Clock::now() + s->opts.abort_grace);
  }
  if (!clean) {
    // A handler ignores the abort: keep everything it may touch alive.
    std::lock_guard lock(mu);
    stuck = true;
    return err;
  }
  // Release the threads now: the server cannot be restarted anyway.
  workers->Close();
  front->Stop();
  workers.reset();
  front.reset();
  return err;
}

std::string Server::Addr() const {
  std::lock_guard lock(impl_->mu);
  return impl_->bound.empty() ? impl_->addr : impl_->bound;
}

int64_t Server::Inflight() const { return impl_->s->inflight.load(std::memory_order_relaxed); }

uint64_t Server::RequestsTotal() const { return impl_->s->total.load(std::memory_order_relaxed); }

int64_t Server::OpenConnections() const { return impl_->s->open.load(std::memory_order_relaxed); }

uint64_t Server::Rejected() const { return impl_->s->rejected.load(std::memory_order_relaxed); }

bool Server::Stuck() const {
  std::lock_guard lock(impl_->mu);
  return impl_->stuck;
}

}  // namespace gox
