// http_server_mux.cpp: the request/response side of gox::Server. POCO's
// HTTPServerRequest/Response are adapted to gox::Request and
// gox::ResponseWriter (the body read up front, the response buffered and sent
// with Content-Length), the handler's exceptions become 500s, and ServeMux
// routes by exact path.
#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/URI.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <istream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gox/http_server.h"
#include "http_server_internal.h"

namespace gox {
namespace {

using http_internal::Shared;
using Poco::Net::HTTPResponse;

bool EqualFold(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string Decode(const std::string& s) {
  std::string plus = s;
  std::replace(plus.begin(), plus.end(), '+', ' ');
  std::string out;
  try {
    Poco::URI::decode(plus, out);
  } catch (const Poco::Exception&) {
    return plus;
  }
  return out;
}
class Writer final : public ResponseWriter {
 public:
  void SetHeader(const std::string& name, const std::string& value) override {
    for (auto& h : headers_) {
      if (EqualFold(h.first, name)) {
        h.second = value;
        return;
      }
    }
    headers_.emplace_back(name, value);
  }
  void WriteHeader(int status) override { status_ = status >= 100 && status <= 999 ? status : 500; }
  void Write(std::string_view data) override { body_.append(data); }

  void Reset(int status, std::string body) {
    status_ = status;
    headers_.clear();
    body_ = std::move(body);
    SetHeader("Content-Type", "text/plain; charset=utf-8");
  }

  // Send writes the response. Returns false if the client went away.
  bool Send(Poco::Net::HTTPServerResponse& resp, bool close) {
    resp.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(status_));
    bool has_type = false;
    for (const auto& [name, value] : headers_) {
      if (EqualFold(name, "Content-Length") || EqualFold(name, "Connection")) continue;
      if (EqualFold(name, "Content-Type")) has_type = true;
      resp.set(name, value);
    }
    if (!has_type && !body_.empty()) resp.setContentType("text/plain; charset=utf-8");
    if (close) resp.setKeepAlive(false);
    try {
      resp.sendBuffer(body_.data(), body_.size());
      return true;
    } catch (const Poco::Exception&) {
      resp.setKeepAlive(false);  // ends the connection without touching it again
      return false;
    }
  }

 private:
  int status_ = 200;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::string body_;
};

class RequestHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  // s outlives the handler: the factory, which every connection holds, owns it.
  explicit RequestHandler(Shared* s) : s_(s) {}

  void handleRequest(Poco::Net::HTTPServerRequest& preq,
                     Poco::Net::HTTPServerResponse& presp) override {
    Writer w;
    Request r;
    if (!Parse(preq, &r, &w)) {
      w.Send(presp, true);
      return;
    }
    s_->inflight.fetch_add(1, std::memory_order_relaxed);
    s_->total.fetch_add(1, std::memory_order_relaxed);
    try {
      s_->handler(w, r);
    } catch (const std::exception& e) {
      s_->LogError("http: panic serving " + r.RemoteAddr() + " " + r.method + " " + r.target +
                   ": " + e.what());
      w.Reset(500, "500 internal server error\n");
    } catch (...) {
      s_->LogError("http: panic serving " + r.RemoteAddr() + " " + r.method + " " + r.target +
                   ": unknown exception");
      w.Reset(500, "500 internal server error\n");
    }
    w.Send(presp, s_->draining.load(std::memory_order_acquire));
    s_->inflight.fetch_sub(1, std::memory_order_relaxed);
  }

 private:
  // Parse fills r; on a bad request it fills w with the error response.
  bool Parse(Poco::Net::HTTPServerRequest& preq, Request* r, Writer* w) const {
    try {
      r->native = &preq;
      r->method = preq.getMethod();
      r->target = preq.getURI();
      r->ctx = s_->hard_ctx;
      const std::size_t q = r->target.find('?');
      std::string raw_path = r->target.substr(0, q);
      if (q != std::string::npos) r->raw_query = r->target.substr(q + 1);
      if (raw_path.find('%') == std::string::npos) {
        r->path = std::move(raw_path);
      } else {
        Poco::URI::decode(raw_path, r->path);
      }
      if (r->path.empty()) r->path = "/";
      const std::size_t limit = s_->opts.max_body_bytes;
      if (preq.hasContentLength() && preq.getContentLength64() > static_cast<int64_t>(limit)) {
        w->Reset(413, "413 request body too large\n");
        return false;
      }
      if (preq.hasContentLength() || preq.getChunkedTransferEncoding()) {
        std::istream& in = preq.stream();
        char buf[8192];
        while (in.read(buf, sizeof buf) || in.gcount() > 0) {
          r->body.append(buf, static_cast<std::size_t>(in.gcount()));
          if (r->body.size() > limit) {
            w->Reset(413, "413 request body too large\n");
            return false;
          }
        }
      }
    } catch (const Poco::Exception& e) {
      w->Reset(400, "400 bad request: " + e.displayText() + "\n");
      return false;
    }
    return true;
  }

  Shared* s_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(std::shared_ptr<Shared> s) : s_(std::move(s)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new RequestHandler(s_.get());
  }

 private:
  std::shared_ptr<Shared> s_;
};

}  // namespace

namespace http_internal {

Poco::Net::HTTPRequestHandlerFactory* NewHandlerFactory(std::shared_ptr<Shared> s) {
  return new Factory(std::move(s));
}

}  // namespace http_internal

std::optional<std::string> Request::Query(const std::string& key) const {
  std::size_t pos = 0;
  while (pos <= raw_query.size()) {
    std::size_t amp = raw_query.find('&', pos);
    if (amp == std::string::npos) amp = raw_query.size();
    std::string pair = raw_query.substr(pos, amp - pos);
    std::size_t eq = pair.find('=');
    std::string k = Decode(pair.substr(0, eq));
    if (!pair.empty() && k == key) {
      return eq == std::string::npos ? std::string() : Decode(pair.substr(eq + 1));
    }
    pos = amp + 1;
  }
  return std::nullopt;
}

std::string Request::Header(const std::string& name) const {
  if (native == nullptr) return "";
  const auto* req = static_cast<const Poco::Net::HTTPServerRequest*>(native);
  return req->get(name, "");  // NameValueCollection: case-insensitive
}

std::string Request::RemoteAddr() const {
  if (native == nullptr) return "";
  return static_cast<const Poco::Net::HTTPServerRequest*>(native)->clientAddress().toString();
}

void ServeMux::HandleFunc(const std::string& path, Handler h, const std::string& method) {
  routes_[path] = Route{method, std::move(h)};
}

void ServeMux::operator()(ResponseWriter& w, Request& r) const {
  auto it = routes_.find(r.path);
  if (it == routes_.end()) {
    w.SetHeader("Content-Type", "text/plain; charset=utf-8");
    w.WriteHeader(404);
    w.Write("404 page not found\n");
    return;
  }
  if (!it->second.method.empty() && it->second.method != r.method) {
    w.SetHeader("Allow", it->second.method);
    w.SetHeader("Content-Type", "text/plain; charset=utf-8");
    w.WriteHeader(405);
    w.Write("405 method not allowed\n");
    return;
  }
  it->second.h(w, r);
}
}  // namespace gox
