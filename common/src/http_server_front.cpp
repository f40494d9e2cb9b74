// http_server_front.cpp: gox::Server's front stage. One thread and one epoll
// set hold every connection that is not in flight: new ones reading their
// header, idle keep-alive ones, and ones lingering after an error answer.
// Only a complete, valid header is handed to a worker. So a slow or stalled
// client costs a descriptor and a small buffer, never a handler thread (POCO's
// TCPServer would give it a pool thread that blocks in the header read).
//   - header deadline: read_header_timeout from accept, or from the first
//     byte of a kept-alive request; then the connection is closed silently.
//   - idle deadline: idle_timeout between kept-alive requests.
//   - limits: no newline within max_request_line bytes: 414; more than
//     max_header_bytes without the blank line: 431; bad syntax: 400 (and
//     ParseHeader's 501/505); all with Connection: close, then a linger.
//   - floods: past max_conns, or with no worker and no queue slot free, the
//     client gets 503 with Connection: close at once.
// Deadlines are checked every kTick, which bounds their precision.
#include <Poco/Net/SocketAddress.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "http_server_internal.h"

namespace gox::http_internal {
namespace {

constexpr auto kTick = std::chrono::milliseconds(20);
constexpr auto kLinger = std::chrono::milliseconds(500);      // after an error answer
constexpr auto kAcceptPause = std::chrono::milliseconds(10);  // out of descriptors
char kListenTag, kWakeTag;

std::string PeerString(const sockaddr_storage& a, socklen_t len) {
  try {
    return Poco::Net::SocketAddress(reinterpret_cast<const sockaddr*>(&a),
                                    static_cast<poco_socklen_t>(len))
        .toString();
  } catch (...) {
    return "?";
  }
}

}  // namespace

struct Front::Impl {
  std::shared_ptr<Shared> s;
  int lfd;
  Dispatch dispatch;
  int ep = -1, wake = -1;
  std::thread thread;

  // The front thread's own state.
  std::unordered_map<Conn*, std::unique_ptr<Conn>> conns;
  bool listening = false, closed_for_new = false;
  Clock::time_point accept_pause_until{}, next_sweep{};

  std::mutex mu;
  std::condition_variable cv;
  // Under mu:
  std::vector<std::pair<std::unique_ptr<Conn>, Verdict>> returned;
  bool stop_accepting = false, accepting_stopped = false, stop = false;

  void Wake() {
    uint64_t one = 1;
    ssize_t n = ::write(wake, &one, sizeof one);
    (void)n;  // a full counter still wakes the loop
  }

  void Watch(Conn* c) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = c;
    epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
  }

  // Drop closes c; closing the (never duplicated) fd also takes it out of
  // the epoll set, which saves a syscall per connection in a mass close.
  void Drop(Conn* c) { conns.erase(c); }

  Conn* Keep(std::unique_ptr<Conn> c) {
    Conn* raw = c.get();
    conns.emplace(raw, std::move(c));
    Watch(raw);
    return raw;
  }

  // Linger stops writing and drains what the client still sends for a while,
  // so our answer is read instead of being destroyed by a reset.
  void Linger(Conn* c) {
    if (closed_for_new) return Drop(c);
    ::shutdown(c->fd, SHUT_WR);
    c->phase = Conn::Phase::kClosing;
    c->deadline = Clock::now() + kLinger;
    std::string().swap(c->buf);
  }

  void Reject(Conn* c, int status, const std::string& why) {
    std::string resp = ErrorResponse(status, std::to_string(status) + " " + why + "\n");
    (void)::send(c->fd, resp.data(), resp.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    Linger(c);
  }

  void Accept(Clock::time_point now) {
    for (int i = 0; i < 256; ++i) {
      sockaddr_storage a{};
      socklen_t len = sizeof a;
      int fd = ::accept4(lfd, reinterpret_cast<sockaddr*>(&a), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          // Out of descriptors: the backlog waits a moment instead of a spin.
          epoll_ctl(ep, EPOLL_CTL_DEL, lfd, nullptr);
          listening = false;
          accept_pause_until = now + kAcceptPause;
        }
        return;
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      Conn* c = Keep(std::make_unique<Conn>(fd, PeerString(a, len), &s->open));
      c->deadline = now + s->opts.read_header_timeout;
      if (s->open.load(std::memory_order_relaxed) > s->opts.max_conns) {
        s->rejected.fetch_add(1, std::memory_order_relaxed);
        Reject(c, 503, "too many connections");
      }
    }
  }

  // TryDispatch hands c to a worker once its header is complete and valid.
  void TryDispatch(Conn* c, bool eof) {
    const ServerOptions& o = s->opts;
    const std::size_t end = FindHeaderEnd(c->buf, &c->scanned);
    if (end == 0) {
      if (eof) return Drop(c);
      if (c->buf.size() > o.max_request_line && c->buf.find('\n') == std::string::npos) {
        return Reject(c, 414, "request line too long");
      }
      if (c->buf.size() > o.max_header_bytes) return Reject(c, 431, "request header too large");
      return;
    }
    if (end > o.max_header_bytes) return Reject(c, 431, "request header too large");
    c->req.clear();
    std::string why;
    if (int st = ParseHeader(c->buf, end, o, &c->req, &why)) return Reject(c, st, why);
    c->header_len = end;
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, nullptr);
    auto node = conns.extract(c);
    const int fd = c->fd;
    s->Activate(fd);
    if (!dispatch(node.mapped())) {
      s->Deactivate(fd);
      s->rejected.fetch_add(1, std::memory_order_relaxed);
      Keep(std::move(node.mapped()));
      Reject(c, 503, "server busy");
    }
  }

