// flags.h: the homework's command line.
//   homework [--app=ADDR] [--debug=ADDR] [--shutdown-timeout=DUR]
//            [--drain-delay=DUR] [--read-header-timeout=DUR]
//            [--idle-timeout=DUR] [--help]
// Also "--name VALUE". ADDR is HOST:PORT (port 0 picks one); DUR is Go's
// duration syntax ("5s", "300ms", "1m30s", "0"). ParseFlags returns false with
// a one-line reason in *error for bad input (main exits 2 then).
#pragma once

#include <chrono>
#include <string>

namespace hw {

struct Flags {
  std::string app = "127.0.0.1:8080";
  std::string debug = "127.0.0.1:8081";
  std::chrono::nanoseconds shutdown_timeout = std::chrono::seconds(5);
  std::chrono::nanoseconds drain_delay{0};
  std::chrono::nanoseconds read_header_timeout = std::chrono::seconds(5);
  std::chrono::nanoseconds idle_timeout = std::chrono::seconds(60);
  bool help = false;
};

bool ParseFlags(int argc, char** argv, Flags* out, std::string* error);
// ParseDuration parses Go's duration syntax (gox::ParseDuration) and accepts
// 0..24h only; false otherwise.
bool ParseDuration(const std::string& s, std::chrono::nanoseconds* out);
// Usage is the --help text.
const char* Usage();

}  // namespace hw
