// http_get.h: a tiny blocking HTTP GET over loopback, for lessons that run a server
// and need to show whether it still answers (no client library, no POCO).
//   Get(addr, path, timeout)  one GET on a fresh connection to "host:port" (IPv4);
//                             Reply::status is the HTTP status, or 0 with Reply::error
//                             ("connection refused", "timeout", ...).
//   HoldPort(&addr)           binds and listens on 127.0.0.1:0 as another process would;
//                             returns the fd (the caller closes it) and its address in
//                             addr, or -1 with nothing left open.
// Header-only; every call opens and closes its own socket, so it is thread-safe.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>

namespace lesson {

struct Reply {
  int status = 0;     // HTTP status; 0 when no response was read
  std::string error;  // why there is no response, e.g. "connection refused"
};

inline Reply Get(const std::string& addr, const std::string& path,
                 std::chrono::milliseconds timeout = std::chrono::milliseconds(1000)) {
  Reply r;
  const auto colon = addr.rfind(':');
  sockaddr_in a{};
  a.sin_family = AF_INET;
  const int port = colon == std::string::npos ? 0 : std::atoi(addr.c_str() + colon + 1);
  if (port <= 0 || port > 65535 ||
      inet_pton(AF_INET, addr.substr(0, colon).c_str(), &a.sin_addr) != 1) {
    r.error = "bad address " + addr;
    return r;
  }
  a.sin_port = htons(static_cast<uint16_t>(port));
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    r.error = std::strerror(errno);
    return r;
  }
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    r.error = errno == ECONNREFUSED ? "connection refused" : std::strerror(errno);
    close(fd);
    return r;
  }
  const std::string req =
      "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nConnection: close\r\n\r\n";
  std::string in;
  if (send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
    char buf[4096];
    for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) in.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  // "HTTP/1.1 200 OK\r\n..."
  if (in.rfind("HTTP/1.", 0) == 0 && in.size() >= 12) {
    r.status = std::atoi(in.c_str() + 9);
  } else {
    r.error = in.empty() ? "no response (connection closed or timed out)" : "malformed response";
  }
  return r;
}

inline int HoldPort(std::string* addr) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 1) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    close(fd);
    return -1;
  }
  *addr = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  return fd;
}

}  // namespace lesson
