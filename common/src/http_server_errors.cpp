// http_server_errors.cpp: the library's one Poco::ErrorHandler (see
// PocoErrorLog in http_server_internal.h).
#include <Poco/ErrorHandler.h>
#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>

#include <cstdio>
#include <mutex>
#include <utility>
#include <vector>

#include "http_server_internal.h"

namespace gox::http_internal {
namespace {

class Handler final : public Poco::ErrorHandler {
 public:
  void exception(const Poco::Exception& e) override {
    // A socket error, a read timeout or an unparsable header is the client's
    // doing (it reset, stalled, vanished or sent garbage POCO rejects before
    // any handler runs); anything else is a POCO or server fault.
    if (dynamic_cast<const Poco::Net::NetException*>(&e) != nullptr ||
        dynamic_cast<const Poco::SyntaxException*>(&e) != nullptr ||
        dynamic_cast<const Poco::TimeoutException*>(&e) != nullptr) {
      Emit("connection error: " + e.displayText());
    } else {
      Emit("poco: " + e.displayText());
    }
  }
  void exception(const std::exception& e) override { Emit(std::string("poco: ") + e.what()); }
  void exception() override { Emit("poco: unknown exception"); }
  static bool DefaultInstalled() { return get() == defaultHandler(); }

  uint64_t Add(PocoErrorLog::Sink sink) {
    std::lock_guard lock(mu_);
    sinks_.emplace_back(++last_id_, std::move(sink));
    return last_id_;
  }
  void Remove(uint64_t id) {
    std::lock_guard lock(mu_);
    std::erase_if(sinks_, [id](const auto& s) { return s.first == id; });
  }

 private:
  // Emit calls the sink under mu_, so Remove (from ~Server) waits for a line
  // being written to its sink.
  void Emit(const std::string& line) {
    std::lock_guard lock(mu_);
    if (!sinks_.empty() && sinks_.back().second) {
      sinks_.back().second(line);
    } else {
      std::fprintf(stderr, "%s\n", line.c_str());
    }
  }

  std::mutex mu_;
  uint64_t last_id_ = 0;                                        // under mu_
  std::vector<std::pair<uint64_t, PocoErrorLog::Sink>> sinks_;  // under mu_
};

// The handler lives for the whole process: POCO's threads may report after
// every Server is gone.
Handler& Instance() {
  static Handler* h = [] {
    auto* handler = new Handler;
    if (Handler::DefaultInstalled()) {
      Poco::ErrorHandler::set(handler);
    }
    return handler;
  }();
  return *h;
}

}  // namespace

uint64_t PocoErrorLog::Register(Sink sink) { return Instance().Add(std::move(sink)); }

void PocoErrorLog::Unregister(uint64_t id) { Instance().Remove(id); }

}  // namespace gox::http_internal
