// lesson.h: the lesson kit, what every lesson executable repeats, written once.
//   Parse(argc, argv, spec)  handles --help, --variant=NAME and --NAME=VALUE options;
//                            bad input prints one clear line and exits 2. The lesson's
//                            first printed line is then its build ("build: dev -O0").
//   args.OneOf / IntIn / DurIn  read an option and check it (exit 2 with one line).
//   Say(fmt, ...)            prints one narrated line to stdout, elapsed time first.
//   Result(fmt, ...)         prints the last line ("result: ...") and flushes.
//   Conclude(shown, fmt, ...)  prints the result line, returns the exit status
//                            (0 when the lesson's point was shown, else 1).
//   Pin(cpu)                 puts the calling thread on one CPU.
//   Table                    fixed-width text tables (header, rows).
// Not thread-hostile: Say may be called from any thread (one line is one write).
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

// GOX_LESSON_BUILD names the build a lesson was compiled in ("dev -O0", "tsan -O2");
// add_lesson defines it for each lesson target.
#ifndef GOX_LESSON_BUILD
#define GOX_LESSON_BUILD "unknown"
#endif

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

  // OneOf returns the option's value if it is one of `allowed`; else exits 2.
  std::string OneOf(const std::string& name, std::initializer_list<const char*> allowed) const;
  // IntIn returns the option as an integer in [lo, hi]; else exits 2.
  int64_t IntIn(const std::string& name, int64_t lo, int64_t hi) const;
  // DurIn returns the option as a duration in [lo, hi]; else exits 2.
  std::chrono::nanoseconds DurIn(const std::string& name, std::chrono::nanoseconds lo,
                                 std::chrono::nanoseconds hi) const;

 private:
  friend Args ParseIn(const char* build, int argc, char** argv, const Spec& spec);
  [[noreturn]] void Fail(const std::string& msg) const;
  std::string lesson_;
  std::string variant_;
  std::map<std::string, std::string> values_;
};

// ParseIn is Parse with the build named explicitly; lessons call Parse.
Args ParseIn(const char* build, int argc, char** argv, const Spec& spec);

namespace {
// Parse reads the command line (see the banner); "build: <GOX_LESSON_BUILD>" goes out
// before the lesson's first Say/Result/Line. Inline here so the lesson's own compile
// definition counts.
inline Args Parse(int argc, char** argv, const Spec& spec) {
  return ParseIn(GOX_LESSON_BUILD, argc, argv, spec);
}
}  // namespace

// Elapsed is the time since the process started the lesson (first Parse call).
std::chrono::nanoseconds Elapsed();

// Say prints "[   12.3ms] text" (printf format) to stdout as one write.
void Say(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// Result prints "result: text" as the last line.
void Result(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// Conclude prints "result: text" and returns the exit status: 0 if `shown` (the
// lesson showed its point; a broken variant that showed its bug counts), else 1.
int Conclude(bool shown, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
// Line prints text (printf format) as one line of its own, with no time prefix
// (table rows, timelines).
void Line(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// Format is snprintf into a std::string.
std::string Format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// Pin puts the calling thread on CPU `cpu` (best effort); false if the OS refused.
bool Pin(int cpu);

// Sanitized is true in a TSan or ASan build. TimingCaveat says (one Say line) that
// the times a lesson prints mean little in such a build; it prints nothing otherwise.
bool Sanitized();
void TimingCaveat();

// Table prints fixed-width columns: two spaces, then the cells separated by one
// space; a column is left-aligned if its width is negative (printf's "%-10s").
//   lesson::Table t({{"lock", -22}, {"g1 acq", 8}});
//   t.Header(); t.Row({"go", lesson::Format("%lld", n)});
class Table {
 public:
  struct Column {
    std::string title;
    int width;  // negative: left-aligned
  };
  explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}
  void Header() const;
  // Row prints one row; `note`, if any, follows the last cell ("  <- this variant").
  void Row(const std::vector<std::string>& cells, const std::string& note = "") const;

 private:
  std::vector<Column> columns_;
};

// ParseDuration parses Go durations (gox::ParseDuration: "1.5s", "300ms", "1m30s",
// "0"); false if bad or negative.
bool ParseDuration(const std::string& s, std::chrono::nanoseconds* out);

}  // namespace lesson
