// lesson.h: the small shared frame of every lesson executable.
//   Parse(argc, argv, spec)  handles --help, --variant=NAME and --NAME=VALUE options;
//                            bad input prints a clear error and exits 2.
//   Say(fmt, ...)            prints one narrated line to stdout, elapsed time first.
//   Result(fmt, ...)         prints the last line ("result: ...") and flushes.
// Not thread-hostile: Say may be called from any thread (one line is one write).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lesson {

struct Option {
  std::string name;   // --name=VALUE
  std::string value;  // default value, as text
  std::string help;   // one line
};

struct Spec {
  std::string name;                   // "08_data_race_counter"
  std::string summary;                // one paragraph for --help
  std::vector<std::string> variants;  // default first
  std::vector<Option> options;        // extra options beyond --variant
};

class Args {
 public:
  const std::string& Variant() const { return variant_; }
  std::string Str(const std::string& name) const;
  int64_t Int(const std::string& name) const;  // exits 2 with a message if not an integer
  std::chrono::nanoseconds Dur(const std::string& name) const;  // "250ms", "2s", "10us"

 private:
  friend Args Parse(int argc, char** argv, const Spec& spec);
  std::string variant_;
  std::map<std::string, std::string> values_;
};

Args Parse(int argc, char** argv, const Spec& spec);

// Elapsed is the time since the process started the lesson (first Parse call).
std::chrono::nanoseconds Elapsed();

// Say prints "[   12.3ms] text" (printf format) to stdout as one write.
void Say(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// Result prints "result: text" as the last line.
void Result(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// ParseDuration parses Go durations (gox::ParseDuration: "1.5s", "300ms", "1m30s",
// "0"); false if bad or negative.
bool ParseDuration(const std::string& s, std::chrono::nanoseconds* out);

}  // namespace lesson
