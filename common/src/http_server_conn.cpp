// http_server_conn.cpp: the worker side of gox::Server: a connection with a
// complete header is served here (body, handler, response), then kept alive
// (back to the front stage), lingered (an error answer may leave unread
// bytes: we stop writing and let the front drain them briefly, so the client
// reads our answer instead of a reset) or closed. Workers is the thread pool.
#include <Poco/Exception.h>
#include <Poco/URI.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

#include "http_server_internal.h"

namespace gox::http_internal {
namespace {

int MsLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::clamp<int64_t>(left.count(), 0, 1 << 30));
}

// Fill reads until c.buf holds at least n bytes; false on EOF, an error or the
// deadline. It may read past n (a pipelined request): that stays in c.buf.
bool Fill(Conn& c, std::size_t n, Clock::time_point deadline) {
  char tmp[16384];
  while (c.buf.size() < n) {
    ssize_t got = ::recv(c.fd, tmp, sizeof tmp, 0);
    if (got > 0) {
      c.buf.append(tmp, static_cast<std::size_t>(got));
      continue;
    }
    if (got == 0) return false;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return false;
    int left = MsLeft(deadline);
    if (left == 0) return false;
    pollfd p{c.fd, POLLIN, 0};
    (void)::poll(&p, 1, left);
  }
  return true;
}

// SendAll writes all of data; false on an error or the deadline.
bool SendAll(int fd, std::string_view data, Clock::time_point deadline) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return false;
    int left = MsLeft(deadline);
    if (left == 0) return false;
    pollfd p{fd, POLLOUT, 0};
    (void)::poll(&p, 1, left);
  }
  return true;
}

// Line finds the next line end at or after pos (reading more if needed, at
// most limit bytes); npos on I/O failure, limit+1 marker via *too_long.
std::size_t LineEnd(Conn& c, std::size_t pos, std::size_t limit, Clock::time_point deadline,
                    bool* too_long) {
  std::size_t nl;
  while ((nl = c.buf.find('\n', pos)) == std::string::npos) {
    if (c.buf.size() - pos > limit) {
      *too_long = true;
      return std::string::npos;
    }
    if (!Fill(c, c.buf.size() + 1, deadline)) return std::string::npos;
  }
  return nl;
}

