#include "lesson.h"

#include "gox/time.h"

#include <pthread.h>
#include <sched.h>
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
std::string g_build;           // set by ParseIn, before any thread of the lesson starts
std::once_flag g_build_shown;  // the build line goes out before the first other line

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

// Emit writes one line: "<prefix><text>" or, with no prefix, "[  12.3ms] <text>".
void Emit(const char* prefix, const char* fmt, va_list ap) {
  std::call_once(g_build_shown, [] {
    if (g_build.empty()) return;
    const std::string line = "build: " + g_build + "\n";
    std::fflush(stdout);
    if (::write(1, line.data(), line.size()) < 0) return;
  });
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

namespace {
std::string Quoted(const std::string& s) { return "'" + s + "'"; }

// DurationText prints d as Go would for the round values used in ranges.
std::string DurationText(std::chrono::nanoseconds d) {
  const int64_t ns = d.count();
  if (ns == 0) return "0s";
  if (ns % 1'000'000'000 == 0) return std::to_string(ns / 1'000'000'000) + "s";
  if (ns % 1'000'000 == 0) return std::to_string(ns / 1'000'000) + "ms";
  if (ns % 1'000 == 0) return std::to_string(ns / 1'000) + "us";
  return std::to_string(ns) + "ns";
}
}  // namespace

std::chrono::nanoseconds Elapsed() { return std::chrono::steady_clock::now() - kStart; }

bool ParseDuration(const std::string& s, std::chrono::nanoseconds* out) {
  std::chrono::nanoseconds d{};
  if (!gox::ParseDuration(s, &d) || d < std::chrono::nanoseconds::zero()) return false;
  *out = d;
  return true;
}

Args ParseIn(const char* build, int argc, char** argv, const Spec& spec) {
  (void)Elapsed();
  Args a;
  a.lesson_ = spec.name;
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
  g_build = build;  // printed before the lesson's first line (not before a flag error)
  return a;
}

void Args::Fail(const std::string& msg) const { lesson::Fail(lesson_, msg); }

std::string Args::Str(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? "" : it->second;
}

int64_t Args::Int(const std::string& name) const {
  std::string s = Str(name);
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || errno != 0 || *end != '\0') Fail("--" + name + ": not an integer: " + Quoted(s));
  return v;
}

std::chrono::nanoseconds Args::Dur(const std::string& name) const {
  std::chrono::nanoseconds d{};
  if (!ParseDuration(Str(name), &d))
    Fail("--" + name + ": not a duration (e.g. 250ms, 2s): " + Quoted(Str(name)));
  return d;
}

std::string Args::OneOf(const std::string& name, std::initializer_list<const char*> allowed) const {
  const std::string v = Str(name);
  std::string all;
  for (const char* a : allowed) {
    if (v == a) return v;
    all += all.empty() ? a : std::string("|") + a;
  }
  Fail("--" + name + " must be " + all + ", got " + Quoted(v));
}

int64_t Args::IntIn(const std::string& name, int64_t lo, int64_t hi) const {
  const int64_t v = Int(name);
  if (v < lo || v > hi)
    Fail("--" + name + " must be in " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " +
         Quoted(Str(name)));
  return v;
}

std::chrono::nanoseconds Args::DurIn(const std::string& name, std::chrono::nanoseconds lo,
                                     std::chrono::nanoseconds hi) const {
  const std::chrono::nanoseconds d = Dur(name);
  if (d < lo || d > hi)
    Fail("--" + name + " must be in [" + DurationText(lo) + ", " + DurationText(hi) + "], got " +
         Quoted(Str(name)));
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

int Conclude(bool shown, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  Emit("result: ", fmt, ap);
  va_end(ap);
  return shown ? 0 : 1;
}

void Line(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  Emit("", fmt, ap);
  va_end(ap);
}

std::string Format(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char buf[512];
  int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0) return "";
  if (static_cast<size_t>(n) < sizeof buf) return std::string(buf, static_cast<size_t>(n));
  std::string s(static_cast<size_t>(n) + 1, '\0');
  va_start(ap, fmt);
  std::vsnprintf(s.data(), s.size(), fmt, ap);
  va_end(ap);
  s.resize(static_cast<size_t>(n));
  return s;
}

bool Pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

bool Sanitized() {
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
  return true;
#else
  return false;
#endif
}

void TimingCaveat() {
  if (!Sanitized()) return;
  Say("note: a sanitizer build instruments every memory access: the times below say "
      "nothing about speed (run the dev or release build for that)");
}

void Table::Header() const {
  std::vector<std::string> titles;
  for (const Column& c : columns_) titles.push_back(c.title);
  Row(titles);
}

void Table::Row(const std::vector<std::string>& cells, const std::string& note) const {
  std::string line = " ";
  for (size_t i = 0; i < columns_.size(); ++i) {
    const std::string cell = i < cells.size() ? cells[i] : "";
    const int w = columns_[i].width;
    const size_t width = static_cast<size_t>(w < 0 ? -w : w);
    const std::string pad(cell.size() < width ? width - cell.size() : 0, ' ');
    line += " ";
    line += w < 0 ? cell + pad : pad + cell;
  }
  if (!note.empty()) line += "  " + note;
  Line("%s", line.c_str());
}

}  // namespace lesson
