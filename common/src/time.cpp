#include "gox/time.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#include "gox/detail/timer_queue.h"

namespace gox {

Chan<Clock::time_point> After(Duration d) {
  Chan<Clock::time_point> c(1);
  detail::ScheduleAt(detail::DeadlineAfter(d), [c]() mutable { c.TrySend(Clock::now()); });
  return c;
}

void Sleep(Duration d) {
  if (d > Duration::zero()) std::this_thread::sleep_for(d);
}

bool ParseDuration(std::string_view s, Duration* out) {
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") {
    *out = Duration::zero();
    return true;
  }
  if (s.empty()) return false;
  double total_ns = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t start = i, dots = 0;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) {
      dots += s[i] == '.';
      ++i;
    }
    if (i == start || dots > 1 || i - start == dots) return false;  // no digits, or "1.2.3"
    double v = std::strtod(std::string(s.substr(start, i - start)).c_str(), nullptr);
    std::size_t ustart = i;
    while (i < s.size() && !std::isdigit(static_cast<unsigned char>(s[i])) && s[i] != '.') ++i;
    std::string_view unit = s.substr(ustart, i - ustart);
    double scale;
    if (unit == "ns") {
      scale = 1;
    } else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") {
      scale = 1e3;
    } else if (unit == "ms") {
      scale = 1e6;
    } else if (unit == "s") {
      scale = 1e9;
    } else if (unit == "m") {
      scale = 60e9;
    } else if (unit == "h") {
      scale = 3600e9;
    } else {
      return false;  // missing or unknown unit
    }
    total_ns += v * scale;
  }
  if (!std::isfinite(total_ns) || total_ns > 9.2e18) return false;
  auto ns = static_cast<Duration::rep>(std::llround(total_ns));
  *out = Duration(negative ? -ns : ns);
  return true;
}

// ---- Timer ----

struct Timer::State {
  std::mutex mu;
  Chan<Clock::time_point> c{1};
  uint64_t id = 0;       // guarded by mu: the pending timer-queue entry
  uint64_t gen = 0;      // guarded by mu: bumped by Stop/Reset so old firings do nothing
  bool pending = false;  // guarded by mu

  void Arm(const std::shared_ptr<State>& self, Duration d) {
    uint64_t g = ++gen;
    pending = true;
    std::weak_ptr<State> weak = self;
    id = detail::ScheduleAt(detail::DeadlineAfter(d), [weak, g] {
      auto s = weak.lock();
      if (!s) return;
      std::lock_guard lock(s->mu);
      if (s->gen != g) return;
      s->pending = false;
      s->c.TrySend(Clock::now());
    });
  }

  bool Disarm() {
    bool was = pending;
    pending = false;
    ++gen;
    detail::CancelTimer(id);
    c.TryRecv();  // Go 1.23: no stale value after Stop/Reset
    return was;
  }
};

Timer::Timer(Duration d) : s_(std::make_shared<State>()) {
  std::lock_guard lock(s_->mu);
  s_->Arm(s_, d);
}

Timer& Timer::operator=(Timer&& o) noexcept {
  if (this != &o) {
    if (s_) Stop();
    s_ = std::move(o.s_);
  }
  return *this;
}

Timer::~Timer() {
  if (s_) {
    std::lock_guard lock(s_->mu);
    s_->pending = false;
    ++s_->gen;
    detail::CancelTimer(s_->id);
  }
}

Chan<Clock::time_point> Timer::C() const { return s_ ? s_->c : Chan<Clock::time_point>(); }

bool Timer::Stop() {
  if (!s_) return false;
  std::lock_guard lock(s_->mu);
  return s_->Disarm();
}

bool Timer::Reset(Duration d) {
  if (!s_) return false;
  std::lock_guard lock(s_->mu);
  bool was = s_->Disarm();
  s_->Arm(s_, d);
  return was;
}

// ---- Ticker ----

struct Ticker::State {
  std::mutex mu;
  Chan<Clock::time_point> c{1};
  Duration period{};
  uint64_t id = 0;       // guarded by mu
  uint64_t gen = 0;      // guarded by mu
  bool stopped = false;  // guarded by mu

  static void Schedule(const std::shared_ptr<State>& s, Clock::time_point when, uint64_t g) {
    std::weak_ptr<State> weak = s;
    s->id = detail::ScheduleAt(when, [weak, when, g] {
      auto st = weak.lock();
      if (!st) return;
      std::lock_guard lock(st->mu);
      if (st->stopped || st->gen != g) return;
      Clock::time_point now = Clock::now();
      st->c.TrySend(now);  // a full channel drops the tick, as Go's does
      // Next tick on the period grid, skipping the ones already missed.
      auto missed = (now - when) / st->period;
      Schedule(st, when + st->period * (missed + 1), g);
    });
  }
};

Ticker::Ticker(Duration d) {
  if (d <= Duration::zero()) throw Panic("non-positive interval for NewTicker");
  s_ = std::make_shared<State>();
  std::lock_guard lock(s_->mu);
  s_->period = d;
  State::Schedule(s_, detail::DeadlineAfter(d), s_->gen);
}

Ticker& Ticker::operator=(Ticker&& o) noexcept {
  if (this != &o) {
    if (s_) Stop();
    s_ = std::move(o.s_);
  }
  return *this;
}

Ticker::~Ticker() {
  if (s_) Stop();
}

Chan<Clock::time_point> Ticker::C() const { return s_ ? s_->c : Chan<Clock::time_point>(); }

void Ticker::Stop() {
  if (!s_) return;
  std::lock_guard lock(s_->mu);
  s_->stopped = true;
  ++s_->gen;
  detail::CancelTimer(s_->id);
  s_->c.TryRecv();
}

void Ticker::Reset(Duration d) {
  if (d <= Duration::zero()) throw Panic("non-positive interval for Ticker.Reset");
  if (!s_) return;
  std::lock_guard lock(s_->mu);
  ++s_->gen;
  detail::CancelTimer(s_->id);
  s_->c.TryRecv();
  s_->stopped = false;
  s_->period = d;
  State::Schedule(s_, detail::DeadlineAfter(d), s_->gen);
}

}  // namespace gox