// ReadChunked decodes a chunked body starting at *pos. Returns 0, a status
// (400, 413), or -1 when the client went away or stalled.
int ReadChunked(Shared& s, Conn& c, Clock::time_point deadline, std::string* body,
                std::size_t* pos) {
  for (;;) {
    bool too_long = false;
    std::size_t nl = LineEnd(c, *pos, 1024, deadline, &too_long);
    if (nl == std::string::npos) return too_long ? 400 : -1;
    std::string_view line(c.buf.data() + *pos, nl - *pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    line = line.substr(0, line.find(';'));  // chunk extensions are ignored
    if (line.empty() || line.size() > 15 ||
        !std::all_of(line.begin(), line.end(), [](char ch) { return std::isxdigit(ch); })) {
      return 400;
    }
    const std::size_t size = std::stoull(std::string(line), nullptr, 16);
    *pos = nl + 1;
    if (size == 0) break;
    if (body->size() + size > s.opts.max_body_bytes) return 413;
    if (!Fill(c, *pos + size + 2, deadline)) return -1;
    body->append(c.buf, *pos, size);
    *pos += size;
    if (c.buf.compare(*pos, 2, "\r\n") == 0) {
      *pos += 2;
    } else if (c.buf[*pos] == '\n') {
      *pos += 1;
    } else {
      return 400;
    }
  }
  for (std::size_t trailers = 0;; ++trailers) {  // trailer fields, then a blank line
    bool too_long = false;
    std::size_t nl = LineEnd(c, *pos, 8192, deadline, &too_long);
    if (nl == std::string::npos) return too_long ? 400 : -1;
    const bool blank = nl == *pos || (nl == *pos + 1 && c.buf[*pos] == '\r');
    *pos = nl + 1;
    if (blank) return 0;
    if (trailers > 100) return 400;
  }
}

// ReadBody reads the request body into *body and sets *consumed to where the
// request ends in c.buf. Returns 0, a status to answer, or -1 (client gone).
int ReadBody(Shared& s, Conn& c, Clock::time_point deadline, std::string* body,
             std::size_t* consumed) {
  *consumed = c.header_len;
  const bool chunked = c.req.getChunkedTransferEncoding();
  if (!chunked && !c.req.hasContentLength()) return 0;
  const int64_t length = chunked ? -1 : c.req.getContentLength64();
  if (length > static_cast<int64_t>(s.opts.max_body_bytes)) return 413;
  if (length == 0) return 0;
  if (c.req.get("Expect", "") == "100-continue" && c.buf.size() == c.header_len) {
    if (!SendAll(c.fd, "HTTP/1.1 100 Continue\r\n\r\n", deadline)) return -1;
  }
  if (chunked) return ReadChunked(s, c, deadline, body, consumed);
  const auto n = static_cast<std::size_t>(length);
  if (!Fill(c, c.header_len + n, deadline)) return -1;
  body->assign(c.buf, c.header_len, n);
  *consumed = c.header_len + n;
  return 0;
}

// ServeOne serves the request whose header c holds.
Verdict ServeOne(Shared& s, Conn& c) {
  const Clock::time_point deadline = Clock::now() + s.opts.read_timeout;
  Request r;
  r.native = &c.req;
  r.remote_addr = c.peer;
  r.ctx = s.hard_ctx;
  r.method = c.req.getMethod();
  r.target = c.req.getURI();
  const std::size_t q = r.target.find('?');
  std::string raw_path = r.target.substr(0, q);
  if (q != std::string::npos) r.raw_query = r.target.substr(q + 1);
  int status = 0;
  try {
    Poco::URI::decode(raw_path, r.path);
  } catch (const Poco::Exception&) {
    status = 400;
  }
  if (r.path.empty())
    r.path.assign(1, '/');  // not = "/": GCC 12 -O3 warns -Wrestrict (a false positive)
  std::size_t consumed = c.header_len;
  if (status == 0) status = ReadBody(s, c, deadline, &r.body, &consumed);
  if (status < 0) return Verdict::kClose;
  if (status > 0) {
    const char* why = status == 413 ? "request body too large" : "bad request body";
    SendAll(c.fd, ErrorResponse(status, std::to_string(status) + " " + why + "\n"), deadline);
    return Verdict::kLinger;
  }

  s.inflight.fetch_add(1, std::memory_order_relaxed);
  s.total.fetch_add(1, std::memory_order_relaxed);
  Writer w;
  try {
    s.handler(w, r);
  } catch (const std::exception& e) {
    s.LogError("http: panic serving " + r.RemoteAddr() + " " + r.method + " " + r.target + ": " +
               e.what());
    w.Reset(500, "500 internal server error\n");
  } catch (...) {
    s.LogError("http: panic serving " + r.RemoteAddr() + " " + r.method + " " + r.target +
               ": unknown exception");
    w.Reset(500, "500 internal server error\n");
  }
  // The handler is done: it no longer counts, even before its client has
  // read the response (which may be the moment a client asks for the count).
  s.inflight.fetch_sub(1, std::memory_order_relaxed);
  const bool close = s.draining.load(std::memory_order_acquire) || !c.req.getKeepAlive();
  if (!SendAll(c.fd, w.Serialize(close, r.method == "HEAD"), Clock::now() + s.opts.read_timeout)) {
    return Verdict::kClose;
  }
  c.buf.erase(0, consumed);
  c.header_len = 0;
  c.scanned = 0;
  if (close) return c.buf.empty() ? Verdict::kClose : Verdict::kLinger;
  return Verdict::kKeep;
}

}  // namespace

// kNextRequestGrace: how long a worker waits for a kept-alive client's next
// request before giving the connection back to the front stage. A busy
// client's next request usually comes within it, which saves two thread
// hand-offs (front to worker and back) per request; a partial header found
// then goes to the front stage like any other, so a stalling client holds a
// worker for at most this long.
constexpr int kNextRequestGraceMs = 2;

