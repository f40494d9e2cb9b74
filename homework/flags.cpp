#include "flags.h"

#include "gox/time.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>

namespace hw {
namespace {

// ValidAddr accepts HOST:PORT, [V6]:PORT and :PORT with PORT in 0..65535.
bool ValidAddr(const std::string& a) {
  auto colon = a.rfind(':');
  if (colon == std::string::npos) return false;
  std::string host = a.substr(0, colon), port = a.substr(colon + 1);
  if (port.empty() || port.size() > 5) return false;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
  }
  if (std::stol(port) > 65535) return false;
  if (host.find(':') != std::string::npos) {  // IPv6 must be bracketed
    return host.size() > 2 && host.front() == '[' && host.back() == ']';
  }
  return true;
}

}  // namespace

const char* Usage() {
  return "usage: homework [--app=ADDR] [--debug=ADDR] [--shutdown-timeout=DUR] "
         "[--drain-delay=DUR]\n"
         "                [--read-header-timeout=DUR] [--idle-timeout=DUR] [--help]\n"
         "\n"
         "Two HTTP servers (app and debug) under one group: when one stops, all stop.\n"
         "SIGINT/SIGTERM/SIGQUIT drain gracefully; a second one exits at once.\n"
         "\n"
         "  --app=ADDR              app server address (default 127.0.0.1:8080; port 0 picks one)\n"
         "  --debug=ADDR            debug server address (default 127.0.0.1:8081)\n"
         "  --shutdown-timeout=DUR  drain deadline for both servers (default 5s)\n"
         "  --drain-delay=DUR       /readyz says 503 this long before listeners close "
         "(default 0s)\n"
         "  --read-header-timeout=DUR  a request header must arrive within this (default 5s)\n"
         "  --idle-timeout=DUR      an idle keep-alive connection is closed after this "
         "(default 60s)\n"
         "\n"
         "app:   GET /   GET /slow?ms=N (0..60000)   GET /panic\n"
         "debug: GET /healthz   GET /readyz   GET /debug/vars   POST /debug/quit   "
         "POST /debug/fail\n"
         "exit:  0 graceful, 1 a member failed, 2 bad flags, 3 drain missed the deadline,\n"
         "       128+signo a second signal forced the exit\n";
}

bool ParseDuration(const std::string& s, std::chrono::nanoseconds* out) {
  std::chrono::nanoseconds d{};
  if (!gox::ParseDuration(s, &d) || d < std::chrono::nanoseconds::zero() ||
      d > std::chrono::hours(24))
    return false;
  *out = d;
  return true;
}

bool ParseFlags(int argc, char** argv, Flags* out, std::string* error) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h" || arg == "-help") {
      out->help = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
      *error = "unexpected argument \"" + arg + "\" (flags look like --name=value)";
      return false;
    }
    std::string name = arg.substr(2), value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    const bool known = name == "app" || name == "debug" || name == "shutdown-timeout" ||
                       name == "drain-delay" || name == "read-header-timeout" ||
                       name == "idle-timeout";
    if (!known) {
      *error = "unknown flag --" + name;
      return false;
    }
    if (!has_value) {
      if (i + 1 >= argc) {
        *error = "flag --" + name + " needs a value";
        return false;
      }
      value = argv[++i];
    }
    if (name == "app" || name == "debug") {
      if (!ValidAddr(value)) {
        *error = "invalid value \"" + value + "\" for --" + name +
                 ": want HOST:PORT with PORT 0..65535 (e.g. 127.0.0.1:8080)";
        return false;
      }
      (name == "app" ? out->app : out->debug) = value;
    } else {
      // The two client timeouts must be positive: 0 would close every
      // connection at once.
      const bool positive = name == "read-header-timeout" || name == "idle-timeout";
      std::chrono::nanoseconds d;
      if (!ParseDuration(value, &d) || (positive && d.count() == 0)) {
        *error = "invalid value \"" + value + "\" for --" + name +
                 ": want a duration like 5s, 300ms or 1m30s (" + (positive ? "above 0" : "0") +
                 " to 24h)";
        return false;
      }
      if (name == "shutdown-timeout") out->shutdown_timeout = d;
      if (name == "drain-delay") out->drain_delay = d;
      if (name == "read-header-timeout") out->read_header_timeout = d;
      if (name == "idle-timeout") out->idle_timeout = d;
    }
  }
  return true;
}

}  // namespace hw
