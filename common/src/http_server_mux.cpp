// http_server_mux.cpp: the request/response side of gox::Server: the header
// parser with our limits (POCO's HTTPRequest reads the fields), Request's
// accessors, the buffered ResponseWriter and its serialization, and ServeMux.
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Timestamp.h>
#include <Poco/URI.h>

#include <algorithm>
#include <cctype>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

#include "gox/http_server.h"
#include "http_server_internal.h"

namespace gox {
namespace {

bool EqualFold(std::string_view a, std::string_view b) {
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

// POCO 1.11's own limits (private in its headers): past them its parser
// throws, or closes the connection without an answer.
constexpr std::size_t kMaxMethod = 32, kMaxName = 256, kMaxValue = 8192;
constexpr int kMaxFields = 100;

// IsToken: RFC 9110 token characters (methods, header names).
bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return std::isalnum(c) ||
           std::string_view("!#$%&'*+-.^_`|~").find(ch) != std::string_view::npos;
  });
}

const std::string& Reason(int status) {
  return Poco::Net::HTTPResponse::getReasonForStatus(
      static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
}

// CheckRequestLine: "METHOD SP TARGET SP HTTP/1.x", nothing else.
int CheckRequestLine(std::string_view line, const ServerOptions& o, std::string* why) {
  if (line.size() > o.max_request_line) {
    *why = "request line too long";
    return 414;
  }
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    *why = "malformed request line";
    return 400;
  }
  std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1),
                   version = line.substr(sp2 + 1);
  if (!IsToken(method) || method.size() > kMaxMethod) {
    *why = "malformed method";
    return 400;
  }
  if (target.empty() || std::any_of(target.begin(), target.end(), [](char c) {
        return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
      })) {
    *why = "malformed request target";
    return 400;
  }
  if (version == "HTTP/1.1" || version == "HTTP/1.0") return 0;
  if (version.size() == 8 && version.substr(0, 5) == "HTTP/" && std::isdigit(version[5]) &&
      version[6] == '.' && std::isdigit(version[7])) {
    *why = "HTTP version not supported";
    return 505;
  }
  *why = "malformed HTTP version";
  return 400;
}

// CheckFields: every line "name: value", name a token, within POCO's limits
// (which POCO would otherwise enforce by closing, or by skipping the line).
int CheckFields(std::string_view fields, std::string* why) {
  int count = 0;
  while (!fields.empty()) {
    std::size_t nl = fields.find('\n');
    std::string_view line = fields.substr(0, nl);
    fields.remove_prefix(nl == std::string_view::npos ? fields.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // the blank line
    if (++count > kMaxFields) {
      *why = "too many header fields";
      return 431;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || !IsToken(line.substr(0, colon)) ||
        line.find('\r') != std::string_view::npos) {
      *why = "malformed header line";
      return 400;
    }
    std::string_view value = line.substr(colon + 1);
    value.remove_prefix(std::min(value.size(), value.find_first_not_of(" \t")));
    if (colon > kMaxName || value.size() > kMaxValue) {
      *why = "header field too large";
      return 431;
    }
  }
  return 0;
}

// CheckFraming: Content-Length (digits, repeated only with one value) and
// Transfer-Encoding (chunked only, never with Content-Length).
int CheckFraming(const Poco::Net::HTTPRequest& req, std::string* why) {
  std::string length;
  bool has_length = false, has_te = false;
  for (const auto& [name, value] : req) {
    if (EqualFold(name, "Content-Length")) {
      if (value.empty() || value.size() > 18 ||
          !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
          (has_length && value != length)) {
        *why = "bad Content-Length";
        return 400;
      }
      has_length = true;
      length = value;
    } else if (EqualFold(name, "Transfer-Encoding")) {
      if (has_te || !EqualFold(value, "chunked")) {
        *why = "unsupported Transfer-Encoding";
        return 501;
      }
      has_te = true;
    }
  }
  if (has_length && has_te) {
    *why = "both Content-Length and Transfer-Encoding";
    return 400;
  }
  return 0;
}

}  // namespace

namespace http_internal {

std::size_t FindHeaderEnd(const std::string& b, std::size_t* scanned) {
  for (std::size_t i = *scanned; i < b.size(); ++i) {
    if (b[i] != '\n') continue;
    if (i + 1 < b.size() && b[i + 1] == '\n') return i + 2;
    if (i + 2 < b.size() && b[i + 1] == '\r' && b[i + 2] == '\n') return i + 3;
    if (i + 2 >= b.size()) {  // too few bytes to tell yet
      *scanned = i;
      return 0;
    }
  }
  *scanned = b.size();
  return 0;
}

int ParseHeader(const std::string& buf, std::size_t header_len, const ServerOptions& o,
                Poco::Net::HTTPRequest* req, std::string* why) {
  std::string_view head(buf.data(), header_len);
  std::size_t nl = head.find('\n');
  std::string_view line = head.substr(0, nl);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (int st = CheckRequestLine(line, o, why)) return st;
  if (int st = CheckFields(head.substr(nl + 1), why)) return st;
  try {
    std::istringstream in{std::string(head)};
    req->read(in);
  } catch (const Poco::Exception& e) {
    *why = e.message();
    return 400;
  }
  return CheckFraming(*req, why);
}

std::string ErrorResponse(int status, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + " " + Reason(status) +
         "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

void Writer::SetHeader(const std::string& name, const std::string& value) {
  for (auto& h : headers_) {
    if (EqualFold(h.first, name)) {
      h.second = value;
      return;
    }
  }
  headers_.emplace_back(name, value);
}

void Writer::Reset(int status, std::string body) {
  status_ = status;
  headers_.clear();
  body_ = std::move(body);
  SetHeader("Content-Type", "text/plain; charset=utf-8");
}

std::string Writer::Serialize(bool close, bool head) const {
  std::string out =
      "HTTP/1.1 " + std::to_string(status_) + " " + Reason(status_) + "\r\nDate: " +
      Poco::DateTimeFormatter::format(Poco::Timestamp(), Poco::DateTimeFormat::HTTP_FORMAT) +
      "\r\n";
  bool has_type = false;
  for (const auto& [name, value] : headers_) {
    if (EqualFold(name, "Content-Length") || EqualFold(name, "Connection")) continue;
    // A CR or LF in a header would let a handler split the response.
    if (!IsToken(name) || value.find_first_of("\r\n") != std::string::npos) continue;
    if (EqualFold(name, "Content-Type")) has_type = true;
    out += name + ": " + value + "\r\n";
  }
  if (!has_type && !body_.empty()) out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "Content-Length: " + std::to_string(body_.size()) + "\r\n";
  out += close ? "Connection: close\r\n\r\n" : "Connection: keep-alive\r\n\r\n";
  if (!head) out += body_;
  return out;
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
  const auto* req = static_cast<const Poco::Net::HTTPRequest*>(native);
  return req->get(name, "");  // NameValueCollection: case-insensitive
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
