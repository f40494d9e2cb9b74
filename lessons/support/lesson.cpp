#include "lesson.h"

#include "gox/time.h"

#include <unistd.h>
#include <cctype>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>

namespace lesson {
namespace {
const auto kStart = std::chrono::steady_clock::now();

[[noreturn]] void Fail(const std::string& name, const std::string& msg) {
  std::fprintf(stderr, "%s: %s (try --help)\n", name.c_str(), msg.c_str());
  std::exit(2);
}

void Usage(const Spec& spec) {
  std::printf("usage: %s [--variant=NAME]", spec.name.c_str());
  for (const auto& o : spec.options) std::printf(" [--%s=V]", o.name.c_str());
  std::printf(" [--help]\n\n%s\n\nvariants (default first):", spec.summary.c_str());
  for (const auto& v : spec.variants) std::printf(" %s", v.c_str());
  std::printf("\n");
  if (!spec.options.empty()) std::printf("\noptions:\n");
  for (const auto& o : spec.options)
    std::printf("  --%-18s %s (default %s)\n", o.name.c_str(), o.help.c_str(),
                o.value.empty() ? "\"\"" : o.value.c_str());
}

void Emit(const char* prefix, const char* fmt, va_list ap) {
  char body[2048];
  std::vsnprintf(body, sizeof body, fmt, ap);
  char line[2200];
  int n;
  if (prefix != nullptr) {
    n = std::snprintf(line, sizeof line, "%s%s\n", prefix, body);
  } else {
    double ms = std::chrono::duration<double, std::milli>(Elapsed()).count();
    n = std::snprintf(line, sizeof line, "[%9.1fms] %s\n", ms, body);
  }
  if (n < 0) return;
  if (n > static_cast<int>(sizeof line) - 1) n = sizeof line - 1;
  std::fflush(stdout);
  ssize_t off = 0;
  while (off < n) {
    ssize_t w = ::write(1, line + off, n - off);
    if (w <= 0) break;
    off += w;
  }
}
}  // namespace

std::chrono::nanoseconds Elapsed() { return std::chrono::steady_clock::now() - kStart; }

bool ParseDuration(const std::string& s, std::chrono::nanoseconds* out) {
  std::chrono::nanoseconds d{};
  if (!gox::ParseDuration(s, &d) || d < std::chrono::nanoseconds::zero()) return false;
  *out = d;
  return true;
}

Args Parse(int argc, char** argv, const Spec& spec) {
  (void)Elapsed();
  Args a;
  a.variant_ = spec.variants.empty() ? "" : spec.variants.front();
  for (const auto& o : spec.options) a.values_[o.name] = o.value;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      Usage(spec);
      std::exit(0);
    }
    if (arg.rfind("--", 0) != 0) Fail(spec.name, "unexpected argument '" + arg + "'");
    std::string key = arg.substr(2), val;
    auto eq = key.find('=');
    if (eq == std::string::npos) {
      if (i + 1 >= argc) Fail(spec.name, "flag --" + key + " needs a value");
      val = argv[++i];
    } else {
      val = key.substr(eq + 1);
      key = key.substr(0, eq);
    }
    if (key == "variant") {
      bool ok = false;
      for (const auto& v : spec.variants) ok = ok || v == val;
      if (!ok) {
        std::string all;
        for (const auto& v : spec.variants) all += " " + v;
        Fail(spec.name, "unknown variant '" + val + "'; variants:" + all);
      }
      a.variant_ = val;
    } else if (a.values_.count(key) != 0) {
      a.values_[key] = val;
    } else {
      Fail(spec.name, "unknown flag --" + key);
    }
  }
  return a;
}

std::string Args::Str(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? "" : it->second;
}

int64_t Args::Int(const std::string& name) const {
  std::string s = Str(name);
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || errno != 0 || *end != '\0')
    Fail("lesson", "--" + name + ": not an integer: '" + s + "'");
  return v;
}

std::chrono::nanoseconds Args::Dur(const std::string& name) const {
  std::chrono::nanoseconds d{};
  if (!ParseDuration(Str(name), &d))
    Fail("lesson", "--" + name + ": not a duration (e.g. 250ms, 2s): '" + Str(name) + "'");
  return d;
}

void Say(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  Emit(nullptr, fmt, ap);
  va_end(ap);
}

void Result(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  Emit("result: ", fmt, ap);
  va_end(ap);
}

}  // namespace lesson
