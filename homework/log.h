// log.h: the homework's stderr log: one event a line, elapsed time first.
//   Log(fmt, ...)  "[    12.3ms] text\n" as a single write(2): lines from
//                  different threads never interleave; nothing is buffered, so
//                  _exit() right after a Log loses nothing.
//   Elapsed()      time since StartClock() (called first thing in main).
#pragma once

#include <chrono>

namespace hw {

void StartClock();
std::chrono::nanoseconds Elapsed();
void Log(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace hw
