// http_server_net.cpp: the address syntax of gox::Server.
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

}  // namespace gox::http_internal
