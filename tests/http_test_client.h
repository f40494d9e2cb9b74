// http_test_client.h: a tiny blocking HTTP/1.1 client over raw loopback
// sockets, for the server tests (full control over keep-alive, partial
// requests and resets, which a real client library hides).
//   Dial(port, timeout, &err)       connect to 127.0.0.1:port; -1 and errno.
//   SendAll(fd, s)                   write everything (MSG_NOSIGNAL).
//   ReadResponse(fd, timeout)        one response, Content-Length framed.
//   RequestText(method, path, close) a request with Host (and Connection: close).
//   Http(port, method, path)         one request on a fresh connection.
//   Refused(port)                    a connect gets ECONNREFUSED.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <sstream>
#include <string>

namespace http_test {

using Clock = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;

inline bool EqualFold(std::string a, std::string b) {
  std::transform(a.begin(), a.end(), a.begin(), ::tolower);
  std::transform(b.begin(), b.end(), b.begin(), ::tolower);
  return a == b;
}

struct Response {
  bool ok = false;  // a complete response was read
  std::string error;
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string Header(const std::string& n) const {
    auto it = headers.find(n);
    return it == headers.end() ? "" : it->second;
  }
};

// Dial connects to 127.0.0.1:port; -1 with *err = errno on failure.
inline int Dial(int port, Ms timeout, int* err = nullptr) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  int e = rc == 0 ? 0 : errno;
  if (e == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, static_cast<int>(timeout.count())) == 1) {
      socklen_t len = sizeof e;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len);
    } else {
      e = ETIMEDOUT;
    }
  }
  if (e != 0) {
    close(fd);
    if (err) *err = e;
    return -1;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

inline bool SendAll(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    ssize_t n = send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

// ReadResponse reads one response (Content-Length framing) from fd.
inline Response ReadResponse(int fd, Ms timeout) {
  Response r;
  std::string data;
  auto until = Clock::now() + timeout;
  std::size_t header_end = std::string::npos, need = 0;
  for (;;) {
    if (header_end == std::string::npos) {
      header_end = data.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        std::istringstream in(data.substr(0, header_end));
        std::string line;
        std::getline(in, line);
        if (line.size() < 12 || line.compare(0, 5, "HTTP/") != 0) {
          r.error = "bad status line: " + line;
          return r;
        }
        r.status = std::stoi(line.substr(9, 3));
        while (std::getline(in, line)) {
          if (!line.empty() && line.back() == '\r') line.pop_back();
          auto colon = line.find(':');
          if (colon == std::string::npos) continue;
          std::string name = line.substr(0, colon);
          std::transform(name.begin(), name.end(), name.begin(), ::tolower);
          std::string value = line.substr(colon + 1);
          value.erase(0, value.find_first_not_of(' '));
          r.headers[name] = value;
        }
        need = header_end + 4 +
               std::stoul(r.Header("content-length").empty() ? "0" : r.Header("content-length"));
      }
    }
    if (header_end != std::string::npos && data.size() >= need) {
      r.body = data.substr(header_end + 4, need - header_end - 4);
      r.ok = true;
      return r;
    }
    auto left = std::chrono::duration_cast<Ms>(until - Clock::now()).count();
    if (left <= 0) {
      r.error = "timeout; got: " + data;
      return r;
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) != 1) continue;
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      r.error = n == 0 ? "EOF before a complete response" : std::strerror(errno);
      return r;
    }
    data.append(buf, static_cast<std::size_t>(n));
  }
}

inline std::string RequestText(const std::string& method, const std::string& path, bool close) {
  return method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
         (close ? "Connection: close\r\n" : "") +
         (method == "POST" ? "Content-Length: 0\r\n" : "") + "\r\n";
}

// Http does one request on a new connection.
inline Response Http(int port, const std::string& method, const std::string& path,
                     Ms timeout = Ms(10000)) {
  Response r;
  int err = 0;
  int fd = Dial(port, timeout, &err);
  if (fd < 0) {
    r.error = std::string("connect: ") + std::strerror(err);
    return r;
  }
  if (!SendAll(fd, RequestText(method, path, true))) {
    r.error = "send failed";
  } else {
    r = ReadResponse(fd, timeout);
  }
  close(fd);
  return r;
}

// Refused is true if a connect to port gets ECONNREFUSED.
inline bool Refused(int port) {
  int err = 0;
  int fd = Dial(port, Ms(1000), &err);
  if (fd >= 0) {
    close(fd);
    return false;
  }
  return err == ECONNREFUSED;
}

}  // namespace http_test