  void OnReadable(Conn* c, Clock::time_point now) {
    char tmp[16384];
    bool eof = false;
    for (;;) {
      ssize_t n = ::recv(c->fd, tmp, sizeof tmp, 0);
      if (n > 0) {
        if (c->phase == Conn::Phase::kClosing) continue;  // drained and dropped
        c->buf.append(tmp, static_cast<std::size_t>(n));
        if (c->buf.size() > s->opts.max_header_bytes) break;  // enough to judge
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      eof = true;  // EOF or an error
      break;
    }
    if (c->phase == Conn::Phase::kClosing) {
      if (eof) Drop(c);
      return;
    }
    if (c->phase == Conn::Phase::kIdle) {
      if (c->buf.empty()) return eof ? Drop(c) : void();
      c->phase = Conn::Phase::kHeader;
      c->deadline = now + s->opts.read_header_timeout;
    }
    TryDispatch(c, eof);
  }

  // Adopt takes a connection back from a worker.
  void Adopt(std::unique_ptr<Conn> owned, Verdict v, Clock::time_point now) {
    if (v == Verdict::kClose || closed_for_new) return;  // owned closes it
    Conn* c = Keep(std::move(owned));
    if (v == Verdict::kLinger) return Linger(c);
    if (c->buf.empty()) {
      c->phase = Conn::Phase::kIdle;
      c->deadline = now + s->opts.idle_timeout;
      return;
    }
    c->phase = Conn::Phase::kHeader;
    c->deadline = now + s->opts.read_header_timeout;
    TryDispatch(c, false);
  }

  void Sweep(Clock::time_point now) {
    std::vector<Conn*> expired;
    for (auto& [c, owned] : conns) {
      if (now >= c->deadline) expired.push_back(c);
    }
    for (Conn* c : expired) Drop(c);
    if (!listening && !closed_for_new && now >= accept_pause_until) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.ptr = &kListenTag;
      listening = epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) == 0;
    }
  }

  void Loop() {
    epoll_event events[128];
    for (;;) {
      int n = epoll_wait(ep, events, 128, static_cast<int>(kTick.count()));
      const Clock::time_point now = Clock::now();
      for (int i = 0; i < n; ++i) {
        void* p = events[i].data.ptr;
        if (p == &kListenTag) {
          if (listening) Accept(now);
        } else if (p == &kWakeTag) {
          uint64_t v;
          ssize_t r = ::read(wake, &v, sizeof v);
          (void)r;
        } else {
          OnReadable(static_cast<Conn*>(p), now);
        }
      }
      std::vector<std::pair<std::unique_ptr<Conn>, Verdict>> back;
      bool close_waiting, quit;
      {
        std::lock_guard lock(mu);
        back.swap(returned);
        close_waiting = stop_accepting && !accepting_stopped;
        quit = stop;
      }
      if (close_waiting) {
        // The listener out, then everyone not in flight: idle, half a header,
        // lingering. (A connection dispatched meanwhile is in flight.)
        if (listening) epoll_ctl(ep, EPOLL_CTL_DEL, lfd, nullptr);
        listening = false;
        closed_for_new = true;
        conns.clear();
      }
      for (auto& [c, v] : back) Adopt(std::move(c), v, now);
      if (close_waiting) {
        std::lock_guard lock(mu);
        accepting_stopped = true;
        cv.notify_all();
      }
      if (quit) break;
      if (now >= next_sweep) {
        Sweep(now);
        next_sweep = now + kTick;
      }
    }
    conns.clear();
  }
};

Front::Front(std::shared_ptr<Shared> s, int listen_fd, Dispatch dispatch)
    : impl_(std::make_unique<Impl>()) {
  impl_->s = std::move(s);
  impl_->lfd = listen_fd;
  impl_->dispatch = std::move(dispatch);
}

Front::~Front() {
  Stop();
  if (impl_->ep >= 0) ::close(impl_->ep);
  if (impl_->wake >= 0) ::close(impl_->wake);
}

bool Front::Start(std::string* err) {
  Impl& m = *impl_;
  m.ep = epoll_create1(EPOLL_CLOEXEC);
  m.wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (m.ep < 0 || m.wake < 0) {
    *err = std::string("epoll: ") + std::strerror(errno);
    return false;
  }
  ::fcntl(m.lfd, F_SETFL, ::fcntl(m.lfd, F_GETFL) | O_NONBLOCK);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &kWakeTag;
  epoll_ctl(m.ep, EPOLL_CTL_ADD, m.wake, &ev);
  ev.data.ptr = &kListenTag;
  if (epoll_ctl(m.ep, EPOLL_CTL_ADD, m.lfd, &ev) != 0) {
    *err = std::string("epoll: ") + std::strerror(errno);
    return false;
  }
  m.listening = true;
  try {
    m.thread = std::thread([&m] { m.Loop(); });
  } catch (const std::system_error& e) {
    *err = e.what();
    return false;
  }
  return true;
}

void Front::Return(std::unique_ptr<Conn> c, Verdict v) {
  std::lock_guard lock(impl_->mu);
  impl_->returned.emplace_back(std::move(c), v);
  impl_->Wake();
}

void Front::StopAccepting() {
  std::unique_lock lock(impl_->mu);
  if (!impl_->thread.joinable()) return;
  impl_->stop_accepting = true;
  impl_->Wake();
  impl_->cv.wait(lock, [&] { return impl_->accepting_stopped; });
}

void Front::Stop() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stop = true;
    impl_->Wake();
  }
  if (impl_->thread.joinable()) impl_->thread.join();
  std::lock_guard lock(impl_->mu);
  impl_->returned.clear();
}

}  // namespace gox::http_internal
