// handlers.h: the homework's two HTTP handlers.
//   AppHandler()        GET /, GET /slow?ms=N (0..60000, else 400), GET /panic.
//   DebugHandler(st)    GET /healthz, GET /readyz (503 once shutdown began),
//                       GET /debug/vars (JSON), POST /debug/quit, POST /debug/fail.
//   IsLoopbackPeer(a)   true if "ip:port" is 127.0.0.0/8, ::1 or ::ffff:127.x.
// quit and fail stop the process, so they answer 403 (and log the refusal) to
// a peer that is not loopback, even when --debug binds a public address.
// Handlers never stop a server (POCO would deadlock: the handler holds its
// connection's lock); quit/fail only post a command to State::admin, which a
// group member turns into its return value.
#pragma once

#include <atomic>
#include <string>

#include "gox/chan.h"
#include "gox/http_server.h"

namespace hw {

enum class Admin { kQuit, kFail };

struct State {
  std::atomic<bool> ready{true};
  std::atomic<const char*> phase{"serving"};  // "serving", "draining", "stopped"
  gox::Chan<Admin> admin{1};                  // quit/fail requests (first one counts)
  const gox::Server* app = nullptr;           // for /debug/vars; set before serving
};

gox::Handler AppHandler();
gox::Handler DebugHandler(State* st);

bool IsLoopbackPeer(const std::string& addr);

// ParseMs parses /slow's ms: an integer in 0..60000 written in plain digits.
bool ParseMs(const std::string& s, int* ms);

}  // namespace hw
