// Check for exercise 04: the app listens; the debug server's port is taken, so it fails
// at once. RunServers must return both errors within 1s, and the app must be closed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "check.h"
#include "gox/chan.h"
#include "gox/go.h"
#include "gox/http_server.h"
#include "gox/select.h"
#include "gox/time.h"
#include "http_get.h"

std::vector<gox::Error> RunServers(gox::Server& app, gox::Server& debug);

namespace {

// Accepts reports whether a TCP connect to addr succeeds.
bool Accepts(const std::string& addr) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(std::stoi(addr.substr(addr.rfind(':') + 1))));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

}  // namespace

int main() {
  const char* name = "04_serve_stop";
  check::Watchdog(std::chrono::seconds(10), name);
  auto hello = [](gox::ResponseWriter& w, gox::Request&) { w.Write("hello\n"); };
  static gox::Server app("127.0.0.1:0", hello);  // static: may outlive a stuck RunServers
  std::string taken;
  const int holder = lesson::HoldPort(&taken);
  if (holder < 0 || app.Listen()) {
    std::printf("FAIL: %s: the check could not set up its servers\n", name);
    check::Exit(1);
  }
  static gox::Server debug(taken, hello);
  gox::Chan<std::vector<gox::Error>> result(1);
  gox::Go([result]() mutable { result.Send(RunServers(app, debug)); });
  std::optional<std::vector<gox::Error>> errs;
  gox::Select(gox::RecvCase(result, [&](std::optional<std::vector<gox::Error>> v) { errs = v; }),
              gox::RecvCase(gox::After(std::chrono::seconds(1)), [] {}));
  check::Expect(errs.has_value(),
                std::string("the debug server failed at once, but RunServers had not returned 1 s "
                            "later and the app server ") +
                    (Accepts(app.Addr()) ? "still accepts connections" : "is closed") +
                    ": close a stop channel after the first error so both servers stop");
  if (errs) {
    check::Expect(errs->size() == 2 && (*errs)[0] && (*errs)[1],
                  "RunServers should return both servers' errors (the bind error, then "
                  "\"http: Server closed\")");
    check::Expect(!Accepts(app.Addr()),
                  "RunServers returned, but the app server still accepts "
                  "connections: Serve must return after Shutdown has");
  }
  close(holder);
  check::Finish(name,
                "the debug server failed, the stop channel stopped the app, RunServers "
                "returned both errors");
}
