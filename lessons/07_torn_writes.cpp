// 07 Torn writes: multi-word values read half-written without synchronisation.
// A writer keeps storing {k, k, k, k}; does an unsynchronised reader see one write?
// Watch: `torn` counts reads whose words come from different writes (the Go memory
// model: a value larger than a machine word is read and written as several words,
// in no fixed order); `atomic` (std::atomic<Wide>) never tears.
// Variants: atomic (default), torn (a data race: TSan reports it).
// Run: build/dev/lessons/07_torn_writes --variant=torn   Note: notes/07_torn_writes.md
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <thread>

#include "gox/clock.h"
#include "lesson.h"

namespace {

using gox::Clock;

// Wide is 32 bytes: four machine words. A writer always stores four equal words,
// so a read with unequal words is torn (its words come from different writes).
struct Wide {
  uint64_t w[4];
};

bool Torn(const Wide& v) { return v.w[0] != v.w[1] || v.w[1] != v.w[2] || v.w[2] != v.w[3]; }

struct Report {
  uint64_t writes = 0, reads = 0, torn = 0;
  Wide first{}, last{};  // the first and the last torn read, for the transcript
};

// We share the value in two ways. `racy` is plain memory: the writer stores one word
// at a time and the reader loads one word at a time. volatile only stops the
// compiler from merging or caching the accesses (so the program does what the
// source says at every -O level); it gives no atomicity and no ordering, and the
// program is still a data race. `atomic` is std::atomic<Wide>.
struct Shared {
  alignas(64) volatile uint64_t racy[4] = {0, 0, 0, 0};
  alignas(64) std::atomic<Wide> atomic{Wide{{0, 0, 0, 0}}};
  alignas(64) std::atomic<bool> stop{false};
};

// Writer stores {k, k, k, k} for k = 1, 2, ... until stop; returns the count.
uint64_t Writer(Shared& s, bool torn) {
  uint64_t k = 0;
  while (!s.stop.load(std::memory_order_relaxed)) {
    ++k;
    if (torn) {
      for (int i = 0; i < 4; ++i) s.racy[i] = k;  // four separate stores
    } else {
      s.atomic.store(Wide{{k, k, k, k}});
    }
  }
  return k;
}

// Reader reads the value until the deadline (or max_torn torn reads) and counts torn ones.
void Reader(Shared& s, bool torn, Clock::time_point deadline, uint64_t max_torn, Report* r) {
  while (r->torn < max_torn) {
    for (int batch = 0; batch < 256; ++batch) {
      Wide v;
      if (torn) {
        for (int i = 0; i < 4; ++i) v.w[i] = s.racy[i];  // four separate loads
      } else {
        v = s.atomic.load();
      }
      ++r->reads;
      if (Torn(v)) {
        if (r->torn == 0) r->first = v;
        r->last = v;
        ++r->torn;
      }
    }
    if (Clock::now() > deadline) break;
  }
  s.stop.store(true, std::memory_order_relaxed);
}

// Verdict prints what the reader saw and the result line; returns the exit status.
int Verdict(bool torn, uint64_t writes, const Report& r) {
  lesson::Say("%" PRIu64 " writes, %" PRIu64 " reads, %" PRIu64 " torn", writes, r.reads, r.torn);
  if (r.torn > 0) {
    lesson::Say("first torn read: {%" PRIu64 ", %" PRIu64 ", %" PRIu64 ", %" PRIu64 "}",
                r.first.w[0], r.first.w[1], r.first.w[2], r.first.w[3]);
    lesson::Say("last torn read:  {%" PRIu64 ", %" PRIu64 ", %" PRIu64 ", %" PRIu64 "}",
                r.last.w[0], r.last.w[1], r.last.w[2], r.last.w[3]);
  }
  double per_million = r.reads == 0 ? 0 : 1e6 * static_cast<double>(r.torn) / r.reads;
  if (!torn) {
    lesson::Result("atomic: %" PRIu64 " torn reads in %" PRIu64 " (every read saw one whole write)",
                   r.torn, r.reads);
    return r.torn == 0 ? 0 : 1;
  }
  if (r.torn > 0) {
    lesson::Result("torn: %" PRIu64 " of %" PRIu64 " reads were torn (%.0f per million)", r.torn,
                   r.reads, per_million);
    return 0;
  }
  lesson::Result("torn: no torn read seen in %" PRIu64
                 " reads this time; the data race is still "
                 "there (try --time=3s)",
                 r.reads);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto args = lesson::Parse(
      argc, argv,
      {"07_torn_writes",
       "A writer stores a 32-byte value {k,k,k,k} over and over; a reader reads it with no "
       "synchronisation and counts torn reads (words from different writes). atomic: the "
       "value is a std::atomic<Wide>; torn: plain word-by-word accesses (a data race).",
       {"atomic", "torn"},
       {{"time", "1s", "how long the reader reads"},
        {"max-torn", "1000000", "stop early after this many torn reads"}}});
  bool torn = args.Variant() == "torn";
  const int64_t max_torn = args.IntIn("max-torn", 1, INT64_MAX);
  Shared s;
  lesson::Say("variant %s: value is %zu bytes = %zu machine words; %s", args.Variant().c_str(),
              sizeof(Wide), sizeof(Wide) / sizeof(void*),
              torn ? "plain word-by-word reads and writes"
                   : (s.atomic.is_lock_free() ? "std::atomic<Wide> (lock-free)"
                                              : "std::atomic<Wide> (not lock-free: libatomic "
                                                "guards it with a lock)"));

  // We run the writer on its own thread and read on this one.
  uint64_t writes = 0;
  std::thread w([&] { writes = Writer(s, torn); });
  Report r;
  Reader(s, torn, Clock::now() + args.Dur("time"), static_cast<uint64_t>(max_torn), &r);
  w.join();

  return Verdict(torn, writes, r);
}
