#include "handlers.h"

#include <Poco/JSON/Object.h>

#include <chrono>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "gox/go.h"
#include "gox/select.h"
#include "gox/time.h"
#include "log.h"

namespace hw {
namespace {

void Text(gox::ResponseWriter& w, int status, const std::string& body) {
  w.SetHeader("Content-Type", "text/plain; charset=utf-8");
  w.WriteHeader(status);
  w.Write(body);
}

// Local guards the debug door: a stopping endpoint for loopback peers only.
bool Local(gox::ResponseWriter& w, const gox::Request& r) {
  if (IsLoopbackPeer(r.RemoteAddr())) return true;
  Log("debug: refused %s %s from %s (not a loopback peer)", r.method.c_str(), r.path.c_str(),
      r.RemoteAddr().c_str());
  Text(w, 403, "403 forbidden: " + r.path + " answers loopback clients only\n");
  return false;
}

}  // namespace

bool IsLoopbackPeer(const std::string& addr) {
  std::string host = addr.substr(0, addr.rfind(':'));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "::1") return true;
  if (host.rfind("::ffff:", 0) == 0) host = host.substr(7);
  return host.rfind("127.", 0) == 0 && host.find(':') == std::string::npos;
}

bool ParseMs(const std::string& s, int* ms) {
  if (s.empty() || s.size() > 5) return false;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v > 60000) return false;
  *ms = v;
  return true;
}

gox::Handler AppHandler() {
  gox::ServeMux mux;
  mux.HandleFunc(
      "/", [](gox::ResponseWriter& w, gox::Request&) { Text(w, 200, "hello from homework\n"); },
      "GET");
  // We sleep by selecting on a timer and the request context: the context is
  // cancelled only when the drain deadline passes, so a graceful drain lets
  // the sleep finish and an abort ends it at once.
  mux.HandleFunc(
      "/slow",
      [](gox::ResponseWriter& w, gox::Request& r) {
        std::optional<std::string> q = r.Query("ms");
        int ms = 0;
        if (!q || !ParseMs(*q, &ms)) {
          Text(w, 400, "400 bad request: ms must be an integer in 0..60000\n");
          return;
        }
        bool aborted = false;
        gox::Select(gox::RecvCase(gox::After(std::chrono::milliseconds(ms)),
                                  [](std::optional<gox::Clock::time_point>) {}),
                    gox::RecvCase(r.ctx.Done(), [&](std::optional<gox::Unit>) { aborted = true; }));
        if (aborted) {
          Text(w, 503, "503 aborted: " + r.ctx.Err().Message() + "\n");
          return;
        }
        Text(w, 200, "slow: slept " + std::to_string(ms) + " ms\n");
      },
      "GET");
  mux.HandleFunc(
      "/panic",
      [](gox::ResponseWriter&, gox::Request&) {
        throw std::runtime_error("/panic: this handler always throws");
      },
      "GET");
  return mux;
}

gox::Handler DebugHandler(State* st) {
  gox::ServeMux mux;
  mux.HandleFunc(
      "/healthz", [](gox::ResponseWriter& w, gox::Request&) { Text(w, 200, "ok\n"); }, "GET");
  mux.HandleFunc(
      "/readyz",
      [st](gox::ResponseWriter& w, gox::Request&) {
        if (st->ready.load()) {
          Text(w, 200, "ready\n");
        } else {
          Text(w, 503, "shutting down\n");
        }
      },
      "GET");
  mux.HandleFunc(
      "/debug/vars",
      [st](gox::ResponseWriter& w, gox::Request&) {
        Poco::JSON::Object o;
        o.set("uptime_s", std::chrono::duration<double>(Elapsed()).count());
        o.set("goroutines", gox::NumGoroutine());
        o.set("inflight", st->app ? st->app->Inflight() : 0);
        o.set("requests_total", st->app ? st->app->RequestsTotal() : 0);
        o.set("connections", st->app ? st->app->OpenConnections() : 0);
        o.set("rejected", st->app ? st->app->Rejected() : 0);
        o.set("state", std::string(st->phase.load()));
        std::ostringstream out;
        o.stringify(out);
        out << "\n";
        w.SetHeader("Content-Type", "application/json");
        w.Write(out.str());
      },
      "GET");
  mux.HandleFunc(
      "/debug/quit",
      [st](gox::ResponseWriter& w, gox::Request& r) {
        if (!Local(w, r)) return;
        st->admin.TrySend(Admin::kQuit);
        Text(w, 200, "quitting: the whole group stops\n");
      },
      "POST");
  mux.HandleFunc(
      "/debug/fail",
      [st](gox::ResponseWriter& w, gox::Request& r) {
        if (!Local(w, r)) return;
        st->admin.TrySend(Admin::kFail);
        Text(w, 200, "failing: the debug member returns an error\n");
      },
      "POST");
  return mux;
}

}  // namespace hw
