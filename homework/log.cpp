#include "log.h"

#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>

namespace hw {
namespace {
std::chrono::steady_clock::time_point g_start = std::chrono::steady_clock::now();
}  // namespace

void StartClock() { g_start = std::chrono::steady_clock::now(); }

std::chrono::nanoseconds Elapsed() { return std::chrono::steady_clock::now() - g_start; }

void Log(const char* fmt, ...) {
  char body[1024];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(body, sizeof body, fmt, ap);
  va_end(ap);
  char line[1200];
  double ms = std::chrono::duration<double, std::milli>(Elapsed()).count();
  int n = std::snprintf(line, sizeof line, "[%9.1fms] %s\n", ms, body);
  if (n < 0) return;
  if (n >= static_cast<int>(sizeof line)) n = sizeof line - 1;
  const char* p = line;
  while (n > 0) {
    ssize_t w = ::write(STDERR_FILENO, p, static_cast<size_t>(n));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    n -= static_cast<int>(w);
  }
}

}  // namespace hw