// AwaitNext reads what a kept-alive client sends within the grace; false if
// it closed the connection.
bool AwaitNext(Conn& c) {
  pollfd p{c.fd, POLLIN, 0};
  if (::poll(&p, 1, kNextRequestGraceMs) != 1) return true;
  char tmp[16384];
  for (;;) {
    ssize_t got = ::recv(c.fd, tmp, sizeof tmp, 0);
    if (got > 0) {
      c.buf.append(tmp, static_cast<std::size_t>(got));
      if (static_cast<std::size_t>(got) < sizeof tmp) return true;
      continue;
    }
    if (got < 0 && errno == EINTR) continue;
    return got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

Verdict ServeConn(Shared& s, Conn& c) {
  for (;;) {
    Verdict v = ServeOne(s, c);
    if (v != Verdict::kKeep || s.draining.load(std::memory_order_acquire)) return v;
    if (c.buf.empty() && !AwaitNext(c)) return Verdict::kClose;
    // A complete request (pipelined, or sent within the grace) is served here.
    const std::size_t end = FindHeaderEnd(c.buf, &c.scanned);
    if (end == 0) return v;
    c.req.clear();
    std::string why;
    if (int st = ParseHeader(c.buf, end, s.opts, &c.req, &why)) {
      SendAll(c.fd, ErrorResponse(st, std::to_string(st) + " " + why + "\n"),
              Clock::now() + s.opts.read_timeout);
      return Verdict::kLinger;
    }
    c.header_len = end;
  }
}

Conn::Conn(int fd_, std::string peer_, std::atomic<int64_t>* open_)
    : fd(fd_), peer(std::move(peer_)), open(open_) {
  open->fetch_add(1, std::memory_order_relaxed);
}

Conn::~Conn() {
  ::close(fd);
  open->fetch_sub(1, std::memory_order_relaxed);
}

void Shared::Activate(int fd) {
  std::lock_guard lock(active_mu);
  active_fds.insert(fd);
  if (aborted) ::shutdown(fd, SHUT_RDWR);
}

void Shared::Deactivate(int fd) {
  std::lock_guard lock(active_mu);
  active_fds.erase(fd);
  active_cv.notify_all();
}

std::size_t Shared::Active() {
  std::lock_guard lock(active_mu);
  return active_fds.size();
}

void Shared::Abort() {
  std::lock_guard lock(active_mu);
  aborted = true;
  for (int fd : active_fds) ::shutdown(fd, SHUT_RDWR);
}

Workers::Workers(int max_threads, int max_queued, Serve serve)
    : max_threads_(max_threads), max_queued_(max_queued), serve_(std::move(serve)) {}

bool Workers::Push(std::unique_ptr<Conn>& c) {
  std::lock_guard lock(mu_);
  if (closing_) return false;
  const auto waiting = static_cast<int>(q_.size());
  const int startable = max_threads_ - threads_;
  if (waiting >= idle_ + startable + max_queued_) return false;
  q_.push_back(std::move(c));
  if (waiting >= idle_ && startable > 0) {
    ++threads_;
    try {
      // Detached: Close waits for threads_ to reach 0, and a worker touches
      // nothing of ours after its last unlock.
      std::thread([this] { Run(); }).detach();
    } catch (const std::system_error&) {  // no thread now: the others take it
      --threads_;
      if (threads_ == 0) {
        c = std::move(q_.back());
        q_.pop_back();
        return false;
      }
    }
  } else {
    cv_.notify_one();
  }
  return true;
}

void Workers::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    ++idle_;
    // An idle worker retires after a second: threads fall back after a burst.
    bool woke =
        cv_.wait_for(lock, std::chrono::seconds(1), [&] { return !q_.empty() || closing_; });
    --idle_;
    if (!q_.empty()) {
      std::unique_ptr<Conn> c = std::move(q_.front());
      q_.pop_front();
      lock.unlock();
      serve_(std::move(c));
      lock.lock();
      continue;
    }
    if (closing_ || !woke) break;
  }
  if (--threads_ == 0) done_cv_.notify_all();
}

void Workers::Close() {
  std::unique_lock lock(mu_);
  closing_ = true;
  cv_.notify_all();
  done_cv_.wait(lock, [&] { return threads_ == 0; });
}

}  // namespace gox::http_internal
