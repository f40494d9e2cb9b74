// http_server_net.cpp: small socket helpers of gox::Server's lifecycle.
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "http_server_internal.h"

namespace gox::http_internal {

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

}  // namespace gox::http_internal
