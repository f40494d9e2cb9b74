// http_server_internal.h: what the parts of gox::Server share (not a public
// header). A connection moves between two owners:
//   the front stage (http_server_front.cpp): one epoll thread that accepts,
//       reads request headers, enforces the header/idle deadlines and limits,
//       and answers bad or excess requests itself (400/414/431/503);
//   a worker (http_server_conn.cpp): reads the body, runs the handler, writes
//       the response, and gives a kept-alive connection back to the front.
// Only a connection with a complete header is "in flight" (Shared::active):
// stalled or idle clients cost a file descriptor and a small buffer, never a
// thread, and a drain closes them at once.
//   Shared         the state every part sees: handler, options, counters.
//   Conn           one client connection (one owner at a time).
//   ParseHeader    the request line and headers (POCO's parser, our limits).
//   ErrorResponse  a short "Connection: close" answer the front can send.
//   Writer         the buffered ResponseWriter and its serialization.
//   Workers        the handler threads (created on demand, retire when idle).
//   ServeConn      what a worker does with a connection.
//   PocoErrorLog   the library's one Poco::ErrorHandler (http_server_errors.cpp).
#pragma once

#include <Poco/Net/HTTPRequest.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gox/clock.h"
#include "gox/context.h"
#include "gox/http_server.h"

namespace gox::http_internal {

struct Shared {
  Handler handler;
  ServerOptions opts;
  Context hard_ctx;  // cancelled only when Shutdown aborts
  CancelFunc hard_cancel;
  std::atomic<bool> draining{false};  // responses carry Connection: close
  std::atomic<int64_t> inflight{0};   // handlers running
  std::atomic<uint64_t> total{0};     // requests handed to the handler
  std::atomic<int64_t> open{0};       // connections open (any state)
  std::atomic<uint64_t> rejected{0};  // turned away with 503 (too many)

  // active: connections with a complete header, queued or with a worker. A
  // socket's fd leaves the set before it is closed, so Abort can shut down
  // every fd in it safely.
  std::mutex active_mu;
  std::condition_variable active_cv;  // notified when the set shrinks
  std::set<int> active_fds;           // under active_mu
  bool aborted = false;               // under active_mu: shut new ones down too

  void Activate(int fd);
  void Deactivate(int fd);
  std::size_t Active();
  // Abort shuts down every active socket (blocked reads and writes fail).
  void Abort();

  void LogError(const std::string& line) const {
    if (opts.error_log) {
      opts.error_log(line);
    } else {
      std::fprintf(stderr, "%s\n", line.c_str());
    }
  }
};

struct Conn {
  Conn(int fd_, std::string peer_, std::atomic<int64_t>* open_);
  ~Conn();  // closes fd, counts the connection out
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  int fd;
  std::string peer;            // "ip:port"
  std::string buf;             // received, not yet consumed
  std::size_t scanned = 0;     // buf[0, scanned) holds no header end
  std::size_t header_len = 0;  // set once a complete header was parsed
  Poco::Net::HTTPRequest req;  // the parsed header
  // Front stage only:
  enum class Phase { kIdle, kHeader, kClosing } phase = Phase::kHeader;
  Clock::time_point deadline;
  std::atomic<int64_t>* open;
};

// FindHeaderEnd returns the length of the header (through its blank line) if
// buf holds a complete one, else 0; *scanned remembers where to resume.
std::size_t FindHeaderEnd(const std::string& buf, std::size_t* scanned);
// ParseHeader parses buf[0, header_len) into *req. Returns 0, or the status
// to answer (400, 414, 431, 501, 505) with *why for the body.
int ParseHeader(const std::string& buf, std::size_t header_len, const ServerOptions& o,
                Poco::Net::HTTPRequest* req, std::string* why);
// ErrorResponse is a complete "Connection: close" response.
std::string ErrorResponse(int status, const std::string& body);

// Writer is the handler's ResponseWriter: status, headers and body, buffered.
class Writer final : public ResponseWriter {
 public:
  void SetHeader(const std::string& name, const std::string& value) override;
  void WriteHeader(int status) override { status_ = status >= 100 && status <= 999 ? status : 500; }
  void Write(std::string_view data) override { body_.append(data); }
  // Reset replaces everything with a plain-text status and body.
  void Reset(int status, std::string body);
  // Serialize is the HTTP/1.1 response with Content-Length (and Connection:
  // close if close); no body for a HEAD request.
  std::string Serialize(bool close, bool head) const;

 private:
  int status_ = 200;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::string body_;
};

// Verdict is what happens to a connection after a worker served it.
enum class Verdict { kKeep, kLinger, kClose };
// ServeConn serves c's parsed request and any complete pipelined one after it.
Verdict ServeConn(Shared& s, Conn& c);

class Workers {
 public:
  using Serve = std::function<void(std::unique_ptr<Conn>)>;
  Workers(int max_threads, int max_queued, Serve serve);
  // Push hands c to a worker; false (c untouched) if every worker is busy
  // and max_queued connections already wait.
  bool Push(std::unique_ptr<Conn>& c);
  // Close lets idle workers exit and waits until every worker has.
  void Close();

 private:
  void Run();

  const int max_threads_, max_queued_;
  Serve serve_;
  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  std::deque<std::unique_ptr<Conn>> q_;  // under mu_
  int threads_ = 0, idle_ = 0;           // under mu_
  bool closing_ = false;                 // under mu_
};

// Front is the accept/read-header stage (see the file comment).
class Front {
 public:
  using Dispatch = std::function<bool(std::unique_ptr<Conn>&)>;  // false: no room
  Front(std::shared_ptr<Shared> s, int listen_fd, Dispatch dispatch);
  ~Front();
  // Start creates the epoll set and the thread; false with *err on failure.
  bool Start(std::string* err);
  // Return takes a connection back from a worker.
  void Return(std::unique_ptr<Conn> c, Verdict v);
  // StopAccepting takes the listener out and closes every connection without
  // a complete request (idle, reading its header, lingering); returns once done.
  void StopAccepting();
  // Stop ends the thread; connections it still holds are closed.
  void Stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

class PocoErrorLog {
 public:
  using Sink = std::function<void(const std::string&)>;
  // Register installs the handler (once, and only over POCO's default one)
  // and makes sink the current one until Unregister(id). Lines: "connection
  // error: ..." for a client's doing, "poco: ..." otherwise; POCO has one
  // handler per process, so they go to the most recent sink still registered.
  static uint64_t Register(Sink sink);
  static void Unregister(uint64_t id);
};

// SplitHostPort splits "host:port", "[v6]:port" or ":port" (host "" becomes
// 0.0.0.0); false if malformed or the port is not 0..65535.
bool SplitHostPort(const std::string& addr, std::string* host, std::string* port);

}  // namespace gox::http_internal
